"""``kill -9`` at the worst moments, two runs at once, and ConfigMap-shaped templates."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from tests.conftest import git
from tests.init.conftest import InitSetup, push_commits

# The init, killed with SIGKILL right after one of its own steps: a real kill -9 at a precise
# point, without any test hook in the product. `{point}` is patched to run, then kill.
KILL_AT = textwrap.dedent(
    """
    import os, signal, sys
    from ilum_singleuser.init import cli, case_table, templates

    def killing(original):
        def wrapper(*args, **kwargs):
            result = original(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
            return result
        return wrapper

    {patch}
    sys.exit(cli.main(["--strict"]))
    """
)

PATCHES = {
    # The clone: objects fetched into the scratch repository, .git not yet in place.
    "during the clone": "case_table.Git.run = (lambda orig: lambda self, *a, **k: "
    "(killing(orig)(self, *a, **k) if a[:1] == ('fetch',) and 'tmp' in str(self.cwd) "
    "else orig(self, *a, **k)))(case_table.Git.run)",
    "after copying templates": "case_table.copy_templates = killing(case_table.copy_templates)",
    "after the commit, before the push": "case_table.WorkspaceInitialiser._set_upstream = "
    "killing(case_table.WorkspaceInitialiser._set_upstream)",
    "halfway through checking out remote files": "case_table.WorkspaceInitialiser"
    "._restore_missing_files = (lambda orig: lambda self, marker: "
    "(self.git.run('reset', '--quiet', '--mixed', check=False), "
    "os.kill(os.getpid(), signal.SIGKILL)))(None)",
}


def run_killed(setup: InitSetup, point: str) -> subprocess.CompletedProcess:
    code = KILL_AT.format(patch=PATCHES[point])
    return subprocess.run(
        [sys.executable, "-c", code],
        env=setup.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "point", ["during the clone", "after copying templates", "after the commit, before the push"]
)
def test_fresh_start_killed_at_any_point_is_finished_by_the_next_run(setup: InitSetup, point):
    ws = setup.workspace
    (ws / "mine.txt").write_text("user bytes")
    if point == "during the clone":
        push_commits(setup.bare, setup.workspace.parent, {"remote.txt": "r"})

    killed = run_killed(setup, point)
    assert killed.returncode == -9, killed.stderr
    result = setup.run("--strict")

    assert result.returncode == 0, result.stderr
    assert (ws / "mine.txt").read_text() == "user bytes"
    head = git(ws, "rev-parse", "HEAD").strip()
    assert git(setup.bare, "rev-parse", "main").strip() == head
    if point == "during the clone":
        assert (ws / "remote.txt").read_text() == "r"
        assert not (ws / "IlumIntro.ipynb").exists()
    else:
        assert len(git(ws, "log", "--format=%H").split()) == 1
        assert "IlumIntro.ipynb" in git(ws, "ls-files")
    assert "?? mine.txt" in git(ws, "status", "--porcelain")
    assert not list((ws / ".local/state/ilum").glob("tmp/*"))


def test_checkout_of_remote_files_killed_halfway_is_completed(setup: InitSetup):
    ws = setup.workspace
    push_commits(setup.bare, ws.parent, {"a.txt": "a", "b/c.txt": "c", "mine.txt": "remote"})
    (ws / "mine.txt").write_text("local wins")

    killed = run_killed(setup, "halfway through checking out remote files")
    assert killed.returncode == -9
    result = setup.run("--strict")

    assert result.returncode == 0, result.stderr
    assert (ws / "a.txt").read_text() == "a"
    assert (ws / "b/c.txt").read_text() == "c"
    assert (ws / "mine.txt").read_text() == "local wins"
    assert git(ws, "status", "--porcelain").splitlines() == [" M mine.txt"]


def test_two_runs_at_once_take_turns_and_commit_templates_once(setup: InitSetup):
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "ilum_singleuser.init.cli", "--strict"],
            env=setup.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]

    assert [p.returncode for p in procs] == [0, 0], outputs
    ws = setup.workspace
    assert len(git(ws, "log", "--format=%H").split()) == 1
    assert git(ws, "status", "--porcelain") == ""
    assert git(ws, "fsck", "--no-progress", "--strict") == ""
    cases = [line for _, err in outputs for line in err.splitlines() if "done:" in line]
    assert any("fresh-repo" in c for c in cases), cases
    assert any("existing-checkout" in c for c in cases), cases


def make_configmap_volume(root):
    """The layout kubelet writes for a ConfigMap with `items` that have nested paths."""
    stamp = root / "..2026_11_26_01_00_00.123456789"
    (stamp / "work").mkdir(parents=True)
    (stamp / "IlumIntro.ipynb").write_text("intro")
    (stamp / "work" / "Spark.ipynb").write_text("spark")
    os.symlink(stamp.name, root / "..data")
    os.symlink("..data/IlumIntro.ipynb", root / "IlumIntro.ipynb")
    os.symlink("..data/work", root / "work")
    return root


def test_configmap_volume_templates_copy_what_the_configmap_means(setup: InitSetup, tmp_path):
    volume = make_configmap_volume(tmp_path / "configmap")

    result = setup.run("--strict", ILUM_TEMPLATES_DIR=str(volume))

    assert result.returncode == 0, result.stderr
    ws = setup.workspace
    assert sorted(git(ws, "ls-files").split()) == ["IlumIntro.ipynb", "work/Spark.ipynb"]
    assert not (ws / "IlumIntro.ipynb").is_symlink()
    assert (ws / "work" / "Spark.ipynb").read_text() == "spark"
    assert not any(p.name.startswith("..") for p in ws.iterdir())


def test_user_file_named_like_a_template_keeps_its_bytes(setup: InitSetup):
    ws = setup.workspace
    (ws / "IlumIntro.ipynb").write_bytes(b"\x00my own notebook\xff")

    result = setup.run("--strict")

    assert result.returncode == 0, result.stderr
    assert (ws / "IlumIntro.ipynb").read_bytes() == b"\x00my own notebook\xff"
    assert "IlumIntro.ipynb" not in git(ws, "ls-files")


def test_runtime_noise_is_excluded_without_touching_the_users_gitignore(setup: InitSetup):
    ws = setup.workspace
    (ws / ".gitignore").write_text("*.csv\n")
    (ws / ".ipynb_checkpoints").mkdir()
    (ws / ".ipynb_checkpoints" / "x.ipynb").write_text("{}")
    (ws / ".cache").mkdir()

    setup.run("--strict")
    setup.run("--strict")

    assert (ws / ".gitignore").read_text() == "*.csv\n"
    exclude = (ws / ".git/info/exclude").read_text()
    assert exclude.count(".ipynb_checkpoints/") == 1
    assert ".ipynb_checkpoints" not in git(ws, "status", "--porcelain", "--untracked-files=all")


@pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root, like the init container")
def test_files_belong_to_the_notebook_user_and_git_accepts_the_repository(setup: InitSetup):
    # A home the notebook user can reach (pytest's own temp folders are root-only).
    ws = Path(tempfile.mkdtemp(prefix="ilum-home-", dir="/tmp"))
    os.chmod(ws, 0o755)
    setup.env["ILUM_WORKSPACE"] = str(ws)
    setup.workspace = ws

    result = setup.run("--strict", "--chown", "1000:100")

    assert result.returncode == 0, result.stderr
    for path in [ws, *ws.rglob("*")]:
        st = os.lstat(path)
        assert (st.st_uid, st.st_gid) == (1000, 100), path
    as_user = subprocess.run(
        ["git", "status", "--porcelain"],
        cwd=ws,
        user=1000,
        group=100,
        env={"PATH": os.environ["PATH"], "HOME": str(ws), "LANG": "C"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert as_user.returncode == 0, as_user.stderr
    # A second start as root on the user's files works too (git's ownership check).
    again = setup.run("--strict", "--chown", "1000:100")
    assert again.returncode == 0, again.stderr
    shutil.rmtree(ws)


# A real server-side hook: the first push finds the branch locked, as when Gitea's receive-pack
# of a push killed half-way still holds it; git itself then rejects the update.
BUSY_ONCE_HOOK = """#!/bin/sh
if [ ! -e "$GIT_DIR/busy-once" ]; then
    touch "$GIT_DIR/busy-once" "$GIT_DIR/refs/heads/main.lock"
else
    rm -f "$GIT_DIR/refs/heads/main.lock"
fi
"""


def receive_packs(git_server) -> int:
    return sum(
        1 for method, path, _, _ in git_server.requests if path.endswith("/git-receive-pack")
    )


def test_a_push_turned_away_while_gitea_is_busy_is_retried(setup: InitSetup, git_server):
    hook = setup.bare / "hooks" / "pre-receive"
    hook.write_text(BUSY_ONCE_HOOK)
    hook.chmod(0o755)

    result = setup.run("--strict")

    assert result.returncode == 0, result.stderr
    assert "turned the push away for now; retrying in 1 s" in result.stderr
    assert receive_packs(git_server) == 2
    assert git(setup.bare, "rev-parse", "main") == git(setup.workspace, "rev-parse", "HEAD")
    assert setup.state()["case"] == "fresh-repo"


def test_a_branch_that_stays_locked_ends_the_retries(setup: InitSetup, git_server):
    (setup.bare / "refs" / "heads" / "main.lock").touch()

    result = setup.run("--strict")

    assert result.returncode == 1
    assert receive_packs(git_server) == 4
    state = setup.state()
    assert state["error"]["code"] == "git"
    assert "failed to update ref" in state["error"]["message"]


def test_a_push_rejected_for_good_is_not_retried(setup: InitSetup, git_server):
    hook = setup.bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch' >&2\nexit 1\n")
    hook.chmod(0o755)

    result = setup.run("--strict")

    assert result.returncode == 1
    assert receive_packs(git_server) == 1
    assert "pre-receive hook declined" in setup.state()["error"]["message"]
