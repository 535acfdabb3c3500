"""The lab extension in a real JupyterLab and a real Chromium: panel, Launcher card, status bar."""

from __future__ import annotations

import re

import pytest

from .conftest import ARTIFACTS, INIT_FAILURE, USER, XSS_NAME, Lab, LabPage

pytestmark = pytest.mark.ui

PANEL = "#ilum-singleuser-panel"
PANEL_TAB = '.jp-SideBar [data-id="ilum-singleuser-panel"]'


def collapse_left_area(lab_page: LabPage) -> None:
    page = lab_page.page
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    page.wait_for_selector(PANEL, state="hidden")


def open_panel(lab_page: LabPage) -> None:
    page = lab_page.page
    if not page.locator(PANEL).is_visible():
        page.locator(PANEL_TAB).click()
    page.wait_for_selector(f'{PANEL} [data-ilum="branch"]', state="visible")


def session_item(lab_page: LabPage, session_id: int):
    return lab_page.page.locator(f'{PANEL} li[data-session-id="{session_id}"]')


def test_launcher_card_opens_the_panel(lab: Lab, lab_page: LabPage) -> None:
    # Given a Launcher and a closed panel
    page = lab_page.page
    collapse_left_area(lab_page)
    page.evaluate("async () => { await window.jupyterapp.commands.execute('launcher:create'); }")
    card = page.locator(".jp-LauncherCard", has_text="Ilum").first

    # When the card is clicked
    card.click()

    # Then the panel is open and shows the repository
    page.wait_for_selector(PANEL, state="visible")
    page.wait_for_selector(f'{PANEL} [data-ilum="branch"]', state="visible")


def test_branch_and_counts_match_the_repository(lab: Lab, lab_page: LabPage) -> None:
    # Given the workspace as git sees it
    expected = lab.workspace.counts()
    assert expected == {
        "modified": 1,
        "staged": 1,
        "untracked": 3,
        "conflicted": 0,
        "ahead": 2,
        "behind": 0,
    }
    branch = lab.workspace.git("branch", "--show-current").strip()
    last_summary = lab.workspace.git("log", "-1", "--format=%s").strip()

    # When the panel is open
    open_panel(lab_page)
    panel = lab_page.page.locator(PANEL)

    # Then it shows the same branch, counts and last commit, and warns about unpushed work
    assert panel.locator('[data-ilum="branch"]').inner_text() == branch
    for key, value in expected.items():
        assert panel.locator(f'[data-ilum="count-{key}"]').inner_text() == str(value), key
    assert panel.locator('[data-ilum="commit-summary"]').inner_text() == last_summary
    warning = panel.locator('[data-ilum="repo-warning"]').inner_text()
    assert "5 changes not committed" in warning
    assert "2 commits not pushed" in warning
    assert "Only pushed work is backed up on Gitea." in warning


def test_sessions_show_with_their_state_and_others_only_when_asked(
    lab: Lab, lab_page: LabPage
) -> None:
    # Given two sessions of the user and one of another user in the Livy-proxy
    open_panel(lab_page)
    page = lab_page.page
    etl = session_item(lab_page, lab.session_ids["etl"])
    busy = session_item(lab_page, lab.session_ids["xss"])
    other = session_item(lab_page, lab.session_ids["other"])

    # Then the user's sessions show with state badge, kind and links
    etl.wait_for(state="visible")
    assert etl.locator('[data-ilum="session-name"]').inner_text() == "etl-notebook"
    badge = etl.locator('[data-ilum="session-state"]')
    assert badge.inner_text() == "idle"
    assert "jp-IlumBadge-idle" in (badge.get_attribute("class") or "")
    assert etl.locator('[data-ilum="session-details"]').inner_text().startswith("PySpark")
    app_id = lab.livy.sessions[lab.session_ids["etl"]]["appId"]
    spark_ui = etl.get_by_role("link", name="Spark UI")
    assert spark_ui.get_attribute("href") == f"{lab.livy.url}/ui/spark/{app_id}"
    assert spark_ui.get_attribute("rel") == "noopener noreferrer"
    driver_log = etl.get_by_role("link", name="Driver log")
    assert driver_log.get_attribute("href") == f"{lab.livy.url}/ui/driver-log/{app_id}"
    busy_badge = busy.locator('[data-ilum="session-state"]')
    assert busy_badge.inner_text() == "busy"
    assert "jp-IlumBadge-busy" in (busy_badge.get_attribute("class") or "")

    # And the other user's session is hidden until asked for
    assert other.count() == 0
    page.locator(f'{PANEL} [data-ilum="show-others"]').check()
    other.wait_for(state="visible")
    assert "by bob" in other.locator('[data-ilum="session-details"]').inner_text()
    assert other.get_by_role("button", name=re.compile("End session")).count() == 0


