"""Build one autosave snapshot without touching the user's repository.

Reading is one ``git status`` on a mirror of the user's index in the state folder
(``GIT_INDEX_FILE``), copied again whenever the user's index changes: the user's own git never
finds its ``index.lock`` taken, yet the mirror may be written, so it keeps git's untracked cache
(``core.untrackedCache``, for that file only, never in the user's config) and a tick rereads only
the folders whose mtime moved instead of every folder. Its output is the one a status on the
user's index gives. Building works on a second copy of the user's index
(``GIT_INDEX_FILE``): the copy already knows the stat data of every unchanged file,
so only the changed paths are hashed (``update-index --stdin`` with exactly those paths), then
``write-tree`` and ``commit-tree``. HEAD, branches, stash, the index and the working tree are
never written; the new objects go into the object store like any ``git hash-object`` would.
The commands on that copy run in a private repository folder of the scratch folder that shares
the user's object store (``GIT_DIR``, ``GIT_OBJECT_DIRECTORY``), so the copy can be a split
index (``core.splitIndex``) whose shared part lives there: a snapshot rewrites only the few
kilobytes that changed, not the whole index twice.

A fingerprint of the status and of the changed files' stat data lets an idle tick stop after
the status: nothing is hashed, nothing pushed.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from stat import S_ISREG, S_IXUSR

from ..core.git import Git
from ..core.snapshot import ExcludeRules, Skipped, SnapshotMessage
from .repo_reader import GitDirs, find_git_dirs

StatKey = tuple[int, int, int, int, int]
_GONE: StatKey = (-1, -1, -1, -1, -1)
STATUS_ARGS = (
    "status",
    "--porcelain=v2",
    "--branch",
    "-z",
    "--untracked-files=all",
    "--no-renames",
    "--ignore-submodules=none",
)
# For the mirror only: the untracked cache needs the -uall of STATUS_ARGS in the config too.
# core.splitIndex=false: writing the mirror never puts a shared index into the user's folder.
MIRROR_CONFIG = (
    "-c", "core.untrackedCache=true",
    "-c", "status.showUntrackedFiles=all",
    "-c", "core.splitIndex=false",
)  # fmt: skip
# What the private repository folder says after the user's config (the later value wins).
PRIVATE_CONFIG = "[core]\n\tsplitIndex = true\n[splitIndex]\n\tsharedIndexExpire = now\n"


@dataclass(frozen=True)
class Work:
    """What ``git status`` says the snapshot must hold, before anything is hashed."""

    head: str | None
    branch: str | None
    pushed: bool  # HEAD has an upstream and is not ahead of it
    unpushed_commits: int
    update: tuple[str, ...]  # paths whose working-tree state goes into the snapshot
    stats: tuple[os.stat_result | None, ...]  # of each ``update`` path; None: it is gone
    reset: tuple[str, ...]  # tracked paths left out: the snapshot keeps HEAD's version
    changed: tuple[str, ...]  # paths in which the snapshot differs from HEAD
    skipped: tuple[Skipped, ...]
    fingerprint: str

    @property
    def nothing_to_protect(self) -> bool:
        return not self.changed and (self.head is None or self.pushed)


@dataclass(frozen=True)
class Built:
    tree: str
    commit: str
    taken_at: datetime


@dataclass
class SnapshotBuilder:
    """Reads and builds snapshots of ``workspace``; ``scratch`` holds the temporary index."""

    workspace: Path
    scratch: Path
    rules: ExcludeRules
    max_file_bytes: int
    user: str
    author_env: Mapping[str, str]
    timeout: float = 120.0
    _fingerprint_salt: str = field(default="", init=False)
    # path -> (stat key, blob id) of what the last build hashed: a file unchanged since then is
    # not read again (the work since the last snapshot is usually a few files of many).
    _blobs: dict[str, tuple[StatKey, str]] = field(default_factory=dict, init=False)
    _kept: _KeptIndex | None = field(default=None, init=False)
    _mirrored: tuple[int, int, int] | None = field(default=None, init=False)
    _scratch_ready: bool = field(default=False, init=False)
    _private: Path | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        # A change of the rules must not look like an idle tick.
        self._fingerprint_salt = repr((self.rules.patterns, self.max_file_bytes))

    def _git(self, **extra_env: str) -> Git:
        return Git(self.workspace, timeout=self.timeout, extra_env=extra_env)

    def is_repository(self) -> bool:
        return find_git_dirs(self.workspace) is not None

    async def read(self) -> Work:
        dirs = find_git_dirs(self.workspace)
        if dirs is None:
            raise FileNotFoundError(f"{self.workspace} is not a git repository")
        await self._prepare_scratch()
        mirror = self.scratch / f"autosave-{os.getpid()}.status.index"
        source = _signature(dirs.git_dir / "index")  # before the copy: a later change shows
        if source != self._mirrored or not mirror.exists():
            self._mirrored = None
            await asyncio.to_thread(_copy_index, dirs.git_dir / "index", mirror)
        git = self._git(GIT_INDEX_FILE=str(mirror))
        try:
            status = await git.run_async(*MIRROR_CONFIG, *STATUS_ARGS)
        finally:
            mirror.with_name(mirror.name + ".lock").unlink(missing_ok=True)
        self._mirrored = source
        return await asyncio.to_thread(self._classify, status.stdout)

    async def _prepare_scratch(self) -> None:
        if not self._scratch_ready:
            await asyncio.to_thread(_clear_scratch, self.scratch)
            self._scratch_ready = True

    def _classify(self, output: str) -> Work:
        header: dict[str, str] = {}
        update: list[str] = []
        stats: list[os.stat_result | None] = []
        reset: list[str] = []
        changed: list[str] = []
        skipped: list[Skipped] = []
        root = os.path.join(self.workspace, "")  # str paths: pathlib costs more than the lstat
        digest = hashlib.blake2b(self._fingerprint_salt.encode())
        digest.update(output.encode("utf-8", "surrogateescape"))
        for record in output.split("\0"):
            if record.startswith("# "):
                key, _, value = record[2:].partition(" ")
                header[key] = value
                continue
            entry = _entry(record)
            if entry is None:
                continue
            path, worktree_changed, tracked = entry
            if path.endswith("/"):  # a repository inside the workspace: its own remote keeps it
                if not self.rules.excludes(path):
                    skipped.append(Skipped(path, "nested-repository"))
                continue
            if self.rules.excludes(path):
                if tracked:
                    reset.append(path)
                continue
            stat = _lstat(root + path)
            if stat is not None and stat.st_size > self.max_file_bytes:
                skipped.append(Skipped(path, "too-big", stat.st_size))
                if tracked:
                    reset.append(path)
                continue
            changed.append(path)
            if worktree_changed:
                update.append(path)
                stats.append(stat)
        digest.update(repr([_stat_key(st) for st in stats]).encode())  # paths: in the output
        oid, head = header.get("branch.oid"), header.get("branch.head")
        ahead = int(header.get("branch.ab", "+0 -0").split()[0].lstrip("+"))
        upstream = "branch.upstream" in header
        return Work(
            head=None if oid in (None, "(initial)") else oid,
            branch=None if head in (None, "(detached)") else head,
            pushed=upstream and ahead == 0,
            unpushed_commits=ahead if upstream else 0,
            update=tuple(update),
            stats=tuple(stats),
            reset=tuple(reset),
            changed=tuple(changed),
            skipped=tuple(skipped),
            fingerprint=digest.hexdigest(),
        )

    async def build(self, work: Work) -> Built:
        """The snapshot commit of ``work`` (objects written, nothing else)."""
        dirs = find_git_dirs(self.workspace)
        if dirs is None:
            raise FileNotFoundError(f"{self.workspace} is not a git repository")
        index = self.scratch / f"autosave-{os.getpid()}.index"
        await self._prepare_scratch()
        source = _signature(dirs.git_dir / "index")  # before the copy: a later change shows
        keys = {p: _stat_key(st) for p, st in zip(work.update, work.stats, strict=True)}
        kept, self._kept = self._kept, None  # valid again only once this build succeeds
        warm = (
            kept is not None
            and index.exists()
            and (kept.source, kept.head, kept.reset) == (source, work.head, work.reset)
            and kept.applied.keys() <= keys.keys()
        )
        applied = kept.applied if warm and kept is not None else {}
        try:
            private = await self._private_git_dir(dirs)
            if not warm:
                await asyncio.to_thread(_copy_index, dirs.git_dir / "index", index)
                await asyncio.to_thread(_link_shared_indexes, dirs.git_dir, private)
            git = self._git(
                GIT_INDEX_FILE=str(index),
                GIT_LITERAL_PATHSPECS="1",
                GIT_DIR=str(private),
                GIT_OBJECT_DIRECTORY=str(dirs.common_dir / "objects"),
                GIT_WORK_TREE=str(self.workspace),
            )
            todo = [(p, st) for p, st in zip(work.update, work.stats, strict=True)]
            todo = [(p, st) for p, st in todo if applied.get(p) != keys[p]]
            if todo:
                await self._update_index(git, todo, "0" * len(work.head or "0" * 40))
            if work.reset and not warm:
                await self._reset(git, work)
            tree = (await git.run_async("write-tree")).stdout.strip()
        except BaseException:
            index.unlink(missing_ok=True)
            raise
        finally:
            index.with_name(index.name + ".lock").unlink(missing_ok=True)
        self._kept = _KeptIndex(source, work.head, work.reset, keys)
        self._blobs = {p: self._blobs[p] for p in work.update if p in self._blobs}
        taken_at = datetime.now(timezone.utc)
        message = SnapshotMessage(work.branch, taken_at, work.skipped).render(self.user)
        parents = ("-p", work.head) if work.head else ()
        commit = await self._git(**self.author_env).run_async(
            "commit-tree", tree, *parents, "-F", "-", input=message.encode()
        )
        return Built(tree, commit.stdout.strip(), taken_at)

    async def _private_git_dir(self, dirs: GitDirs) -> Path:
        """The private repository folder: the user's format and extensions (an object format
        of sha256 included), then the user's config, then ours."""
        if self._private is None:
            settings: dict[str, str] = {}
            config = dirs.common_dir / "config"
            if "extensions" in (await asyncio.to_thread(_read_lower, config)):
                found = await self._git().run_async(
                    "config", "--file", str(config), "-z", "--get-regexp",
                    r"^(core\.repositoryformatversion|extensions\.)", check=False,
                )  # fmt: skip
                settings = dict(
                    item.split("\n", 1) for item in found.stdout.split("\0") if "\n" in item
                )
            private = self.scratch / "autosave-git"
            await asyncio.to_thread(_write_private_git_dir, private, dirs.common_dir, settings)
            self._private = private
        return self._private

    async def _update_index(
        self, git: Git, items: list[tuple[str, os.stat_result | None]], zero_id: str
    ) -> None:
        """Put the working-tree state of ``items`` (path, lstat) into the temporary index.

        Regular files are hashed with ``hash-object --stdin-paths`` (only those changed since
        the last build) and entered with ``update-index --index-info``: no stat of the other
        entries, no hashing twice. Anything else (a symlink, which ``hash-object`` would follow;
        a folder such as a submodule; a path a line-based list cannot carry) goes through
        ``update-index --add --remove``, which knows every case.
        """
        records: list[str] = []
        to_hash: list[tuple[str, str, StatKey]] = []
        general: list[str] = []
        for path, stat in items:
            if stat is None:
                records.append(f"0 {zero_id}\t{path}")
            elif "\n" in path or path.startswith('"') or not S_ISREG(stat.st_mode):
                general.append(path)
            else:
                key = _stat_key(stat)
                cached = self._blobs.get(path)
                if cached is not None and cached[0] == key:
                    records.append(f"{_mode(stat)} {cached[1]}\t{path}")
                else:
                    to_hash.append((path, _mode(stat), key))
        if to_hash:
            listed = "".join(p + "\n" for p, _, _ in to_hash).encode("utf-8", "surrogateescape")
            # In the user's repository: its attributes and filters decide what a file stores.
            out = await self._git().run_async("hash-object", "-w", "--stdin-paths", input=listed)
            for (path, mode, key), blob in zip(to_hash, out.stdout.split(), strict=True):
                records.append(f"{mode} {blob}\t{path}")
                self._blobs[path] = (key, blob)
        if records:
            entries = "".join(r + "\0" for r in records).encode("utf-8", "surrogateescape")
            await git.run_async("update-index", "-z", "--index-info", input=entries)
        if general:
            await git.run_async(
                "update-index", "--add", "--remove", "-z", "--stdin", input=_nul_list(general)
            )

    async def _reset(self, git: Git, work: Work) -> None:
        """Left-out tracked paths keep HEAD's version (or go, when HEAD has none)."""
        if work.head:
            await git.run_async(
                "reset", "--quiet", work.head, "--pathspec-from-file=-", "--pathspec-file-nul",
                input=_nul_list(work.reset),
            )  # fmt: skip
        else:
            await git.run_async(
                "update-index", "--force-remove", "-z", "--stdin", input=_nul_list(work.reset)
            )


