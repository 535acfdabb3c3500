"""The starter notebooks as a new user meets them: ilum-init copies them into a fresh
repository, the user opens each in JupyterLab with the kernel it names and it is saved. Nothing
may change: an autosave that rewrites the metadata would show as uncommitted changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ilum_singleuser.testing.git_http_server import GitHTTPServer

from .conftest import GIT_PASSWORD, ORG, USER, GitWorkspace, Lab, LabPage, git_env, running_lab

pytestmark = pytest.mark.ui

STARTER_NOTEBOOKS = ("IlumIntro.ipynb", "work/SparkQuickStart.ipynb")


def _write_autosave_settings(settings_dir: Path) -> None:
    """Autosave every second, so that whatever the lab would change on its own is written."""
    folder = settings_dir / "@jupyterlab" / "docmanager-extension"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plugin.jupyterlab-settings").write_text(
        json.dumps({"autosave": True, "autosaveInterval": 1})
    )


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A lab over a workspace that ilum-init has just set up from the default templates."""
    root = tmp_path_factory.mktemp("ui-starter")
    workspace = GitWorkspace(root)
    gitea = GitHTTPServer(root / "gitea", {USER: GIT_PASSWORD}).start()
    gitea.create_repo(ORG, f"jupyterhub-{USER}.git")
    ilum_env = {
        "ILUM_USER": USER,
        "ILUM_WORKSPACE": str(workspace.path),
        "ILUM_GIT_URL": gitea.url,
        "ILUM_GIT_USERNAME": USER,
        "ILUM_GIT_PASSWORD": GIT_PASSWORD,
        "ILUM_LIVY_URL": "http://127.0.0.1:9",
    }
    init = subprocess.run(
        [
            sys.executable,
            "-m",
            "ilum_singleuser.init.cli",
            "--strict",
            f"--chown={os.getuid()}:{os.getgid()}",
        ],
        env={**git_env(root), **ilum_env, "HOME": str(workspace.path)},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    _write_autosave_settings(root / "lab-user-settings")
    try:
        with running_lab(root, workspace.path, ilum_env) as running:
            running.gitea = gitea
            running.workspace = workspace
            yield running
    finally:
        gitea.stop()


def open_with_kernel_and_save(lab_page: LabPage, path: str, file: Path) -> None:
    page = lab_page.page
    panel_id = page.evaluate(
        """async (path) => {
            const app = window.jupyterapp;
            const args = {path, factory: 'Notebook'};
            const panel = await app.commands.execute('docmanager:open', args);
            await panel.context.ready;
            await panel.sessionContext.ready;
            const kernel = panel.sessionContext.session.kernel;
            await kernel.info;
            app.shell.activateById(panel.id);
            return panel.id;
        }""",
        path,
    )
    # Whatever the kernel's answer changed, an autosave would now write (interval 1 s).
    time.sleep(3)
    before = file.stat().st_mtime_ns
    page.locator(f"#{panel_id} .jp-Notebook").click()
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 30
    while file.stat().st_mtime_ns == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert file.stat().st_mtime_ns != before, f"{path} was not saved"


@pytest.mark.parametrize("path", STARTER_NOTEBOOKS)
def test_opening_a_starter_notebook_with_its_kernel_leaves_the_repository_clean(
    lab: Lab, lab_page: LabPage, path: str
) -> None:
    workspace = lab.workspace
    assert workspace is not None
    assert workspace.git("status", "--porcelain", "--untracked-files=all") == ""

    open_with_kernel_and_save(lab_page, path, workspace.path / path)

    # Only this notebook: a failure for one must not fail the other's test too.
    status = workspace.git("status", "--porcelain", "--untracked-files=all", "--", path)
    assert status == "", workspace.git("diff", "--", path)
