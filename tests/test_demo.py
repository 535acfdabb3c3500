"""`make demo` end to end: the demo initialises a workspace, serves JupyterLab with the Ilum API,
and Ctrl-C stops everything it started."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

DEMO = Path(__file__).resolve().parents[1] / "scripts" / "demo.py"


def read_until(proc: subprocess.Popen, pattern: str, timeout: float) -> tuple[re.Match, str]:
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen += line
        if match := re.search(pattern, line):
            return match, seen
    raise AssertionError(f"no {pattern!r} in the demo's output:\n{seen}")


def get_json(url: str, token: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_demo_initialises_a_workspace_serves_the_api_and_stops_on_ctrl_c():
    proc = subprocess.Popen(
        [sys.executable, str(DEMO)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        home_match, before = read_until(proc, r"JupyterLab is starting on (\S+)", 120)
        url_match, _ = read_until(proc, r"open (http://127\.0\.0\.1:\d+)/lab\?token=(\w+)", 30)
        home = Path(home_match.group(1))
        base, token = url_match.group(1), url_match.group(2)
        assert "ilum-init: done: fresh-repo" in before
        assert "Add Ilum starter templates" in before

        deadline = time.monotonic() + 60
        while True:
            try:
                status = get_json(f"{base}/ilum/api/status", token)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

        assert status["repo"]["state"] == "clean"
        assert status["repo"]["branch"] == "main"
        assert status["init"]["outcome"] == "ok"
        assert status["spark"]["reachable"] is True
        assert sum(s["mine"] for s in status["spark"]["sessions"]) == 2
        assert (home / "IlumIntro.ipynb").is_file()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert not home.exists()
