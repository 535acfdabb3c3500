"""Pure pieces of the init: settings, credential helper, back-off, templates, redaction."""

from __future__ import annotations

import io
import os
from pathlib import Path, PurePosixPath

import pytest

from ilum_singleuser.core.credential_helper import answer
from ilum_singleuser.core.errors import ConfigError
from ilum_singleuser.core.redaction import redact, redact_url
from ilum_singleuser.core.settings import load_config
from ilum_singleuser.init.remote_probe import (
    backoff_delays,
    parse_advertisement,
    wait_for_repository,
)
from ilum_singleuser.init.templates import iter_template_files, path_is_free


def test_defaults_follow_ilums_helm_values():
    config = load_config(environ={"JUPYTERHUB_USER": "jane", "HOME": "/home/jovyan"})

    assert config.repo_url == "http://ilum-gitea-http:3000/ilum-jupyterhub/jupyterhub-jane.git"
    assert config.livy_url == "http://ilum-core:9888"
    assert config.init_timeout == 300
    assert config.author_email == "ilum@ilum"
    assert config.author_name == "jane"


def test_flags_win_over_the_environment():
    config = load_config({"git_org": "team"}, environ={"ILUM_USER": "jane", "ILUM_GIT_ORG": "x"})

    assert config.git_org == "team"


def test_repo_url_template_with_unknown_placeholder_is_refused():
    with pytest.raises(ConfigError, match=r"\{team\}"):
        load_config(environ={"ILUM_USER": "j", "ILUM_GIT_REPO_URL": "{git_url}/{team}.git"})


def test_credential_helper_answers_get_from_the_secret_folder_at_use_time(tmp_path, monkeypatch):
    (tmp_path / "username").write_text("jane\n")
    (tmp_path / "password").write_text("rotated\n")
    monkeypatch.setenv("ILUM_GIT_CREDENTIALS_DIR", str(tmp_path))
    monkeypatch.setenv("ILUM_GIT_PASSWORD", "old")
    out = io.StringIO()

    answer("get", io.StringIO("protocol=http\nhost=gitea\n\n"), out)

    assert out.getvalue() == "username=jane\npassword=rotated\n"


def test_credential_helper_says_nothing_for_another_account_or_for_store(monkeypatch):
    monkeypatch.setenv("ILUM_GIT_USERNAME", "jane")
    monkeypatch.setenv("ILUM_GIT_PASSWORD", "pw")
    for action, request in [("get", "username=bob\n\n"), ("store", "x=y\n\n")]:
        out = io.StringIO()
        answer(action, io.StringIO(request), out)
        assert out.getvalue() == ""


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    low = backoff_delays(rand=lambda: 0.0)
    high = backoff_delays(rand=lambda: 1.0)

    assert [high(n) for n in range(4)] == [0.25, 0.5, 1.0, 2.0]
    assert high(20) == 8.0
    assert low(20) == 4.0


def test_waiting_ends_at_the_deadline_without_oversleeping():
    now = [0.0]
    slept = []

    def sleep(s):
        slept.append(s)
        now[0] += s

    from ilum_singleuser.core.credentials import Credentials
    from ilum_singleuser.core.errors import WaitTimeout

    with pytest.raises(WaitTimeout):
        wait_for_repository(
            "http://127.0.0.1:9/x.git",
            lambda: Credentials(None),
            timeout=5,
            user="jane",
            log=lambda m: None,
            sleep=sleep,
            clock=lambda: now[0],
        )
    assert sum(slept) == pytest.approx(5, abs=0.01)


def pkt(line: str) -> bytes:
    return f"{len(line) + 4:04x}{line}".encode()


def test_ref_advertisement_names_the_default_branch_and_branch_commits():
    sha, other = "a" * 40, "b" * 40
    body = (
        pkt("# service=git-upload-pack\n")
        + b"0000"
        + pkt(f"{sha} HEAD\0multi_ack symref=HEAD:refs/heads/trunk agent=git/2\n")
        + pkt(f"{sha} refs/heads/trunk\n")
        + pkt(f"{other} refs/heads/feature/x\n")
        + pkt(f"{other} refs/tags/v1\n")
        + b"0000"
    )

    assert parse_advertisement(body) == ("trunk", {"trunk": sha, "feature/x": other})


