"""Waiting for the repository, refused logins, timeouts, and secrets that never leak."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import GIT_PASSWORD, ORG, git
from tests.init.conftest import REPO, USER, InitSetup


class CommandLineWatcher:
    """Samples every process's command line while the init runs (what ``ps`` would show)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            for pid in os.listdir("/proc"):
                if pid.isdigit():
                    try:
                        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
                    except OSError:
                        continue
                    self.seen.add(raw.replace(b"\0", b" ").decode("utf-8", "replace"))
            time.sleep(0.005)

    def __enter__(self) -> CommandLineWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def everything_written(setup: InitSetup) -> str:
    texts = []
    for path in setup.workspace.rglob("*"):
        if path.is_file() and ".git/objects" not in str(path):
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(texts)


def test_repository_created_seconds_after_start_is_waited_for(setup: InitSetup, git_server):
    # The Gitea operator's race: the repository does not exist when the pod starts.
    name = f"jupyterhub-late-{USER}.git"
    timer = git_server.create_repo_later(ORG, name, delay=2.0)
    try:
        result = setup.run(
            "--strict",
            ILUM_GIT_REPO_URL="{git_url}/{org}/jupyterhub-late-{username}.git",
        )
    finally:
        timer.cancel()

    assert result.returncode == 0, result.stderr
    assert "waiting for" in result.stderr
    assert setup.state()["case"] == "fresh-repo"
    assert git(git_server.repo_path(ORG, name), "rev-parse", "main")


def test_repository_that_never_appears_ends_with_timeout_code(setup: InitSetup):
    started = time.monotonic()
    result = setup.run(
        "--strict", ILUM_GIT_REPO_URL="{git_url}/{org}/never-{username}.git", ILUM_INIT_TIMEOUT="2"
    )

    assert result.returncode == 4, result.stderr
    assert time.monotonic() - started < 15
    state = setup.state()
    assert state["outcome"] == "failed"
    assert state["error"]["code"] == "timeout"
    assert "never-jane.doe-1.git" in state["error"]["message"]
    assert not (setup.workspace / ".git").exists()


def test_gitea_not_answering_is_waited_for_then_times_out(setup: InitSetup):
    result = setup.run("--strict", ILUM_GIT_URL="http://127.0.0.1:9", ILUM_INIT_TIMEOUT="2")

    assert result.returncode == 4
    assert "not answering" in setup.state()["error"]["message"]


def test_timeout_without_strict_still_exits_zero(setup: InitSetup):
    result = setup.run(ILUM_GIT_URL="http://127.0.0.1:9", ILUM_INIT_TIMEOUT="1")

    assert result.returncode == 0
    assert setup.state()["outcome"] == "failed"


def test_wrong_password_ends_at_once_and_the_password_appears_nowhere(setup: InitSetup):
    wrong = "Wr0ng:p@ss/#%? word"
    started = time.monotonic()
    with CommandLineWatcher() as watcher:
        result = setup.run("--strict", ILUM_GIT_PASSWORD=wrong)
    elapsed = time.monotonic() - started

    assert result.returncode == 3
    assert elapsed < 5
    state = setup.state()
    assert state["error"]["code"] == "authentication"
    assert USER in state["error"]["message"]
    assert setup.repo_url in state["error"]["message"]
    assert "the Gitea token the hub mints" in state["error"]["admin_hint"]
    assert "ask your administrator" in state["error"]["hint"]
    for text in (result.stdout, result.stderr, everything_written(setup), *watcher.seen):
        assert wrong not in text
        assert GIT_PASSWORD not in text


def test_password_never_lands_in_config_remote_or_command_lines(setup: InitSetup):
    with CommandLineWatcher() as watcher:
        result = setup.run("--strict")

    assert result.returncode == 0, result.stderr
    assert any("git" in cmd and "push" in cmd for cmd in watcher.seen)
    config = (setup.workspace / ".git" / "config").read_text()
    assert GIT_PASSWORD not in config
    assert "@" not in git(setup.workspace, "remote", "get-url", "origin")
    for text in (result.stderr, everything_written(setup), *watcher.seen):
        assert GIT_PASSWORD not in text


