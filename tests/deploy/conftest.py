"""Fixtures for the deployment examples: the template generator, the hub hook module, and
KubeSpawner rendering real pod manifests without a cluster."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from traitlets.config import Config

from ilum_singleuser.testing.git_http_server import GitHTTPServer

from .chart import chart_defaults, kubespawner_config, set_file_hooks, z2jh_example
from .gitea_users import gitea_with_users, write_admin_login
from .support import INIT, HubUser, deep_merge, load_script

FAKE_KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{name: offline, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: offline, user: {token: unused}}]
contexts: [{name: offline, context: {cluster: offline, user: offline, namespace: ilum}}]
current-context: offline
"""


@pytest.fixture(scope="session")
def make_templates() -> ModuleType:
    return load_script(INIT / "make-templates-configmap", "make_templates_configmap")


@pytest.fixture
def hub_hooks(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(INIT))
    sys.modules.pop("ilum_hub_hooks", None)
    import ilum_hub_hooks

    return ilum_hub_hooks


@pytest.fixture
def gitea(tmp_path: Path) -> Iterator[GitHTTPServer]:
    """A Gitea stand-in with an admin, alice, bob and the LDAP users the tests spawn."""
    with gitea_with_users(tmp_path / "gitea") as server:
        yield server


@pytest.fixture
def gitea_admin_dir(tmp_path: Path) -> Path:
    return write_admin_login(tmp_path / "hub-secrets" / "gitea-admin")


@pytest.fixture
def offline_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """KubeSpawner loads a kubeconfig when created; this one points nowhere and is never used."""
    path = tmp_path / "kubeconfig"
    path.write_text(FAKE_KUBECONFIG)
    monkeypatch.setenv("KUBECONFIG", str(path))
    return path


@pytest.fixture
def render_pod(offline_kubeconfig: Path) -> Any:
    """``await render_pod(config, username, auth_state=None)``: the pod manifest (a dict) that
    KubeSpawner would create, after running the configured ``auth_state_hook`` and
    ``pre_spawn_hook`` in JupyterHub's order."""

    async def render(config: Any, username: str, auth_state: Any = None) -> dict[str, Any]:
        from jupyterhub.utils import maybe_future
        from kubernetes_asyncio.client import ApiClient
        from kubespawner import KubeSpawner

        spawner = KubeSpawner(config=config, user=HubUser(username), _mock=True)
        spawner.api_token = "hub-api-token"
        await spawner.run_auth_state_hook(auth_state)
        await maybe_future(spawner.run_pre_spawn_hook())
        pod = await spawner.get_pod_manifest()
        async with ApiClient() as client:
            manifest: dict[str, Any] = client.sanitize_for_serialization(pod)
        await spawner.api.api_client.close()
        return manifest

    return render


@pytest.fixture
def hub_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import sys

    folder = tmp_path / "usr-local-etc-jupyterhub"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    for name in ("ilum_hub_hooks", "ilum_gitea_tokens"):
        sys.modules.pop(name, None)
    yield folder
    for name in ("ilum_hub_hooks", "ilum_gitea_tokens"):
        sys.modules.pop(name, None)


@pytest.fixture
def z2jh_hub(hub_config_dir, monkeypatch, gitea, gitea_admin_dir) -> Any:
    """``z2jh_hub(overrides=None, set_file=True)``: the hub's config from init/z2jh-values.yaml
    (merged over the chart's defaults, then ``overrides``), the hub talking to the Gitea
    stand-in."""

    def configure(overrides: dict[str, Any] | None = None, set_file: bool = True) -> Config:
        values = deep_merge(chart_defaults(), z2jh_example())
        if set_file:
            values = deep_merge(values, set_file_hooks())
        gitea_env = {
            "ILUM_GIT_URL": gitea.url,
            "ILUM_GITEA_ADMIN_DIR": str(gitea_admin_dir),
            "ILUM_GITEA_USER_WAIT_SECONDS": "2",
        }
        values = deep_merge(values, {"hub": {"extraEnv": gitea_env}})
        return kubespawner_config(
            deep_merge(values, overrides or {}), hub_config_dir, monkeypatch.setenv
        )

    return configure
