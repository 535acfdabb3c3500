"""Bring an autosave snapshot back into a fresh clone, never over a file of the user's.

Called by the case table when it has just cloned into a workspace without the user's files (a
lost or new volume) and the remote holds ``ilum-autosave/<branch>``:

* unpushed commits the snapshot carried (its parent) come back on the branch when they still
  fast-forward from the remote branch; when the remote moved on, a local branch
  ``ilum-autosave-restored-<time>`` keeps them, and the files come back as below;
* each file the user had changed comes back as an uncommitted change, three-way: written in
  place only when the file there is still the version the change was made against; if the
  file already holds the snapshot's version nothing happens; otherwise the snapshot's version
  is written beside it as ``<name>.autosave-<time>``.

Every step can be repeated: a killed run leaves a marker and the next run finishes the restore.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.git import Git
from ..core.snapshot import SnapshotMessage, autosave_branch

RESTORE_MARKER = "ilum-init-restoring"
_GITLINK = "160000"
_SYMLINK = "120000"


@dataclass
class RestoreOutcome:
    """What was brought back; recorded in the state file as ``autosave_restore``."""

    snapshot: str
    taken_at: str
    branch: str
    commits: int = 0
    files: list[str] = field(default_factory=list)
    beside: list[str] = field(default_factory=list)
    kept_branch: str | None = None
    skipped_at_snapshot: list[dict[str, Any]] = field(default_factory=list)

    def as_state(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot,
            "taken_at": self.taken_at,
            "branch": self.branch,
            "commits": self.commits,
            "files": self.files,
            "beside": self.beside,
            "kept_branch": self.kept_branch,
            "skipped_at_snapshot": self.skipped_at_snapshot,
        }


@dataclass(frozen=True)
class _Entry:
    mode: str
    sha: str


class AutosaveRestorer:
    """Restores ``ilum-autosave/<branch>`` into ``git.cwd`` (a checkout of ``branch``)."""

    def __init__(self, git: Git, branch: str, log: Callable[[str], None]) -> None:
        self.git = git
        self.workspace = git.cwd
        self.branch = branch
        self.log = log
        self.marker = self.workspace / ".git" / RESTORE_MARKER

    def _rev(self, ref: str) -> str | None:
        out = self.git.run("rev-parse", "--verify", "--quiet", ref, check=False, read_only=True)
        return out.stdout.strip() or None

    def pending(self) -> str | None:
        """The snapshot an interrupted run was restoring, if any."""
        try:
            return self.marker.read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def available(self) -> str | None:
        return self._rev(f"refs/remotes/origin/{autosave_branch(self.branch)}^{{commit}}")

    def restore(self, snapshot: str) -> RestoreOutcome | None:
        message = self.git.run("log", "-1", "--format=%B", snapshot, read_only=True).stdout
        meta = SnapshotMessage.parse(message)
        if meta is None:
            self.log(f"{autosave_branch(self.branch)} is not an Ilum snapshot; left alone")
            return None
        stamp = meta.taken_at.strftime("%Y%m%d-%H%M%S")
        outcome = RestoreOutcome(
            snapshot,
            meta.taken_at.isoformat(timespec="seconds"),
            self.branch,
            skipped_at_snapshot=[s.as_dict() for s in meta.skipped],
        )
        self.log(f"restoring the autosave of {outcome.taken_at} ({snapshot[:12]})")
        self.marker.write_text(snapshot + "\n", encoding="utf-8")
        base = self._bring_back_commits(snapshot, outcome, stamp)
        self._bring_back_files(base, snapshot, outcome, stamp)
        self.marker.unlink(missing_ok=True)
        self.log(
            f"restored {outcome.commits} commit(s) and {len(outcome.files)} file(s)"
            + (f"; {len(outcome.beside)} written beside the current ones" if outcome.beside else "")
        )
        return outcome

    def _bring_back_commits(self, snapshot: str, outcome: RestoreOutcome, stamp: str) -> str:
        """Fast-forward to the snapshot's parent if possible; the tree the files diff against."""
        parent = self._rev(f"{snapshot}^1")
        head = self._rev("HEAD")
        if parent is None:
            return self._empty_tree()
        if parent == head or head is None:
            return parent
        fast_forward = (
            self.git.run("merge-base", "--is-ancestor", head, parent, check=False).returncode == 0
        )
        if fast_forward:
            count = self.git.run("rev-list", "--count", f"{head}..{parent}").stdout.strip()
            # Index and files move from HEAD to the parent; refuses rather than overwrite. The
            # checkout wrote the files without recording their stat data: refresh it first.
            self.git.run("update-index", "-q", "--refresh", check=False)
            moved = self.git.run("read-tree", "-m", "-u", head, parent, check=False)
            if moved.returncode == 0:
                self.git.run("update-ref", f"refs/heads/{self.branch}", parent, head)
                outcome.commits = int(count)
                return parent
        outcome.kept_branch = f"ilum-autosave-restored-{stamp}"
        self.git.run("branch", "--force", "--no-track", outcome.kept_branch, snapshot)
        self.log(
            f"the remote {self.branch} moved on since the autosave: its commits are kept on "
            f"branch {outcome.kept_branch}"
        )
        fork = self.git.run("merge-base", head, parent, check=False).stdout.strip()
        return fork or self._empty_tree()

    def _empty_tree(self) -> str:
        return self.git.run("hash-object", "-t", "tree", "--stdin", input=b"").stdout.strip()

    def _bring_back_files(
        self, base: str, snapshot: str, outcome: RestoreOutcome, stamp: str
    ) -> None:
        out = self.git.run(
            "diff-tree", "-r", "-z", "--no-renames", base, snapshot, read_only=True
        ).stdout
        fields = out.split("\0")
        changes: list[tuple[str, _Entry | None, _Entry | None]] = []
        for meta, path in zip(fields[0::2], fields[1::2], strict=False):
            if not meta.startswith(":"):
                continue
            mode_a, mode_b, sha_a, sha_b, _ = meta[1:].split(" ")
            before = None if set(sha_a) == {"0"} else _Entry(mode_a, sha_a)
            after = None if set(sha_b) == {"0"} else _Entry(mode_b, sha_b)
            if _GITLINK not in (mode_a, mode_b):
                changes.append((path, before, after))
        blobs = self._blobs({e.sha for _, a, b in changes for e in (a, b) if e is not None})
        for path, before, after in changes:
            self._bring_back(path, before, after, blobs, outcome, stamp)

    def _bring_back(
        self,
        path: str,
        before: _Entry | None,
        after: _Entry | None,
        blobs: dict[str, bytes],
        outcome: RestoreOutcome,
        stamp: str,
    ) -> None:
        target = self.workspace / path
        current = _read(target)
        wanted = None if after is None else blobs[after.sha]
        if current == wanted:
            return
        if current == (None if before is None else blobs[before.sha]):
            if after is None:
                target.unlink()
            else:
                _write(target, after.mode, blobs[after.sha])
            outcome.files.append(path)
            return
        if after is None:
            self.log(f"{path}: deleted in the autosave, changed since; kept")
            return
        beside = target.with_name(f"{target.name}.autosave-{stamp}")
        if _read(beside) != wanted:
            _write(_free_name(beside), after.mode, blobs[after.sha])
        outcome.beside.append(str(beside.relative_to(self.workspace)))

    def _blobs(self, shas: set[str]) -> dict[str, bytes]:
        if not shas:
            return {}
        ordered = sorted(shas)
        out = self.git.run("cat-file", "--batch", input="\n".join(ordered).encode() + b"\n")
        raw = out.stdout.encode("utf-8", "surrogateescape")  # the runner's decoding, undone
        blobs: dict[str, bytes] = {}
        pos = 0
        for sha in ordered:
            header_end = raw.index(b"\n", pos)
            size = int(raw[pos:header_end].split()[2])
            blobs[sha] = raw[header_end + 1 : header_end + 1 + size]
            pos = header_end + 1 + size + 1
        return blobs


def _read(path: Path) -> bytes | None:
    """A file's content, a symlink's target, or None when nothing (or a folder) is there."""
    try:
        if path.is_symlink():
            return os.readlink(path).encode("utf-8", "surrogateescape")
        if path.is_file():
            return path.read_bytes()
    except OSError:
        return None
    return None


def _free_name(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists() or candidate.is_symlink():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def _write(path: Path, mode: str, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (a sibling renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode == _SYMLINK:
        tmp = path.with_name(f".{path.name}.ilum-restore")
        tmp.unlink(missing_ok=True)
        os.symlink(data.decode("utf-8", "surrogateescape"), tmp)
        os.replace(tmp, path)
        return
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".ilum-restore", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(name, 0o755 if mode == "100755" else 0o644)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
