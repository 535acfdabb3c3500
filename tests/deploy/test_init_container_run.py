"""The init container as the examples define it, run for real: its command and environment
(hub hooks included: the user's own Gitea token), its mounts mapped to local folders, the
templates ConfigMap mounted the way the kubelet does, against a loopback Gitea. Catches a
misspelt variable or a wrong mount path in the examples, which schema validation cannot."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ORG, git

from .support import (
    INIT,
    LDAP_STATE,
    container,
    env_of,
    gitea_edits,
    load_example,
    project_configmap,
    tree,
)

IN_CLUSTER_GITEA = "http://ilum-gitea-http:3000"
MARKER = Path("work/from-the-configmap.md")


def local_paths(spec: dict[str, Any], tmp_path: Path, make_templates: Any) -> dict[str, Path]:
    """A local folder for every mount of the init container, filled as Kubernetes would."""
    folders = {}
    for volume_mount in spec["volumeMounts"]:
        path = volume_mount["mountPath"]
        local = tmp_path / "pod" / path.strip("/").replace("/", "_")
        local.mkdir(parents=True)
        folders[path] = local
        if volume_mount["name"] == "ilum-templates":
            # The shipped templates plus a marker, to tell the ConfigMap from the image's copy.
            source = tmp_path / "configmap-source"
            shutil.copytree(INIT / "templates", source)
            (source / "work" / MARKER.name).write_text("from the ConfigMap\n")
            configmap, volume = make_templates.build(source, "ilum-templates", None)
            project_configmap(configmap, volume, local)
    return folders


def local_path(value: str, folders: dict[str, Path]) -> str:
    """``value`` with an in-pod mount path replaced by its local folder."""
    for pod_path, local in sorted(folders.items(), key=lambda kv: -len(kv[0])):
        if value == pod_path or value.startswith(pod_path + "/"):
            return str(local) + value[len(pod_path) :]
    return value


def run_init_container(
    spec: dict[str, Any], folders: dict[str, Path], gitea_url: str, strict: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the container's command with its environment; in-pod paths become local ones."""
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(folders["/home/jovyan"]),
        "GIT_CONFIG_GLOBAL": os.environ["GIT_CONFIG_GLOBAL"],
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    for name, value in env_of(spec).items():
        assert isinstance(value, str), f"{name} is not a literal value"
        env[name] = local_path(value, folders).replace(IN_CLUSTER_GITEA, gitea_url)
    # A broken test should not wait the example's two minutes for a repository.
    env["ILUM_INIT_TIMEOUT"] = "15"
    return subprocess.run(
        [*spec["command"], *(["--strict"] if strict else [])],
        env=env,
        cwd=folders["/home/jovyan"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_workspace_prepared(home: Path, git_server: Any, user: str) -> None:
    # The ConfigMap's templates, nested folder included, are in the home and the pushed commit
    assert tree(INIT / "templates").keys() <= {
        str(p.relative_to(home)) for p in home.rglob("*.ipynb") if ".git" not in p.parts
    }
    assert (home / MARKER).read_text() == "from the ConfigMap\n"
    remote = git_server.repo_path(ORG, f"jupyterhub-{user}.git")
    files = git(remote, "ls-tree", "-r", "--name-only", "main").split()
    assert {"IlumIntro.ipynb", "work/SparkQuickStart.ipynb", str(MARKER)} <= set(files)
    state = json.loads((home / ".local" / "state" / "ilum" / "init.json").read_text())
    assert state["outcome"] == "ok", state
    sparkmagic = json.loads((home / ".sparkmagic" / "config.json").read_text())
    assert sparkmagic["kernel_python_credentials"]["url"] == "http://ilum-core:9888"


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
async def test_kubespawner_init_container_prepares_the_workspace(
    tmp_path, monkeypatch, gitea, gitea_admin_dir, render_pod, make_templates
):
    # Given the user's (empty, private) repository and the KubeSpawner example's pod for her
    monkeypatch.syspath_prepend(str(tmp_path / "hub-config"))
    config = load_example(tmp_path, gitea_edits(gitea.url, gitea_admin_dir))
    pod = await render_pod(config, "jane", LDAP_STATE)
    spec = container(pod, "ilum-init", init=True)
    folders = local_paths(spec, tmp_path, make_templates)
    # When its init container runs, with the token the hub minted for her
    result = run_init_container(spec, folders, gitea.url)
    # Then the workspace is the user's repository with the templates, committed as the user
    assert result.returncode == 0, result.stderr
    home = folders["/home/jovyan"]
    assert_workspace_prepared(home, gitea, "jane")
    remote = gitea.repo_path(ORG, "jupyterhub-jane.git")
    author = git(remote, "log", "-1", "--format=%an <%ae>", "main").strip()
    assert author == "Jane Doe <jane.doe@example.org>"
    # and the push was made with her token, which is hers alone
    pushes = [r for r in gitea.requests if r[0] == "POST" and r[1].endswith("git-receive-pack")]
    assert pushes
    assert {r[2] for r in pushes} == {"jane"}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
async def test_z2jh_init_container_prepares_the_workspace(
    tmp_path, gitea, z2jh_hub, render_pod, make_templates
):
    # Given the values example's init container, as the chart and the hub hooks make it
    pod = await render_pod(z2jh_hub(), "jane")
    spec = container(pod, "ilum-init", init=True)
    folders = local_paths(spec, tmp_path, make_templates)
    # When it runs
    result = run_init_container(spec, folders, gitea.url)
    # Then the workspace is prepared the same way
    assert result.returncode == 0, result.stderr
    assert_workspace_prepared(folders["/home/jovyan"], gitea, "jane")


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
async def test_without_a_token_ilum_init_records_an_authentication_error(
    tmp_path, monkeypatch, gitea, gitea_admin_dir, render_pod, make_templates
):
    # Given the hub could not mint a token (its Gitea admin Secret is wrong)
    (gitea_admin_dir / "password").write_text("not-the-password")
    monkeypatch.syspath_prepend(str(tmp_path / "hub-config"))
    config = load_example(tmp_path, gitea_edits(gitea.url, gitea_admin_dir))
    pod = await render_pod(config, "jane", LDAP_STATE)
    spec = container(pod, "ilum-init", init=True)
    folders = local_paths(spec, tmp_path, make_templates)
    # When the init container runs (without --strict, as in the pod)
    result = run_init_container(spec, folders, gitea.url, strict=False)
    # Then it lets the server start and records an authentication error for the panel
    assert result.returncode == 0, result.stderr
    home = folders["/home/jovyan"]
    state = json.loads((home / ".local" / "state" / "ilum" / "init.json").read_text())
    assert state["outcome"] == "failed"
    assert state["error"]["code"] == "authentication"
