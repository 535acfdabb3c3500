"""Size and time of the panel's poll, ``GET ilum/api/status``, with 2,000 sessions on the Livy
double (20 of them the user's), on today's code and on a baseline commit, in the same run.

The baseline (``--baseline``, by default the last commit before the poll stopped carrying other
users' sessions) is exported with ``git archive`` into a temporary folder and served by a second
``jupyter server`` that imports it instead of the installed package; both servers poll the same
Livy double and the same repository. Times are client round trips over loopback (the server's
mapping, JSON encoding and sending), with the session list cached (``spark_cache_ttl``, as
between polls) and uncached (every poll walks Livy's pages). Prints; asserts nothing.

    python bench/bench_status_payload.py [--sessions 2000] [--mine 20] [--baseline REF]
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from bench_repo_status import Server, describe, git, interleaved, pct

from ilum_singleuser.testing.livy_double import LivyDouble

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "43d0091"  # main before the poll was split (issue 10)
USER = "bench"


def export(ref: str, into: Path) -> Path:
    """The package as it was at ``ref``, for a server to import."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref, "ilum_singleuser"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def small_repository(root: Path) -> Path:
    repo = root / "repo"
    git(root, "init", "-q", "-b", "main", str(repo))
    (repo / "notebook.ipynb").write_text("{}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "One notebook")
    return repo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--mine", type=int, default=20)
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ilum-bench-") as tmp, LivyDouble() as livy:
        root = Path(tmp)
        step = args.sessions // max(args.mine, 1)
        for i in range(args.sessions):
            owner = USER if i % step == 0 and i // step < args.mine else f"user{i % 97}"
            livy.add_session(owner=owner, proxy_user=owner, name=f"session-{i}", state="idle")
        repo = small_repository(root)
        baseline_code = export(args.baseline, root / "baseline")
        servers: dict[tuple[str, str], Server] = {}
        try:
            for version, code in (("before", baseline_code), ("after", None)):
                for cache, ttl in (("cached", 60.0), ("uncached", 0.0)):
                    folder = root / f"{version}-{cache}"
                    folder.mkdir()
                    ilum = {
                        "user": USER,
                        "livy_url": livy.url,
                        "spark_cache_ttl": ttl,
                        "livy_timeout": 30.0,
                        "status_part_wait": 30.0,
                    }
                    servers[version, cache] = Server(folder, repo, ilum, code)
            for server in servers.values():
                server.wait_ready()
            conns = {key: server.connection() for key, server in servers.items()}
            sizes = {
                key: len(server.request(conns[key], "GET", "ilum/api/status"))
                for key, server in servers.items()
            }
            keys = list(servers)
            samples = dict(
                zip(
                    keys,
                    interleaved(
                        [
                            (lambda k=k: servers[k].request(conns[k], "GET", "ilum/api/status"))
                            for k in keys
                        ],
                        args.rounds,
                    ),
                    strict=True,
                )
            )
        finally:
            for server in servers.values():
                server.stop()

    print(
        f"GET ilum/api/status with {args.sessions} sessions on the Livy double, {args.mine} of "
        f"them the user's; before = {args.baseline}, after = this checkout"
    )
    for key in keys:
        print(describe(f"{key[0]}, {key[1]} ({sizes[key] / 1024:.1f} KB)", samples[key]))
    before, after = sizes["before", "cached"], sizes["after", "cached"]
    print(f"payload: {before / 1024:.1f} KB -> {after / 1024:.1f} KB, ratio {after / before:.3f}")
    for cache in ("cached", "uncached"):
        b, a = pct(samples["before", cache], 50), pct(samples["after", cache], 50)
        print(f"server time p50, {cache}: {b:.1f} ms -> {a:.1f} ms, ratio {a / b:.2f}")


if __name__ == "__main__":
    sys.exit(main())
