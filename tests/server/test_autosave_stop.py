"""The stop path: SIGTERM to a real Jupyter server (what a cull or a pod deletion sends) takes a
last snapshot before the process exits, and a dead Gitea never holds the exit longer than
``autosave_stop_timeout``."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.autosave_support import USER, JupyterServer, Pod, make_pod
from tests.conftest import GIT_PASSWORD, GIT_USER


@pytest.fixture
def pod(git_server, tmp_path: Path) -> Pod:
    pod = make_pod(git_server, tmp_path)
    assert pod.init().returncode == 0
    return pod


@pytest.fixture
def dead_gitea() -> Iterator[str]:
    """A port that accepts connections and never answers: a hung Gitea."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def start_server(pod: Pod, root: Path, **settings: object) -> JupyterServer:
    env = {**pod.env, "ILUM_GIT_USERNAME": GIT_USER, "ILUM_GIT_PASSWORD": GIT_PASSWORD}
    return JupyterServer(
        root,
        env,
        {"user": USER, "workspace": str(pod.workspace), "autosave_interval": 3600, **settings},
    )


def terminate(server: JupyterServer, timeout: float = 60) -> float:
    """Send SIGTERM as the kubelet does; seconds until the process was gone."""
    started = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    server.proc.wait(timeout)
    return time.monotonic() - started


def test_sigterm_takes_a_snapshot_before_the_server_exits(pod, tmp_path):
    pod.write("draft.md", "first\n")
    server = start_server(pod, tmp_path, git_url=pod.server.url)
    try:
        server.wait_until(lambda answer: answer["last"] is not None)
        assert pod.remote_file("draft.md") == "first\n"
        pod.write("draft.md", "written just before the pod was deleted\n")

        terminate(server)
    finally:
        server.stop()

    assert pod.remote_file("draft.md") == "written just before the pod was deleted\n"


def test_a_dead_gitea_never_holds_the_shutdown_longer_than_the_stop_timeout(
    pod, tmp_path, dead_gitea
):
    pod.write("draft.md", "draft\n")
    server = start_server(pod, tmp_path, git_url=dead_gitea, autosave_stop_timeout=2)
    try:
        server.wait_until(lambda answer: answer["running"])  # its push hangs on the dead Gitea

        took = terminate(server)
    finally:
        server.stop()

    assert took < 2 + 5, f"shutdown took {took:.1f} s"
    assert "did not finish within 2 s" in server.log_path.read_text()