@dataclass(frozen=True)
class _KeptIndex:
    """The temporary index kept from the last build, valid while the user's index and HEAD are
    as they were then: the next build applies only what changed since, and ``write-tree``
    recomputes only the folders that holds."""

    source: tuple[int, int, int] | None  # the user's index (mtime, size, inode) when copied
    head: str | None
    reset: tuple[str, ...]
    applied: dict[str, StatKey]  # path -> stat key of the state entered for it


def _clear_scratch(scratch: Path) -> None:
    """An empty scratch folder: indexes a stopped server (another process id) left behind go."""
    scratch.mkdir(parents=True, exist_ok=True)
    for leftover in scratch.glob("autosave-*.index*"):
        leftover.unlink(missing_ok=True)


def _write_private_git_dir(private: Path, common_dir: Path, settings: dict[str, str]) -> None:
    (private / "refs").mkdir(parents=True, exist_ok=True)
    head = private / "HEAD"
    if not head.exists():
        head.write_text("ref: refs/heads/autosave\n")
    extensions = {k: v for k, v in settings.items() if k.startswith("extensions.")}
    lines = [
        "[core]",
        f"\trepositoryformatversion = {settings.get('core.repositoryformatversion', '0')}",
        *(
            f"[extensions]\n\t{key.partition('.')[2]} = {value}"
            for key, value in extensions.items()
        ),
        "[include]",
        f"\tpath = {_config_quote(str(common_dir / 'config'))}",
    ]
    (private / "config").write_text("\n".join(lines) + "\n" + PRIVATE_CONFIG)


