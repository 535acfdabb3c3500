"""Helpers for the deployment examples: load them as JupyterHub and Helm would, validate
Kubernetes objects offline, and look into rendered pod manifests."""

from __future__ import annotations

import copy
import importlib.machinery
import importlib.util
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any

from traitlets.config import Config, PyFileConfigLoader

from ilum_singleuser.init.templates import iter_template_files

REPO = Path(__file__).parents[2]
INIT = REPO / "init"
# CI puts the shared reference data beside the checkout.
REFERENCE = REPO / ".." / "shared" / "reference"
# The Kubernetes version the objects are checked against (the chart's own kube-scheduler is 1.35).
K8S_VERSION = "1.35.0"


def load_script(path: Path, name: str) -> ModuleType:
    """Import a file that has no ``.py`` suffix (init/make-templates-configmap)."""
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    spec = importlib.util.spec_from_loader(name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def validate_k8s(obj: Mapping[str, Any]) -> None:
    """Kubernetes' own schema for ``obj``, strict: an unknown field is an error."""
    import kubernetes_validate

    kubernetes_validate.validate(dict(obj), K8S_VERSION, strict=True)


def deep_merge(base: Any, override: Any) -> Any:
    """Helm's merge of values files: maps merge key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = copy.deepcopy(base)
        for key, value in override.items():
            merged[key] = deep_merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)


class HubUser:
    """What KubeSpawner reads of a JupyterHub user."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.id = 7
        self.url = f"/user/{name}/"
        self.spawners: dict[str, Any] = {}


def container(pod: Mapping[str, Any], name: str, init: bool = False) -> dict[str, Any]:
    key = "initContainers" if init else "containers"
    matches = [c for c in pod["spec"].get(key) or [] if c["name"] == name]
    assert len(matches) == 1, f"{key} named {name}: {len(matches)}"
    return matches[0]


def env_of(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in spec.get("env") or []}


def mount(spec: Mapping[str, Any], path: str) -> dict[str, Any]:
    matches = [m for m in spec.get("volumeMounts") or [] if m["mountPath"] == path]
    assert len(matches) == 1, f"mounts at {path}: {matches}"
    return matches[0]


def assert_volume_references_resolve(pod: Mapping[str, Any]) -> None:
    """Every container mounts only volumes the pod defines (the schema does not check this)."""
    defined = {v["name"] for v in pod["spec"].get("volumes") or []}
    for key in ("initContainers", "containers"):
        for spec in pod["spec"].get(key) or []:
            for volume_mount in spec.get("volumeMounts") or []:
                assert volume_mount["name"] in defined, (spec["name"], volume_mount["name"])


LDAP_STATE = {
    "ldap_groups": ["cn=analysts,ou=groups,dc=example,dc=org"],
    "user_attributes": {"cn": ["Jane Doe"], "mail": ["jane.doe@example.org"]},
}


HUB_FILES = ("ilum_hub_hooks.py", "ilum_gitea_tokens.py")


def gitea_edits(gitea_url: str, admin_dir: Path) -> dict[str, str]:
    """The edits that point the example at a Gitea stand-in and its admin Secret's folder."""
    return {
        '    "ILUM_GIT_URL": "http://ilum-gitea-http:3000",': f'    "ILUM_GIT_URL": "{gitea_url}",',
        'GITEA_ADMIN_DIR = "/etc/ilum/gitea-admin"': f'GITEA_ADMIN_DIR = "{admin_dir}"',
        # A misdirected test gives up soon instead of waiting the example's minute.
        "GITEA_USER_WAIT_SECONDS = 60": "GITEA_USER_WAIT_SECONDS = 2",
    }


def load_example(tmp_path: Path, edits: dict[str, str] | None = None) -> Config:
    """The example as jupyterhub_config.py's load_subconfig reads it, from a copy with the
    line edits an operator would make (``{"SSH_ENABLED = False": "SSH_ENABLED = True"}``)."""
    folder = tmp_path / "hub-config"
    folder.mkdir()
    text = (INIT / "kubespawner_config.py").read_text()
    for old, new in (edits or {}).items():
        assert f"\n{old}\n" in text, old
        text = text.replace(f"\n{old}\n", f"\n{new}\n")
    (folder / "kubespawner_config.py").write_text(text)
    for name in HUB_FILES:
        (folder / name).write_text((INIT / name).read_text())
    loader = PyFileConfigLoader("kubespawner_config.py", path=str(folder))
    return loader.load_config()


def project_configmap(configmap: dict[str, Any], volume: dict[str, Any], target: Path) -> None:
    """Lay out ``configmap`` under ``target`` as the kubelet mounts a ConfigMap volume with
    ``items``: the files in a timestamped folder, ``..data`` pointing at it, and one symlink per
    top-level name pointing through ``..data``."""
    import base64

    stamp = target / "..2026_11_26_01_00_00.000000001"
    for item in volume["configMap"]["items"]:
        key = item["key"]
        if key in configmap.get("data", {}):
            content = configmap["data"][key].encode("utf-8")
        else:
            content = base64.b64decode(configmap["binaryData"][key])
        path = stamp / item["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        path.chmod(item.get("mode", volume["configMap"]["defaultMode"]))
    (target / "..data").symlink_to(stamp.name)
    for top in {PurePosixPath(i["path"]).parts[0] for i in volume["configMap"]["items"]}:
        (target / top).symlink_to(f"..data/{top}")


def tree(root: Path) -> dict[str, tuple[bytes, bool]]:
    """What ilum-init copies from ``root``: relative path -> (content, executable)."""
    return {str(t.rel): (t.source.read_bytes(), t.executable) for t in iter_template_files(root)}
