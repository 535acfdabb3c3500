"""A user's pod for the autosave tests: a workspace that ``ilum-init`` cloned from the Gitea
stand-in over HTTP, and the checks that the user's repository was left alone."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from ilum_singleuser.core.settings import Config, load_config
from ilum_singleuser.testing.git_http_server import GitHTTPServer
from tests.conftest import GIT_PASSWORD, GIT_USER, ORG, git

USER = "jane"
REPO = f"jupyterhub-{USER}.git"
AUTOSAVE_REF = "refs/heads/ilum-autosave/main"


@dataclass
class Pod:
    workspace: Path
    bare: Path
    server: GitHTTPServer
    env: dict[str, str]  # the ILUM_* settings, as Kubernetes would set them

    def init(self, **env: str) -> subprocess.CompletedProcess[str]:
        """Run ``ilum-init`` as the init container would."""
        return subprocess.run(
            [sys.executable, "-m", "ilum_singleuser.init.cli", "--strict"],
            env={**os.environ, **self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def config(self, **overrides: object) -> Config:
        return load_config(overrides, environ=self.env)

    def remote(self, *args: str) -> str:
        return git(self.bare, *args)

    def remote_ref(self, ref: str = AUTOSAVE_REF) -> str | None:
        out = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", ref],
            cwd=self.bare,
            capture_output=True,
            text=True,
            check=False,
        )
        return out.stdout.strip() or None

    def remote_files(self, ref: str = AUTOSAVE_REF) -> set[str]:
        return set(self.remote("ls-tree", "-r", "--name-only", "-z", ref).split("\0")) - {""}

    def remote_file(self, path: str, ref: str = AUTOSAVE_REF) -> str:
        return self.remote("show", f"{ref}:{path}")

    def remote_objects(self) -> bytes:
        """Every object the remote holds, uncompressed, one after the other."""
        return subprocess.run(
            ["git", "cat-file", "--batch-all-objects", "--batch"],
            cwd=self.bare,
            capture_output=True,
            check=True,
        ).stdout

    def write(self, rel: str, text: str | bytes) -> Path:
        path = self.workspace / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        return path

    def git(self, *args: str) -> str:
        return git(self.workspace, *args)

    def user_repository(self) -> dict[str, object]:
        """Everything of the user's that a snapshot must leave exactly as it was."""
        git_dir = self.workspace / ".git"
        ours = self.workspace / ".local" / "state" / "ilum"  # where the autosave keeps its state
        worktree = {}
        for path in sorted(self.workspace.rglob("*")):
            if git_dir in path.parents or ours in path.parents or not path.is_file():
                continue
            worktree[str(path.relative_to(self.workspace))] = hashlib.sha1(
                path.read_bytes()
            ).hexdigest()
        return {
            "index": self.git("ls-files", "-s", "--debug"),
            "index_bytes": hashlib.sha1((git_dir / "index").read_bytes()).hexdigest(),
            "head": (git_dir / "HEAD").read_text(),
            "branches": self.git("for-each-ref", "--format=%(refname) %(objectname)", "refs/heads"),
            "stash": self.git("stash", "list"),
            "worktree": worktree,
        }


def make_pod(server: GitHTTPServer, root: Path) -> Pod:
    """A fresh user repository on the Gitea stand-in and the settings of a pod for it."""
    bare = server.create_repo(ORG, REPO)
    workspace = root / "home"
    workspace.mkdir()
    templates = root / "templates"
    templates.mkdir()
    (templates / "IlumIntro.ipynb").write_text('{"cells": [], "nbformat": 4}\n')
    (templates / "work").mkdir()
    (templates / "work" / "notes.md").write_text("# notes\n")
    env = {
        "ILUM_USER": USER,
        "ILUM_GIT_URL": server.url,
        "ILUM_GIT_USERNAME": GIT_USER,
        "ILUM_GIT_PASSWORD": GIT_PASSWORD,
        "ILUM_WORKSPACE": str(workspace),
        "ILUM_TEMPLATES_DIR": str(templates),
        "ILUM_USER_FULLNAME": "Jane Doe",
        "ILUM_USER_EMAIL": "jane@example.org",
        "ILUM_INIT_TIMEOUT": "20",
        "ILUM_LIVY_URL": "http://127.0.0.1:9",
        "NB_UID": str(os.getuid()),
        "NB_GID": str(os.getgid()),
    }
    return Pod(workspace, bare, server, env)


class JupyterServer:
    """A real ``jupyter server`` process with the extension, stopped the way Kubernetes does."""

    def __init__(self, root: Path, env: dict[str, str], settings: dict[str, object]) -> None:
        import json
        import secrets
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.token = secrets.token_hex(16)
        config_dir = root / "jupyter-config"
        config_dir.mkdir()
        config = {
            "ServerApp": {
                "jpserver_extensions": {"ilum_singleuser": True},
                "root_dir": env["ILUM_WORKSPACE"],
            },
            "IlumExtension": settings,
        }
        (config_dir / "jupyter_server_config.json").write_text(json.dumps(config))
        self.log_path = root / "jupyter.log"
        self._log = self.log_path.open("w")
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
                "--allow-root",
            ],
            env={
                **os.environ,
                **env,
                "JUPYTER_CONFIG_DIR": str(config_dir),
                "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
                "JUPYTER_DATA_DIR": str(root / "data"),
            },
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def get(self, path: str) -> dict[str, object]:
        import json
        import urllib.request

        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/{path}",
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def wait_until(self, predicate, timeout: float = 60) -> dict[str, object]:
        """Poll ``GET ilum/api/autosave`` until ``predicate(answer)``."""
        import time

        deadline = time.monotonic() + timeout
        answer: dict[str, object] = {}
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("jupyter server exited:\n" + self.log_path.read_text()[-3000:])
            try:
                answer = self.get("ilum/api/autosave")
                if predicate(answer):
                    return answer
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"last answer {answer}\n" + self.log_path.read_text()[-3000:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def initialised_pod(
    git_server: GitHTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Pod:
    """A pod whose ilum-init ran, with the credentials the server's git helper reads set in this
    process's environment (as the pod's environment has them)."""
    pod = make_pod(git_server, tmp_path)
    result = pod.init()
    assert result.returncode == 0, result.stderr
    monkeypatch.setenv("ILUM_GIT_USERNAME", GIT_USER)
    monkeypatch.setenv("ILUM_GIT_PASSWORD", GIT_PASSWORD)
    return pod
