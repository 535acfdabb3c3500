"""Latency of ``GET ilum/api/repo`` on a big repository, against its baselines in the same run.

Generates a repository (20,000 tracked files, 1,000 modified, 500 untracked by default), starts
a real ``jupyter server`` on 127.0.0.1 with ilum_singleuser and jupyterlab-git, then measures:

1. raw ``git status --porcelain=v2 --branch -z`` (what our endpoint runs) in a subprocess;
2. ``GET ilum/api/repo`` with the poll cache off (every request runs git);
3. jupyterlab-git's ``POST git/status`` on the same repository in the same server;
4. Jupyter's own ``GET api/status`` while ten clients keep requesting ``ilum/api/repo``.

Prints percentiles and ratios next to the targets; asserts nothing. Stops what it starts.

    python bench/bench_repo_status.py [--files 20000] [--modified 1000] [--untracked 500]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ilum_singleuser.testing.loopback import free_port

STATUS_ARGS = ["status", "--porcelain=v2", "--branch", "-z", "--untracked-files=all"]


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        LANG="C",
        LC_ALL="C",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Bench",
        GIT_AUTHOR_EMAIL="bench@example.org",
        GIT_COMMITTER_NAME="Bench",
        GIT_COMMITTER_EMAIL="bench@example.org",
    )
    return env


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=git_env(), check=True, capture_output=True)


def make_repository(root: Path, files: int, modified: int, untracked: int) -> Path:
    repo = root / "repo"
    repo.mkdir()
    git(root, "init", "-q", "-b", "main", str(repo))
    per_dir = 100
    for i in range(files):
        folder = repo / f"dir{i // per_dir:04d}"
        if i % per_dir == 0:
            folder.mkdir()
        (folder / f"file{i:05d}.py").write_text(f"value = {i}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Generated files")
    step = max(files // max(modified, 1), 1)
    for i in range(0, step * modified, step):
        (repo / f"dir{i // per_dir:04d}" / f"file{i:05d}.py").write_text(f"value = {i} + 1\n")
    new = repo / "untracked"
    new.mkdir()
    for i in range(untracked):
        (new / f"new{i:04d}.txt").write_text("new\n")
    git(repo, "status", "--porcelain")  # refreshes the index, as everyday use of the tree would
    return repo


class Server:
    """A ``jupyter server`` subprocess with its own config and runtime folders."""

    def __init__(
        self,
        root: Path,
        repo: Path,
        ilum: dict[str, object] | None = None,
        code: Path | None = None,
    ) -> None:
        """``ilum`` overrides IlumExtension settings; ``code`` is a checkout whose
        ilum_singleuser the server imports instead of the installed one (a baseline)."""
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.config_dir = root / "jupyter-config"
        self.config_dir.mkdir()
        config = {
            "ServerApp": {
                "jpserver_extensions": {"ilum_singleuser": True, "jupyterlab_git": True},
                "root_dir": str(repo),
            },
            "IlumExtension": {
                "user": "bench",
                "workspace": str(repo),
                "repo_cache_ttl": 0,
                "livy_url": f"http://127.0.0.1:{free_port()}",
                # Measured on its own in bench_autosave.py.
                "autosave": False,
                **(ilum or {}),
            },
        }
        (self.config_dir / "jupyter_server_config.json").write_text(json.dumps(config))
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(self.config_dir),
            "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
            "HOME": str(root),
        }
        if code is not None:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), env.get("PYTHONPATH")]))
        self.log = (root / "server.log").open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter_server",
                "--no-browser",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}",
                "--ServerApp.log_level=WARN",
                "--allow-root",
            ],
            env=env,
            cwd=root,  # not the checkout: ``-m`` would put it first on sys.path
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def request(
        self, conn: http.client.HTTPConnection, method: str, path: str, body: str | None = None
    ) -> bytes:
        conn.request(
            method, "/" + path, body=body, headers={"Authorization": f"token {self.token}"}
        )
        response = conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {response.status}: {data[:200]!r}")
        return data

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.flush()
                tail = Path(self.log.name).read_text()[-2000:]
                raise RuntimeError(f"jupyter server exited:\n{tail}")
            try:
                self.request(self.connection(), "GET", "api/status")
                return
            except (OSError, RuntimeError):
                time.sleep(0.2)
        raise RuntimeError("jupyter server did not start in time")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def timed(call: Callable[[], object], rounds: int, warmup: int = 2) -> list[float]:
    return interleaved([call], rounds, warmup)[0]


def interleaved(
    calls: list[Callable[[], object]], rounds: int, warmup: int = 2
) -> list[list[float]]:
    """Time each call once per round, in turn, so that a noisy moment hurts all of them alike."""
    for _ in range(warmup):
        for call in calls:
            call()
    samples: list[list[float]] = [[] for _ in calls]
    for _ in range(rounds):
        for call, out in zip(calls, samples, strict=True):
            started = time.perf_counter()
            call()
            out.append((time.perf_counter() - started) * 1000)
    return samples


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def describe(name: str, samples: list[float]) -> str:
    return (
        f"{name:<34} n={len(samples):<4} p50 {pct(samples, 50):7.1f} ms   "
        f"p90 {pct(samples, 90):7.1f} ms   p99 {pct(samples, 99):7.1f} ms   "
        f"max {max(samples):7.1f} ms"
    )


def api_status_under_load(
    server: Server,
    seconds: float,
    clients: int,
    load: Callable[[http.client.HTTPConnection], object] | None = None,
) -> tuple[list[float], int]:
    """Jupyter's ``GET api/status`` latencies while ``clients`` threads each repeat ``load``
    (default: ``GET ilum/api/repo``); also how many loads they completed."""
    stop = threading.Event()
    served = [0] * clients
    work = load or (lambda conn: server.request(conn, "GET", "ilum/api/repo"))

    def loop(i: int) -> None:
        conn = server.connection()
        while not stop.is_set():
            work(conn)
            served[i] += 1

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # let the load settle
    conn = server.connection()
    samples: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        server.request(conn, "GET", "api/status")
        samples.append((time.perf_counter() - started) * 1000)
        time.sleep(0.01)
    stop.set()
    for t in threads:
        t.join(120)
    return samples, sum(served)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--modified", type=int, default=1_000)
    parser.add_argument("--untracked", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--load-seconds", type=float, default=10.0)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="ilum-bench-"))
    server: Server | None = None
    try:
        started = time.monotonic()
        repo = make_repository(root, args.files, args.modified, args.untracked)
        print(
            f"repository: {args.files} tracked, {args.modified} modified, {args.untracked} "
            f"untracked files ({time.monotonic() - started:.1f} s to generate)"
        )
        env = {**git_env(), "GIT_OPTIONAL_LOCKS": "0"}

        def raw_git() -> None:
            subprocess.run(
                ["git", *STATUS_ARGS], cwd=repo, env=env, check=True, capture_output=True
            )

        server = Server(root, repo)
        server.wait_ready()
        conn = server.connection()
        answer = json.loads(server.request(conn, "GET", "ilum/api/repo"))
        print(
            f"ilum/api/repo says: state {answer['state']}, {answer['modified']} modified, "
            f"{answer['untracked']} untracked"
        )
        jlg_conn = server.connection()
        raw, ilum, jlg = interleaved(
            [
                raw_git,
                lambda: server.request(conn, "GET", "ilum/api/repo"),
                lambda: server.request(jlg_conn, "POST", "git/status", "{}"),
            ],
            args.rounds,
        )
        idle = timed(lambda: server.request(conn, "GET", "api/status"), args.rounds * 3)
        loaded, repo_requests = api_status_under_load(server, args.load_seconds, clients=10)

        print()
        print(describe("raw git status --porcelain=v2", raw))
        print(describe("GET ilum/api/repo", ilum))
        print(describe("POST git/status (jupyterlab-git)", jlg))
        print(describe("GET api/status, idle", idle))
        print(describe("GET api/status, 10 repo pollers", loaded))
        print(f"  (the 10 pollers got {repo_requests} ilum/api/repo answers meanwhile)")
        print()
        ratio_git = statistics.median(ilum) / statistics.median(raw)
        ratio_jlg = statistics.median(ilum) / statistics.median(jlg)
        print(
            f"repo status: ilum p50 {pct(ilum, 50):.1f} ms vs raw git p50 {pct(raw, 50):.1f} ms "
            f"-> ratio {ratio_git:.2f} (target <= 1.3)"
        )
        print(
            f"repo status: ilum p50 {pct(ilum, 50):.1f} ms vs jupyterlab-git p50 "
            f"{pct(jlg, 50):.1f} ms -> ratio {ratio_jlg:.2f} (target < 1.0)"
        )
        print(
            f"api/status while loaded: p99 {pct(loaded, 99):.1f} ms (target < 50 ms); "
            f"idle p99 {pct(idle, 99):.1f} ms"
        )
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
