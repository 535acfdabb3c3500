"""GET repo and GET status against real repositories in every sync state."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import git

from .conftest import Repos

REPO_FIELDS = {
    "state",
    "branch",
    "detached",
    "unborn",
    "operation",
    "head",
    "upstream",
    "upstream_gone",
    "ahead",
    "behind",
    "staged",
    "modified",
    "untracked",
    "conflicted",
    "changes",
    "changes_truncated",
    "last_commit",
    "last_fetch",
    "remote",
    "web_url",
    "path",
    "error",
    "error_code",
}


def make_clean(r: Repos) -> dict:
    return {"state": "clean", "branch": "main", "upstream": "origin/main", "ahead": 0}


def make_dirty(r: Repos) -> dict:
    (r.workspace / "README.md").write_text("changed\n")
    (r.workspace / "staged.py").write_text("x = 1\n")
    git(r.workspace, "add", "staged.py")
    (r.workspace / "new folder").mkdir()
    (r.workspace / "new folder" / "untracked.ipynb").write_text("{}")
    return {
        "state": "dirty",
        "staged": 1,
        "modified": 1,
        "untracked": 1,
        "changes": [
            {"path": "README.md", "kind": "modified"},
            {"path": "staged.py", "kind": "staged"},
            {"path": "new folder/untracked.ipynb", "kind": "untracked"},
        ],
    }


def make_ahead(r: Repos) -> dict:
    r.commit(r.workspace, "a.py", "a\n")
    r.commit(r.workspace, "b.py", "b\n")
    return {"state": "ahead", "ahead": 2, "behind": 0}


def make_behind(r: Repos) -> dict:
    r.commit(r.other, "theirs.py", "t\n")
    git(r.other, "push", "-q", "origin", "main")
    git(r.workspace, "fetch", "-q")
    return {"state": "behind", "ahead": 0, "behind": 1}


def make_diverged(r: Repos) -> dict:
    make_behind(r)
    r.commit(r.workspace, "mine.py", "m\n")
    return {"state": "diverged", "ahead": 1, "behind": 1}


def _conflicting_merge(r: Repos) -> None:
    r.commit(r.other, "README.md", "theirs\n")
    git(r.other, "push", "-q", "origin", "main")
    r.commit(r.workspace, "README.md", "mine\n")
    git(r.workspace, "fetch", "-q")
    with pytest.raises(subprocess.CalledProcessError):  # the conflict is the point
        git(r.workspace, "merge", "--no-edit", "origin/main")


def make_conflicted(r: Repos) -> dict:
    _conflicting_merge(r)
    return {
        "state": "conflicted",
        "operation": "merge",
        "conflicted": 1,
        "changes": [{"path": "README.md", "kind": "conflicted"}],
    }


def make_merge_resolved_not_committed(r: Repos) -> dict:
    _conflicting_merge(r)
    (r.workspace / "README.md").write_text("both\n")
    git(r.workspace, "add", "README.md")
    return {"state": "dirty", "operation": "merge", "conflicted": 0, "staged": 1}


def make_detached(r: Repos) -> dict:
    r.commit(r.workspace, "a.py", "a\n")
    git(r.workspace, "checkout", "-q", "--detach", "HEAD~1")
    return {"state": "clean", "branch": None, "detached": True, "upstream": None}


def make_unborn(r: Repos) -> dict:
    git(r.workspace, "checkout", "-q", "--orphan", "fresh")
    git(r.workspace, "rm", "-rq", "--cached", ".")
    for name in ("README.md", "notebook.ipynb"):
        (r.workspace / name).unlink()
    return {"state": "clean", "branch": "fresh", "unborn": True, "head": None, "last_commit": None}


def make_upstream_gone(r: Repos) -> dict:
    git(r.workspace, "checkout", "-q", "-b", "topic")
    git(r.workspace, "push", "-q", "-u", "origin", "topic")
    git(r.other, "push", "-q", "origin", "--delete", "topic")
    git(r.workspace, "fetch", "-q", "--prune")
    return {"state": "clean", "branch": "topic", "upstream": "origin/topic", "upstream_gone": True}


def make_rebase_in_progress(r: Repos) -> dict:
    r.commit(r.other, "README.md", "theirs\n")
    git(r.other, "push", "-q", "origin", "main")
    r.commit(r.workspace, "README.md", "mine\n")
    git(r.workspace, "fetch", "-q")
    with pytest.raises(subprocess.CalledProcessError):  # stops on the conflict
        git(r.workspace, "rebase", "origin/main")
    return {"state": "conflicted", "operation": "rebase", "detached": True}


SCENARIOS: dict[str, Callable[[Repos], dict]] = {
    "clean": make_clean,
    "dirty": make_dirty,
    "ahead": make_ahead,
    "behind": make_behind,
    "diverged": make_diverged,
    "conflicted": make_conflicted,
    "merge-in-progress": make_merge_resolved_not_committed,
    "detached": make_detached,
    "unborn": make_unborn,
    "upstream-gone": make_upstream_gone,
    "rebase-in-progress": make_rebase_in_progress,
}


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_repo_reports_each_sync_state(api, repos: Repos, scenario: str):
    expected = SCENARIOS[scenario](repos)
    code, repo = await api("GET", "repo")
    assert code == 200
    assert set(repo) == REPO_FIELDS
    assert {k: repo[k] for k in expected} == expected
    assert repo["path"] == str(repos.workspace)
    assert repo["error"] is None
    assert repo["remote"] == str(repos.upstream)
    assert repo["web_url"] is None  # a local path has no web page
    if not repo["unborn"]:
        head = git(repos.workspace, "rev-parse", "HEAD").strip()
        assert repo["head"] == head
        assert repo["last_commit"]["sha"] == head
        assert repo["last_commit"]["author"] == "Jane Doe"
        assert repo["last_commit"]["time"].startswith("20")


async def test_clean_repo_has_last_commit_and_fetch_time(api, repos: Repos):
    git(repos.workspace, "fetch", "-q")
    code, repo = await api("GET", "repo")
    assert code == 200
    assert repo["last_commit"]["summary"] == "Initial commit"
    assert repo["last_fetch"] is not None
    assert repo["last_fetch"].endswith("+00:00")


async def test_workspace_that_is_no_repository(api, workspace: Path):
    (workspace / "notes.txt").write_text("mine")
    code, repo = await api("GET", "repo")
    assert code == 200
    assert set(repo) == REPO_FIELDS
    assert repo["state"] == "no-repo"
    assert repo["path"] == str(workspace)


async def test_unreadable_repository_gives_error_state(api, workspace: Path):
    (workspace / ".git").write_text("gitdir: /nonexistent/repo.git\n")
    code, repo = await api("GET", "repo")
    assert code == 200
    assert repo["state"] == "error"
    assert "git status" in repo["error"]
    assert repo["error_code"] == "not-a-repo"


async def test_corrupt_index_is_named(api, repos: Repos):
    (repos.workspace / ".git" / "index").write_bytes(b"DIRC garbage that is no index")
    code, repo = await api("GET", "repo")
    assert code == 200
    assert (repo["state"], repo["error_code"]) == ("error", "index-corrupt")
    assert "index" in repo["error"]


async def test_deleted_index_is_reported_as_such_not_as_every_file_twice(api, repos: Repos):
    # Given a clean clone with two committed files whose index was deleted
    (repos.workspace / ".git" / "index").unlink()

    # When the state is read
    code, repo = await api("GET", "repo")

    # Then it says the index is missing, and counts no phantom changes
    assert code == 200
    assert (repo["state"], repo["error_code"]) == ("error", "index-missing")
    assert (repo["staged"], repo["untracked"], repo["changes"]) == (0, 0, [])
    # And reading the state did not rebuild the index behind the user's back
    assert not (repos.workspace / ".git" / "index").exists()


async def test_readable_repository_has_no_error_code(api, repos: Repos):
    code, repo = await api("GET", "repo")
    assert (code, repo["error"], repo["error_code"]) == (200, None, None)


async def test_changed_paths_are_capped_counts_exact(api, repos: Repos):
    for i in range(150):
        (repos.workspace / f"new{i:03}.txt").write_text("x")
    code, repo = await api("GET", "repo")
    assert code == 200
    assert repo["untracked"] == 150
    assert len(repo["changes"]) == 100
    assert repo["changes_truncated"] is True


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("userinfo", ["jane:hunter2secret@", "hunter2secret@"])
async def test_remote_with_password_comes_back_without_it(
    api, repos: Repos, scheme: str, userinfo: str
):
    where = "gitea.example:3000/ilum-jupyterhub/jupyterhub-jane"
    git(repos.workspace, "remote", "set-url", "origin", f"{scheme}://{userinfo}{where}.git")
    code, repo = await api("GET", "repo")
    assert code == 200
    assert repo["remote"] == f"{scheme}://{where}.git"
    assert repo["web_url"] == f"{scheme}://{where}"
    assert "hunter2secret" not in json.dumps(repo)
    code, status = await api("GET", "status")
    assert "hunter2secret" not in json.dumps(status)
