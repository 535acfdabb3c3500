"""git as the user meets it after the init: in a JupyterLab terminal (a login shell) and with
a helper entry left in the persistent ``.git/config`` by an older image."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.conftest import GIT_PASSWORD, git
from tests.init.conftest import InitSetup


def pod_shell_env(setup: InitSetup) -> dict[str, str]:
    """The environment a terminal of the pod inherits: the ILUM_* settings, HOME on the
    workspace, no prompt; nothing that points Python at a source checkout."""
    env = {k: v for k, v in setup.env.items() if k != "PYTHONPATH"}
    env.update(HOME=str(setup.workspace), GIT_TERMINAL_PROMPT="0", LANG="C", LC_ALL="C")
    return env


def login_shell(setup: InitSetup, command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-l", "-c", command],
        cwd=setup.workspace,
        env=pod_shell_env(setup),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def commit_a_change(setup: InitSetup, name: str) -> str:
    (setup.workspace / name).write_text("work\n")
    git(setup.workspace, "add", name)
    git(setup.workspace, "commit", "-q", "-m", f"add {name}")
    return git(setup.workspace, "rev-parse", "HEAD").strip()


def helper_entries(setup: InitSetup) -> list[tuple[str, str]]:
    """``(key, value)`` of every credential helper in the repository's own config."""
    out = git(setup.workspace, "config", "--local", "--get-regexp", r"^credential\..*\.helper$")
    return [(line.partition(" ")[0], line.partition(" ")[2]) for line in out.splitlines()]


def test_git_push_from_a_login_shell_uses_the_credential_helper(setup: InitSetup):
    assert setup.run("--strict").returncode == 0
    head = commit_a_change(setup, "from-terminal.txt")
    # The login shell's /etc/profile resets PATH: nothing of this package's environment is on it.
    probe = login_shell(setup, "command -v git-credential-ilum ilum-init || echo none")
    assert probe.stdout.strip() == "none", probe.stdout

    pushed = login_shell(setup, "git push")

    assert pushed.returncode == 0, pushed.stderr
    assert git(setup.bare, "rev-parse", "main").strip() == head
    assert GIT_PASSWORD not in (setup.workspace / ".git" / "config").read_text()
    assert GIT_PASSWORD not in pushed.stdout + pushed.stderr


@pytest.mark.parametrize(
    "old_helper",
    ["ilum", "!'/opt/old-image/bin/python3' -m ilum_singleuser.credential_helper"],
)
def test_an_old_helper_entry_is_replaced_on_the_next_start(setup: InitSetup, old_helper: str):
    assert setup.run("--strict").returncode == 0
    current = helper_entries(setup)
    key = current[0][0]
    git(setup.workspace, "config", "--local", "--unset-all", key)
    git(setup.workspace, "config", "--local", "--add", key, "")
    git(setup.workspace, "config", "--local", "--add", key, old_helper)

    assert setup.run("--strict").returncode == 0

    assert helper_entries(setup) == current
    assert f"helper = {old_helper}\n" not in (setup.workspace / ".git" / "config").read_text()
    head = commit_a_change(setup, "after-upgrade.txt")
    assert login_shell(setup, "git push").returncode == 0
    assert git(setup.bare, "rev-parse", "main").strip() == head


def test_the_helper_is_configured_by_an_absolute_path(setup: InitSetup):
    assert setup.run("--strict").returncode == 0

    (helper,) = [value for _, value in helper_entries(setup) if value]

    assert helper.startswith("!")
    program = helper[1:].split()[0].strip("'")
    assert os.path.isabs(program)
    assert os.access(program, os.X_OK)


def test_without_the_script_the_helper_is_this_interpreter_and_module(tmp_path, monkeypatch):
    import sysconfig

    from ilum_singleuser.core.git import credential_helper_command

    monkeypatch.setattr(sysconfig, "get_path", lambda name: str(tmp_path / "no-scripts"))
    command = credential_helper_command()
    # A user's module in the workspace (git's cwd) must not shadow one the helper imports.
    (tmp_path / "dataclasses.py").write_text("raise SystemExit('shadowed')\n")

    answer = subprocess.run(
        ["sh", "-c", command[1:] + " get"],
        cwd=tmp_path,
        input="protocol=http\nhost=gitea\n\n",
        env={"PATH": "/usr/bin:/bin", "ILUM_GIT_USERNAME": "jane", "ILUM_GIT_PASSWORD": "pw"},
        capture_output=True,
        text=True,
        check=True,
    )

    assert command.startswith("!/")
    assert answer.stdout == "username=jane\npassword=pw\n"
