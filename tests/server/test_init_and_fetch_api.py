"""GET init, POST repo/fetch (credentials, rate limit), GET status, and a broken configuration."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from ilum_singleuser import __version__
from ilum_singleuser.core.git import Git
from ilum_singleuser.core.state_file import write_state
from ilum_singleuser.testing.git_http_server import GitHTTPServer
from tests.conftest import GIT_PASSWORD, GIT_USER, ORG, git

from .conftest import USER, Repos


async def test_init_without_state_file(api, workspace: Path):
    code, init = await api("GET", "init")
    assert code == 200
    assert init == {
        "present": False,
        "path": str(workspace / ".local" / "state" / "ilum" / "init.json"),
    }


async def test_init_returns_the_state_file(api, workspace: Path):
    path = workspace / ".local" / "state" / "ilum" / "init.json"
    error = {"code": "authentication", "message": "login refused", "hint": "check"}
    write_state(path, {"outcome": "failed", "error": error, "steps": ["wait"], "user": USER})
    code, init = await api("GET", "init")
    assert code == 200
    assert init["present"] is True
    assert (init["outcome"], init["error"], init["version"]) == ("failed", error, 1)


async def test_status_combines_repo_spark_and_init(api, repos: Repos, livy):
    livy.add_session(owner=USER)
    code, status = await api("GET", "status")
    assert code == 200
    assert set(status) == {"repo", "spark", "init", "autosave", "user", "version"}
    assert (status["user"], status["version"]) == (USER, __version__)
    assert status["repo"]["state"] == "clean"
    assert status["spark"]["total"] == 1
    assert status["init"]["present"] is False


@pytest.fixture
def gitea(ilum_settings, git_server: GitHTTPServer, workspace: Path, tmp_path: Path, monkeypatch):
    """The workspace cloned from the loopback Gitea stand-in, and a second clone that pushed
    after it; credentials reach git the way ilum-init gives them (environment, helper)."""
    monkeypatch.setenv("ILUM_GIT_USERNAME", GIT_USER)
    monkeypatch.setenv("ILUM_GIT_PASSWORD", GIT_PASSWORD)
    ilum_settings.update(git_url=git_server.url, git_org=ORG, fetch_min_interval=30.0)
    git_server.create_repo(ORG, f"jupyterhub-{USER}.git")
    url = f"{git_server.url}/{ORG}/jupyterhub-{USER}.git"
    seed = tmp_path / "seed"
    Git(tmp_path, repo_url=url).run("clone", "-q", url, str(seed))
    seeded = Git(seed, repo_url=url)
    Repos(workspace, Path(url), seed).commit(seed, "a.txt", "a")
    seeded.run("push", "-q", "origin", "HEAD:main")
    Git(tmp_path, repo_url=url).run("clone", "-q", url, str(workspace))
    Repos(workspace, Path(url), seed).commit(seed, "b.txt", "b")
    seeded.run("push", "-q", "origin", "HEAD:main")
    return git_server


async def test_fetch_uses_the_init_credentials_and_is_rate_limited(gitea, api, workspace):
    code, before = await api("GET", "repo")
    assert (before["state"], before["behind"]) == ("clean", 0)

    code, after = await api("POST", "repo/fetch")
    assert code == 200
    assert (after["state"], after["behind"]) == ("behind", 1)
    assert after["last_fetch"] is not None
    assert "password" not in (workspace / ".git" / "config").read_text()

    code, limited = await api("POST", "repo/fetch")
    assert code == 429
    assert limited["code"] == "rate-limited"
    assert 0 < limited["retry_after"] <= 30


async def test_fetch_failure_is_reported_without_the_secret(gitea, api, monkeypatch):
    monkeypatch.setenv("ILUM_GIT_PASSWORD", "wrong p@ss")
    code, body = await api("POST", "repo/fetch")
    assert code == 502
    assert body["code"] == "git"
    assert "wrong p@ss" not in json.dumps(body)
    assert GIT_PASSWORD not in json.dumps(body)


async def test_fetch_without_repository(api):
    code, body = await api("POST", "repo/fetch")
    assert (code, body["code"]) == (409, "no-repo")


@pytest.fixture
def unusable_settings(ilum_settings):
    ilum_settings["livy_auth"] = "Kerberos"


async def test_unusable_configuration_answers_503_with_the_reason(unusable_settings, api):
    for path in ("status", "repo", "spark/sessions", "init"):
        code, body = await api("GET", path)
        assert code == 503
        assert body["code"] == "configuration"
        assert "ILUM_LIVY_AUTH" in body["message"]


@pytest.fixture
def silent_remote(ilum_settings, repos: Repos):
    """A remote that accepts connections and never answers (a hung Gitea)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/{ORG}/jupyterhub-{USER}.git"
        git(repos.workspace, "remote", "set-url", "origin", url)
        ilum_settings.update(git_url=url.split(f"/{ORG}/", maxsplit=1)[0], fetch_timeout=1.0)
        yield url


async def test_fetch_from_a_hung_remote_ends_at_the_timeout(silent_remote, api):
    started = time.monotonic()
    code, body = await api("POST", "repo/fetch")
    assert time.monotonic() - started < 5
    assert (code, body["code"]) == (504, "timeout")


@pytest.fixture
def hanging_git_status(ilum_settings, git_log: Path, tmp_path: Path):
    """``git status`` that hangs (a huge or stuck file system), other git commands as usual."""
    shim = git_log.parent / "git-shim" / "git"
    real = shim.read_text().split('exec "')[1].split('"')[0]
    shim.write_text(f'#!/bin/sh\n[ "$1" = status ] && exec sleep 30\nexec "{real}" "$@"\n')
    ilum_settings["git_status_timeout"] = 0.5


async def test_hanging_git_status_gives_error_state_within_the_timeout(
    repos: Repos, hanging_git_status, api
):
    started = time.monotonic()
    code, repo = await api("GET", "repo")
    assert time.monotonic() - started < 3
    assert code == 200
    assert repo["state"] == "error"
    assert repo["error"].startswith("git status")
    assert "timed out" in repo["error"]