def _read_lower(path: Path) -> str:
    """A config file's text, lowercased (git's section names are): "" when unreadable."""
    try:
        return path.read_text(encoding="utf-8", errors="replace").lower()
    except OSError:
        return ""


def _config_quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _link_shared_indexes(git_dir: Path, private: Path) -> None:
    """A copy of a user's index that is itself split names its shared part, in the user's
    folder: the private folder links to it (read only, never written)."""
    for shared in git_dir.glob("sharedindex.*"):
        link = private / shared.name
        if not link.is_symlink() and not link.exists():
            link.symlink_to(shared)


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def _entry(record: str) -> tuple[str, bool, bool] | None:
    """(path, whether the working tree differs from the index, whether it is tracked)."""
    kind = record[:1]
    if kind == "1":
        fields = record.split(" ", 8)
        return fields[8], fields[1][1] != ".", True
    if kind == "u":
        return record.split(" ", 10)[10], True, True
    if kind == "?":
        return record[2:], True, False
    return None


def _mode(stat: os.stat_result) -> str:
    """git's mode for a regular file."""
    return "100755" if stat.st_mode & S_IXUSR else "100644"


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def _stat_key(stat: os.stat_result | None) -> StatKey:
    """What tells a changed file from an unchanged one."""
    if stat is None:
        return _GONE
    return (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino, stat.st_mode)


def _copy_index(source: Path, target: Path) -> None:
    # git replaces the index by renaming index.lock over it: a reader sees a whole file.
    try:
        shutil.copyfile(source, target)
    except FileNotFoundError:
        target.unlink(missing_ok=True)  # no index yet (a repository without commits)


def _nul_list(paths: Iterable[str]) -> bytes:
    return b"".join(p.encode("utf-8", "surrogateescape") + b"\0" for p in paths)
