"""Every row of DESIGN.md's ilum-init case table, each followed by a second run that changes
nothing, against a real git smart-HTTP server with basic auth."""

from __future__ import annotations

import os
import stat

from tests.conftest import git
from tests.init.conftest import BINARY, InitSetup, push_commits

TEMPLATE_PATHS = {"IlumIntro.ipynb", "work/deep/notes.md", "work/logo.bin", "work/run.sh"}


def tracked(setup: InitSetup, ref: str = "HEAD") -> set[str]:
    return set(git(setup.workspace, "ls-tree", "-r", "--name-only", ref).split())


def assert_second_run_changes_nothing(setup: InitSetup) -> None:
    before = setup.snapshot()
    result = setup.run("--strict")
    assert result.returncode == 0, result.stderr
    assert setup.snapshot() == before
    assert setup.state()["case"] in {"existing-checkout"}


def test_fresh_repo_gets_templates_in_one_commit_by_the_user_and_pushed(setup: InitSetup):
    result = setup.run("--strict")

    assert result.returncode == 0, result.stderr
    log = git(setup.workspace, "log", "--format=%an <%ae>|%s")
    assert log.splitlines() == ["Jane Doe <jane@example.org>|Add Ilum starter templates"]
    assert tracked(setup) == TEMPLATE_PATHS
    assert (setup.workspace / "work/logo.bin").read_bytes() == BINARY
    assert os.stat(setup.workspace / "work/run.sh").st_mode & stat.S_IXUSR
    assert not os.stat(setup.workspace / "work/deep/notes.md").st_mode & stat.S_IXUSR
    assert git(setup.workspace, "ls-tree", "HEAD", "work/run.sh").startswith("100755")
    head = git(setup.workspace, "rev-parse", "HEAD").strip()
    assert git(setup.bare, "rev-parse", "refs/heads/main").strip() == head
    assert git(setup.workspace, "rev-parse", "--abbrev-ref", "@{u}").strip() == "origin/main"
    assert git(setup.workspace, "status", "--porcelain") == ""
    state = setup.state()
    assert state["outcome"] == "ok"
    assert state["case"] == "fresh-repo"
    assert state["pushed_commit"] == head
    assert_second_run_changes_nothing(setup)


def test_second_start_never_reapplies_templates(setup: InitSetup):
    setup.run("--strict")
    (setup.workspace / "IlumIntro.ipynb").unlink()
    git(setup.workspace, "commit", "-q", "-am", "I do not want the intro")

    result = setup.run("--strict")

    assert result.returncode == 0, result.stderr
    assert not (setup.workspace / "IlumIntro.ipynb").exists()


def test_empty_workspace_and_remote_with_commits_is_a_clone_without_templates(
    setup: InitSetup, tmp_path
):
    remote_head = push_commits(setup.bare, tmp_path, {"analysis.ipynb": "{}", "src/etl.py": "x=1"})

    result = setup.run("--strict")

    assert result.returncode == 0, result.stderr
    assert git(setup.workspace, "rev-parse", "HEAD").strip() == remote_head
    assert tracked(setup) == {"analysis.ipynb", "src/etl.py"}
    assert not (setup.workspace / "IlumIntro.ipynb").exists()
    assert git(setup.workspace, "status", "--porcelain") == ""
    assert setup.state()["case"] == "clone"
    assert_second_run_changes_nothing(setup)


def test_existing_checkout_keeps_branch_index_and_files_and_only_fetches(
    setup: InitSetup, tmp_path
):
    setup.run("--strict")
    ws = setup.workspace
    git(ws, "checkout", "-q", "-b", "experiment")
    (ws / "IlumIntro.ipynb").write_text("my edits")
    (ws / "staged.txt").write_text("staged")
    git(ws, "add", "staged.txt")
    (ws / "scratch.txt").write_text("untracked")
    remote_head = push_commits(setup.bare, tmp_path, {"from-elsewhere.txt": "x"})
    before = {
        "branch": git(ws, "symbolic-ref", "HEAD"),
        "index": git(ws, "write-tree"),
        "main": git(ws, "rev-parse", "main"),
    }

    result = setup.run("--strict")

    assert result.returncode == 0, result.stderr
    assert git(ws, "symbolic-ref", "HEAD") == before["branch"]
    assert git(ws, "write-tree") == before["index"]
    assert git(ws, "rev-parse", "main") == before["main"]
    assert (ws / "IlumIntro.ipynb").read_text() == "my edits"
    assert (ws / "scratch.txt").read_text() == "untracked"
    assert git(ws, "rev-parse", "origin/main").strip() == remote_head
    assert not (ws / "from-elsewhere.txt").exists()
    assert setup.state()["case"] == "existing-checkout"
    assert_second_run_changes_nothing(setup)