def test_ending_a_session_asks_first_then_the_session_is_gone(lab: Lab, lab_page: LabPage) -> None:
    # Given a session of the user shown in the panel
    session_id = lab.livy.add_session(owner=USER, proxy_user=USER, state="idle", name="to-end")
    open_panel(lab_page)
    page = lab_page.page
    item = session_item(lab_page, session_id)
    item.wait_for(state="visible")
    end_button = page.get_by_role("button", name="End session to-end")

    # When "End session" is pressed
    end_button.click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(state="visible")

    # Then the dialog names the session, Cancel has the focus, and the button does not yet
    # say "Ending…"
    assert "to-end" in dialog.inner_text()
    page.wait_for_function(
        "() => document.activeElement?.closest('.jp-Dialog')"
        " && document.activeElement.innerText.trim() === 'Cancel'"
    )
    assert end_button.inner_text() == "End session"

    # When ending is cancelled (Enter presses the focused Cancel)
    page.keyboard.press("Enter")
    dialog.wait_for(state="detached")

    # Then nothing was asked of Livy and the session stays
    assert lab.livy.count("DELETE") == 0
    assert item.is_visible()

    # When ending is confirmed
    end_button.click()
    dialog.wait_for(state="visible")
    dialog.locator("button.jp-mod-accept").click()

    # Then the toast names the session, Livy was asked once and the session is gone
    page.locator(".jp-toast-message", has_text="to-end ended").wait_for(state="visible")
    item.wait_for(state="detached")
    assert lab.livy.count("DELETE", f"/sessions/{session_id}") == 1
    assert session_id not in lab.livy.sessions
    assert session_item(lab_page, lab.session_ids["etl"]).is_visible()


def test_status_bar_summarises_and_opens_the_panel(lab: Lab, lab_page: LabPage) -> None:
    # Given one busy and one idle session of the user and the workspace's known state
    page = lab_page.page
    item = page.locator('[data-ilum="status-bar"]')
    expected = "Spark: 1 busy, 1 idle · Git: 5 uncommitted, 2 unpushed"

    # Then the status bar says so in one line
    page.wait_for_function(
        "text => document.querySelector('[data-ilum=\"status-bar\"]')?.innerText.trim() === text",
        arg=expected,
    )

    # And clicking it opens the panel
    collapse_left_area(lab_page)
    item.click()
    page.wait_for_selector(PANEL, state="visible")


def test_failed_init_shows_what_failed_and_what_to_do(lab: Lab, lab_page: LabPage) -> None:
    # Given a state file of a failed ilum-init run
    open_panel(lab_page)
    notice = lab_page.page.locator(f'{PANEL} [data-ilum="init-notice"]')

    # Then the panel names the failure and the remedy
    notice.wait_for(state="visible")
    assert notice.locator('[data-ilum="init-message"]').inner_text() == INIT_FAILURE["message"]
    assert notice.locator('[data-ilum="init-hint"]').inner_text() == INIT_FAILURE["hint"]
    # and tells the administrator's part apart from the user's
    admin = notice.locator('[data-ilum="init-admin-hint"]')
    assert admin.inner_text() == INIT_FAILURE["admin_hint"]
    assert "For your administrator:" in notice.inner_text()
    assert INIT_FAILURE["code"] in notice.inner_text()


def test_session_name_with_markup_is_shown_as_text(lab: Lab, lab_page: LabPage) -> None:
    # Given a session whose name is an HTML injection attempt
    open_panel(lab_page)
    page = lab_page.page
    item = session_item(lab_page, lab.session_ids["xss"])
    item.wait_for(state="visible")

    # Then the name is shown literally, no element was made of it and no script ran
    assert item.locator('[data-ilum="session-name"]').inner_text() == XSS_NAME
    assert page.locator(f"{PANEL} img").count() == 0
    # The commit message with markup is text too.
    assert "<b>sales</b>" in page.locator(f'{PANEL} [data-ilum="commit-summary"]').inner_text()

    # And so is it in the confirmation dialog of "End session"
    page.get_by_role("button", name=f"End session {XSS_NAME}").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(state="visible")
    assert XSS_NAME in dialog.inner_text()
    assert dialog.locator("img").count() == 0
    dialog.get_by_role("button", name="Cancel").click()
    dialog.wait_for(state="detached")
    page.wait_for_timeout(500)
    assert lab_page.dialogs == []
    assert lab.livy.count("DELETE", f"/sessions/{lab.session_ids['xss']}") == 0


