"""What the HTTP handlers call: one object built by the server extension from its settings."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..core.git import GitCommandError
from ..core.settings import Config
from ..core.state_file import read_state
from .autosave import AutosaveOff, AutosaveService
from .livy_client import LivyClient
from .repo_fetch import FetchRefused, RepoFetcher
from .repo_reader import RepoReader
from .spark_sessions import SparkActionError, SparkSessions


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark a background result or error as seen (no 'never retrieved' warning)."""
    if not task.cancelled():
        task.exception()


class ApiError(Exception):
    """An answer other than 200: ``{"message": ..., "code": ...}`` plus ``extra`` fields."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"message": str(self), "code": self.code, **self.extra}


@dataclass(frozen=True)
class Tuning:
    """The extension's own knobs (the shared settings are in :class:`Config`)."""

    repo_cache_ttl: float = 2.0
    git_status_timeout: float = 10.0
    changes_cap: int = 100
    fetch_timeout: float = 60.0
    fetch_min_interval: float = 10.0
    spark_cache_ttl: float = 2.0
    livy_connect_timeout: float = 3.0
    livy_timeout: float = 5.0
    livy_page_size: int = 100
    spark_owner_conf_key: str = ""
    status_part_wait: float = 1.0


class IlumServices:
    """Repository state, Spark sessions and init state for the one user of this server."""

    def __init__(self, config: Config, tuning: Tuning) -> None:
        self.config = config
        self.tuning = tuning
        self.repo = RepoReader(
            config.workspace,
            timeout=tuning.git_status_timeout,
            changes_cap=tuning.changes_cap,
            ttl=tuning.repo_cache_ttl,
        )
        self.fetcher = RepoFetcher(
            config.workspace,
            config.repo_url,
            credential_env=config.credential_env,
            timeout=tuning.fetch_timeout,
            min_interval=tuning.fetch_min_interval,
        )
        self.spark = SparkSessions(
            self.livy_client,
            config.user,
            owner_conf_key=tuning.spark_owner_conf_key,
            ttl=tuning.spark_cache_ttl,
        )
        self.autosave = AutosaveService(config, changes_cap=tuning.changes_cap)
        self._last: dict[str, dict[str, Any]] = {}

    def livy_client(self) -> LivyClient:
        basic = self.config.livy_auth == "Basic_Access"
        return LivyClient(
            self.config.livy_url,
            username=self.config.livy_username if basic else None,
            password=self.config.livy_password if basic else None,
            connect_timeout=self.tuning.livy_connect_timeout,
            total_timeout=self.tuning.livy_timeout,
            page_size=self.tuning.livy_page_size,
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
            done, _ = await asyncio.wait({task}, timeout=self.tuning.status_part_wait)
            if not done:
                # Shared and cached by the single flight: the next poll gets its result.
                task.add_done_callback(_retrieve)
                return {**fallback, "stale": True}
        result = await task
        self._last[part] = result
        return result

    def init_state(self) -> dict[str, Any]:
        return read_state(self.config.state_path)

    async def status(self) -> dict[str, Any]:
        """The panel's poll. A part that takes longer than ``status_part_wait`` is served from
        its last answer (marked ``stale``) while its work finishes in the background, so a slow
        Livy-proxy never holds up the repository state, nor a slow repository the sessions."""
        repo, spark = await asyncio.gather(
            self._bounded("repo", self.repo.read()),
            self._bounded(
                "spark",
                self.spark.status(),
                self.spark.unanswered("no answer from the Livy-proxy yet; still waiting"),
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
        except FetchRefused as exc:
            extra = {"retry_after": exc.retry_after} if exc.retry_after is not None else {}
            raise ApiError(exc.status, exc.code, str(exc), **extra) from None
        except GitCommandError as exc:
            if exc.returncode is None:
                raise ApiError(504, "timeout", str(exc)) from None
            raise ApiError(502, "git", str(exc)) from None
        finally:
            self.repo.invalidate()
        return await self.repo.read(fresh=True)

    async def autosave_now(self) -> dict[str, Any]:
        try:
            return await self.autosave.snapshot()
        except AutosaveOff as exc:
            raise ApiError(409, "autosave-off", str(exc)) from None

    async def end_session(self, session_id: int) -> dict[str, Any]:
        try:
            return await self.spark.end_session(session_id)
        except SparkActionError as exc:
            raise ApiError(exc.status, exc.code, str(exc)) from None
