"""ilum-init's first and repeat start, against the raw git CLI doing the same work.

Both run in this process against the same loopback smart-HTTP server with basic auth:

* raw:   git clone, copy the templates, git add, git commit, git push (credentials from git's
         own `store` helper);
* ours:  `ilum-init` as the init container runs it (a fresh process: start-up included).

Prints medians and the ratio. Targets: first start <= 1.5x raw; repeat start < 0.5 s.
The benchmark's notebooks name no kernel; a first start whose templates do (the package's) also
asks that kernel for its metadata once, measured on its own as "kernel question".
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from ilum_singleuser.testing.git_http_server import GitHTTPServer

ROUNDS = 7
USER, PASSWORD = "bench.user", "b3nch:p@ss"


def make_templates(root: Path) -> Path:
    """A starter set shaped like a real one: notebooks, nested folders, a binary, a script."""
    for i in range(12):
        folder = root / ("work" if i % 2 else "") / ("spark" if i % 3 == 0 else "")
        folder.mkdir(parents=True, exist_ok=True)
        cells = ",".join(
            '{"cell_type": "markdown", "metadata": {}, "source": ["x"]}' for _ in range(50)
        )
        (folder / f"Notebook{i}.ipynb").write_text(
            f'{{"cells": [{cells}], "metadata": {{}}, "nbformat": 4, "nbformat_minor": 5}}'
        )
    (root / "work" / "data.bin").write_bytes(os.urandom(256 * 1024))
    (root / "work" / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (root / "work" / "run.sh").chmod(0o755)
    return root


def git(cwd: Path, *args: str, env: dict[str, str]) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def raw_sequence(url: str, workspace: Path, templates: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    git(workspace.parent, "clone", "-q", "--", url, workspace.name, env=env)
    shutil.copytree(templates, workspace, dirs_exist_ok=True)
    git(workspace, "add", "-A", env=env)
    git(workspace, "-c", "user.name=U", "-c", "user.email=u@x", "commit", "-q", "-m", "t", env=env)
    git(workspace, "push", "-q", "-u", "origin", "main", env=env)
    return time.perf_counter() - started


def ilum_init(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ilum_singleuser.init.cli", "--strict"],
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def kernel_question(scratch: Path) -> float:
    """One start of the python3 kernel, its kernel_info and shutdown, as ilum-init asks it."""
    from ilum_singleuser.init.notebook_metadata import kernel_metadata

    started = time.perf_counter()
    kernel_metadata("python3", scratch)
    return time.perf_counter() - started


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="ilum-bench-init-"))
    templates = make_templates(base / "templates")
    store = base / "git-credentials"
    raw_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
        "GIT_CONFIG_GLOBAL": str(base / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
    }
    subprocess.run(
        ["git", "config", "--global", "credential.helper", f"store --file={store}"],
        env=raw_env,
        check=True,
    )
    raw_times, first_times, repeat_times, kernel_times = [], [], [], []
    with GitHTTPServer(base / "gitea", {USER: PASSWORD}) as server:
        host = server.url.split("://", 1)[1]
        store.write_text(f"http://{USER}:{quote(PASSWORD, safe='')}@{host}\n")
        for i in range(ROUNDS):
            server.create_repo("org", f"raw-{i}.git")
            ws = base / f"raw-{i}"
            raw_times.append(raw_sequence(f"{server.url}/org/raw-{i}.git", ws, templates, raw_env))

            server.create_repo("org", f"jupyterhub-u{i}.git")
            ours_ws = base / f"ours-{i}"
            ours_env = {
                **raw_env,
                "ILUM_USER": f"u{i}",
                "ILUM_GIT_URL": server.url,
                "ILUM_GIT_ORG": "org",
                "ILUM_GIT_USERNAME": USER,
                "ILUM_GIT_PASSWORD": PASSWORD,
                "ILUM_WORKSPACE": str(ours_ws),
                "ILUM_TEMPLATES_DIR": str(templates),
                "NB_UID": str(os.getuid()),
                "NB_GID": str(os.getgid()),
            }
            first_times.append(ilum_init(ours_env))
            repeat_times.append(ilum_init(ours_env))
            kernel_times.append(kernel_question(base / f"kernel-{i}"))
    shutil.rmtree(base, ignore_errors=True)

    raw, first, repeat, kernel = (
        statistics.median(t) for t in (raw_times, first_times, repeat_times, kernel_times)
    )
    print(f"ilum-init benchmark ({ROUNDS} rounds, loopback smart-HTTP with basic auth)")
    print(f"  raw git clone+copy+add+commit+push  median {raw * 1000:7.1f} ms")
    print(f"  ilum-init first start               median {first * 1000:7.1f} ms")
    print(f"  ilum-init repeat start              median {repeat * 1000:7.1f} ms")
    print(f"  kernel question (python3 kernel_info) median {kernel * 1000:7.1f} ms")
    print(f"  first start / raw git = {first / raw:.2f}x   (target <= 1.5x)")
    print(f"  kernel question / raw git = {kernel / raw:.2f}x (paid by kernel-naming templates)")
    print(f"  repeat start = {repeat:.3f} s              (target < 0.5 s)")


if __name__ == "__main__":
    main()
