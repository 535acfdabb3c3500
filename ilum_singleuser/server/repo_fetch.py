"""``git fetch`` for the panel's Fetch button: ilum-init's credentials, a timeout, a rate limit."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import NoRepository, RateLimited, WaitTimeout
from ..core.git import Git, GitCommandError
from .repo_reader import find_git_dirs


@dataclass
class RepoFetcher:
    """Fetches the workspace's remote at most once per ``min_interval`` seconds.

    Credentials come from ``git-credential-ilum`` scoped to ``repo_url``'s host, exactly as in
    ``ilum-init``: a remote pointing elsewhere never receives them.
    """

    workspace: Path
    repo_url: str
    timeout: float
    min_interval: float
    credential_env: Mapping[str, str] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic
    _last_start: float | None = field(default=None, init=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    async def fetch(self) -> None:
        """Run ``git fetch --prune``. Raises :class:`NoRepository`, :class:`RateLimited`,
        :class:`WaitTimeout` (git took longer than ``timeout``) or ``GitCommandError``."""
        if find_git_dirs(self.workspace) is None:
            raise NoRepository(f"{self.workspace} is not a git repository")
        now = self.clock()
        if self._lock.locked():
            raise RateLimited("a fetch is already running", retry_after=1)
        if self._last_start is not None and now - self._last_start < self.min_interval:
            wait = math.ceil(self.min_interval - (now - self._last_start))
            raise RateLimited(f"fetched moments ago; try again in {wait} s", retry_after=wait)
        async with self._lock:
            self._last_start = now
            git = Git(
                self.workspace,
                repo_url=self.repo_url,
                timeout=self.timeout,
                credential_env=self.credential_env,
            )
            try:
                await git.run_async("fetch", "--prune", "--quiet")
            except GitCommandError as exc:
                if exc.returncode is None:
                    raise WaitTimeout(str(exc)) from None
                raise
