"""Fixtures for the deployment examples: the template generator, the hub hook module, and
KubeSpawner rendering real pod manifests without a cluster."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .support import INIT, HubUser, load_script

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
def offline_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """KubeSpawner loads a kubeconfig when created; this one points nowhere and is never used."""
    path = tmp_path / "kubeconfig"
    path.write_text(FAKE_KUBECONFIG)
    monkeypatch.setenv("KUBECONFIG", str(path))
    return path


@pytest.fixture
def render_pod(offline_kubeconfig: Path) -> Any:
    """``await render_pod(config, username, auth_state=None)``: the pod manifest (a dict) that
    KubeSpawner would create, after running the configured ``auth_state_hook``."""

    async def render(config: Any, username: str, auth_state: Any = None) -> dict[str, Any]:
        from kubernetes_asyncio.client import ApiClient
        from kubespawner import KubeSpawner

        spawner = KubeSpawner(config=config, user=HubUser(username), _mock=True)
        spawner.api_token = "hub-api-token"
        await spawner.run_auth_state_hook(auth_state)
        pod = await spawner.get_pod_manifest()
        async with ApiClient() as client:
            manifest: dict[str, Any] = client.sanitize_for_serialization(pod)
        await spawner.api.api_client.close()
        return manifest

    return render
