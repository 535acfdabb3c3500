"""Fixtures shared by every test folder: a real Gitea stand-in and a clean git environment."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ilum_singleuser.testing.git_http_server import GitHTTPServer

pytest_plugins = ("pytest_jupyter.jupyter_server",)

GIT_USER = "jane.doe-1"
GIT_PASSWORD = "p@ss:/#%? word"
ORG = "ilum-jupyterhub"


@pytest.fixture(autouse=True)
def _isolated_git_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test reads the machine's own git config or leaks ILUM_* settings into another."""
    home = tmp_path_factory.mktemp("githome")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for key in list(os.environ):
        if key.startswith("ILUM_") or key in {"JUPYTERHUB_USER", "SPARKMAGIC_CONF_DIR"}:
            monkeypatch.delenv(key)


@pytest.fixture
def git_server(tmp_path: Path) -> Iterator[GitHTTPServer]:
    """A loopback git smart-HTTP server with basic auth; user GIT_USER, password GIT_PASSWORD."""
    with GitHTTPServer(tmp_path / "gitea", {GIT_USER: GIT_PASSWORD}) as server:
        yield server


def git(cwd: Path, *args: str) -> str:
    """Plain git for assertions (not the project's git layer)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_DIR")}
    env.update(LANG="C", LC_ALL="C", GIT_TERMINAL_PROMPT="0")
    return subprocess.run(
        ["git", "-c", f"safe.directory={cwd}", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
