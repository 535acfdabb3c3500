"""The panel says what a repository or Spark problem means and what to do, and follows saves at
once. Its lab polls only every ten minutes: whatever the panel shows after a save came from the
refresh that the save triggered, and tests that change the workspace refresh explicitly."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from ilum_singleuser.testing.livy_double import LivyDouble

from .conftest import USER, GitWorkspace, Lab, LabPage, running_lab

pytestmark = pytest.mark.ui

PANEL = "#ilum-singleuser-panel"
POLL_SECONDS = 600


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A clean clone of a local bare repository, a second clone to move the remote with, and a
    Livy double with one session of the user."""
    root = tmp_path_factory.mktemp("ui-guidance")
    workspace = GitWorkspace(root)
    upstream = root / "upstream.git"
    workspace.git("init", "-q", "--bare", "-b", "main", str(upstream), cwd=root)
    workspace.git("clone", "-q", str(upstream), str(workspace.path), cwd=root)
    workspace.commit("README.md", "# Notebooks\n", "Add README")
    workspace.commit("analysis.py", "print('analysis')\n", "Add analysis")
    workspace.git("push", "-q", "origin", "main")
    workspace.git("clone", "-q", str(upstream), str(root / "colleague"), cwd=root)
    with LivyDouble() as livy:
        livy.add_session(owner=USER, proxy_user=USER, name="etl-job")
        ilum_env = {
            "ILUM_USER": USER,
            "ILUM_WORKSPACE": str(workspace.path),
            "ILUM_LIVY_URL": livy.url,
            "ILUM_STATE_DIR": str(root / "state"),
        }
        with running_lab(root, workspace.path, ilum_env, poll_interval=POLL_SECONDS) as running:
            running.livy = livy
            running.workspace = workspace
            yield running


@pytest.fixture(autouse=True)
def _clean_workspace(lab: Lab) -> Iterator[None]:
    """Each test starts from the remote's tip with nothing changed, and a Livy-proxy that works."""
    yield
    workspace = lab.workspace
    assert workspace is not None
    assert lab.livy is not None
    lab.livy.mode = "ok"
    workspace.try_git("merge", "--abort")
    workspace.try_git("rebase", "--abort")
    (workspace.path / ".git" / "index").unlink(missing_ok=True)
    workspace.git("checkout", "-q", "-f", "main")
    workspace.git("reset", "-q", "--hard", "origin/main")
    workspace.git("clean", "-fdq")


def colleague_pushes(lab: Lab, name: str, text: str) -> None:
    """Another clone of the repository commits and pushes (Gitea moves on)."""
    assert lab.workspace is not None
    colleague = lab.workspace.root / "colleague"
    lab.workspace.git("pull", "-q", "--ff-only", cwd=colleague)
    (colleague / name).write_text(text)
    lab.workspace.git("commit", "-qam", f"Colleague changes {name}", cwd=colleague)
    lab.workspace.git("push", "-q", "origin", "main", cwd=colleague)


def open_panel(lab_page: LabPage) -> None:
    page = lab_page.page
    page.evaluate("async () => { await window.jupyterapp.commands.execute('ilum:open-panel'); }")
    page.wait_for_selector(f'{PANEL} [data-ilum="repo"]', state="visible")


def refresh(lab_page: LabPage) -> None:
    lab_page.page.evaluate(
        "async () => { await window.jupyterapp.commands.execute('ilum:refresh'); }"
    )


def text_of(lab_page: LabPage, what: str) -> str:
    return lab_page.page.locator(f'{PANEL} [data-ilum="{what}"]').inner_text()


def test_a_save_in_the_lab_shows_in_the_panel_without_waiting_for_the_poll(
    lab: Lab, lab_page: LabPage
) -> None:
    # Given the open panel of a clean repository, polled only every ten minutes
    open_panel(lab_page)
    page = lab_page.page
    page.wait_for_selector(f'{PANEL} [data-ilum="count-untracked"]:text-is("0")')
    page.wait_for_selector(f'{PANEL} [data-ilum="count-modified"]:text-is("0")')

    # When a new file and a changed one are saved through JupyterLab's contents manager
    page.evaluate(
        """async () => {
            const contents = window.jupyterapp.serviceManager.contents;
            await contents.save('notes.md', {type: 'file', format: 'text', content: 'new'});
            await contents.save('README.md', {type: 'file', format: 'text', content: '# Changed'});
        }"""
    )

    # Then the panel shows both within a moment, long before the next poll
    page.wait_for_selector(f'{PANEL} [data-ilum="count-untracked"]:text-is("1")', timeout=10_000)
    page.wait_for_selector(f'{PANEL} [data-ilum="count-modified"]:text-is("1")', timeout=10_000)


