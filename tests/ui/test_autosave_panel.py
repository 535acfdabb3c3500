"""The panel's autosave part in a real JupyterLab: the restore notice once, "Autosave now",
and the repository warning saying whether the unsaved work is autosaved."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator

import pytest

from ilum_singleuser.core.settings import load_config
from ilum_singleuser.server.autosave import AutosaveService
from ilum_singleuser.testing.git_http_server import GitHTTPServer
from tests.autosave_support import AUTOSAVE_REF, Pod, make_pod
from tests.conftest import GIT_PASSWORD, GIT_USER

from .conftest import Lab, LabPage, running_lab

pytestmark = pytest.mark.ui

PANEL = "#ilum-singleuser-panel"
AUTOSAVE = f'{PANEL} [data-ilum="autosave"]'


def snapshot_then_lose_the_volume(pod: Pod) -> None:
    """Three files of unsaved work autosaved, the volume lost, ilum-init run on a new one."""
    pod.write("IlumIntro.ipynb", '{"cells": ["edited"]}\n')
    pod.write("draft.md", "draft\n")
    pod.write("analysis/new.py", "print(1)\n")
    saved = dict(os.environ)
    os.environ.update(ILUM_GIT_USERNAME=GIT_USER, ILUM_GIT_PASSWORD=GIT_PASSWORD)
    try:
        state = asyncio.run(AutosaveService(load_config(environ=pod.env)).snapshot())
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert state["error"] is None
    shutil.rmtree(pod.workspace)
    pod.workspace.mkdir()
    result = pod.init()
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("ui-autosave")
    with GitHTTPServer(root / "gitea", {GIT_USER: GIT_PASSWORD}) as gitea:
        pod = make_pod(gitea, root)
        assert pod.init().returncode == 0
        snapshot_then_lose_the_volume(pod)
        with running_lab(root, pod.workspace, {**pod.env, "ILUM_AUTOSAVE_INTERVAL": "3600"}) as lab:
            lab.pod = pod  # type: ignore[attr-defined]
            lab.gitea = gitea  # type: ignore[attr-defined]
            yield lab


def open_panel(lab_page: LabPage) -> None:
    # The lab may still be restoring its layout (which can collapse the sidebar): open the
    # panel until its autosave part is on screen.
    lab_page.page.wait_for_function(
        """(selector) => {
            const app = window.jupyterapp;
            const section = document.querySelector(selector);
            if (section && section.getBoundingClientRect().height > 0) {
                return true;
            }
            if (app?.commands.hasCommand('ilum:open-panel')) {
                void app.commands.execute('ilum:open-panel');
            }
            return false;
        }""",
        arg=AUTOSAVE,
        polling=500,
    )


def test_the_restore_is_announced_once(lab: Lab, lab_page: LabPage) -> None:
    # Given a workspace that ilum-init restored from an autosave
    open_panel(lab_page)
    page = lab_page.page

    # Then the panel says what came back, and from when
    notice = page.locator(f'{PANEL} [data-ilum="autosave-restored"]')
    notice.wait_for(state="visible")
    assert "Restored 3 files from the autosave of" in notice.inner_text()

    # When the page is loaded again, the notice is not shown a second time
    page.reload()
    open_panel(lab_page)
    page.wait_for_selector(f'{AUTOSAVE} [data-ilum="autosave-last"]', state="attached")
    assert page.locator(f'{PANEL} [data-ilum="autosave-restored"]').count() == 0


def test_autosave_now_saves_and_the_warning_says_so(lab: Lab, lab_page: LabPage) -> None:
    pod: Pod = lab.pod  # type: ignore[attr-defined]
    open_panel(lab_page)
    page = lab_page.page
    # Given new unsaved work
    pod.write("notes/later.md", "written in the lab\n")

    # When "Autosave now" is pressed
    page.get_by_role("button", name="Autosave now").click()

    # Then the panel says when and what was saved, and the warning that it is autosaved
    last = page.locator(f'{AUTOSAVE} [data-ilum="autosave-last"]')
    page.wait_for_function("el => el.innerText.includes('4 files')", arg=last.element_handle())
    assert last.inner_text().startswith("Last autosave")
    assert "ilum-autosave/main" in last.inner_text()
    note = page.locator(f'{PANEL} [data-ilum="repo-warning-autosave"]')
    note.wait_for(state="visible")
    assert "It is autosaved to Gitea" in note.inner_text()
    assert pod.remote_file("notes/later.md", AUTOSAVE_REF) == "written in the lab\n"


def test_a_failed_autosave_counts_down_to_its_next_try(lab: Lab, lab_page: LabPage) -> None:
    pod: Pod = lab.pod  # type: ignore[attr-defined]
    gitea: GitHTTPServer = lab.gitea  # type: ignore[attr-defined]
    open_panel(lab_page)
    page = lab_page.page
    # Given new work and a Gitea that no longer takes the pod's password
    pod.write("notes/refused.md", "not accepted\n")
    gitea.accounts.add_user(GIT_USER, "rotated-elsewhere")
    try:
        # When an autosave fails
        page.get_by_role("button", name="Autosave now").click()
        error = page.locator(f'{AUTOSAVE} [data-ilum="autosave-error"]')
        error.wait_for(state="visible")
        page.wait_for_function(
            "el => el.innerText.includes('next try in')", arg=error.element_handle()
        )
        first = error.inner_text()

        # Then its next try counts down while the page stays open, with no new poll needed
        page.wait_for_function(
            "([el, first]) => el.innerText !== first && el.innerText.includes('next try in')",
            arg=[error.element_handle(), first],
            timeout=5000,
        )
    finally:
        gitea.accounts.add_user(GIT_USER, GIT_PASSWORD)
