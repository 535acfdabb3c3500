"""``git fetch`` for the panel's Fetch button: ilum-init's credentials, a timeout, a rate limit."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..core.git import Git
from .repo_reader import find_git_dirs

DEFAULT_FETCH_TIMEOUT = 60.0
DEFAULT_FETCH_MIN_INTERVAL = 10.0


class FetchRefused(Exception):
    """The fetch did not run: ``status`` and ``code`` of the answer, ``retry_after`` if limited."""

    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.retry_after = retry_after


@dataclass
class RepoFetcher:
    """Fetches the workspace's remote at most once per ``min_interval`` seconds.

    Credentials come from ``git-credential-ilum`` scoped to ``repo_url``'s host, exactly as in
    ``ilum-init``: a remote pointing elsewhere never receives them.
    """

    workspace: Path
    repo_url: str
    credential_env: Mapping[str, str] = field(default_factory=dict)
    timeout: float = DEFAULT_FETCH_TIMEOUT
    min_interval: float = DEFAULT_FETCH_MIN_INTERVAL
    clock: Callable[[], float] = time.monotonic
    _last_start: float | None = field(default=None, init=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    async def fetch(self) -> None:
        """Run ``git fetch --prune``. Raises :class:`FetchRefused` or ``GitCommandError``."""
        if find_git_dirs(self.workspace) is None:
            raise FetchRefused(409, "no-repo", f"{self.workspace} is not a git repository")
        now = self.clock()
        if self._lock.locked():
            raise FetchRefused(429, "rate-limited", "a fetch is already running", 1)
        if self._last_start is not None and now - self._last_start < self.min_interval:
            wait = math.ceil(self.min_interval - (now - self._last_start))
            raise FetchRefused(
                429, "rate-limited", f"fetched moments ago; try again in {wait} s", wait
            )
        async with self._lock:
            self._last_start = now
            git = Git(
                self.workspace,
                repo_url=self.repo_url,
                timeout=self.timeout,
                credential_env=self.credential_env,
            )
            await git.run_async("fetch", "--prune", "--quiet")