def test_older_volume_with_files_and_empty_remote_commits_only_templates(setup: InitSetup):
    ws = setup.workspace
    (ws / "thesis.ipynb").write_text("mine")
    (ws / "work").mkdir()
    (ws / "work" / "run.sh").write_text("my own script, not the template")
    (ws / "work" / "data.csv").write_text("1,2,3")

    result = setup.run("--strict")

    assert result.returncode == 0, result.stderr
    assert tracked(setup) == TEMPLATE_PATHS - {"work/run.sh"}
    assert (ws / "work" / "run.sh").read_text() == "my own script, not the template"
    untracked = git(ws, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert sorted(untracked) == ["?? thesis.ipynb", "?? work/data.csv", "?? work/run.sh"]
    assert git(setup.bare, "rev-parse", "main").strip() == git(ws, "rev-parse", "HEAD").strip()
    assert setup.state()["case"] == "adopt-files-empty-remote"
    assert_second_run_changes_nothing(setup)


def test_older_volume_with_files_and_remote_commits_keeps_every_local_byte(
    setup: InitSetup, tmp_path
):
    ws = setup.workspace
    push_commits(
        setup.bare,
        tmp_path,
        {"shared.py": "remote version", "only-remote.txt": "r", "clash/inner.txt": "r"},
    )
    (ws / "shared.py").write_text("local version")
    (ws / "only-local.txt").write_text("l")
    (ws / "clash").write_text("a local file where the remote has a folder")

    result = setup.run("--strict")

    assert result.returncode == 0, result.stderr
    assert (ws / "shared.py").read_text() == "local version"
    assert (ws / "only-remote.txt").read_text() == "r"
    assert (ws / "only-local.txt").read_text() == "l"
    assert (ws / "clash").read_text() == "a local file where the remote has a folder"
    status = git(ws, "status", "--porcelain").splitlines()
    assert " M shared.py" in status
    assert "?? only-local.txt" in status
    assert git(ws, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert setup.state()["case"] == "adopt-files-remote-commits"
    assert_second_run_changes_nothing(setup)


def test_local_commit_not_yet_pushed_is_pushed(setup: InitSetup):
    setup.run("--strict")
    ws = setup.workspace
    (ws / "result.txt").write_text("42")
    git(ws, "add", "result.txt")
    git(ws, "commit", "-q", "-m", "work the earlier run never pushed")
    local = git(ws, "rev-parse", "HEAD").strip()

    result = setup.run("--strict")

    assert result.returncode == 0, result.stderr
    assert git(setup.bare, "rev-parse", "main").strip() == local
    assert setup.state()["case"] == "push-pending"
    assert setup.state()["pushed_commit"] == local
    assert_second_run_changes_nothing(setup)


def test_diverged_checkout_is_neither_pushed_nor_merged(setup: InitSetup, tmp_path):
    setup.run("--strict")
    ws = setup.workspace
    remote = push_commits(setup.bare, tmp_path, {"remote.txt": "r"})
    (ws / "local.txt").write_text("l")
    git(ws, "add", "local.txt")
    git(ws, "commit", "-q", "-m", "local")
    local = git(ws, "rev-parse", "HEAD").strip()

    result = setup.run("--strict")

    assert result.returncode == 0, result.stderr
    assert git(ws, "rev-parse", "HEAD").strip() == local
    assert git(setup.bare, "rev-parse", "main").strip() == remote
    assert "diverged" in result.stderr
