"""Many tabs polling cost one git status and one Livy request per interval, not one each.

Git processes are counted by a ``git`` shim on PATH (``git_log``), set up after the repositories
so that only what the server runs is counted.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter

import pytest
from tornado.httpclient import AsyncHTTPClient

from ilum_singleuser.testing.livy_double import LivyDouble

from .conftest import USER, Repos, invocations


@pytest.fixture
def polling_cache(ilum_settings):
    ilum_settings.update(repo_cache_ttl=1.0, spark_cache_ttl=1.0)


async def get_status_concurrently(
    port: int, base_url: str, token: str, n: int, query: str = ""
) -> list[dict]:
    client = AsyncHTTPClient(force_instance=True, max_clients=n)
    try:
        responses = await asyncio.gather(
            *(
                client.fetch(
                    f"http://127.0.0.1:{port}{base_url}ilum/api/status{query}",
                    headers={"Authorization": f"token {token}"},
                )
                for _ in range(n)
            )
        )
    finally:
        client.close()
    return [json.loads(r.body) for r in responses]


async def test_20_concurrent_status_requests_start_one_git_process_and_one_livy_request(
    polling_cache,
    repos: Repos,
    git_log,
    livy: LivyDouble,
    jp_serverapp,
    http_server,
    jp_http_port,
    jp_base_url,
):
    livy.add_session(owner=USER)
    livy.delay, livy.mode = 0.3, "slow"  # keeps the first request in flight while others arrive
    token = jp_serverapp.identity_provider.token

    # A server that just started: one git status, plus the last commit and the remote URL,
    # which are read once per HEAD.
    answers = await get_status_concurrently(jp_http_port, jp_base_url, token, 20)
    assert all(a == answers[0] for a in answers)
    assert answers[0]["repo"]["state"] == "clean"
    assert answers[0]["spark"]["total"] == 1
    ran = Counter(invocations(git_log, repos.workspace))
    assert ran == Counter(status=1, log=1, config=1), git_log.read_text()
    assert livy.count("GET") == 1

    # Every later burst of polls: exactly one git process and one Livy request.
    for burst in range(2):
        time.sleep(1.1)  # past the poll cache
        git_log.write_text("")
        livy.requests.clear()
        answers = await get_status_concurrently(jp_http_port, jp_base_url, token, 20)
        assert all(a["repo"]["state"] == "clean" for a in answers)
        assert invocations(git_log, repos.workspace) == ["status"], burst
        assert livy.count("GET") == 1, burst


async def test_later_polls_rerun_only_git_status_while_head_stays(
    polling_cache, repos: Repos, git_log, livy: LivyDouble, api
):
    await api("GET", "repo")
    await api("GET", "repo")  # within the cache time: no git at all
    assert Counter(invocations(git_log, repos.workspace))["status"] == 1
    time.sleep(1.1)
    code, repo = await api("GET", "repo")
    assert repo["last_commit"]["summary"] == "Initial commit"
    ran = Counter(invocations(git_log, repos.workspace))
    assert (ran["status"], ran["log"], ran["config"]) == (2, 1, 1)

    repos.commit(repos.workspace, "new.py", "x")
    time.sleep(1.1)
    code, repo = await api("GET", "repo")
    assert code == 200
    assert repo["last_commit"]["summary"] == "change new.py"
    assert Counter(invocations(git_log, repos.workspace))["log"] == 2


@pytest.fixture
def long_repo_cache(ilum_settings):
    ilum_settings.update(repo_cache_ttl=60.0)


@pytest.fixture
def slow_git(git_log, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every git run takes 0.3 s longer, so that requests sent together surely overlap it."""
    shim_dir = tmp_path / "slow-git"
    shim_dir.mkdir()
    shim = shim_dir / "git"
    shim.write_text(f'#!/bin/sh\nsleep 0.3\nexec "{git_log.parent / "git-shim" / "git"}" "$@"\n')
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim_dir}{os.pathsep}{os.environ['PATH']}")


async def test_a_fresh_status_skips_the_cache_yet_concurrent_ones_share_one_git_run(
    long_repo_cache,
    repos: Repos,
    git_log,
    slow_git,
    jp_serverapp,
    http_server,
    jp_http_port,
    jp_base_url,
):
    # Given a clean repository state cached for a minute
    token = jp_serverapp.identity_provider.token
    first = await get_status_concurrently(jp_http_port, jp_base_url, token, 1)
    assert first[0]["repo"]["state"] == "clean"

    # When a file is saved, a plain poll still gets the cached state
    (repos.workspace / "README.md").write_text("saved from the editor\n")
    cached = await get_status_concurrently(jp_http_port, jp_base_url, token, 1)
    assert cached[0]["repo"]["state"] == "clean"

    # But ten tabs asking for a fresh one at once get the change, from one git status
    git_log.write_text("")
    fresh = await get_status_concurrently(jp_http_port, jp_base_url, token, 10, "?fresh=1")
    assert {a["repo"]["state"] for a in fresh} == {"dirty"}
    assert invocations(git_log, repos.workspace) == ["status"]

    # And the fresh answer serves the next plain poll
    later = await get_status_concurrently(jp_http_port, jp_base_url, token, 1)
    assert later[0]["repo"]["modified"] == 1
