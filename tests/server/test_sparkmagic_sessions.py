"""A Spark session started by sparkmagic's own kernel code, from the config ``ilum-init`` wrote,
is the user's: the API lists it as ``mine`` and ends it.

The client is sparkmagic's ``KernelMagics``, driven the way its PySpark kernel drives it (load the
magics, set the language, a ``%%configure`` cell, start the session), in a process of its own
that reads the config through ``SPARKMAGIC_CONF_DIR``, as a kernel in the pod does. It stays up,
as a kernel would, until the test ends it.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from ilum_singleuser.testing.git_http_server import GitHTTPServer
from ilum_singleuser.testing.livy_double import LivyDouble
from tests.conftest import GIT_PASSWORD, GIT_USER, ORG

from .conftest import USER

pytest.importorskip("sparkmagic")

SERVICE_LOGIN = "livy-svc"
SERVICE_PASSWORD = "svc p@ss:word"
# The PySpark kernel's own start-up (sparkkernelbase), then a user's %%configure cell and the
# first code cell, which starts the session.
KERNEL = """
import json, sys
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "sparkmagic.kernels")
shell.run_cell_magic("_do_not_call_change_language", "-l python", "\\n ")
shell.run_cell_magic("configure", "", sys.argv[1])
started = shell.run_cell_magic("_do_not_call_start_session", "", "\\n ")
magics = shell.magics_manager.registry["KernelMagics"]
session_id = magics.spark_controller.get_session_id_for_client(magics.session_name)
print("SESSION " + json.dumps({"started": started, "id": session_id}), flush=True)
sys.stdin.read()
"""
# A user's %%configure cell: it replaces sparkmagic's session_configs, not the defaults.
CONFIGURE = {"driverMemory": "2g", "conf": {"spark.sql.shuffle.partitions": "8"}}

StartKernel = Callable[[], Awaitable[dict]]


@pytest.fixture(params=["no-auth", "shared-login"])
def livy(request: pytest.FixtureRequest) -> Iterator[LivyDouble]:
    """Ilum's Livy-proxy without authentication, or with one login shared by every user (Livy's
    ``owner`` then names that login, never the user) and impersonation on."""
    if request.param == "no-auth":
        with LivyDouble() as double:
            yield double
    else:
        with LivyDouble(users={SERVICE_LOGIN: SERVICE_PASSWORD}, impersonation=True) as double:
            yield double


@pytest.fixture
def livy_env(livy: LivyDouble, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The Livy settings of the pod, seen alike by ilum-init and the server extension."""
    env = {"ILUM_LIVY_URL": livy.url}
    if livy.users:
        env.update(
            ILUM_LIVY_AUTH="Basic_Access",
            ILUM_LIVY_USERNAME=SERVICE_LOGIN,
            ILUM_LIVY_PASSWORD=SERVICE_PASSWORD,
        )
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def initialised(livy_env: dict[str, str], workspace: Path, tmp_path: Path) -> Path:
    """``ilum-init`` has run in the pod: the workspace is cloned and sparkmagic configured."""
    with GitHTTPServer(tmp_path / "gitea", {GIT_USER: GIT_PASSWORD}) as gitea:
        gitea.create_repo(ORG, f"jupyterhub-{USER}.git")
        env = {
            **os.environ,
            **livy_env,
            "ILUM_USER": USER,
            "ILUM_GIT_URL": gitea.url,
            "ILUM_GIT_USERNAME": GIT_USER,
            "ILUM_GIT_PASSWORD": GIT_PASSWORD,
            "ILUM_WORKSPACE": str(workspace),
            "ILUM_INIT_TIMEOUT": "20",
            "NB_UID": str(os.getuid()),
            "NB_GID": str(os.getgid()),
        }
        subprocess.run(
            [sys.executable, "-m", "ilum_singleuser.init.cli", "--strict"],
            env=env,
            capture_output=True,
            check=True,
            timeout=120,
        )
    return workspace / ".sparkmagic"


@pytest.fixture
async def start_kernel(initialised: Path, tmp_path: Path) -> AsyncIterator[StartKernel]:
    """Start sparkmagic's client on the written config; returns the session it started. Killed
    when the test ends (a clean exit waits for sparkmagic's heartbeat thread, up to 30 s)."""
    procs: list[asyncio.subprocess.Process] = []

    async def start() -> dict:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            KERNEL,
            json.dumps(CONFIGURE),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "SPARKMAGIC_CONF_DIR": str(initialised), "HOME": str(tmp_path)},
        )
        procs.append(proc)
        assert proc.stdout is not None
        seen = b""
        while not seen.endswith(b"\n") or not seen.splitlines()[-1].startswith(b"SESSION "):
            line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
            assert line, f"sparkmagic's client ended without a session:\n{seen.decode()}"
            seen += line
        return json.loads(seen.splitlines()[-1].removeprefix(b"SESSION "))

    yield start
    for proc in procs:
        proc.kill()
        await proc.wait()


async def test_a_session_started_by_sparkmagic_is_mine_and_i_can_end_it(
    start_kernel: StartKernel, api, livy: LivyDouble
):
    livy.add_session(owner="bob", proxy_user="bob", name="not-mine")

    started = await start_kernel()

    assert started["started"] is True
    session = livy.sessions[started["id"]]
    assert session["proxyUser"] == USER
    assert session["owner"] == (SERVICE_LOGIN if livy.users else None)
    assert (session["driverMemory"], session["conf"]) == ("2g", CONFIGURE["conf"])
    assert session["heartbeatTimeoutInSecond"] > 0
    assert session["state"] == "idle"

    code, spark = await api("GET", "spark/sessions")
    assert code == 200
    assert {s["id"]: s["mine"] for s in spark["sessions"]} == {started["id"]: True}
    code, others = await api("GET", "spark/sessions?others=1")
    assert {s["id"]: s["mine"] for s in others["sessions"]} == {0: False}

    code, body = await api("DELETE", f"spark/sessions/{started['id']}")
    assert (code, body) == (200, {"id": started["id"], "deleted": True})
    assert started["id"] not in livy.sessions
    code, body = await api("DELETE", "spark/sessions/0")
    assert (code, body["code"]) == (403, "not-yours")
