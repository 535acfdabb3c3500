"""jupyterlab-git, the Git panel users commit and push with, over its own REST API in a real
Jupyter server, on a workspace ilum-init set up: the push uses ilum-init's credential helper
(no credentials in the request) and the password shows up nowhere."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from traitlets.config import Config

from tests.conftest import GIT_PASSWORD, GIT_USER, ORG, git

REPO = f"jupyterhub-{GIT_USER}.git"


@pytest.fixture
def jp_root_dir(workspace: Path) -> Path:
    """The server serves the user's home, which is the workspace."""
    return workspace


@pytest.fixture
def jp_server_config(ilum_settings: dict[str, object]) -> Config:
    return Config(
        {
            "ServerApp": {
                "jpserver_extensions": {
                    "ilum_singleuser": True,
                    "jupyterlab_git": True,
                    "jupyter_server_terminals": False,
                },
                "allow_unauthenticated_access": False,
            },
            "IlumExtension": ilum_settings,
        }
    )


@pytest.fixture
def initialised(git_server, jp_root_dir: Path, tmp_path: Path, monkeypatch) -> Path:
    """ilum-init has run on the workspace; the server has the pod's credential variables."""
    bare = git_server.create_repo(ORG, REPO)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "README.md").write_text("# Notebooks\n")
    pod_env = {
        "ILUM_USER": GIT_USER,
        "ILUM_GIT_URL": git_server.url,
        "ILUM_GIT_USERNAME": GIT_USER,
        "ILUM_GIT_PASSWORD": GIT_PASSWORD,
    }
    init = subprocess.run(
        [sys.executable, "-m", "ilum_singleuser.init.cli", "--strict", "--chown", "0:0"],
        env={
            **os.environ,
            **pod_env,
            "ILUM_WORKSPACE": str(jp_root_dir),
            "ILUM_TEMPLATES_DIR": str(templates),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    for key, value in pod_env.items():
        monkeypatch.setenv(key, value)
    # git, as the Git panel runs it, need not find this package on PATH (a user's conda env).
    monkeypatch.setenv("PATH", "/usr/local/bin:/usr/bin:/bin")
    return bare


async def test_commit_and_push_through_jupyterlab_git_use_the_init_credentials(
    initialised: Path, jp_fetch, jp_root_dir: Path, caplog
):
    caplog.set_level(logging.DEBUG)
    (jp_root_dir / "analysis.py").write_text("print('sales')\n")
    answers = []

    async def call(endpoint: str, body: dict) -> dict:
        response = await jp_fetch(
            "git", endpoint, method="POST", body=json.dumps(body), raise_error=False
        )
        answers.append(response.body.decode())
        assert response.code == 200, response.body
        return json.loads(response.body)

    await call("add", {"add_all": False, "filename": "analysis.py"})
    await call("commit", {"commit_msg": "Add the sales analysis", "amend": False})
    pushed = await call("push", {})

    assert pushed["code"] == 0
    head = git(jp_root_dir, "rev-parse", "HEAD").strip()
    assert git(initialised, "rev-parse", "main").strip() == head
    assert git(initialised, "log", "-1", "--format=%s", "main").strip() == "Add the sales analysis"
    secret = GIT_PASSWORD.encode()
    for path in jp_root_dir.rglob("*"):
        if path.is_file():
            assert secret not in path.read_bytes(), path
    assert "git/push" in caplog.text  # the server log was captured, the push in it
    assert GIT_PASSWORD not in caplog.text
    for answer in answers:
        assert GIT_PASSWORD not in answer
