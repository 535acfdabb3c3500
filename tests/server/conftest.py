"""Fixtures for the server extension: a real Jupyter server with the extension, real git
repositories in every sync state, and a Livy double on loopback."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from traitlets.config import Config

from ilum_singleuser.testing.livy_double import LivyDouble
from tests.conftest import git

USER = "jane"
OTHER = "bob"


@pytest.fixture
def jp_asyncio_loop(_function_scoped_runner):
    """The server must live on the loop that runs the test.

    With ``asyncio_mode = "auto"`` pytest-asyncio, not pytest-jupyter, runs coroutine tests, on
    its own per-test loop; pytest-jupyter's default loop would then never serve a request.
    """
    return _function_scoped_runner.get_loop()


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Jane Doe")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "jane@example.org")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The folder the extension reports on (``IlumExtension.workspace``); empty at first."""
    path = tmp_path / "workspace"
    path.mkdir()
    return path


@pytest.fixture
def livy() -> Iterator[LivyDouble]:
    with LivyDouble() as double:
        yield double


@pytest.fixture
def ilum_settings(workspace: Path, livy: LivyDouble) -> dict[str, object]:
    """The ``IlumExtension`` section of the server's config; tests may change it before use."""
    return {
        "user": USER,
        "workspace": str(workspace),
        "livy_url": livy.url,
        "livy_timeout": 1.0,
        "livy_connect_timeout": 1.0,
        "repo_cache_ttl": 0.0,
        "spark_cache_ttl": 0.0,
        # On in production; here only the autosave tests turn it on, with their own Gitea.
        "autosave": "false",
    }


@pytest.fixture
def jp_server_config(ilum_settings: dict[str, object]) -> Config:
    return Config(
        {
            "ServerApp": {
                "jpserver_extensions": {"ilum_singleuser": True, "jupyter_server_terminals": False},
                "allow_unauthenticated_access": False,
            },
            "IlumExtension": ilum_settings,
        }
    )


@pytest.fixture
def api(jp_fetch):
    """``await api("GET", "repo?x=1")`` -> (status, JSON body); error answers do not raise."""

    async def call(method: str, path: str, **kwargs):
        if method in {"POST", "PUT"}:
            kwargs.setdefault("body", b"")
        path, _, query = path.partition("?")
        if query:
            kwargs["params"] = dict(parse_qsl(query))
        response = await jp_fetch(
            "ilum", "api", *path.split("/"), method=method, raise_error=False, **kwargs
        )
        return response.code, json.loads(response.body)

    return call


@dataclass
class Repos:
    """A bare ``upstream`` and the workspace clone of it; ``other`` is a second clone (a
    colleague, or the same user elsewhere) for making the remote move."""

    workspace: Path
    upstream: Path
    other: Path

    def commit(self, where: Path, name: str, text: str, message: str | None = None) -> str:
        (where / name).write_text(text)
        git(where, "add", "--", name)
        git(where, "commit", "-q", "-m", message or f"change {name}")
        return git(where, "rev-parse", "HEAD").strip()


@pytest.fixture
def repos(tmp_path: Path, workspace: Path) -> Repos:
    """Workspace cloned from a bare repo with one pushed commit: the clean state."""
    upstream = tmp_path / "upstream.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(upstream))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", str(upstream), str(seed))
    (seed / "README.md").write_text("hello\n")
    (seed / "notebook.ipynb").write_text("{}\n")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "Initial commit")
    git(seed, "push", "-q", "origin", "HEAD:main")
    git(tmp_path, "clone", "-q", str(upstream), str(workspace))
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(upstream), str(other))
    return Repos(workspace, upstream, other)


@pytest.fixture
def git_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put a ``git`` on PATH that records each invocation's arguments, then runs the real git.

    Counting processes this way counts what really ran, whatever code path started them.
    """
    real = next(
        Path(d) / "git"
        for d in os.environ["PATH"].split(os.pathsep)
        if (Path(d) / "git").is_file() and os.access(Path(d) / "git", os.X_OK)
    )
    shim_dir = tmp_path / "git-shim"
    shim_dir.mkdir()
    log = tmp_path / "git-invocations.log"
    log.touch()
    shim = shim_dir / "git"
    shim.write_text(f'#!/bin/sh\nprintf "%s\\t%s\\n" "$PWD" "$*" >> "{log}"\nexec "{real}" "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    monkeypatch.setenv("PATH", f"{shim_dir}{os.pathsep}{os.environ['PATH']}")
    return log


def invocations(log: Path, cwd: Path) -> list[str]:
    """The subcommand of each git run in ``cwd`` (the server itself runs git elsewhere at
    start-up, to report its own version)."""
    runs = (line.split("\t", 1) for line in log.read_text().splitlines())
    return [args.split(" ", 1)[0] for where, args in runs if Path(where) == cwd]
