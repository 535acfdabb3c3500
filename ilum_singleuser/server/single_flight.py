"""Coalesce concurrent calls per key and serve a short-lived cached answer between polls.

Ten browser tabs polling the same repository cost one ``git status``: callers that arrive while
a computation for their key runs wait for that one, and callers within ``ttl`` seconds of its end
get its result. A caller that goes away (its request was closed) does not cancel the shared work.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """Per-key single flight with a time-to-live cache of successful results."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._cache: dict[Hashable, tuple[float, T]] = {}
        self._running: dict[Hashable, asyncio.Task[T]] = {}
        self.started = 0  # how many computations ran: what the tests and the benchmark count

    async def get(
        self, key: Hashable, produce: Callable[[], Awaitable[T]], *, fresh: bool = False
    ) -> T:
        """The cached result for ``key``, the running computation's, or a new one's.

        ``fresh`` skips the cache but still joins a computation that is already running.
        """
        if not fresh:
            cached = self._cache.get(key)
            if cached is not None and cached[0] > self._clock():
                return cached[1]
        task = self._running.get(key)
        if task is None:
            task = asyncio.ensure_future(produce())
            self.started += 1
            self._running[key] = task
            task.add_done_callback(lambda t: self._finished(key, t))
        return await asyncio.shield(task)

    def _finished(self, key: Hashable, task: asyncio.Task[T]) -> None:
        # Reading the exception marks it retrieved even when every caller went away.
        failed = task.cancelled() or task.exception() is not None
        if self._running.get(key) is not task:
            return  # invalidated while running: its result must not be served as current
        del self._running[key]
        if not failed and self.ttl > 0:
            self._cache[key] = (self._clock() + self.ttl, task.result())

    def invalidate(self, key: Hashable) -> None:
        """Forget the cached result and detach a running computation (its callers still get it)."""
        self._cache.pop(key, None)
        self._running.pop(key, None)
