"""Repository sync state from ``git status --porcelain=v2 --branch -z``: pure parsing.

Nothing here runs git or touches the network; :mod:`ilum_singleuser.server.repo_reader` runs the
commands and hands their output to :func:`parse_porcelain_v2` and :func:`build_repo`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .web_url import display_remote, web_url

# Files git keeps in the repository folder while an operation waits for the user, checked in
# this order (a rebase that stops on a conflict also leaves CHERRY_PICK_HEAD behind;
# ``git am`` uses rebase-apply too, and marks it with an ``applying`` file).
_OPERATION_MARKERS = (
    ("rebase-merge", "rebase"),
    ("rebase-apply/applying", "am"),
    ("rebase-apply", "rebase"),
    ("MERGE_HEAD", "merge"),
    ("CHERRY_PICK_HEAD", "cherry-pick"),
    ("REVERT_HEAD", "revert"),
    ("BISECT_LOG", "bisect"),
)


@dataclass
class PorcelainStatus:
    """What one ``git status --porcelain=v2 --branch -z`` says."""

    oid: str | None = None
    branch: str | None = None
    detached: bool = False
    unborn: bool = False
    upstream: str | None = None
    upstream_gone: bool = False
    ahead: int = 0
    behind: int = 0
    staged: int = 0
    modified: int = 0
    untracked: int = 0
    conflicted: int = 0
    changes: list[dict[str, str]] = field(default_factory=list)
    changes_truncated: bool = False
    # Conflicted paths go first in ``changes``: the panel names them all, whatever the cap.
    _conflicts: list[dict[str, str]] = field(default_factory=list, repr=False)


@dataclass(frozen=True)
class LastCommit:
    sha: str
    summary: str
    author: str
    time: str

    def as_dict(self) -> dict[str, str]:
        return {"sha": self.sha, "summary": self.summary, "author": self.author, "time": self.time}


def readable(text: str) -> str:
    """A path as git printed it (decoded with surrogateescape) made safe for JSON and display."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def parse_porcelain_v2(output: str, changes_cap: int | None = None) -> PorcelainStatus:
    """Parse ``--porcelain=v2 --branch -z`` output.

    Counts are exact; ``changes`` holds at most ``changes_cap`` paths, one entry per path (a path
    both staged and modified in the working tree is listed as ``modified``: that part is the one
    not yet recorded anywhere), conflicted paths first.
    """
    try:
        status = _parse(output, changes_cap)
    except IndexError:
        raise ValueError("a record does not follow porcelain v2") from None
    merged = status._conflicts + status.changes
    if changes_cap is not None and len(merged) > changes_cap:
        merged, status.changes_truncated = merged[:changes_cap], True
    status.changes, status._conflicts = merged, []
    return status


def _parse(output: str, changes_cap: int | None) -> PorcelainStatus:
    status = PorcelainStatus()
    headers: set[str] = set()
    records = output.split("\0")
    i = 0
    while i < len(records):
        record = records[i]
        i += 1
        if not record:
            continue
        if record.startswith("# "):
            headers.add(_parse_header(status, record[2:]))
            continue
        kind = record[0]
        if kind == "1":
            xy, path = record[2:4], record.split(" ", 8)[8]
        elif kind == "2":
            xy, path = record[2:4], record.split(" ", 9)[9]
            i += 1  # the next record is the rename's original path
        elif kind == "u":
            status.conflicted += 1
            if changes_cap is None or len(status._conflicts) < changes_cap:
                path = readable(record.split(" ", 10)[10])
                status._conflicts.append({"path": path, "kind": "conflicted"})
            else:
                status.changes_truncated = True
            continue
        elif kind == "?":
            status.untracked += 1
            _add_change(status, record[2:], "untracked", changes_cap)
            continue
        else:  # "!" ignored entries (only with --ignored) and anything newer git may add
            continue
        staged, modified = xy[0] != ".", xy[1] != "."
        status.staged += staged
        status.modified += modified
        _add_change(status, path, "modified" if modified else "staged", changes_cap)
    # ``branch.ab`` is missing when the upstream is configured but its ref does not exist
    # (deleted on the remote, or never fetched).
    status.upstream_gone = status.upstream is not None and "branch.ab" not in headers
    return status


