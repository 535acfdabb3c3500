"""Coalescing concurrent calls and the short cache between polls."""

from __future__ import annotations

import asyncio

import pytest

from ilum_singleuser.server.single_flight import SingleFlight


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_concurrent_callers_share_one_computation():
    flight: SingleFlight[int] = SingleFlight(ttl=0)
    gate = asyncio.Event()
    calls = 0

    async def produce() -> int:
        nonlocal calls
        calls += 1
        await gate.wait()
        return calls

    waiters = [asyncio.ensure_future(flight.get("repo", produce)) for _ in range(20)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*waiters) == [1] * 20
    assert calls == 1 == flight.started


async def test_result_is_served_within_ttl_then_recomputed():
    clock = Clock()
    flight: SingleFlight[int] = SingleFlight(ttl=2.0, clock=clock)
    counter = iter(range(10))

    async def produce() -> int:
        return next(counter)

    assert await flight.get("k", produce) == 0
    clock.now += 1.9
    assert await flight.get("k", produce) == 0
    assert await flight.get("other", produce) == 1
    clock.now += 0.2
    assert await flight.get("k", produce) == 2
    assert await flight.get("k", produce, fresh=True) == 3


async def test_failures_are_not_cached_and_reach_every_waiter():
    flight: SingleFlight[int] = SingleFlight(ttl=10)
    attempts = 0

    async def produce() -> int:
        nonlocal attempts
        attempts += 1
        await asyncio.sleep(0.01)
        raise RuntimeError("boom")

    results = await asyncio.gather(
        *(flight.get("k", produce) for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, RuntimeError) for r in results)
    with pytest.raises(RuntimeError):
        await flight.get("k", produce)
    assert attempts == 2


async def test_a_caller_going_away_does_not_cancel_the_shared_work():
    flight: SingleFlight[str] = SingleFlight(ttl=0)
    gate = asyncio.Event()

    async def produce() -> str:
        await gate.wait()
        return "done"

    first = asyncio.ensure_future(flight.get("k", produce))
    second = asyncio.ensure_future(flight.get("k", produce))
    await asyncio.sleep(0)
    first.cancel()
    gate.set()
    assert await second == "done"


async def test_invalidate_starts_a_new_computation_for_later_callers():
    flight: SingleFlight[int] = SingleFlight(ttl=10)
    gate = asyncio.Event()
    counter = iter(range(10))

    async def slow() -> int:
        value = next(counter)
        await gate.wait()
        return value

    stale = asyncio.ensure_future(flight.get("k", slow))
    await asyncio.sleep(0)
    flight.invalidate("k")
    fresh = asyncio.ensure_future(flight.get("k", slow))
    await asyncio.sleep(0)
    gate.set()
    assert (await stale, await fresh) == (0, 1)
    assert await flight.get("k", slow) == 1  # the fresh result is the cached one
