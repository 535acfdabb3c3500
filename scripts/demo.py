"""The local demo: Ilum's single-user pod without a cluster.

A loopback git smart-HTTP server with basic auth stands in for Gitea, a Livy REST double for
Ilum's Livy-proxy. `ilum-init` initialises a demo workspace from the default templates, then
JupyterLab starts on it with the server and lab extensions and, as in the image, sparkmagic's
PySpark and Spark kernels. SIGINT (Ctrl-C) or SIGTERM stops everything.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from ilum_singleuser.testing.git_http_server import GitHTTPServer
from ilum_singleuser.testing.livy_double import LivyDouble
from ilum_singleuser.testing.loopback import free_port

USER = "demo.user"
PASSWORD = "demo:p@ss word"  # a loopback-only demo credential, handed over in the environment
ORG = "ilum-jupyterhub"
SPARKMAGIC_KERNELS = ("pysparkkernel", "sparkkernel")  # as images/install-notebook-packages


def say(text: str) -> None:
    print(f"demo: {text}", flush=True)


class Stop(BaseException):
    """SIGINT or SIGTERM arrived: stop everything the demo started. A BaseException, like
    KeyboardInterrupt, so that no ``except Exception`` on the way swallows it."""


def _stop(signum: int, _frame: object) -> None:
    # Once stopping, a second signal must not cut the clean-up short (it is bounded anyway).
    for handled in (signal.SIGINT, signal.SIGTERM):
        signal.signal(handled, signal.SIG_IGN)
    raise Stop(signal.Signals(signum).name)


def install_sparkmagic_kernels() -> None:
    """sparkmagic's kernels into this environment's prefix, as the image installs them; never
    system-wide. Skipped when already there, so repeated demos do not rewrite them."""
    try:
        import sparkmagic
    except ImportError:
        say("sparkmagic is not installed: no PySpark kernel (make setup installs it)")
        return
    if sys.prefix == sys.base_prefix:
        say("not in a virtual environment: sparkmagic's kernels not installed (use make demo)")
        return
    source = Path(sparkmagic.__file__).parent / "kernels"
    installed = Path(sys.prefix) / "share" / "jupyter" / "kernels"
    for kernel in SPARKMAGIC_KERNELS:
        spec = (source / kernel / "kernel.json").read_bytes()
        with contextlib.suppress(OSError):
            if (installed / kernel / "kernel.json").read_bytes() == spec:
                continue
        command = ["jupyter", "kernelspec", "install", "--sys-prefix", str(source / kernel)]
        subprocess.run([sys.executable, "-m", *command], check=True, capture_output=True)
        say(f"installed sparkmagic's {kernel} into {sys.prefix}")


def main() -> int:
    # Its own handlers: started in the background by a script, a process inherits SIGINT
    # ignored, and Python then never turns it into KeyboardInterrupt.
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        with contextlib.ExitStack() as started:  # undone in reverse order, whatever happens
            base = Path(tempfile.mkdtemp(prefix="ilum-demo-"))
            started.callback(shutil.rmtree, base, ignore_errors=True)
            return run(base, started)
    except Stop as stop:
        say(f"{stop}: stopped everything and removed the demo's folder")
        return 0


def run(base: Path, started: contextlib.ExitStack) -> int:
    home = base / "home"
    home.mkdir()
    gitea = started.enter_context(GitHTTPServer(base / "gitea", {USER: PASSWORD}))
    livy = started.enter_context(LivyDouble())
    install_sparkmagic_kernels()
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
    subprocess.run(init, env=env, check=True, start_new_session=True)
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
        stdin=subprocess.DEVNULL,
        stderr=lab_log.open("wb"),
        # Its own process group: a terminal's Ctrl-C reaches the demo only, which stops
        # JupyterLab (and its kernels) before the Livy double they may still call.
        start_new_session=True,
    )
    started.callback(stop_process, lab)
    say(f"JupyterLab is starting on {home}")
    say(f"open http://127.0.0.1:{port}/lab?token={token}")
    say("the Ilum panel is in the left sidebar; pick the PySpark kernel for Spark cells")
    say("Ctrl-C stops everything")
    if lab.wait() != 0:
        say("JupyterLab stopped; the end of its log:")
        print(*lab_log.read_text(errors="replace").splitlines()[-15:], sep="\n")
        return 1
    return 0


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    sys.exit(main())
