"""Runs git for the repository sync state, off the event loop and shared between callers.

A poll costs one ``git status --porcelain=v2 --branch -z`` (read-only: ``GIT_OPTIONAL_LOCKS=0``,
so it never takes the index lock the user's own git needs). The last commit and the remote URL
change rarely: they are read again only when HEAD moves or ``.git/config`` changes.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..core.git import Git, GitCommandError
from .repo_problems import classify
from .repo_status import (
    LastCommit,
    build_repo,
    detect_operation,
    empty_repo,
    parse_last_commit,
    parse_porcelain_v2,
    parse_remote_urls,
    pick_remote,
)
from .single_flight import SingleFlight

STATUS_ARGS = ("status", "--porcelain=v2", "--branch", "-z", "--untracked-files=all")
LAST_COMMIT_ARGS = ("log", "-1", "--no-show-signature", "--format=%H%x00%s%x00%an%x00%aI")
REMOTE_URLS_ARGS = ("config", "-z", "--get-regexp", r"^remote\..*\.url$")


@dataclass(frozen=True)
class GitDirs:
    """The repository folder of a working tree, and the shared one (they differ for worktrees)."""

    git_dir: Path
    common_dir: Path


def find_git_dirs(workspace: Path) -> GitDirs | None:
    """``workspace/.git`` resolved (a folder, or a ``gitdir:`` file); None when it is no repo."""
    dot_git = workspace / ".git"
    if dot_git.is_dir():
        git_dir = dot_git
    elif dot_git.is_file():
        try:
            text = dot_git.read_text(encoding="utf-8").strip()
        except OSError:
            return None
        if not text.startswith("gitdir:"):
            return None
        git_dir = (workspace / text[len("gitdir:") :].strip()).resolve()
    else:
        return None
    common = git_dir
    with contextlib.suppress(OSError):
        common = (git_dir / (git_dir / "commondir").read_text(encoding="utf-8").strip()).resolve()
    return GitDirs(git_dir, common)


def _mtime_iso(path: Path) -> str | None:
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return None
    return datetime.fromtimestamp(stamp, timezone.utc).isoformat(timespec="seconds")


def _mtime_ns(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


@dataclass(frozen=True)
class _Facts:
    last_commit: LastCommit | None
    remote: str | None


@dataclass
class RepoReader:
    """The sync state of the repository at ``workspace``; concurrent reads share one git run."""

    workspace: Path
    timeout: float
    changes_cap: int
    ttl: float
    flight: SingleFlight[dict[str, Any]] = field(init=False)
    _facts: dict[tuple[str | None, str | None, int | None], _Facts] = field(
        init=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self.flight = SingleFlight(self.ttl)

    def git(self) -> Git:
        return Git(self.workspace, timeout=self.timeout)

    async def read(self, fresh: bool = False) -> dict[str, Any]:
        """The API's Repo object; never raises (failures give state ``error``)."""
        return await self.flight.get(self.workspace, self._read, fresh=fresh)

    def invalidate(self) -> None:
        self.flight.invalidate(self.workspace)

    async def _read(self) -> dict[str, Any]:
        dirs = find_git_dirs(self.workspace)
        if dirs is None:
            return empty_repo(self.workspace, "no-repo")
        git = self.git()
        try:
            result = await git.run_async(*STATUS_ARGS, read_only=True)
            status = parse_porcelain_v2(result.stdout, self.changes_cap)
            facts = await self._read_facts(git, dirs, status.oid, status.upstream)
        except GitCommandError as exc:
            return empty_repo(self.workspace, "error", str(exc), classify(exc))
        except ValueError as exc:  # output that does not follow porcelain v2
            error = f"unexpected git status output: {exc}"
            return empty_repo(self.workspace, "error", error, "unexpected-output")
        if status.staged and not (dirs.git_dir / "index").exists():
            # Without an index git compares HEAD with nothing: every committed file shows as
            # staged for deletion and again as untracked. That is one missing file, not changes.
            error = f"the index file {dirs.git_dir / 'index'} is missing"
            return empty_repo(self.workspace, "error", error, "index-missing")
        return build_repo(
            self.workspace,
            status,
            last_commit=facts.last_commit,
            remote=facts.remote,
            operation=detect_operation(dirs.git_dir),
            last_fetch=_mtime_iso(dirs.git_dir / "FETCH_HEAD")
            or _mtime_iso(dirs.common_dir / "FETCH_HEAD"),
        )

    async def _read_facts(
        self, git: Git, dirs: GitDirs, oid: str | None, upstream: str | None
    ) -> _Facts:
        key = (oid, upstream, _mtime_ns(dirs.common_dir / "config"))
        facts = self._facts.get(key)
        if facts is not None:
            return facts

        async def last_commit() -> str:
            if oid is None:  # unborn branch: there is no commit to read
                return ""
            # The commit status saw, not whatever HEAD is a moment later.
            return (await git.run_async(*LAST_COMMIT_ARGS, oid, "--", read_only=True)).stdout

        log, remotes = await asyncio.gather(
            last_commit(), git.run_async(*REMOTE_URLS_ARGS, read_only=True, check=False)
        )
        # exit status 1 of ``git config --get-regexp`` only means "no remote configured"
        urls = parse_remote_urls(remotes.stdout) if remotes.returncode == 0 else {}
        facts = _Facts(parse_last_commit(log), pick_remote(urls, upstream))
        self._facts = {key: facts}  # only the current HEAD's facts are worth keeping
        return facts