def test_credentials_from_a_mounted_secret_folder_are_read_at_use(setup: InitSetup, tmp_path):
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "username").write_text(setup.env["ILUM_GIT_USERNAME"] + "\n")
    (secret / "password").write_text(GIT_PASSWORD + "\n")

    result = setup.run(
        "--strict", ILUM_GIT_PASSWORD="", ILUM_GIT_USERNAME="", ILUM_GIT_CREDENTIALS_DIR=str(secret)
    )

    assert result.returncode == 0, result.stderr
    # The Git panel's later push goes through the same helper with the same folder.
    ws = setup.workspace
    (ws / "later.txt").write_text("x")
    git(ws, "add", "later.txt")
    git(ws, "commit", "-q", "-m", "later")
    env = {**os.environ, "ILUM_GIT_CREDENTIALS_DIR": str(secret), "PATH": os.environ["PATH"]}
    subprocess.run(["git", "push", "-q"], cwd=ws, env=env, check=True, capture_output=True)
    assert git(setup.bare, "rev-parse", "main") == git(ws, "rev-parse", "HEAD")


def test_rotated_secret_is_used_without_touching_the_repository(setup: InitSetup, git_server):
    setup.run("--strict")
    git_server.accounts.add_user(setup.env["ILUM_GIT_USERNAME"], "rotated:secret")

    result = setup.run("--strict", ILUM_GIT_PASSWORD="rotated:secret")

    assert result.returncode == 0, result.stderr


def test_remote_url_with_a_password_set_by_hand_is_cleaned(setup: InitSetup):
    setup.run("--strict")
    dirty = setup.repo_url.replace("http://", f"http://someone:{GIT_PASSWORD}@")
    git(setup.workspace, "remote", "set-url", "origin", dirty)

    result = setup.run("--strict")

    assert result.returncode == 0, result.stderr
    assert git(setup.workspace, "remote", "get-url", "origin").strip() == setup.repo_url
    assert GIT_PASSWORD not in (setup.workspace / ".git" / "config").read_text()


def test_checkout_of_another_repository_is_left_alone(setup: InitSetup):
    ws = setup.workspace
    git(ws, "init", "-q")
    git(ws, "remote", "add", "origin", "http://elsewhere.example/other.git")
    (ws / "file.txt").write_text("keep")

    result = setup.run("--strict")

    assert result.returncode == 1
    assert setup.state()["error"]["code"] == "workspace"
    assert git(ws, "remote", "get-url", "origin").strip() == "http://elsewhere.example/other.git"
    assert (ws / "file.txt").read_text() == "keep"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ILUM_GIT_REPO_URL": "{git_url}/{team}/{username}.git"}, "{team}"),
        ({"ILUM_USER": "", "JUPYTERHUB_USER": "", "USER": ""}, "no user name"),
        ({"ILUM_INIT_TIMEOUT": "soon"}, "ILUM_INIT_TIMEOUT"),
        ({"ILUM_LIVY_AUTH": "Kerberos"}, "ILUM_LIVY_AUTH"),
        ({"ILUM_GIT_REPO_URL": "http://u:pw@gitea/x.git"}, "must not carry credentials"),
    ],
)
def test_bad_settings_give_a_clear_message_and_the_configuration_code(
    setup: InitSetup, env, message
):
    result = setup.run("--strict", **env)

    assert result.returncode == 2
    assert message in result.stderr
    assert "pw" not in result.stderr.replace("password", "")
    assert not (setup.workspace / ".git").exists()
    if env.get("ILUM_USER") != "":
        assert setup.state()["error"]["code"] == "configuration"


