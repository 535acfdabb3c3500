"""The panel when there is nothing to show: no repository, no Spark sessions, no Livy-proxy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ilum_singleuser.testing.livy_double import LivyDouble

from .conftest import USER, Lab, LabPage, running_lab

pytestmark = pytest.mark.ui

PANEL = "#ilum-singleuser-panel"
STATUS_BAR = '[data-ilum="status-bar"]'


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A lab over an empty folder, no init state, a Livy-proxy without sessions, and without
    jupyterlab-git (an optional dependency of the panel)."""
    root = tmp_path_factory.mktemp("ui-empty")
    workspace = root / "workspace"
    workspace.mkdir()
    livy = LivyDouble().start()
    ilum_env = {
        "ILUM_USER": USER,
        "ILUM_WORKSPACE": str(workspace),
        "ILUM_LIVY_URL": livy.url,
        "ILUM_STATE_DIR": str(root / "state"),
    }
    try:
        with running_lab(
            root, workspace, ilum_env, disabled_extensions=("@jupyterlab/git",)
        ) as running:
            running.livy = livy
            yield running
    finally:
        livy.stop()


def open_panel(lab_page: LabPage) -> None:
    page = lab_page.page
    page.evaluate("async () => { await window.jupyterapp.commands.execute('ilum:open-panel'); }")
    page.wait_for_selector(f'{PANEL} [data-ilum="repo"]', state="visible")


def wait_for_status_bar(lab_page: LabPage, text: str) -> None:
    lab_page.page.wait_for_function(
        "([selector, text]) => document.querySelector(selector)?.innerText.trim() === text",
        arg=[STATUS_BAR, text],
    )


def test_spark_says_when_there_are_no_sessions_then_when_livy_is_unreachable(
    lab: Lab, lab_page: LabPage
) -> None:
    # Given a Livy-proxy without sessions
    open_panel(lab_page)
    page = lab_page.page

    # Then the panel says so plainly
    empty = page.locator(f'{PANEL} [data-ilum="spark-empty"]')
    empty.wait_for(state="visible")
    assert "No Spark sessions" in empty.inner_text()
    wait_for_status_bar(lab_page, "Spark: no sessions · Git: no repository")

    # When the Livy-proxy goes away
    assert lab.livy is not None
    lab.livy.stop()

    # Then the panel names it and the error the server got, and the status bar follows
    unreachable = page.locator(f'{PANEL} [data-ilum="spark-problem"]')
    unreachable.wait_for(state="visible", timeout=45_000)
    error = lab.api("spark/sessions")["error"]
    assert error
    assert unreachable.inner_text() == (f"The Livy-proxy at {lab.livy.url} is unreachable: {error}")
    wait_for_status_bar(lab_page, "Spark: unreachable · Git: no repository")


def test_missing_repository_is_named_and_a_clean_init_shows_no_notice(
    lab: Lab, lab_page: LabPage
) -> None:
    # Given an empty workspace and no recorded init run
    open_panel(lab_page)
    page = lab_page.page

    # Then the repository section says there is none, without a fetch button or a warning
    missing = page.locator(f'{PANEL} [data-ilum="repo-problem"]')
    missing.wait_for(state="visible")
    assert "There is no git repository in" in missing.inner_text()
    assert page.get_by_role("button", name="Fetch from Gitea").count() == 0
    assert page.locator(f'{PANEL} [data-ilum="repo-warning"]').count() == 0

    # And there is no init notice
    assert page.locator(f'{PANEL} [data-ilum="init-notice"]').count() == 0


def test_without_jupyterlab_git_a_save_still_refreshes_the_panel(
    lab: Lab, lab_page: LabPage
) -> None:
    # Given the open panel in a lab without jupyterlab-git
    open_panel(lab_page)
    page = lab_page.page
    assert not page.evaluate("() => window.jupyterapp.hasPlugin('@jupyterlab/git:plugin')")

    # When a file is saved through JupyterLab
    with page.expect_request(lambda request: "ilum/api/status?fresh=1" in request.url):
        page.evaluate(
            "() => window.jupyterapp.serviceManager.contents.save('notes.md',"
            " {type: 'file', format: 'text', content: 'x'})"
        )

    # Then the panel asked for a fresh status, and logged no error (the lab_page fixture checks)
