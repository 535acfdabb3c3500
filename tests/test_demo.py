"""`make demo` end to end: the demo initialises a workspace, serves JupyterLab with the Ilum API
and sparkmagic's kernels, and SIGINT or SIGTERM stops everything it started, also when a script
started it in the background."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

DEMO = Path(__file__).resolve().parents[1] / "scripts" / "demo.py"
# How a shell script starts a server and waits for it: the background job inherits SIGINT
# ignored (bash without job control), so only a handler of the demo's own can act on it.
FROM_A_SCRIPT = 'python "$0" &\necho "demo pid $!"\nwait'


@dataclass
class Demo:
    proc: subprocess.Popen
    pid: int
    output: str = ""

    def read_until(self, pattern: str, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.output += line
            if match := re.search(pattern, line):
                return match
        raise AssertionError(f"no {pattern!r} in the demo's output:\n{self.output}")

    def signal_and_wait(self, signum: int) -> None:
        os.kill(self.pid, signum)
        rest, _ = self.proc.communicate(timeout=60)
        self.output += rest


def start_demo(from_script: bool) -> Demo:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    command = ["bash", "-c", FROM_A_SCRIPT, str(DEMO)] if from_script else [sys.executable, DEMO]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    demo = Demo(proc, proc.pid)
    if from_script:
        demo.pid = int(demo.read_until(r"demo pid (\d+)", 10).group(1))  # bash says it first
    return demo


def get_json(url: str, token: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def wait_for_json(url: str, token: str) -> dict:
    deadline = time.monotonic() + 60
    while True:
        try:
            return get_json(url, token)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def listening(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex((parts.hostname, parts.port)) == 0


def processes_mentioning(text: str) -> list[int]:
    """Processes whose command line holds ``text`` (a kernel's id is in its connection file)."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text.encode() in cmdline.read_bytes():
                pids.append(int(cmdline.parent.name))
        except OSError:
            continue
    return pids


@dataclass
class Running:
    demo: Demo
    home: Path
    lab: str
    token: str
    servers: list[str]


def running_demo(from_script: bool, stop_left_over) -> Running:
    demo = start_demo(from_script)
    stop_left_over(demo)
    gitea = demo.read_until(r"Gitea stand-in at (\S+),", 60).group(1)
    livy = demo.read_until(r"Livy-proxy stand-in at (\S+) ", 30).group(1)
    home = Path(demo.read_until(r"JupyterLab is starting on (\S+)", 120).group(1))
    url = demo.read_until(r"open (http://127\.0\.0\.1:\d+)/lab\?token=(\w+)", 30)
    return Running(demo, home, url.group(1), url.group(2), [gitea, livy, url.group(1)])


def assert_everything_stopped(running: Running) -> None:
    assert running.demo.proc.returncode == 0, running.demo.output
    assert not running.home.parent.exists()
    assert [url for url in running.servers if listening(url)] == []


@pytest.fixture
def stop_left_over():
    """A failed test must not leave a demo running: SIGTERM first, so that it stops what it
    started (a killed demo would leave its JupyterLab behind), then SIGKILL."""
    demos: list[Demo] = []
    yield demos.append
    for demo in demos:
        if demo.proc.poll() is None:
            os.kill(demo.pid, signal.SIGTERM)
            try:
                demo.proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(demo.pid, signal.SIGKILL)
                demo.proc.kill()
                demo.proc.communicate()


def test_demo_started_by_a_script_serves_the_api_and_sparkmagic_kernels_and_stops_on_sigint(
    stop_left_over,
):
    running = running_demo(from_script=True, stop_left_over=stop_left_over)
    assert "ilum-init: done: fresh-repo" in running.demo.output
    assert "Add Ilum starter templates" in running.demo.output

    status = wait_for_json(f"{running.lab}/ilum/api/status", running.token)
    assert status["repo"]["state"] == "clean"
    assert status["repo"]["branch"] == "main"
    assert status["init"]["outcome"] == "ok"
    assert status["spark"]["reachable"] is True
    assert sum(s["mine"] for s in status["spark"]["sessions"]) == 2
    assert (running.home / "IlumIntro.ipynb").is_file()
    specs = get_json(f"{running.lab}/api/kernelspecs", running.token)["kernelspecs"]
    assert specs["pysparkkernel"]["spec"]["display_name"] == "PySpark"
    assert "sparkkernel" in specs
    installed = Path(sys.prefix, "share", "jupyter", "kernels")  # the environment's, as the image
    assert (installed / "pysparkkernel" / "kernel.json").is_file()

    running.demo.signal_and_wait(signal.SIGINT)
    assert "SIGINT: stopped everything" in running.demo.output
    assert_everything_stopped(running)


def test_sigterm_stops_the_demo_its_jupyterlab_and_a_running_pyspark_kernel(stop_left_over):
    running = running_demo(from_script=False, stop_left_over=stop_left_over)
    wait_for_json(f"{running.lab}/api/status", running.token)
    request = urllib.request.Request(
        f"{running.lab}/api/kernels",
        data=json.dumps({"name": "pysparkkernel"}).encode(),
        headers={"Authorization": f"token {running.token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        kernel = json.loads(response.read())
    assert kernel["name"] == "pysparkkernel"
    assert processes_mentioning(kernel["id"]) != []

    running.demo.signal_and_wait(signal.SIGTERM)
    assert "SIGTERM: stopped everything" in running.demo.output
    assert_everything_stopped(running)
    assert processes_mentioning(kernel["id"]) == []
