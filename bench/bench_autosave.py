"""Cost of autosave snapshots on a big repository, against raw git in the same run.

Generates the repository of ``bench_repo_status.py`` (20,000 tracked files, 1,000 modified, 500
untracked by default), serves it from the loopback Gitea stand-in, then measures:

1. building a snapshot (status, temporary index, hashing, tree, commit; no push) against raw
   ``git status --porcelain=v2 -uall`` (target <= 2x), cold (a new server: the user's index
   copied, every changed file hashed) and warm (one file edited since the last snapshot: only
   it is applied to the kept temporary index);
2. an idle tick (nothing changed since the last snapshot) against the same (target <= 1.2x,
   zero pushes);
3. pushing a snapshot against a raw ``git push`` of the same commit (target <= 1.3x);
4. Jupyter's own ``GET api/status`` p99 while ``POST ilum/api/autosave`` keeps taking snapshots
   of a changing file in the same server (target < 50 ms).

Prints the figures and ratios; asserts nothing. Stops what it starts.

    python bench/bench_autosave.py [--files 20000] [--modified 1000] [--untracked 500]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_repo_status import (
    Server,
    api_status_under_load,
    describe,
    git,
    git_env,
    interleaved,
    make_repository,
    pct,
)

from ilum_singleuser.core.settings import load_config
from ilum_singleuser.server.autosave import AutosaveService
from ilum_singleuser.server.autosave_snapshot import SnapshotBuilder
from ilum_singleuser.testing.git_http_server import GitHTTPServer

ORG = "ilum-jupyterhub"
USER = "bench"
REF = "refs/heads/ilum-autosave/main"


def raw_status(repo: Path) -> None:
    subprocess.run(
        ["git", "status", "--porcelain=v2", "-uall"],
        cwd=repo,
        env={**git_env(), "GIT_OPTIONAL_LOCKS": "0"},
        check=True,
        capture_output=True,
    )


def measure_building(service: AutosaveService, repo: Path, rounds: int) -> None:
    loop = asyncio.new_event_loop()

    async def build(builder: SnapshotBuilder) -> None:
        await builder.build(await builder.read())

    cold_scratch = service.builder.scratch.with_name("autosave-cold")

    def cold() -> None:  # a new server: the index copied, every changed file hashed
        loop.run_until_complete(build(dataclasses.replace(service.builder, scratch=cold_scratch)))

    edits = iter(range(10**9))

    def warm() -> None:  # one file edited since the last snapshot: only it is applied
        (repo / "dir0000" / "file00000.py").write_text(f"value = {next(edits)}\n")
        loop.run_until_complete(build(service.builder))

    built_cold, built_warm, raw = interleaved([cold, warm, lambda: raw_status(repo)], rounds)
    loop.run_until_complete(service.snapshot())  # the first real snapshot, pushed
    pushes = service.pushes
    idle, raw_idle = interleaved(
        [lambda: loop.run_until_complete(service.snapshot()), lambda: raw_status(repo)], rounds
    )
    idle_pushes = service.pushes - pushes
    loop.close()
    print(describe("raw git status --porcelain=v2 -uall", raw))
    print(describe("build a snapshot, nothing hashed", built_cold))
    print(describe("build a snapshot, 1 file edited since", built_warm))
    print(describe("raw git status (idle rounds)", raw_idle))
    print(describe("idle tick", idle))
    for name, built in (("cold", built_cold), ("warm", built_warm)):
        print(
            f"build ({name}): p50 {pct(built, 50):.1f} ms vs raw status p50 {pct(raw, 50):.1f} ms "
            f"-> ratio {statistics.median(built) / statistics.median(raw):.2f} (target <= 2)"
        )
    print(
        f"idle tick: p50 {pct(idle, 50):.1f} ms vs raw status p50 {pct(raw_idle, 50):.1f} ms -> "
        f"ratio {statistics.median(idle) / statistics.median(raw_idle):.2f} (target <= 1.2); "
        f"{idle_pushes} pushes in {rounds} idle ticks (target 0)"
    )


def measure_pushing(
    service: AutosaveService, repo: Path, bare: Path, url: str, rounds: int
) -> None:
    loop = asyncio.new_event_loop()
    work = loop.run_until_complete(service.builder.read())
    commit = loop.run_until_complete(service.builder.build(work)).commit

    def forget_remote_refs() -> None:
        for ref in (REF, "refs/heads/raw-push"):
            subprocess.run(["git", "update-ref", "-d", ref], cwd=bare, check=False)

    def ours() -> None:
        loop.run_until_complete(service._push(f"+{commit}:{REF}"))

    def raw() -> None:
        subprocess.run(
            ["git", "push", "--quiet", "--no-verify", url, f"+{commit}:refs/heads/raw-push"],
            cwd=repo,
            env=git_env(),
            check=True,
            capture_output=True,
        )

    ours_ms: list[float] = []
    raw_ms: list[float] = []
    for _ in range(rounds):
        for call, out in ((ours, ours_ms), (raw, raw_ms)):
            forget_remote_refs()
            started = time.perf_counter()
            call()
            out.append((time.perf_counter() - started) * 1000)
    loop.close()
    print(describe("raw git push of the snapshot", raw_ms))
    print(describe("autosave push of the snapshot", ours_ms))
    print(
        f"push: p50 {pct(ours_ms, 50):.1f} ms vs raw git push p50 {pct(raw_ms, 50):.1f} ms -> "
        f"ratio {statistics.median(ours_ms) / statistics.median(raw_ms):.2f} (target <= 1.3)"
    )


def measure_api_status(root: Path, repo: Path, git_url: str, seconds: float) -> None:
    server = Server(root, repo, {"git_url": git_url, "autosave": True, "autosave_interval": 3600})
    changing = repo / "untracked" / "changing.txt"

    def snapshot(conn: http.client.HTTPConnection) -> None:
        changing.write_text(f"{time.time()}\n")  # so that each one is built and pushed
        server.request(conn, "POST", "ilum/api/autosave")

    try:
        server.wait_ready()
        samples, snapshots = api_status_under_load(server, seconds, clients=1, load=snapshot)
    finally:
        server.stop()
    print(describe("GET api/status, snapshots running", samples))
    print(
        f"api/status while {snapshots} snapshots ran: p99 {pct(samples, 99):.1f} ms "
        "(target < 50 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--modified", type=int, default=1_000)
    parser.add_argument("--untracked", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--load-seconds", type=float, default=15.0)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="ilum-bench-autosave-"))
    try:
        with GitHTTPServer(root / "gitea") as gitea:
            started = time.monotonic()
            repo = make_repository(root, args.files, args.modified, args.untracked)
            bare = gitea.create_repo(ORG, f"jupyterhub-{USER}.git")
            url = f"{gitea.url}/{ORG}/jupyterhub-{USER}.git"
            git(repo, "remote", "add", "origin", url)
            git(repo, "push", "-q", "-u", "origin", "main")
            print(
                f"repository: {args.files} tracked, {args.modified} modified, {args.untracked} "
                f"untracked files ({time.monotonic() - started:.1f} s to generate and push)"
            )
            config = load_config(
                {"user": USER, "workspace": str(repo), "git_url": gitea.url},
                environ={**os.environ, "ILUM_STATE_DIR": str(root / "state")},
            )
            service = AutosaveService(config)
            print()
            measure_building(service, repo, args.rounds)
            print()
            measure_pushing(service, repo, bare, url, max(5, args.rounds // 2))
            print()
            measure_api_status(root, repo, gitea.url, args.load_seconds)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
