"""Parsing ``git status --porcelain=v2 --branch -z``: counts, states and the capped path list."""

from __future__ import annotations

from pathlib import Path

import pytest

from ilum_singleuser.server.repo_status import (
    build_repo,
    detect_operation,
    parse_last_commit,
    parse_porcelain_v2,
    parse_remote_urls,
    pick_remote,
    sync_state,
)

OID = "8c0d5fbd6b1f3b4d1f5c1b4f3f0a9e2d7c6b5a41"
HEADERS = [
    f"# branch.oid {OID}",
    "# branch.head main",
    "# branch.upstream origin/main",
    "# branch.ab +0 -0",
]
MODES = "100644 100644 100644"
HASHES = f"{OID} {OID}"


def porcelain(*records: str, headers: list[str] = HEADERS) -> str:
    return "".join(r + "\0" for r in [*headers, *records])


def test_clean_branch_with_upstream():
    status = parse_porcelain_v2(porcelain())
    assert (status.oid, status.branch, status.upstream) == (OID, "main", "origin/main")
    assert not status.detached
    assert not status.unborn
    assert not status.upstream_gone
    assert sync_state(status) == "clean"


def test_every_entry_kind_is_counted_and_listed():
    status = parse_porcelain_v2(
        porcelain(
            f"1 M. N... {MODES} {HASHES} staged.py",
            f"1 .M N... {MODES} {HASHES} with space/modified.ipynb",
            f"1 MM N... {MODES} {HASHES} both.py",
            f"2 R. N... {MODES} {HASHES} R100 new name.py",
            "old name.py",
            f"u UU N... {MODES} 100644 {HASHES} {OID} conflict.py",
            "? untracked.txt",
            "! ignored.log",
        )
    )
    assert (status.staged, status.modified, status.untracked, status.conflicted) == (3, 2, 1, 1)
    assert status.changes == [
        {"path": "conflict.py", "kind": "conflicted"},
        {"path": "staged.py", "kind": "staged"},
        {"path": "with space/modified.ipynb", "kind": "modified"},
        {"path": "both.py", "kind": "modified"},
        {"path": "new name.py", "kind": "staged"},
        {"path": "untracked.txt", "kind": "untracked"},
    ]
    assert sync_state(status) == "conflicted"


def test_path_list_is_capped_but_counts_stay_exact():
    records = [f"? file{i}.txt" for i in range(250)]
    status = parse_porcelain_v2(porcelain(*records), changes_cap=100)
    assert status.untracked == 250
    assert len(status.changes) == 100
    assert status.changes_truncated


def test_conflicted_paths_come_first_so_the_cap_never_hides_them():
    records = [f"? file{i}.txt" for i in range(5)]
    records += [f"u UU N... {MODES} 100644 {HASHES} {OID} clash{i}.py" for i in range(2)]
    status = parse_porcelain_v2(porcelain(*records), changes_cap=3)
    assert status.changes == [
        {"path": "clash0.py", "kind": "conflicted"},
        {"path": "clash1.py", "kind": "conflicted"},
        {"path": "file0.txt", "kind": "untracked"},
    ]
    assert status.changes_truncated
    assert (status.conflicted, status.untracked) == (2, 5)


def test_ahead_behind_and_their_precedence():
    def state(ab: str, *records: str) -> str:
        return sync_state(parse_porcelain_v2(porcelain(*records, headers=[*HEADERS[:3], ab])))

    assert state("# branch.ab +2 -0") == "ahead"
    assert state("# branch.ab +0 -3") == "behind"
    assert state("# branch.ab +2 -3") == "diverged"
    assert state("# branch.ab +2 -3", "? new.txt") == "dirty"


def test_detached_unborn_and_gone_upstream():
    detached = parse_porcelain_v2(
        porcelain(headers=[f"# branch.oid {OID}", "# branch.head (detached)"])
    )
    assert detached.detached
    assert detached.branch is None
    assert detached.oid == OID
    unborn = parse_porcelain_v2(porcelain(headers=["# branch.oid (initial)", "# branch.head main"]))
    assert unborn.unborn
    assert unborn.oid is None
    assert unborn.branch == "main"
    gone = parse_porcelain_v2(porcelain(headers=HEADERS[:3]))
    assert gone.upstream_gone
    assert gone.upstream == "origin/main"


def test_undecodable_path_is_made_displayable():
    raw = b"? caf\xe9.txt".decode("utf-8", "surrogateescape")
    status = parse_porcelain_v2(porcelain(raw))
    assert status.changes == [{"path": "caf\ufffd.txt", "kind": "untracked"}]


def test_last_commit_and_remote_parsing():
    commit = parse_last_commit(f"{OID}\0Add notebook\0Jane Doe\0" + "2026-11-26T01:00:00+00:00\n")
    assert commit is not None
    assert commit.as_dict() == {
        "sha": OID,
        "summary": "Add notebook",
        "author": "Jane Doe",
        "time": "2026-11-26T01:00:00+00:00",
    }
    assert parse_last_commit("") is None
    urls = parse_remote_urls("remote.origin.url\nhttp://g/o/r.git\0remote.team/x.url\n/srv/x\0")
    assert urls == {"origin": "http://g/o/r.git", "team/x": "/srv/x"}
    assert pick_remote(urls, "team/x/main") == "/srv/x"
    assert pick_remote(urls, None) == "http://g/o/r.git"
    assert pick_remote({"fork": "/srv/f"}, None) == "/srv/f"
    assert pick_remote({"a": "1", "b": "2"}, None) is None


def test_operation_markers(tmp_path: Path):
    assert detect_operation(tmp_path) is None
    for marker, operation in [
        ("BISECT_LOG", "bisect"),
        ("REVERT_HEAD", "revert"),
        ("CHERRY_PICK_HEAD", "cherry-pick"),
        ("MERGE_HEAD", "merge"),
        ("rebase-merge", "rebase"),
    ]:
        (tmp_path / marker).touch()
        assert detect_operation(tmp_path) == operation


def test_git_am_is_told_apart_from_a_rebase(tmp_path: Path):
    (tmp_path / "rebase-apply").mkdir()
    assert detect_operation(tmp_path) == "rebase"
    (tmp_path / "rebase-apply" / "applying").touch()
    assert detect_operation(tmp_path) == "am"


def test_repo_object_never_shows_remote_credentials(tmp_path: Path):
    repo = build_repo(
        tmp_path,
        parse_porcelain_v2(porcelain()),
        last_commit=None,
        remote="https://jane:hunter2@gitea.example/org/repo.git",
        operation=None,
        last_fetch=None,
    )
    assert repo["remote"] == "https://gitea.example/org/repo.git"
    assert repo["web_url"] == "https://gitea.example/org/repo"
    assert "hunter2" not in str(repo)


def test_malformed_output_is_a_value_error():
    with pytest.raises(ValueError, match="porcelain v2"):
        parse_porcelain_v2(porcelain("1 M. truncated"))
