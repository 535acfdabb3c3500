"""ilum-init on a fresh volume brings the last autosave snapshot back: unpushed commits,
uncommitted files, and never a file written over one that changed meanwhile."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ilum_singleuser.server.autosave import AutosaveService
from tests.autosave_support import AUTOSAVE_REF, Pod, initialised_pod
from tests.conftest import git
from tests.init.conftest import push_commits


@pytest.fixture
def pod(git_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Pod:
    return initialised_pod(git_server, tmp_path, monkeypatch)


async def work_then_lose_the_volume(pod: Pod) -> str:
    """An unpushed commit and uncommitted files, autosaved; then the volume is gone."""
    pod.write("work/notes.md", "# notes\ncommitted, never pushed\n")
    pod.git("commit", "-qam", "unpushed work")
    pod.write("IlumIntro.ipynb", '{"cells": ["uncommitted edit"]}\n')
    pod.write("analysis/new.py", "print('untracked')\n")
    (pod.write("run.sh", "#!/bin/sh\necho hi\n")).chmod(0o755)
    state = await AutosaveService(pod.config()).snapshot()
    assert state["error"] is None
    shutil.rmtree(pod.workspace)
    pod.workspace.mkdir()
    return state["last"]["commit"]


def restore_state(pod: Pod) -> dict:
    return json.loads((pod.workspace / ".local/state/ilum/init.json").read_text())[
        "autosave_restore"
    ]


async def test_unpushed_commit_and_uncommitted_files_come_back(pod):
    snapshot = await work_then_lose_the_volume(pod)
    unpushed = pod.remote("rev-parse", f"{snapshot}^").strip()

    result = pod.init()

    assert result.returncode == 0, result.stderr
    assert pod.git("rev-parse", "HEAD").strip() == unpushed
    assert pod.git("symbolic-ref", "--short", "HEAD").strip() == "main"
    assert (pod.workspace / "work/notes.md").read_text() == "# notes\ncommitted, never pushed\n"
    assert (pod.workspace / "IlumIntro.ipynb").read_text() == '{"cells": ["uncommitted edit"]}\n'
    assert (pod.workspace / "analysis/new.py").read_text() == "print('untracked')\n"
    assert (pod.workspace / "run.sh").stat().st_mode & 0o111
    status = pod.git("status", "--porcelain", "--untracked-files=all").splitlines()
    assert sorted(status) == [" M IlumIntro.ipynb", "?? analysis/new.py", "?? run.sh"]
    restored = restore_state(pod)
    assert restored["snapshot"] == snapshot
    assert restored["commits"] == 1
    assert sorted(restored["files"]) == ["IlumIntro.ipynb", "analysis/new.py", "run.sh"]
    assert restored["beside"] == []
    assert restored["kept_branch"] is None


async def test_remote_moved_meanwhile_no_version_is_lost(pod, tmp_path):
    snapshot = await work_then_lose_the_volume(pod)
    other = push_commits(pod.bare, tmp_path, {"work/notes.md": "# notes\nfrom another client\n"})

    result = pod.init()

    assert result.returncode == 0, result.stderr
    assert pod.git("rev-parse", "HEAD").strip() == other  # the remote's work, as it is
    notes = pod.workspace / "work/notes.md"
    assert notes.read_text() == "# notes\nfrom another client\n"
    restored = restore_state(pod)
    (beside,) = restored["beside"]
    assert beside.startswith("work/notes.md.autosave-")
    assert (pod.workspace / beside).read_text() == "# notes\ncommitted, never pushed\n"
    # files the remote did not touch come back in place
    assert (pod.workspace / "IlumIntro.ipynb").read_text() == '{"cells": ["uncommitted edit"]}\n'
    assert (pod.workspace / "analysis/new.py").read_text() == "print('untracked')\n"
    # and the unpushed commit itself is kept on a branch
    kept = restored["kept_branch"]
    assert git(pod.workspace, "rev-parse", kept).strip() == snapshot
    assert restored["commits"] == 0


async def test_a_second_start_restores_nothing_again(pod):
    await work_then_lose_the_volume(pod)
    assert pod.init().returncode == 0
    (pod.workspace / "analysis/new.py").write_text("edited after the restore\n")
    before = pod.user_repository()

    assert pod.init().returncode == 0

    assert pod.user_repository() == before
    assert restore_state(pod) is None


async def test_an_interrupted_restore_is_finished_by_the_next_start(pod):
    snapshot = await work_then_lose_the_volume(pod)
    assert pod.init().returncode == 0
    # as if the run had been killed after the marker was written and before the files
    (pod.workspace / "analysis/new.py").unlink()
    (pod.workspace / ".git" / "ilum-init-restoring").write_text(snapshot + "\n")

    assert pod.init().returncode == 0

    assert (pod.workspace / "analysis/new.py").read_text() == "print('untracked')\n"
    assert not (pod.workspace / ".git" / "ilum-init-restoring").exists()


async def test_with_autosave_off_nothing_is_restored(pod):
    await work_then_lose_the_volume(pod)

    assert pod.init(ILUM_AUTOSAVE="false").returncode == 0

    assert not (pod.workspace / "analysis/new.py").exists()
    assert pod.remote_ref(AUTOSAVE_REF) is not None  # still there for a later restore