def test_help_names_the_environment_variable_of_every_flag():
    out = subprocess.run(
        [sys.executable, "-m", "ilum_singleuser.init.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    from ilum_singleuser.core.settings import SETTINGS

    for setting in (s for s in SETTINGS if s.info.init):
        if setting.secret:
            assert setting.flag not in out
        else:
            assert setting.flag in out
            assert setting.env in out.replace("\n", " ").replace("  ", "")


def test_unusual_user_names_and_passwords_work(setup: InitSetup, git_server):
    user, password = "a.b-c.d", "@ :/#%?x y"
    git_server.accounts.add_user(user, password)
    git_server.create_repo(ORG, f"jupyterhub-{user}.git")

    result = setup.run(
        "--strict", ILUM_USER=user, ILUM_GIT_USERNAME=user, ILUM_GIT_PASSWORD=password
    )

    assert result.returncode == 0, result.stderr
    bare = git_server.repo_path(ORG, f"jupyterhub-{user}.git")
    head = git(setup.workspace, "rev-parse", "HEAD")
    assert git(bare, "rev-parse", "main") == head
    assert REPO not in git(setup.workspace, "remote", "get-url", "origin")


@pytest.fixture
def hanging_server():
    """Accepts connections and never answers: a Gitea stuck behind a dead proxy."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def test_gitea_that_hangs_is_given_up_on_at_the_timeout(setup: InitSetup, hanging_server):
    started = time.monotonic()
    result = setup.run("--strict", ILUM_GIT_URL=hanging_server, ILUM_INIT_TIMEOUT="2")

    assert result.returncode == 4
    assert time.monotonic() - started < 10


def test_git_timeout_kills_the_whole_process_group(tmp_path, hanging_server):
    from ilum_singleuser.core.git import Git, GitCommandError

    git_layer = Git(tmp_path, repo_url=f"{hanging_server}/x.git", timeout=1)
    started = time.monotonic()
    with pytest.raises(GitCommandError, match="timed out"):
        git_layer.run("ls-remote", "--", f"{hanging_server}/x.git")

    assert time.monotonic() - started < 5


def test_credential_flags_reach_the_credential_helper_git_runs(setup: InitSetup, tmp_path):
    # The helper is git's child: flags must travel to it, not only to our own process.
    secret = tmp_path / "secret-by-flag"
    secret.mkdir()
    (secret / "password").write_text(GIT_PASSWORD)
    user = setup.env["ILUM_GIT_USERNAME"]

    result = setup.run(
        "--strict",
        "--git-username",
        user,
        "--git-credentials-dir",
        str(secret),
        ILUM_GIT_USERNAME="",
        ILUM_GIT_PASSWORD="",
    )

    assert result.returncode == 0, result.stderr
    assert git(setup.bare, "rev-parse", "main") == git(setup.workspace, "rev-parse", "HEAD")


def test_a_password_that_is_part_of_the_repository_path_leaves_the_log_readable(
    setup: InitSetup, git_server
):
    # "jupyter" is in ilum-jupyterhub/jupyterhub-<user>.git: the log must not mask it there.
    git_server.accounts.add_user(setup.env["ILUM_GIT_USERNAME"], "jupyter")

    result = setup.run("--strict", ILUM_GIT_PASSWORD="jupyter")

    assert result.returncode == 0, result.stderr
    assert f"checking repository {setup.repo_url}" in result.stderr
    assert f"checking repository {setup.repo_url}" in setup.state()["steps"]
    assert "***" not in result.stderr


def test_an_unreadable_templates_folder_does_not_stop_a_returning_user(setup: InitSetup):
    assert setup.run("--strict").returncode == 0
    (setup.workspace / ".sparkmagic" / "config.json").unlink()

    result = setup.run("--strict", ILUM_TEMPLATES_DIR="/nonexistent/templates")

    assert result.returncode == 0, result.stderr
    assert setup.state()["outcome"] == "ok"
    assert (setup.workspace / ".sparkmagic" / "config.json").is_file()


@pytest.mark.parametrize(
    ("name", "message"), [("nonexistent", "cannot be read"), ("a-file", "is not a folder")]
)
def test_an_unusable_templates_folder_stops_only_a_start_that_copies_templates(
    setup: InitSetup, tmp_path, name, message
):
    folder = tmp_path / name
    if name == "a-file":
        folder.write_text("x")

    result = setup.run("--strict", ILUM_TEMPLATES_DIR=str(folder))

    assert result.returncode == 2
    error = setup.state()["error"]
    assert error["code"] == "configuration"
    assert "ILUM_TEMPLATES_DIR" in error["message"]
    assert message in error["message"]
    # Nothing was committed; the Livy-proxy is still set up for the notebooks.
    assert git(setup.bare, "for-each-ref") == ""
    assert (setup.workspace / ".sparkmagic" / "config.json").is_file()
