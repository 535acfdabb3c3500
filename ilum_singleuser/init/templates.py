"""Starter templates: read a template tree (a plain folder or a ConfigMap volume) and copy it
into the workspace without ever replacing a file that is already there.

A ConfigMap volume holds ``..data -> ..2024_01_01_00_00_00.123`` and, for every key, a symlink
``name -> ..data/name``. What the ConfigMap *means* is the tree those symlinks show; the
``..``-prefixed entries are Kubernetes' plumbing and are skipped.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

# Never copied from a template tree even if someone put them there.
_SKIPPED_NAMES = frozenset({".git", ".ipynb_checkpoints", "__pycache__", ".DS_Store"})


@dataclass(frozen=True)
class TemplateFile:
    rel: PurePosixPath
    source: Path
    executable: bool


def iter_template_files(root: Path) -> Iterator[TemplateFile]:
    """Every regular file of the tree, symlinks followed while they stay inside ``root``."""
    root = root.resolve()
    yield from _walk(root, root, PurePosixPath())


def _walk(root: Path, folder: Path, rel: PurePosixPath) -> Iterator[TemplateFile]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("..") or entry.name in _SKIPPED_NAMES:
            continue
        path = Path(entry.path)
        target = path.resolve()
        if target != root and root not in target.parents:
            continue  # a link out of the template tree is not part of it
        try:
            info = target.stat()
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode):
            yield from _walk(root, target, rel / entry.name)
        elif stat.S_ISREG(info.st_mode):
            yield TemplateFile(rel / entry.name, target, bool(info.st_mode & 0o111))


def same_content(path: Path, template: TemplateFile) -> bool:
    """Whether ``path`` is a regular file holding exactly the template's bytes."""
    try:
        if not path.is_file() or path.is_symlink():
            return False
        if path.stat().st_size != template.source.stat().st_size:
            return False
        return path.read_bytes() == template.source.read_bytes()
    except OSError:
        return False


def path_is_free(workspace: Path, rel: PurePosixPath) -> bool:
    """Whether a file may be created at ``rel``: nothing is there, and no parent of it is a
    file or a symlink (writing through either would touch something of the user's)."""
    current = workspace
    for part in rel.parts[:-1]:
        current = current / part
        if current.is_symlink() or (os.path.lexists(current) and not current.is_dir()):
            return False
    return not os.path.lexists(workspace.joinpath(*rel.parts))


def copy_templates(templates: list[TemplateFile], workspace: Path, scratch: Path) -> list[str]:
    """Copy each template whose path is free; return the relative paths copied.

    Each file is written to ``scratch`` (same file system) and then hard-linked into place:
    the link fails if a file appeared meanwhile, so nothing is ever overwritten, and a kill
    leaves either the whole file or none of it.
    """
    scratch.mkdir(parents=True, exist_ok=True)
    copied: list[str] = []
    for template in templates:
        dest = workspace.joinpath(*template.rel.parts)
        if not path_is_free(workspace, template.rel):
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=scratch, prefix="template-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(template.source.read_bytes())
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o755 if template.executable else 0o644)
            try:
                os.link(tmp, dest)
            except FileExistsError:
                continue
        finally:
            Path(tmp).unlink(missing_ok=True)
        copied.append(str(template.rel))
    return copied
