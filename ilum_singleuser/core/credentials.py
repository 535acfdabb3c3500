"""Where git credentials come from, read at the moment they are needed (so rotation works)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Credentials:
    username: str | None
    password: str | None = field(default=None, repr=False)

    @property
    def complete(self) -> bool:
        return bool(self.username) and self.password is not None


def _read_secret_file(path: Path) -> str | None:
    try:
        # A Secret volume keeps the value as written; a trailing newline is never part of it.
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return None


def read_git_credentials(environ: Mapping[str, str] | None = None) -> Credentials:
    """Credentials from ``ILUM_GIT_CREDENTIALS_DIR`` (a mounted Secret), else the environment.

    The folder wins when it holds a password: it is the source that Kubernetes rotates.
    """
    env = os.environ if environ is None else environ
    username = env.get("ILUM_GIT_USERNAME") or None
    password = env.get("ILUM_GIT_PASSWORD") or None
    folder = env.get("ILUM_GIT_CREDENTIALS_DIR")
    if folder:
        base = Path(folder)
        file_password = _read_secret_file(base / "password")
        if file_password:
            password = file_password
            username = _read_secret_file(base / "username") or username
    if password is not None and not username:
        username = env.get("ILUM_USER") or env.get("JUPYTERHUB_USER") or None
    return Credentials(username, password)
