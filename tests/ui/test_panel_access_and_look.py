"""Everyone can use the panel, and it looks like Ilum: axe-core and WCAG AA contrast in the light
and dark themes, names that say which session, the keyboard, the Ilum name and icon, the session
kinds as people say them. The last test changes the workspace (diverged, a conflict, then a
damaged index) for the screenshots and checks each state with axe-core, so it stays last here."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .conftest import ARTIFACTS, ORG, USER, Lab, LabPage

pytestmark = pytest.mark.ui

PANEL = "#ilum-singleuser-panel"
PANEL_TAB = '.jp-SideBar [data-id="ilum-singleuser-panel"]'
AXE = Path(__file__).resolve().parents[2] / "labextension" / "node_modules" / "axe-core"
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}
AA_NORMAL_TEXT = 4.5
SEVERE = ("serious", "critical")

# The colour a text gets over the backgrounds it is painted on (ancestors blended, bottom up),
# and the WCAG contrast ratio between the two.
CONTRAST_JS = """
element => {
  const parse = text => {
    const parts = text.match(/rgba?\\(([^)]+)\\)/)[1].split(/[ ,/]+/).filter(Boolean);
    const [r, g, b, a] = parts.map(Number);
    return [r, g, b, Number.isNaN(a) || a === undefined ? 1 : a];
  };
  const over = (top, bottom) =>
    [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const layers = [];
  for (let node = element; node; node = node.parentElement) {
    const background = parse(getComputedStyle(node).backgroundColor);
    if (background[3] > 0) {
      layers.push(background);
      if (background[3] === 1) {
        break;
      }
    }
  }
  let background = [255, 255, 255, 1];
  for (const layer of layers.reverse()) {
    background = over(layer, background);
  }
  const style = getComputedStyle(element);
  const foreground = over(parse(style.color), background);
  const luminance = colour => {
    const [r, g, b] = colour.slice(0, 3).map(value => {
      const v = value / 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [light, dark] = [luminance(foreground), luminance(background)].sort((x, y) => y - x);
  return { ratio: (light + 0.05) / (dark + 0.05), fontSize: style.fontSize };
}
"""

# What the keyboard user hears for the focused element.
FOCUSED_NAME_JS = """
() => {
  const element = document.activeElement;
  if (!element) {
    return null;
  }
  const label = element.labels && element.labels.length ? element.labels[0].textContent : null;
  return {
    inPanel: !!element.closest('#ilum-singleuser-panel'),
    name: (element.getAttribute('aria-label') || label || element.textContent || '').trim(),
    id: element.id
  };
}
"""


def session_item(lab_page: LabPage, session_id: int):
    return lab_page.page.locator(f'{PANEL} li[data-session-id="{session_id}"]')


def open_panel_with_everything_shown(lab: Lab, lab_page: LabPage) -> None:
    """The open panel with the user's sessions, the other user's, the dirty repository and the
    failed init notice all rendered."""
    page = lab_page.page
    if not page.locator(PANEL).is_visible():
        page.locator(PANEL_TAB).click()
    page.locator(f'{PANEL} [data-ilum="init-notice"]').wait_for(state="visible")
    page.locator(f'{PANEL} [data-ilum="repo-warning"]').wait_for(state="visible")
    session_item(lab_page, lab.session_ids["etl"]).wait_for(state="visible")
    page.locator(f'{PANEL} [data-ilum="show-others"]').check()
    session_item(lab_page, lab.session_ids["other"]).wait_for(state="visible")


def set_theme(lab_page: LabPage, theme: str) -> None:
    page = lab_page.page
    page.evaluate(
        "async theme => { await window.jupyterapp.commands.execute('apputils:change-theme',"
        " {theme}); }",
        THEMES[theme],
    )
    light = "true" if theme == "light" else "false"
    page.wait_for_selector(f'body[data-jp-theme-light="{light}"]', state="attached")
    # JupyterLab covers the page with its splash screen while it swaps themes.
    page.wait_for_selector("#jupyterlab-splash", state="detached")
    # The theme's variables apply once its stylesheet is in: wait for the panel to repaint.
    background = "rgb(255, 255, 255)" if theme == "light" else "rgb(33, 33, 33)"
    page.wait_for_function(
        "([selector, colour]) =>"
        " getComputedStyle(document.querySelector(selector)).backgroundColor === colour",
        arg=[PANEL, background],
    )


@contextmanager
def theme(lab_page: LabPage, name: str) -> Iterator[None]:
    """The theme is a user setting, saved for the whole module: put Light back afterwards."""
    set_theme(lab_page, name)
    try:
        yield
    finally:
        if name != "light":
            set_theme(lab_page, "light")


def run_axe(lab_page: LabPage) -> dict:
    page = lab_page.page
    # JupyterLab's <body> is 0 px high with overflow hidden (its shell is positioned against the
    # viewport), so axe would take every static element in the panel for clipped and skip the
    # colour-contrast rule on it. A body as high as the viewport changes nothing on screen.
    page.add_style_tag(content="body { height: 100vh; }")
    page.add_script_tag(path=str(AXE / "axe.min.js"))
    return page.evaluate(
        """async selector => {
          const result = await axe.run(document.querySelector(selector));
          return {
            version: axe.version,
            passes: result.passes.map(rule => rule.id),
            inapplicable: result.inapplicable.map(rule => rule.id),
            incomplete: result.incomplete.map(rule => ({
              id: rule.id,
              nodes: rule.nodes.map(node => [
                node.target.join(' '),
                node.any.map(check => check.message).join(' ')
              ])
            })),
            violations: result.violations.map(rule => ({
              id: rule.id,
              impact: rule.impact,
              help: rule.help,
              nodes: rule.nodes.map(node => node.target.join(' '))
            }))
          };
        }""",
        PANEL,
    )


@pytest.mark.parametrize("name", ["light", "dark"])
def test_axe_and_contrast_pass_in_the_theme(lab: Lab, lab_page: LabPage, name: str) -> None:
    # Given the open panel with sessions, a dirty repository and a failed init, in the theme
    open_panel_with_everything_shown(lab, lab_page)
    page = lab_page.page
    etl = session_item(lab_page, lab.session_ids["etl"])
    busy = session_item(lab_page, lab.session_ids["xss"])
    with theme(lab_page, name):
        # When axe-core checks the panel
        result = run_axe(lab_page)
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"axe-panel-{name}.json").write_text(json.dumps(result, indent=2))
        unsure = [rule["id"] for rule in result["incomplete"]]
        print(
            f"axe-core {result['version']} ({name}): {len(result['violations'])} violations,"
            f" {len(result['passes'])} rules passed, incomplete {unsure}"
        )

        # Then it finds no serious or critical violation
        assert "color-contrast" in result["passes"], "axe could not check the panel's text"
        severe = [v for v in result["violations"] if v["impact"] in SEVERE]
        assert severe == [], json.dumps(severe, indent=2)

        # And the texts the issue measured meet WCAG AA for normal-size text
        texts = {
            "idle badge": etl.locator('[data-ilum="session-state"]'),
            "busy badge": busy.locator('[data-ilum="session-state"]'),
            "End session": etl.get_by_role("button", name="End session etl-notebook"),
            "count label": page.locator(f"{PANEL} .jp-IlumCount dt").first,
            "init notice error code": page.locator(f"{PANEL} .jp-IlumInit .jp-IlumPanel-muted"),
            "init notice title": page.locator(f"{PANEL} .jp-IlumInit-title"),
            "section title": page.locator("#jp-IlumSpark-heading"),
        }
        for what, locator in texts.items():
            measured = locator.evaluate(CONTRAST_JS)
            assert measured["ratio"] >= AA_NORMAL_TEXT, (what, name, measured)


def test_links_and_buttons_say_which_session(lab: Lab, lab_page: LabPage) -> None:
    # Given two sessions of the user in the open panel
    open_panel_with_everything_shown(lab, lab_page)
    page = lab_page.page

    # Then each session's links and button are named after it
    for name in ("etl-notebook", "bobs-session"):
        assert page.get_by_role("link", name=f"Spark UI of {name}", exact=True).count() == 1
        assert page.get_by_role("link", name=f"Driver log of {name}", exact=True).count() == 1
    assert page.get_by_role("button", name="End session etl-notebook", exact=True).count() == 1


def test_every_action_is_reachable_and_operable_from_the_keyboard(
    lab: Lab, lab_page: LabPage
) -> None:
    # Given a closed panel and the status bar item focused
    page = lab_page.page
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    page.wait_for_selector(PANEL, state="hidden")
    page.locator('[data-ilum="status-bar"]').focus()

    # When Enter is pressed
    page.keyboard.press("Enter")

    # Then the panel opens with the focus in it
    page.locator(f'{PANEL} [data-ilum="init-notice"]').wait_for(state="visible")
    page.wait_for_function(
        "() => !!document.activeElement?.closest('#ilum-singleuser-panel')", timeout=5_000
    )

    # And Tab walks through every action of the panel, in order, then leaves it
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_NAME_JS)
        if not focused or not focused["inPanel"]:
            break
        reached.append(focused["name"])
    expected = [
        "Refresh",
        "Spark UI of etl-notebook",
        "Driver log of etl-notebook",
        "End session etl-notebook",
        "Fetch from Gitea",
        "Open in Gitea",
        "Open the Git panel",
    ]
    positions = [reached.index(name) for name in expected if name in reached]
    assert len(positions) == len(expected), reached
    assert positions == sorted(positions), reached
    assert any(name.startswith("Show other users' sessions") for name in reached), reached

    # And Space on the checkbox shows the other users' sessions
    page.locator(f'{PANEL} [data-ilum="show-others"]').focus()
    page.keyboard.press("Space")
    session_item(lab_page, lab.session_ids["other"]).wait_for(state="visible")


def test_focus_returns_to_the_button_or_the_list_after_the_end_session_dialog(
    lab: Lab, lab_page: LabPage
) -> None:
    # Given a session of the user and its End session button focused
    session_id = lab.livy.add_session(owner=USER, proxy_user=USER, state="idle", name="kbd-end")
    open_panel_with_everything_shown(lab, lab_page)
    page = lab_page.page
    session_item(lab_page, session_id).wait_for(state="visible")
    button = page.get_by_role("button", name="End session kbd-end", exact=True)
    button.focus()
    dialog = page.locator(".jp-Dialog")

    # When the dialog is opened with Enter and closed with Escape
    page.keyboard.press("Enter")
    dialog.wait_for(state="visible")
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")

    # Then the focus is back on the button and nothing was ended
    assert page.evaluate(FOCUSED_NAME_JS)["name"] == "End session kbd-end"
    assert lab.livy.count("DELETE", f"/sessions/{session_id}") == 0

    # When it is opened again, once the button is ready, and ending is confirmed from the keyboard
    page.wait_for_selector(f'{PANEL} [aria-label="End session kbd-end"][aria-disabled="false"]')
    page.keyboard.press("Enter")
    dialog.wait_for(state="visible")
    dialog.locator("button.jp-mod-accept").focus()
    page.keyboard.press("Enter")

    # Then the session is gone and the focus is on the Spark sessions heading, not lost
    session_item(lab_page, session_id).wait_for(state="detached")
    assert lab.livy.count("DELETE", f"/sessions/{session_id}") == 1
    page.wait_for_function("() => document.activeElement?.id === 'jp-IlumSpark-heading'")


def test_launcher_card_and_sidebar_tab_say_ilum_with_its_icon(lab: Lab, lab_page: LabPage) -> None:
    # Given a Launcher
    page = lab_page.page
    page.evaluate("async () => { await window.jupyterapp.commands.execute('launcher:create'); }")
    card = page.locator(".jp-LauncherCard", has=page.locator("svg[data-ilum-logo]"))
    tab = page.locator(PANEL_TAB)

    # Then the card and the sidebar tab say "Ilum" and show the Ilum logo
    assert card.locator(".jp-LauncherCard-label").inner_text().strip() == "Ilum"
    assert tab.get_attribute("title") == "Ilum"
    logo = tab.locator("svg[data-ilum-logo]")
    assert logo.count() == 1

    # And the logo follows the theme
    fill_js = "svg => getComputedStyle(svg.querySelector('circle')).fill"
    light_fill = logo.evaluate(fill_js)
    with theme(lab_page, "dark"):
        dark_fill = logo.evaluate(fill_js)
    assert light_fill != dark_fill


def test_session_kinds_read_as_people_say_them(lab: Lab, lab_page: LabPage) -> None:
    # Given sessions of every Livy kind
    kinds = {"pyspark": "PySpark", "spark": "Spark (Scala)", "sparkr": "SparkR", "sql": "Spark SQL"}
    ids = {
        kind: lab.livy.add_session(owner=USER, proxy_user=USER, kind=kind, name=f"kind-{kind}")
        for kind in kinds
    }
    open_panel_with_everything_shown(lab, lab_page)

    # Then the panel names each kind as people do
    for kind, label in kinds.items():
        item = session_item(lab_page, ids[kind])
        item.wait_for(state="visible")
        assert item.locator('[data-ilum="session-details"]').inner_text().startswith(label), kind

    # And the API keeps Livy's names
    listed = {s["id"]: s["kind"] for s in lab.api("spark/sessions")["sessions"]}
    assert {listed[ids[kind]] for kind in kinds} == set(kinds)
    for session_id in ids.values():
        end_in_livy(lab, session_id)


def end_in_livy(lab: Lab, session_id: int) -> None:
    request = urllib.request.Request(f"{lab.livy.url}/sessions/{session_id}", method="DELETE")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def diverge(lab: Lab, root: Path) -> None:
    """Someone else pushes to Gitea and the workspace fetches: ahead 2, behind 1."""
    bare = lab.gitea.repo_path(ORG, f"jupyterhub-{USER}.git")
    other = root / "other-clone"
    lab.workspace.git("clone", "-q", str(bare), str(other), cwd=root)
    (other / "report.py").write_text("print('their report')\n")
    lab.workspace.git("add", "report.py", cwd=other)
    lab.workspace.git("commit", "-q", "-m", "Their report", cwd=other)
    lab.workspace.git("push", "-q", "origin", "main", cwd=other)
    # Fetched from the bare repository itself: the test's git has no credentials for Gitea.
    lab.workspace.git("fetch", "-q", str(bare), "main:refs/remotes/origin/main")


def shoot_and_check(lab_page: LabPage, state: str) -> None:
    """The whole panel in both themes, checked by axe-core in each."""
    page = lab_page.page
    viewport = page.viewport_size
    # Tall enough for the whole panel: a scrolled-away part would be missing from the picture.
    page.set_viewport_size({"width": viewport["width"], "height": 2000})
    try:
        for name in ("light", "dark"):
            with theme(lab_page, name):
                path = ARTIFACTS / f"ilum-panel-{state}-{name}.png"
                page.locator(PANEL).screenshot(path=str(path))
                assert path.stat().st_size > 0
                result = run_axe(lab_page)
                assert "color-contrast" in result["passes"], (state, name)
                severe = [v for v in result["violations"] if v["impact"] in SEVERE]
                assert severe == [], (state, name, json.dumps(severe, indent=2))
    finally:
        page.set_viewport_size(viewport)


def test_screenshots_and_axe_with_a_diverged_repo_a_conflict_and_a_git_error(
    lab: Lab, lab_page: LabPage, tmp_path: Path
) -> None:
    # Given the open panel with sessions and a failed init, over a repository that diverged
    ARTIFACTS.mkdir(exist_ok=True)
    diverge(lab, tmp_path)
    open_panel_with_everything_shown(lab, lab_page)
    page = lab_page.page
    page.wait_for_selector(f'{PANEL} [data-ilum="count-behind"]:text-is("1")')

    # When it is shot in both themes, then again once a merge stopped on a conflict, then each
    # time axe-core finds no serious or critical violation
    shoot_and_check(lab_page, "diverged")
    lab.workspace.git("stash", "-q", "--include-untracked")
    merge = lab.workspace.try_git("merge", "-q", "origin/main")
    assert merge.returncode != 0, merge.stdout
    page.wait_for_selector(f'{PANEL} [data-ilum="count-conflicted"]:text-is("1")')
    shoot_and_check(lab_page, "conflict")

    # And so does it once git cannot read the repository, with git's own text unfolded
    (lab.workspace.path / ".git" / "index").write_bytes(b"DIRC this is no index")
    details = page.locator(f'{PANEL} [data-ilum="repo-problem-details"]')
    details.wait_for(state="visible")
    details.locator("summary").click()
    shoot_and_check(lab_page, "git-error")
