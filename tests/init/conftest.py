"""Fixtures for ilum-init: a workspace, a template tree, and the init run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import GIT_PASSWORD, GIT_USER, ORG, git

USER = "jane.doe-1"
REPO = f"jupyterhub-{USER}.git"
BINARY = bytes(range(256)) * 4


@dataclass
class InitSetup:
    """Everything one scenario needs: where things are and how to run the init."""

    env: dict[str, str]
    workspace: Path
    templates: Path
    bare: Path
    server_url: str

    @property
    def repo_url(self) -> str:
        return f"{self.server_url}/{ORG}/{REPO}"

    def run(self, *flags: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "ilum_singleuser.init.cli", *flags],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def state(self) -> dict:
        import json

        return json.loads((self.workspace / ".local/state/ilum/init.json").read_text())

    def snapshot(self) -> dict[str, str]:
        """Everything a second run must leave alone: refs, index tree, HEAD, remote refs."""
        return {
            "head": git(self.workspace, "rev-parse", "HEAD").strip(),
            "symbolic": git(self.workspace, "symbolic-ref", "-q", "HEAD").strip(),
            "index_tree": git(self.workspace, "write-tree").strip(),
            "refs": git(self.workspace, "for-each-ref", "--format=%(refname) %(objectname)"),
            "status": git(self.workspace, "status", "--porcelain=v2", "--branch"),
            "remote": git(self.bare, "for-each-ref", "--format=%(refname) %(objectname)"),
        }


def make_templates(root: Path) -> Path:
    (root / "work" / "deep").mkdir(parents=True)
    (root / "IlumIntro.ipynb").write_text('{"cells": [], "nbformat": 4}\n')
    (root / "work" / "deep" / "notes.md").write_text("# notes\n")
    (root / "work" / "logo.bin").write_bytes(BINARY)
    script = root / "work" / "run.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o755)
    return root


def push_commits(bare: Path, scratch: Path, files: dict[str, str], branch: str = "main") -> str:
    """Put commits on the remote the way another client would (straight into the bare repo)."""
    clone = scratch / "other-client"
    if not clone.exists():
        subprocess.run(["git", "clone", "-q", str(bare), str(clone)], check=True)
    for rel, text in files.items():
        path = clone / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(clone, "add", "-A")
    git(clone, "-c", "user.name=Other", "-c", "user.email=o@x", "commit", "-q", "-m", "remote work")
    git(clone, "push", "-q", "origin", f"HEAD:refs/heads/{branch}")
    return git(clone, "rev-parse", "HEAD").strip()


@pytest.fixture
def setup(git_server, tmp_path: Path) -> InitSetup:
    bare = git_server.create_repo(ORG, REPO)
    workspace = tmp_path / "home"
    workspace.mkdir()
    templates = make_templates(tmp_path / "templates")
    env = {
        **os.environ,
        "ILUM_USER": USER,
        "ILUM_GIT_URL": git_server.url,
        "ILUM_GIT_USERNAME": GIT_USER,
        "ILUM_GIT_PASSWORD": GIT_PASSWORD,
        "ILUM_WORKSPACE": str(workspace),
        "ILUM_TEMPLATES_DIR": str(templates),
        "ILUM_USER_FULLNAME": "Jane Doe",
        "ILUM_USER_EMAIL": "jane@example.org",
        "ILUM_INIT_TIMEOUT": "20",
        "ILUM_LIVY_URL": "http://livy.example:8998",
        "SPARKMAGIC_CONF_DIR": "",
    }
    env.pop("SPARKMAGIC_CONF_DIR")
    if os.geteuid() == 0:
        # Tests as root keep files root's unless a test asks for --chown explicitly.
        env["NB_UID"], env["NB_GID"] = "0", "0"
    return InitSetup(env, workspace, templates, bare, git_server.url)
