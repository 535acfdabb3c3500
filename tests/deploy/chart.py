"""Zero-to-JupyterHub's chart, emulated for the keys the example uses: values into KubeSpawner
settings, the hub's environment, files and extra configuration, as the chart's
jupyterhub_config.py applies them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from traitlets.config import Config

from .support import INIT, REFERENCE


def chart_defaults() -> dict[str, Any]:
    """The chart's own values.yaml, kept beside the checkout (CI fetches it)."""
    path = REFERENCE / "z2jh-values.yaml"
    assert path.is_file(), f"the chart's reference values are missing: {path.resolve()}"
    return yaml.safe_load(path.read_text())


def z2jh_example() -> dict[str, Any]:
    return yaml.safe_load((INIT / "z2jh-values.yaml").read_text())


def set_file_hooks() -> dict[str, Any]:
    """What the install command's `--set-file hub.extraFiles.<key>.stringData=init/<file>`
    options add: the hub hooks' source."""
    return {
        "hub": {
            "extraFiles": {
                "ilum-hub-hooks": {"stringData": (INIT / "ilum_hub_hooks.py").read_text()},
                "ilum-gitea-tokens": {"stringData": (INIT / "ilum_gitea_tokens.py").read_text()},
            }
        }
    }


def as_dict(entries: Any, key_of: Any) -> dict[str, Any]:
    """The chart accepts extraVolumes and extraVolumeMounts as a list or a dict."""
    if not entries:
        return {}
    if isinstance(entries, dict):
        return dict(entries)
    return {key_of(i, e): e for i, e in enumerate(entries)}


def kubespawner_config(
    values: dict[str, Any], hub_config_dir: Path, setenv: Callable[[str, str], None]
) -> Config:
    """The KubeSpawner settings the chart's jupyterhub_config.py derives from ``values``, for
    the keys this example uses; then the hub's extraEnv (through ``setenv``), extraFiles and
    extraConfig, as the hub runs them."""
    c = Config()
    single = values["singleuser"]
    c.KubeSpawner.image = f"{single['image']['name']}:{single['image']['tag']}"
    c.KubeSpawner.uid = single["uid"]
    c.KubeSpawner.fs_gid = single["fsGid"]
    c.KubeSpawner.cmd = single["cmd"]
    c.KubeSpawner.environment = single["extraEnv"]
    c.KubeSpawner.init_containers = single["initContainers"]
    c.KubeSpawner.extra_containers = single["extraContainers"]
    storage = single["storage"]
    assert storage["type"] == "dynamic", "this emulation covers dynamic storage only"
    dynamic = storage["dynamic"]
    volume_name = dynamic["volumeNameTemplate"]
    if dynamic.get("pvcNameTemplate"):
        c.KubeSpawner.pvc_name_template = dynamic["pvcNameTemplate"]
    home = {"mountPath": storage["homeMountPath"], "name": volume_name}
    if dynamic.get("subPath"):
        home["subPath"] = dynamic["subPath"]
    volumes = {
        volume_name: {"name": volume_name, "persistentVolumeClaim": {"claimName": "{pvc_name}"}}
    }
    mounts = {volume_name: home}
    volumes.update(as_dict(storage.get("extraVolumes"), lambda i, e: e["name"]))
    mounts.update(as_dict(storage.get("extraVolumeMounts"), lambda i, e: f"{e['name']}-{i}"))
    c.KubeSpawner.volumes = volumes
    c.KubeSpawner.volume_mounts = mounts
    for class_name, traits in values["hub"]["config"].items():
        for trait, value in traits.items():
            c[class_name][trait] = value
    for name, value in values["hub"].get("extraEnv", {}).items():
        setenv(name, value)
    # hub.extraFiles land in the hub's config folder, which is on its Python path.
    for extra in values["hub"]["extraFiles"].values():
        (hub_config_dir / Path(extra["mountPath"]).name).write_text(extra["stringData"])
    for _, snippet in sorted(values["hub"]["extraConfig"].items()):
        exec(snippet, {"c": c})  # as the chart's jupyterhub_config.py runs extraConfig
    return c
