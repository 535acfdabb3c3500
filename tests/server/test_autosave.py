"""Autosave snapshots against a real git smart-HTTP server: what goes in, what never does, and
that the user's repository is never touched."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from ilum_singleuser.core.snapshot import ExcludeRules
from ilum_singleuser.server.autosave import AutosaveService
from ilum_singleuser.server.autosave_snapshot import SnapshotBuilder
from tests.autosave_support import AUTOSAVE_REF, Pod, initialised_pod


@pytest.fixture
def pod(git_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Pod:
    return initialised_pod(git_server, tmp_path, monkeypatch)


def receive_packs(pod: Pod) -> int:
    return sum(1 for method, path, _, _ in pod.server.requests if "git-receive-pack" in path)


async def test_snapshot_holds_unpushed_commit_and_uncommitted_files_and_touches_nothing(pod):
    pod.write("work/notes.md", "# notes\nlocal commit\n")
    pod.git("commit", "-qam", "unpushed work")
    pod.write("IlumIntro.ipynb", '{"cells": ["edited"]}\n')
    pod.write("analysis/new.py", "print('new')\n")
    pod.write("staged.txt", "staged\n")
    pod.git("add", "staged.txt")
    pod.write("stashed.txt", "stash me\n")
    pod.git("stash", "push", "-q", "--include-untracked", "--", "stashed.txt")
    before = pod.user_repository()

    state = await AutosaveService(pod.config()).snapshot()

    assert pod.user_repository() == before
    assert state["error"] is None
    snapshot = pod.remote_ref()
    assert snapshot == state["last"]["commit"]
    assert pod.remote("rev-parse", f"{snapshot}^") == pod.git("rev-parse", "HEAD")
    assert pod.remote_file("IlumIntro.ipynb") == '{"cells": ["edited"]}\n'
    assert pod.remote_file("analysis/new.py") == "print('new')\n"
    assert pod.remote_file("staged.txt") == "staged\n"
    assert pod.remote_file("work/notes.md") == "# notes\nlocal commit\n"
    assert "stashed.txt" not in pod.remote_files()
    people = pod.remote("log", "-1", "--format=%an <%ae>|%cn <%ce>", snapshot).strip()
    assert people == "Jane Doe <jane@example.org>|Jane Doe <jane@example.org>"
    assert state["last"]["files"] == 3
    assert state["last"]["commits"] == 1
    assert state["ref"] == "ilum-autosave/main"


async def test_snapshot_while_the_users_git_holds_the_index_lock(pod):
    pod.write("draft.md", "draft\n")
    lock = pod.workspace / ".git" / "index.lock"
    lock.write_bytes(b"held by the user's git")
    before = pod.user_repository()

    state = await AutosaveService(pod.config()).snapshot()

    assert state["error"] is None
    assert lock.read_bytes() == b"held by the user's git"
    assert pod.user_repository() == before
    assert pod.remote_file("draft.md") == "draft\n"


async def test_no_secret_ever_reaches_the_remote(pod):
    secrets = {
        ".ssh/id_ed25519": "MARKER-SSH-KEY",
        ".sparkmagic/config.json": '{"password": "MARKER-LIVY-PASSWORD"}',
        ".local/share/jupyter/runtime.json": "MARKER-LOCAL",
        ".env": "TOKEN=MARKER-DOTENV",
        "project/.env": "TOKEN=MARKER-NESTED-DOTENV",
        "certs/server.pem": "MARKER-PEM",
        "id_rsa": "MARKER-ID-RSA",
        "ignored/secret.txt": "MARKER-GITIGNORED",
        "data/huge.csv": "MARKER-TOO-BIG" + "x" * 20_000,
    }
    for rel, text in secrets.items():
        pod.write(rel, text)
    pod.write(".gitignore", "ignored/\n")
    pod.write("kept.md", "MARKER-KEPT\n")
    # A repository whose exclude file was never written by ilum-init: runtime files still stay out.
    (pod.workspace / ".git" / "info" / "exclude").write_text("")

    state = await AutosaveService(pod.config(autosave_max_file_mb=0.01)).snapshot()

    everything = pod.remote_objects()
    assert b"MARKER-KEPT" in everything
    for rel, text in secrets.items():
        assert text.split("=")[-1][:18].encode() not in everything, rel
    assert state["last"]["skipped"] == [
        {"path": "data/huge.csv", "reason": "too-big", "size": 20_014}
    ]
    assert "Ilum-Autosave-Skipped" in pod.remote("log", "-1", "--format=%B", AUTOSAVE_REF)


async def test_a_tracked_secret_keeps_its_committed_version(pod):
    pod.write(".env", "TOKEN=old-and-committed\n")
    pod.git("add", "-f", ".env")
    pod.git("commit", "-qm", "committed by mistake")
    pod.write(".env", "TOKEN=MARKER-NEW-SECRET\n")
    pod.write("notes.txt", "work\n")

    await AutosaveService(pod.config()).snapshot()

    assert b"MARKER-NEW-SECRET" not in pod.remote_objects()
    assert pod.remote_file(".env") == "TOKEN=old-and-committed\n"


async def test_an_idle_tick_pushes_nothing(pod):
    pod.write("draft.md", "draft\n")
    service = AutosaveService(pod.config())
    first = await service.snapshot()
    requests = len(pod.server.requests)

    second = await service.snapshot()
    restarted = await AutosaveService(pod.config()).snapshot()  # the server was restarted

    assert len(pod.server.requests) == requests
    assert second["last"] == first["last"] == restarted["last"]
    pod.write("draft.md", "draft, later\n")
    await service.snapshot()
    assert pod.remote_file("draft.md") == "draft, later\n"


async def test_touching_a_file_without_changing_it_pushes_nothing(pod):
    pod.write("draft.md", "draft\n")
    service = AutosaveService(pod.config())
    await service.snapshot()
    packs = receive_packs(pod)
    pod.write("draft.md", "draft\n")

    await service.snapshot()

    assert receive_packs(pod) == packs


async def test_a_clean_pushed_workspace_removes_the_autosave_branch(pod):
    pod.write("draft.md", "draft\n")
    service = AutosaveService(pod.config())
    await service.snapshot()
    assert pod.remote_ref() is not None
    pod.git("add", "draft.md")
    pod.git("commit", "-qm", "done")
    pod.git("push", "-q", "origin", "main")

    state = await service.snapshot()

    assert pod.remote_ref() is None
    assert state["last"] is None
    assert state["error"] is None
    requests = len(pod.server.requests)
    await service.snapshot()
    assert len(pod.server.requests) == requests  # removed once, not on every tick


async def test_two_snapshots_racing_make_one(pod):
    pod.write("draft.md", "draft\n")
    service = AutosaveService(pod.config())

    tick, post = await asyncio.gather(service.snapshot(), service.snapshot())

    assert tick == post
    assert service.pushes == 1
    assert pod.remote_ref() == tick["last"]["commit"]
    assert pod.remote("fsck", "--no-dangling") == ""


async def test_a_snapshot_while_the_user_commits(pod):
    service = AutosaveService(pod.config())
    failures: list[str] = []
    done = threading.Event()

    def user_commits() -> None:
        for i in range(15):
            pod.write(f"commits/{i}.txt", f"{i}\n")
            result = subprocess.run(
                ["git", "-C", str(pod.workspace), "add", "-A", "commits"],
                capture_output=True,
                text=True,
                check=False,
            )
            result2 = subprocess.run(
                ["git", "-C", str(pod.workspace), "commit", "-qm", f"commit {i}"],
                capture_output=True,
                text=True,
                check=False,
            )
            failures.extend(r.stderr for r in (result, result2) if r.returncode)
        done.set()

    thread = threading.Thread(target=user_commits)
    thread.start()
    states = []
    while not done.is_set():
        pod.write("draft.md", f"draft {len(states)}\n")
        states.append(await service.snapshot())
    thread.join()
    states.append(await service.snapshot())

    assert failures == []
    assert all(s["error"] is None for s in states)
    assert pod.git("rev-list", "--count", "HEAD").strip() == "16"
    assert pod.git("status", "--porcelain", "--", "commits") == ""
    final = pod.remote_ref()
    assert pod.remote("rev-parse", f"{final}^") == pod.git("rev-parse", "HEAD")
    assert {f"commits/{i}.txt" for i in range(15)} <= pod.remote_files()


async def test_gitea_down_is_an_error_with_back_off(pod):
    service = AutosaveService(pod.config(git_url="http://127.0.0.1:9", autosave_interval=10))
    pod.write("draft.md", "draft\n")

    first = await service.snapshot()
    gap_first = service.next_at - service._clock()
    second = await service.snapshot()
    gap_second = service.next_at - service._clock()

    assert first["error"]["code"] == "unreachable"
    assert second["error"]["failures"] == 2
    assert 9 < gap_first <= 10
    assert 19 < gap_second <= 20
    pod_config = pod.config(autosave_interval=10)
    service.config = pod_config  # Gitea is back: the next snapshot succeeds and clears the error
    recovered = await service.snapshot()
    assert recovered["error"] is None
    assert pod.remote_ref() is not None


async def test_a_refused_login_is_an_authentication_error(pod, monkeypatch):
    monkeypatch.setenv("ILUM_GIT_PASSWORD", "wrong")
    pod.write("draft.md", "draft\n")

    state = await AutosaveService(pod.config()).snapshot()

    assert state["error"]["code"] == "authentication"
    assert "wrong" not in state["error"]["message"]


async def test_a_rejected_push_is_reported(pod):
    hook = pod.bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'autosave branches are not allowed here' >&2\nexit 1\n")
    hook.chmod(0o755)
    pod.write("draft.md", "draft\n")

    state = await AutosaveService(pod.config()).snapshot()

    assert state["error"]["code"] == "rejected"
    assert pod.remote_ref() is None


async def test_ticks_run_on_their_own_and_stop_takes_a_last_snapshot(pod):
    service = AutosaveService(pod.config(autosave_interval=0.2))
    pod.write("draft.md", "one\n")
    service.start()
    for _ in range(100):
        if pod.remote_ref():
            break
        await asyncio.sleep(0.05)
    assert pod.remote_file("draft.md") == "one\n"
    pod.write("draft.md", "two\n")

    await service.stop()

    assert pod.remote_file("draft.md") == "two\n"
    assert service.describe()["next_at"] is None


def tree_git_add_all_would_stage(pod: Pod, tmp_path: Path) -> str:
    index = tmp_path / "expected.index"
    shutil.copyfile(pod.workspace / ".git" / "index", index)
    env = {**os.environ, "GIT_INDEX_FILE": str(index)}
    for args in (["add", "-A"], ["write-tree"]):
        out = subprocess.run(
            ["git", *args], cwd=pod.workspace, env=env, capture_output=True, text=True, check=True
        )
    return out.stdout.strip()


async def test_the_snapshot_tree_is_what_git_add_all_would_stage(pod, tmp_path):
    pod.write("IlumIntro.ipynb", "modified\n")
    (pod.workspace / "work" / "notes.md").unlink()
    pod.write("run.sh", "#!/bin/sh\n").chmod(0o755)
    (pod.workspace / "link").symlink_to("IlumIntro.ipynb")
    pod.write("odd\nname.txt", "a newline in the name\n")
    pod.write("staged.txt", "staged\n")
    pod.git("add", "staged.txt")
    pod.write("staged.txt", "staged, then changed\n")
    service = AutosaveService(pod.config())

    async def snapshot_is_add_all() -> None:
        await service.snapshot()
        expected = tree_git_add_all_would_stage(pod, tmp_path)
        assert pod.remote("rev-parse", f"{AUTOSAVE_REF}^{{tree}}").strip() == expected

    await snapshot_is_add_all()
    # later snapshots apply only what changed since the last one: each case is still exact
    pod.write("run.sh", "#!/bin/sh\necho changed\n")
    await snapshot_is_add_all()
    pod.write("later/new.txt", "new since the last snapshot\n")
    await snapshot_is_add_all()
    pod.git("checkout", "--", "IlumIntro.ipynb")  # a change undone
    await snapshot_is_add_all()
    pod.git("add", "run.sh")
    pod.git("commit", "-qm", "the user commits between two snapshots")
    await snapshot_is_add_all()
    (pod.workspace / "later" / "new.txt").unlink()  # an untracked file gone again
    await snapshot_is_add_all()
    # the status keeps git's untracked cache: a folder changed right after it was read (in the
    # same second), an ignore rule dropped, are still seen
    pod.write("later/second.txt", "in a folder the last status read\n")
    await snapshot_is_add_all()
    pod.write("later/third.txt", "at once after the snapshot\n")
    await snapshot_is_add_all()
    exclude = pod.workspace / ".git" / "info" / "exclude"
    rules = exclude.read_text() if exclude.exists() else ""
    pod.write(".git/info/exclude", rules + "*.log\n")
    pod.write("later/kept.log", "ignored, then not\n")
    await snapshot_is_add_all()
    pod.write(".git/info/exclude", rules)
    await snapshot_is_add_all()


async def test_a_user_index_that_is_split_is_read_never_written(pod, tmp_path):
    # The user's own index is a split one: its shared part stays theirs, untouched, and nothing
    # of ours lands in their repository folder.
    pod.git("config", "core.splitIndex", "true")
    pod.git("update-index", "--split-index")
    pod.write("IlumIntro.ipynb", "edited\n")
    pod.write("later/new.txt", "new\n")
    git_dir = pod.workspace / ".git"
    shared = {p.name: p.read_bytes() for p in git_dir.glob("sharedindex.*")}
    assert shared
    before = pod.user_repository()
    service = AutosaveService(pod.config())

    for change in ("first", "second"):
        pod.write("draft.md", f"{change}\n")
        state = await service.snapshot()
        assert state["error"] is None
        before["worktree"]["draft.md"] = pod.user_repository()["worktree"]["draft.md"]
        assert pod.user_repository() == before
        assert {p.name: p.read_bytes() for p in git_dir.glob("sharedindex.*")} == shared
        # (git add -A on a copy, with the user's config, writes a shared index of its own)
        expected = tree_git_add_all_would_stage(pod, tmp_path)
        assert pod.remote("rev-parse", f"{AUTOSAVE_REF}^{{tree}}").strip() == expected
        shared = {p.name: p.read_bytes() for p in git_dir.glob("sharedindex.*")}


async def test_a_sha256_repository_and_a_linked_worktree_build_the_git_add_all_tree(tmp_path):
    # The private folder the temporary index lives in must speak the user's object format and
    # find the objects of the shared repository folder.
    def git(cwd: Path, *args: str) -> str:
        people = ("AUTHOR", "COMMITTER")
        env = {**os.environ, **{f"GIT_{who}_NAME": "J" for who in people}}
        env.update({f"GIT_{who}_EMAIL": "j@example.org" for who in people})
        return subprocess.run(
            ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
        ).stdout.strip()

    repo = tmp_path / "repo"
    git(tmp_path, "init", "-q", "--object-format=sha256", "-b", "main", str(repo))
    (repo / "kept.txt").write_text("kept\n")
    (repo / "edited.txt").write_text("before\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "first")
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", str(linked), "-b", "side")
    for workspace in (repo, linked):
        (workspace / "edited.txt").write_text(f"after, in {workspace.name}\n")
        (workspace / "new" / "deep").mkdir(parents=True)
        (workspace / "new" / "deep" / "file.txt").write_text("new\n")
        builder = SnapshotBuilder(
            workspace, tmp_path / f"scratch-{workspace.name}", ExcludeRules(()), 10**6, "jane", {}
        )
        built = await builder.build(await builder.read())
        index = tmp_path / f"expected-{workspace.name}.index"
        shutil.copyfile(Path(git(workspace, "rev-parse", "--absolute-git-dir")) / "index", index)
        env = {**os.environ, "GIT_INDEX_FILE": str(index)}
        subprocess.run(["git", "add", "-A"], cwd=workspace, env=env, check=True)
        expected = subprocess.run(
            ["git", "write-tree"],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert len(built.tree) == 64
        assert built.tree == expected
