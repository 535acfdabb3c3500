"""The local demo: Ilum's single-user pod without a cluster.

A loopback git smart-HTTP server with basic auth stands in for Gitea, a Livy REST double for
Ilum's Livy-proxy. `ilum-init` initialises a demo workspace from the default templates, then
JupyterLab starts on it with the server and lab extensions. Ctrl-C stops everything.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from ilum_singleuser.testing.git_http_server import GitHTTPServer
from ilum_singleuser.testing.livy_double import LivyDouble

USER = "demo.user"
PASSWORD = "demo:p@ss word"  # a loopback-only demo credential, handed over in the environment
ORG = "ilum-jupyterhub"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def say(text: str) -> None:
    print(f"demo: {text}", flush=True)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    base = Path(tempfile.mkdtemp(prefix="ilum-demo-"))
    home = base / "home"
    home.mkdir()
    gitea = GitHTTPServer(base / "gitea", {USER: PASSWORD}).start()
    livy = LivyDouble().start()
    lab: subprocess.Popen[bytes] | None = None
    try:
        gitea.create_repo(ORG, f"jupyterhub-{USER}.git")
        say(f"Gitea stand-in at {gitea.url}, repository {ORG}/jupyterhub-{USER}.git")
        livy.add_session(owner=USER, proxy_user=USER, state="idle", name="etl-notebook")
        livy.add_session(owner=USER, proxy_user=USER, state="busy", kind="spark", name="report")
        livy.add_session(owner="someone.else", state="idle", name="not-yours")
        say(f"Livy-proxy stand-in at {livy.url} with 3 sessions (2 of them {USER}'s)")

        env = {
            **os.environ,
            "ILUM_USER": USER,
            "ILUM_GIT_URL": gitea.url,
            "ILUM_GIT_USERNAME": USER,
            "ILUM_GIT_PASSWORD": PASSWORD,
            "ILUM_USER_FULLNAME": "Demo User",
            "ILUM_USER_EMAIL": "demo.user@example.org",
            "ILUM_WORKSPACE": str(home),
            "ILUM_LIVY_URL": livy.url,
            "ILUM_INIT_TIMEOUT": "30",
            "HOME": str(home),
            "NB_UID": str(os.getuid()),
            "NB_GID": str(os.getgid()),
            "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
        }
        say("running ilum-init (what the init container does)")
        init = [sys.executable, "-m", "ilum_singleuser.init.cli", "--strict"]
        subprocess.run(init, env=env, check=True)
        log = ["git", "log", "--stat", "--format=commit %h by %an: %s"]
        subprocess.run(log, cwd=home, env=env, check=True)

        lab_log = base / "jupyterlab.log"
        port = free_port()
        token = os.urandom(12).hex()
        lab = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={port}",
                f"--ServerApp.root_dir={home}",
                f"--IdentityProvider.token={token}",
                *(["--allow-root"] if os.geteuid() == 0 else []),
            ],
            env=env,
            stderr=lab_log.open("wb"),
        )
        say(f"JupyterLab is starting on {home}")
        say(f"open http://127.0.0.1:{port}/lab?token={token}")
        say("the Ilum panel is in the left sidebar; Ctrl-C stops everything")
        if lab.wait() != 0:
            say("JupyterLab stopped; the end of its log:")
            print(*lab_log.read_text(errors="replace").splitlines()[-15:], sep="\n")
            return 1
    except KeyboardInterrupt:
        say("stopping")
    finally:
        if lab is not None and lab.poll() is None:
            lab.send_signal(signal.SIGTERM)
            try:
                lab.wait(timeout=10)
            except subprocess.TimeoutExpired:
                lab.kill()
        livy.stop()
        gitea.stop()
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
