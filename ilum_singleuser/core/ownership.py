"""Hand what the init created to the notebook user when the init container runs as root."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

DEFAULT_UID = 1000
DEFAULT_GID = 100


def parse_owner(value: str) -> tuple[int, int]:
    """``"1000:100"`` -> (1000, 100); a lone uid keeps the default group."""
    uid_text, _, gid_text = value.partition(":")
    try:
        uid = int(uid_text)
        gid = int(gid_text) if gid_text else DEFAULT_GID
    except ValueError:
        raise ValueError(f"--chown wants UID:GID as numbers, not {value!r}") from None
    if uid < 0 or gid < 0:
        raise ValueError(f"--chown wants non-negative ids, not {value!r}")
    return uid, gid


def default_owner(environ: Mapping[str, str] | None = None) -> tuple[int, int] | None:
    """NB_UID:NB_GID (1000:100) when running as root; None otherwise (nothing to change)."""
    if os.geteuid() != 0:
        return None
    env = os.environ if environ is None else environ
    return parse_owner(f"{env.get('NB_UID', DEFAULT_UID)}:{env.get('NB_GID', DEFAULT_GID)}")


def chown_paths(
    paths: Iterable[Path], owner: tuple[int, int], recursive_roots: Iterable[Path]
) -> None:
    """``lchown`` each path, and every entry below each of ``recursive_roots``."""
    uid, gid = owner
    for path in paths:
        if os.path.lexists(path):
            os.lchown(path, uid, gid)
    for root in recursive_roots:
        if not root.exists():
            continue
        os.lchown(root, uid, gid)
        for folder, dirs, files in os.walk(root):
            for name in dirs + files:
                os.lchown(os.path.join(folder, name), uid, gid)