def test_a_change_jupyterlab_git_sees_shows_in_the_panel(lab: Lab, lab_page: LabPage) -> None:
    # Given the open panel of a clean repository and jupyterlab-git's panel
    open_panel(lab_page)
    page = lab_page.page
    page.wait_for_selector(f'{PANEL} [data-ilum="count-modified"]:text-is("0")')

    # When a file changes outside the lab and jupyterlab-git's model notices it
    assert lab.workspace is not None
    (lab.workspace.path / "analysis.py").write_text("print('changed in a terminal')\n")
    page.evaluate("async () => { await window.jupyterapp.commands.execute('git:ui'); }")

    # Then the Ilum panel (now behind the Git panel) follows jupyterlab-git's signal, not its
    # own ten-minute poll
    page.wait_for_function(
        "selector => document.querySelector(selector)?.textContent === '1'",
        arg=f'{PANEL} [data-ilum="count-modified"]',
        timeout=30_000,
    )


def test_a_diverged_branch_says_to_pull_before_pushing(lab: Lab, lab_page: LabPage) -> None:
    # Given one new commit on Gitea and another one here
    assert lab.workspace is not None
    colleague_pushes(lab, "analysis.py", "print('theirs')\n")
    lab.workspace.commit("mine.py", "print('mine')\n", "My work")
    lab.workspace.git("fetch", "-q")

    # When the panel shows the repository
    open_panel(lab_page)
    refresh(lab_page)

    # Then it says both sides moved on and a pull comes first, and offers the Git panel
    lab_page.page.wait_for_selector(f'{PANEL} [data-ilum="repo-warning"]:has-text("Both Gitea")')
    warning = text_of(lab_page, "repo-warning")
    assert "Both Gitea (1 new commit) and this workspace (1 new commit) have moved on" in warning
    assert "pull (merge or rebase) before you push" in warning
    assert lab_page.page.get_by_role("button", name="Open the Git panel").is_visible()


def test_a_conflict_names_the_files_opens_them_and_says_how_to_finish_or_abort(
    lab: Lab, lab_page: LabPage
) -> None:
    # Given a merge that stopped on a conflict in README.md
    assert lab.workspace is not None
    colleague_pushes(lab, "README.md", "# Theirs\n")
    lab.workspace.commit("README.md", "# Mine\n", "My README")
    lab.workspace.git("fetch", "-q")
    assert lab.workspace.try_git("merge", "--no-edit", "origin/main").returncode != 0

    # When the panel shows the repository
    open_panel(lab_page)
    refresh(lab_page)
    page = lab_page.page

    # Then it names the operation, the conflicted file, and the commands to finish or abort
    conflict = page.locator(f'{PANEL} [data-ilum="conflict-file"]')
    conflict.wait_for(state="visible")
    assert conflict.all_inner_texts() == ["README.md"]
    assert "A merge is in progress." in text_of(lab_page, "operation")
    assert "git commit" in text_of(lab_page, "operation-finish")
    assert "git merge --abort" in text_of(lab_page, "operation-abort")

    # And a click opens the file in an editor
    conflict.click()
    page.locator(".jp-MainAreaWidget .jp-FileEditor").first.wait_for(state="visible")
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
    assert tab.inner_text().strip() == "README.md"
    page.evaluate(
        "async () => { await window.jupyterapp.commands.execute('application:close-all'); }"
    )


def test_a_detached_head_is_explained(lab: Lab, lab_page: LabPage) -> None:
    # Given a checkout of a commit instead of a branch
    assert lab.workspace is not None
    lab.workspace.git("checkout", "-q", "--detach", "HEAD~1")

    # When the panel shows the repository
    open_panel(lab_page)
    refresh(lab_page)

    # Then it says what that means and how to get back
    note = lab_page.page.locator(f'{PANEL} [data-ilum="branch-note"]')
    note.wait_for(state="visible")
    assert "not on a branch (detached HEAD)" in note.inner_text()
    assert "git switch" in note.inner_text()


