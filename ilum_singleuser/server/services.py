"""What the HTTP handlers call: one object built by the server extension from its settings."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from .. import __version__
from ..core.settings import Config
from ..core.state_file import read_state
from .autosave import AutosaveService
from .livy_client import LivyClient
from .repo_fetch import RepoFetcher
from .repo_reader import RepoReader
from .spark_sessions import SparkSessions


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark a background result or error as seen (no 'never retrieved' warning)."""
    if not task.cancelled():
        task.exception()


class IlumServices:
    """Repository state, Spark sessions and init state for the one user of this server."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.repo = RepoReader(
            config.workspace,
            timeout=config.git_status_timeout,
            changes_cap=config.changes_cap,
            ttl=config.repo_cache_ttl,
        )
        self.fetcher = RepoFetcher(
            config.workspace,
            config.repo_url,
            credential_env=config.credential_env,
            timeout=config.fetch_timeout,
            min_interval=config.fetch_min_interval,
        )
        self.spark = SparkSessions(
            self.livy_client,
            config.user,
            owner_conf_key=config.spark_owner_conf_key,
            ttl=config.spark_cache_ttl,
        )
        self.autosave = AutosaveService(config)
        self._last: dict[str, dict[str, Any]] = {}

    def livy_client(self) -> LivyClient:
        basic = self.config.livy_auth == "Basic_Access"
        return LivyClient(
            self.config.livy_url,
            username=self.config.livy_username if basic else None,
            password=self.config.livy_password if basic else None,
            connect_timeout=self.config.livy_connect_timeout,
            total_timeout=self.config.livy_timeout,
            page_size=self.config.livy_page_size,
        )

    async def _bounded(
        self,
        part: str,
        work: Coroutine[Any, Any, dict[str, Any]],
        placeholder: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        task = asyncio.ensure_future(work)
        fallback = self._last.get(part, placeholder)
        if fallback is not None:
            done, _ = await asyncio.wait({task}, timeout=self.config.status_part_wait)
            if not done:
                # Shared and cached by the single flight: the next poll gets its result.
                task.add_done_callback(_retrieve)
                return {**fallback, "stale": True}
        result = await task
        self._last[part] = result
        return result

    def init_state(self) -> dict[str, Any]:
        return read_state(self.config.state_path)

    async def status(self, fresh_repo: bool = False) -> dict[str, Any]:
        """The panel's poll. A part that takes longer than ``status_part_wait`` is served from
        its last answer (marked ``stale``) while its work finishes in the background, so a slow
        Livy-proxy never holds up the repository state, nor a slow repository the sessions.
        ``fresh_repo`` (the panel saw a file saved) skips the cached repository state but still
        joins a git run under way, so tabs that ask at once share one."""
        repo, spark = await asyncio.gather(
            self._bounded("repo", self.repo.read(fresh=fresh_repo)),
            self._bounded(
                "spark",
                self.spark.status(),
                self.spark.unanswered(
                    "no answer from the Livy-proxy yet; still waiting", "waiting"
                ),
            ),
        )
        return {
            "repo": repo,
            "spark": spark,
            "init": self.init_state(),
            "autosave": self.autosave.describe(),
            "user": self.config.user,
            "version": __version__,
        }

    async def fetch(self) -> dict[str, Any]:
        try:
            await self.fetcher.fetch()
        finally:
            self.repo.invalidate()
        return await self.repo.read(fresh=True)

    async def autosave_now(self) -> dict[str, Any]:
        return await self.autosave.snapshot()
