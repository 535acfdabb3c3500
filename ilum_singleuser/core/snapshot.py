"""What an autosave snapshot is, for the server that takes it and ``ilum-init`` that restores it.

A snapshot is an ordinary commit on the branch ``ilum-autosave/<branch>`` of the user's own
repository: its tree is the working tree (minus secrets, runtime files and files too big), its
parent the HEAD it was taken on. Its message carries trailers that say when it was taken, for
which branch, and what was left out, so ``ilum-init`` (and a person reading Gitea's web UI) can
tell without any other record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import translate

from .runtime_files import RUNTIME_EXCLUDES

AUTOSAVE_BRANCH_PREFIX = "ilum-autosave/"
# Used as <branch> when HEAD is detached: the work is protected all the same.
DETACHED_NAME = "detached-head"
DEFAULT_AUTOSAVE_EXCLUDE = (
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".netrc",
    ".git-credentials",
    ".pgpass",
    "*.keytab",
)

_TRAILER_BRANCH = "Ilum-Autosave-Branch"
_TRAILER_TAKEN_AT = "Ilum-Autosave-Taken-At"
_TRAILER_SKIPPED = "Ilum-Autosave-Skipped"


def autosave_branch(branch: str | None) -> str:
    """``ilum-autosave/<branch>``: the branch name (without ``refs/heads/``) on the remote."""
    return AUTOSAVE_BRANCH_PREFIX + (branch or DETACHED_NAME)


@dataclass(frozen=True)
class Skipped:
    """A file left out of a snapshot, and why (``too-big``, ``nested-repository``)."""

    path: str
    reason: str
    size: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {"path": self.path, "reason": self.reason, "size": self.size}


@dataclass(frozen=True)
class SnapshotMessage:
    """The commit message of a snapshot: a summary line, a note for humans, trailers."""

    branch: str | None
    taken_at: datetime
    skipped: Sequence[Skipped] = field(default_factory=tuple)

    def render(self, user: str) -> str:
        stamp = self.taken_at.isoformat(timespec="seconds")
        lines = [
            f"Autosave of {self.branch or DETACHED_NAME}, {stamp}",
            "",
            f"Work in {user}'s workspace that was not yet committed or pushed, kept by Ilum so",
            "that a lost volume loses nothing. ilum-init brings it back on a fresh volume;",
            "by hand: download this commit's files, or check it out and copy what you need.",
            "",
            f"{_TRAILER_BRANCH}: {self.branch or ''}",
            f"{_TRAILER_TAKEN_AT}: {stamp}",
        ]
        # JSON strings: a path may hold any character, a newline included.
        lines += [
            f"{_TRAILER_SKIPPED}: {json.dumps([s.path, s.reason, s.size])}" for s in self.skipped
        ]
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, message: str) -> SnapshotMessage | None:
        """The trailers of a snapshot's message; None when it is no snapshot of ours."""
        branch: str | None = None
        taken_at: datetime | None = None
        skipped: list[Skipped] = []
        for line in message.splitlines():
            key, sep, value = line.partition(": ")
            if not sep:
                continue
            if key == _TRAILER_BRANCH:
                branch = value.strip() or None
            elif key == _TRAILER_TAKEN_AT:
                try:
                    taken_at = datetime.fromisoformat(value.strip())
                except ValueError:
                    return None
            elif key == _TRAILER_SKIPPED:
                try:
                    path, reason, size = json.loads(value)
                except (ValueError, TypeError):
                    continue
                skipped.append(Skipped(str(path), str(reason), size))
        if taken_at is None:
            return None
        return cls(branch, taken_at, tuple(skipped))


class ExcludeRules:
    """Which paths a snapshot leaves out: the runtime excludes plus ``autosave_exclude``.

    gitignore's pattern forms that matter here: ``name`` matches a file or folder at any depth,
    ``dir/`` only a folder, a pattern holding a ``/`` is anchored at the top, ``*`` and ``?``
    are wildcards. Negation (``!``) is not supported: an exclusion can only widen. The patterns
    are compiled into three regular expressions, so a path costs a few matches, not one per
    pattern (thousands of changed files are checked on every tick).
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        any_name: list[str] = []  # matches any component, the last one included
        folder_name: list[str] = []  # matches a component above the last
        anchored: list[str] = []  # matches a leading run of components
        for raw in (*RUNTIME_EXCLUDES, *self.patterns):
            text = raw.strip()
            if not text or text.startswith(("#", "!")):
                continue
            directory_only = text.endswith("/")
            text = text.strip("/")
            if not text:
                continue
            # fnmatch's "*" would cross a "/"; gitignore's does not.
            glob = translate(text).replace(".*", "[^/]*")
            if "/" in text:
                prefix = glob.removesuffix(r"\Z")
                anchored.append(prefix + ("/" if directory_only else r"(?:/|\Z)"))
            else:
                (folder_name if directory_only else any_name).append(glob)
        self._any = _union(any_name)
        self._folder = _union(folder_name)
        self._anchored = re.compile("|".join(f"(?:{p})" for p in anchored)) if anchored else None
        # The same changed paths come back on every tick: remember each answer.
        self._seen: dict[str, bool] = {}

    def excludes(self, path: str) -> bool:
        """Whether ``path`` (relative, ``/``-separated; a trailing ``/`` for a folder) is out."""
        known = self._seen.get(path)
        if known is None:
            if len(self._seen) > _SEEN_MAX:
                self._seen.clear()
            known = self._seen[path] = self._match(path)
        return known

    def _match(self, path: str) -> bool:
        is_dir = path.endswith("/")
        parts = path.strip("/").split("/")
        folders = parts if is_dir else parts[:-1]
        if self._any and any(self._any.match(part) for part in parts):
            return True
        if self._folder and any(self._folder.match(part) for part in folders):
            return True
        return bool(
            self._anchored and self._anchored.match(path.strip("/") + ("/" if is_dir else ""))
        )


_SEEN_MAX = 200_000


def _union(globs: list[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{g})" for g in globs)) if globs else None


def parse_exclude_setting(value: str) -> tuple[str, ...]:
    """``autosave_exclude`` as written in an environment variable: commas or newlines."""
    return tuple(p.strip() for p in value.replace("\n", ",").split(",") if p.strip())