def test_template_links_out_of_the_tree_are_not_followed(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    root = tmp_path / "templates"
    root.mkdir()
    (root / "ok.txt").write_text("ok")
    os.symlink(outside, root / "leak.txt")

    assert [str(t.rel) for t in iter_template_files(root)] == ["ok.txt"]


def test_a_path_under_a_user_file_or_symlink_is_not_free(tmp_path):
    (tmp_path / "file").write_text("x")
    os.symlink("/etc", tmp_path / "link")

    assert not path_is_free(tmp_path, PurePosixPath("file/inner"))
    assert not path_is_free(tmp_path, PurePosixPath("link/passwd"))
    assert path_is_free(tmp_path, PurePosixPath("new/inner"))


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        ("http://u:p@h/x.git", "http://h/x.git"),
        ("http://u:p@ss/#%? w@h:3000/o/x.git", "http://h:3000/o/x.git"),
        ("http://h/x.git", "http://h/x.git"),
    ],
)
def test_redact_url_strips_even_unencoded_passwords(url, clean):
    assert redact_url(url) == clean


def test_redact_masks_known_secrets_and_url_credentials():
    text = "fatal: https://bob:hunter2@h/x failed; token=s3cr3t Authorization: Basic abc"

    out = redact(text, ["s3cr3t"])

    assert "hunter2" not in out
    assert "s3cr3t" not in out
    assert "abc" not in out


REPO_PATH = "http://gitea:3000/ilum-jupyterhub/jupyterhub-jane.git"


@pytest.mark.parametrize("password", ["jupyter", "hub", "jane", "ilum", "git", "3000"])
def test_a_short_password_inside_a_path_leaves_the_path_alone(password):
    line = f"pushing to {REPO_PATH}"

    assert redact(line, [password]) == line


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("login jupyter refused", "login *** refused"),
        (
            "jane:jupyter (basic), token=jupyter; password is jupyter.",
            "jane:*** (basic), token=***; password is ***.",
        ),
        ("'jupyter' at the end: jupyter", "'***' at the end: ***"),
        (
            "fatal: Authentication failed for 'http://jane:jupyter@gitea:3000/ilum-jupyterhub/"
            "jupyterhub-jane.git'",
            f"fatal: Authentication failed for '{REPO_PATH}'",
        ),
        ("username=jane\npassword=jupyter\n", "username=jane\npassword=***\n"),
        ("Authorization: Basic amFuZTpqdXB5dGVy", "Authorization: Basic ***"),
    ],
)
def test_a_password_is_masked_where_credentials_occur_and_as_a_whole_token(text, clean):
    assert redact(text, ["jupyter"]) == clean


def test_credentials_are_masked_in_urls_and_helper_output_whatever_their_length():
    text = "http://jane:p@ss@gitea/x.git\npassword=ab\n"

    assert redact(text, ["p@ss", "ab"]) == "http://gitea/x.git\npassword=***\n"


def test_a_secret_with_punctuation_is_masked_inside_text():
    assert redact("got p@ss:/#%? word back", ["p@ss:/#%? word"]) == "got *** back"


def test_default_templates_folder_exists_in_a_source_checkout():
    from ilum_singleuser.core.settings import default_templates_dir

    assert Path(default_templates_dir()).is_dir()


def test_every_init_error_has_a_hint_for_the_user_and_one_marked_for_the_administrator():
    from ilum_singleuser.core import errors
    from ilum_singleuser.init.hints import hint_for

    kinds = [errors.ConfigError, errors.AuthError, errors.WaitTimeout, errors.GitError]
    for kind in [*kinds, errors.WorkspaceError]:
        hint = hint_for(kind.code)
        # The user cannot change the init container's settings: that is the admin's part.
        assert "ILUM_" not in hint.user
        assert "init container" not in hint.user
        assert hint.admin