def _parse_header(status: PorcelainStatus, header: str) -> str:
    name, _, value = header.partition(" ")
    if name == "branch.oid":
        status.unborn = value == "(initial)"
        status.oid = None if status.unborn else value
    elif name == "branch.head":
        status.detached = value == "(detached)"
        status.branch = None if status.detached else readable(value)
    elif name == "branch.upstream":
        status.upstream = readable(value)
    elif name == "branch.ab":
        ahead, _, behind = value.partition(" ")
        status.ahead = abs(int(ahead))
        status.behind = abs(int(behind))
    return name


def _add_change(status: PorcelainStatus, path: str, kind: str, cap: int | None) -> None:
    if cap is None or len(status.changes) < cap:
        status.changes.append({"path": readable(path), "kind": kind})
    else:
        status.changes_truncated = True


def sync_state(status: PorcelainStatus) -> str:
    """One word for the panel; precedence conflicted > dirty > diverged > ahead > behind."""
    if status.conflicted:
        return "conflicted"
    if status.staged or status.modified or status.untracked:
        return "dirty"
    if status.ahead and status.behind:
        return "diverged"
    if status.ahead:
        return "ahead"
    if status.behind:
        return "behind"
    return "clean"


def parse_last_commit(output: str) -> LastCommit | None:
    """Parse ``git log -1 --format=%H%x00%s%x00%an%x00%aI``; None for an unborn branch."""
    fields = output.rstrip("\n").split("\0")
    if len(fields) != 4 or not fields[0]:
        return None
    sha, summary, author, time = (readable(f) for f in fields)
    return LastCommit(sha, summary, author, time)


def parse_remote_urls(output: str) -> dict[str, str]:
    """Parse ``git config -z --get-regexp '^remote\\..*\\.url$'`` into ``{remote: url}``."""
    urls: dict[str, str] = {}
    for record in output.split("\0"):
        key, sep, value = record.partition("\n")
        if not sep or not key.startswith("remote.") or not key.endswith(".url"):
            continue
        urls.setdefault(key[len("remote.") : -len(".url")], value)
    return urls


def pick_remote(urls: dict[str, str], upstream: str | None) -> str | None:
    """The URL of the upstream's remote, else ``origin``, else the only remote."""
    if upstream:
        # Remote names may hold "/" too: the longest remote that prefixes the upstream wins.
        names = sorted((n for n in urls if upstream.startswith(n + "/")), key=len, reverse=True)
        if names:
            return urls[names[0]]
    if "origin" in urls:
        return urls["origin"]
    if len(urls) == 1:
        return next(iter(urls.values()))
    return None


def detect_operation(git_dir: Path) -> str | None:
    """The operation waiting for the user (merge, rebase, am, cherry-pick, revert, bisect), from
    git's marker files."""
    for marker, operation in _OPERATION_MARKERS:
        if (git_dir / marker).exists():
            return operation
    return None


def empty_repo(
    path: Path, state: str, error: str | None = None, error_code: str | None = None
) -> dict[str, Any]:
    """The answer when there is no repository (or it cannot be read); ``error_code`` is one of
    :mod:`.repo_problems`' codes."""
    return {
        "state": state,
        "branch": None,
        "detached": False,
        "unborn": False,
        "operation": None,
        "head": None,
        "upstream": None,
        "upstream_gone": False,
        "ahead": 0,
        "behind": 0,
        "staged": 0,
        "modified": 0,
        "untracked": 0,
        "conflicted": 0,
        "changes": [],
        "changes_truncated": False,
        "last_commit": None,
        "last_fetch": None,
        "remote": None,
        "web_url": None,
        "path": str(path),
        "error": error,
        "error_code": error_code,
    }


def build_repo(
    path: Path,
    status: PorcelainStatus,
    *,
    last_commit: LastCommit | None,
    remote: str | None,
    operation: str | None,
    last_fetch: str | None,
) -> dict[str, Any]:
    """The API's Repo object (see docs/api.md)."""
    return {
        **empty_repo(path, sync_state(status)),
        "branch": status.branch,
        "detached": status.detached,
        "unborn": status.unborn,
        "operation": operation,
        "head": status.oid,
        "upstream": status.upstream,
        "upstream_gone": status.upstream_gone,
        "ahead": status.ahead,
        "behind": status.behind,
        "staged": status.staged,
        "modified": status.modified,
        "untracked": status.untracked,
        "conflicted": status.conflicted,
        "changes": status.changes,
        "changes_truncated": status.changes_truncated,
        "last_commit": last_commit.as_dict() if last_commit else None,
        "last_fetch": last_fetch,
        "remote": display_remote(remote),
        "web_url": web_url(remote),
    }