def test_fetch_runs_from_the_keyboard(lab: Lab, lab_page: LabPage) -> None:
    # Given the panel with its labelled Fetch button and the repository on the Gitea double
    open_panel(lab_page)
    page = lab_page.page
    fetch = page.get_by_role("button", name="Fetch from Gitea")
    assert lab.gitea is not None
    before = len(lab.gitea.requests)

    # When it is focused and Enter is pressed
    fetch.focus()
    page.keyboard.press("Enter")

    # Then git fetched over HTTP as the user, and the panel says when
    page.wait_for_selector(f"{PANEL} >> text=Last fetched just now")
    fetched = [r for r in lab.gitea.requests[before:] if "upload-pack" in r[1]]
    assert fetched
    assert all(user == USER and status == 200 for _, _, user, status in fetched)
    assert lab.api("repo")["last_fetch"] is not None

    # When Fetch is pressed again at once
    fetch.click()

    # Then the rate limit is no failure: no dialog, but Fetch waits with a countdown
    wait_selector = f'{PANEL} button[aria-label^="Fetch from Gitea: possible again in"]'
    waiting = page.locator(wait_selector)
    waiting.wait_for(state="visible")
    assert waiting.is_disabled()
    first = int(re.search(r"\((\d+) s\)", waiting.inner_text()).group(1))
    page.wait_for_function(
        "([selector, first]) => {"
        " const m = document.querySelector(selector)?.innerText.match(/\\((\\d+) s\\)/);"
        " return m && Number(m[1]) < first; }",
        arg=[wait_selector, first],
    )
    assert page.locator(".jp-Dialog").count() == 0

    # And once the wait is over, Fetch is back
    page.get_by_role("button", name="Fetch from Gitea", exact=True).wait_for(timeout=20_000)


def test_open_in_gitea_opens_the_repository_page(lab: Lab, lab_page: LabPage) -> None:
    # Given the panel of a workspace cloned from Gitea (whose double serves git, not web pages)
    open_panel(lab_page)
    page = lab_page.page
    assert lab.repo_web_url is not None
    page.context.route(
        lab.repo_web_url,
        lambda route: route.fulfill(status=200, content_type="text/html", body="<p>repo</p>"),
    )

    # When "Open in Gitea" is pressed
    with page.context.expect_page() as opened:
        page.get_by_role("button", name="Open in Gitea").click()

    # Then the repository's web page opens in a new tab, without credentials in its URL
    assert opened.value.url.rstrip("/") == lab.repo_web_url
    opened.value.close()


def test_screenshots_in_light_and_dark_theme(lab: Lab, lab_page: LabPage) -> None:
    # Given the open panel with every section filled in
    ARTIFACTS.mkdir(exist_ok=True)
    open_panel(lab_page)
    page = lab_page.page
    panel = page.locator(PANEL)
    page.locator(f'{PANEL} [data-ilum="init-notice"]').wait_for(state="visible")

    # When shot in the light theme, then in the dark one
    page.wait_for_selector('body[data-jp-theme-light="true"]', state="attached")
    panel.screenshot(path=str(ARTIFACTS / "ilum-panel-light.png"))
    page.screenshot(path=str(ARTIFACTS / "ilum-lab-light.png"))
    page.evaluate(
        "async () => { await window.jupyterapp.commands.execute('apputils:change-theme',"
        " {theme: 'JupyterLab Dark'}); }"
    )
    page.wait_for_selector('body[data-jp-theme-light="false"]', state="attached")
    page.wait_for_timeout(500)
    panel.screenshot(path=str(ARTIFACTS / "ilum-panel-dark.png"))
    page.screenshot(path=str(ARTIFACTS / "ilum-lab-dark.png"))

    # Then both exist, and the panel follows the theme's colours
    background = panel.evaluate("node => getComputedStyle(node).backgroundColor")
    assert background != "rgb(255, 255, 255)"
    page.evaluate(
        "async () => { await window.jupyterapp.commands.execute('apputils:change-theme',"
        " {theme: 'JupyterLab Light'}); }"
    )
    page.wait_for_selector('body[data-jp-theme-light="true"]', state="attached")
    assert (ARTIFACTS / "ilum-panel-light.png").stat().st_size > 0
    assert (ARTIFACTS / "ilum-panel-dark.png").stat().st_size > 0


def test_git_panel_button_opens_jupyterlab_git(lab: Lab, lab_page: LabPage) -> None:
    # Given jupyterlab-git in this lab and the open panel
    open_panel(lab_page)
    page = lab_page.page

    # When the Git panel button is pressed
    page.get_by_role("button", name="Open the Git panel").click()

    # Then jupyterlab-git's panel is the one shown in the sidebar
    page.wait_for_selector("#jp-git-sessions", state="visible")
    page.wait_for_selector(PANEL, state="hidden")