def test_a_corrupt_index_is_explained_with_gits_text_behind_details(
    lab: Lab, lab_page: LabPage
) -> None:
    # Given a damaged .git/index
    assert lab.workspace is not None
    (lab.workspace.path / ".git" / "index").write_bytes(b"DIRC this is no index")

    # When the panel shows the repository
    open_panel(lab_page)
    refresh(lab_page)
    page = lab_page.page

    # Then it says in plain words what is wrong, that the files are safe, and what to do
    problem = page.locator(f'{PANEL} [data-ilum="repo-problem"]')
    problem.wait_for(state="visible")
    assert "index file (.git/index) is damaged" in text_of(lab_page, "repo-problem-title")
    assert "Your files are safe" in text_of(lab_page, "repo-problem-safety")
    assert "git reset" in text_of(lab_page, "repo-problem-next")

    # And git's own text shows only when Details is opened
    details = page.locator(f'{PANEL} [data-ilum="repo-problem-details"] pre')
    assert not details.is_visible()
    page.locator(f'{PANEL} [data-ilum="repo-problem-details"] summary').click()
    details.wait_for(state="visible")
    assert "fatal: .git/index: index file smaller than expected" in details.inner_text()


def test_a_deleted_index_is_named_not_counted_as_every_file_twice(
    lab: Lab, lab_page: LabPage
) -> None:
    # Given a clean repository with two committed files whose .git/index was deleted
    assert lab.workspace is not None
    (lab.workspace.path / ".git" / "index").unlink()

    # When the panel shows the repository
    open_panel(lab_page)
    refresh(lab_page)
    page = lab_page.page

    # Then it says the index is missing, and shows no counts of phantom changes
    page.locator(f'{PANEL} [data-ilum="repo-problem"]').wait_for(state="visible")
    assert "is missing" in text_of(lab_page, "repo-problem-title")
    assert page.locator(f'{PANEL} [data-ilum="count-untracked"]').count() == 0
    assert page.locator(f'{PANEL} [data-ilum="repo-warning"]').count() == 0
    assert "Git: error" in page.locator('[data-ilum="status-bar"]').inner_text()


def test_a_livy_proxy_answering_500_answered_an_error_it_is_not_unreachable(
    lab: Lab, lab_page: LabPage
) -> None:
    # Given a Livy-proxy that answers HTTP 500
    assert lab.livy is not None
    lab.livy.mode = "500"

    # When the panel shows the sessions
    open_panel(lab_page)
    refresh(lab_page)

    # Then it says the proxy answered with an error, and which
    problem = lab_page.page.locator(f'{PANEL} [data-ilum="spark-problem"]')
    problem.wait_for(state="visible")
    assert problem.inner_text() == (
        f"The Livy-proxy at {lab.livy.url} answered with an error: "
        "HTTP 500: java.lang.IllegalStateException: simulated failure"
    )
    assert "unreachable" not in problem.inner_text()


def test_the_retry_countdown_after_a_failed_read_counts_down(lab: Lab, lab_page: LabPage) -> None:
    # Given the open panel and a Jupyter server whose status route fails
    open_panel(lab_page)
    page = lab_page.page
    page.route(
        re.compile(r".*/ilum/api/status.*"),
        lambda route: route.fulfill(status=503, content_type="application/json", body="{}"),
    )

    # When the panel reads the status
    refresh(lab_page)

    # Then it says when it tries again, and that time counts down. (Right after a refresh the
    # poll's back-off starts small; wait for a countdown long enough to watch.)
    retry = page.locator(f'{PANEL} [data-ilum="server-error-retry"]')
    retry.wait_for(state="visible")
    selector = f'{PANEL} [data-ilum="server-error-retry"]'
    seconds_left = (
        "(selector) => { const m = document.querySelector(selector)?.innerText"
        ".match(/^ \\(next try in (?:(\\d+) min )?(\\d+) s\\)$/);"
        " return m ? Number(m[1] || 0) * 60 + Number(m[2]) : null; }"
    )
    page.wait_for_function(f"(selector) => ({seconds_left})(selector) >= 3", arg=selector)
    first = page.evaluate(seconds_left, selector)
    page.wait_for_function(
        f"([selector, first]) => {{ const left = ({seconds_left})(selector);"
        " return left !== null && left < first; }",
        arg=[selector, first],
        timeout=5_000,
    )
    page.unroute(re.compile(r".*/ilum/api/status.*"))
    refresh(lab_page)
    retry.wait_for(state="detached")
