"""init/z2jh-values.yaml: merged with the chart's defaults it passes the chart's schema, and
turned into KubeSpawner settings the way the chart does it, it renders a valid pod whose init
container shares the notebook container's home."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from traitlets.config import Config

from .support import (
    INIT,
    REFERENCE,
    assert_volume_references_resolve,
    container,
    deep_merge,
    env_of,
    mount,
    validate_k8s,
)

EXAMPLE = INIT / "z2jh-values.yaml"
HOOKS = INIT / "ilum_hub_hooks.py"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def chart_defaults() -> dict[str, Any]:
    path = REFERENCE / "z2jh-values.yaml"
    if not path.is_file():
        pytest.fail(f"the chart's reference values are missing: {path.resolve()}")
    return load_yaml(path)


@pytest.fixture(scope="module")
def chart_schema() -> dict[str, Any]:
    return load_yaml(REFERENCE / "z2jh-values.schema.yaml")


@pytest.fixture(scope="module")
def example() -> dict[str, Any]:
    return load_yaml(EXAMPLE)


def set_file_hooks() -> dict[str, Any]:
    """What `--set-file hub.extraFiles.ilum-hub-hooks.stringData=init/ilum_hub_hooks.py` adds."""
    return {"hub": {"extraFiles": {"ilum-hub-hooks": {"stringData": HOOKS.read_text()}}}}


def as_dict(entries: Any, key_of: Any) -> dict[str, Any]:
    """The chart accepts extraVolumes and extraVolumeMounts as a list or a dict."""
    if not entries:
        return {}
    if isinstance(entries, dict):
        return dict(entries)
    return {key_of(i, e): e for i, e in enumerate(entries)}


def kubespawner_config(values: dict[str, Any], hub_config_dir: Path) -> Config:
    """The KubeSpawner settings the chart's jupyterhub_config.py derives from ``values``, for
    the keys this example uses; then the hub's extraFiles and extraConfig, as the hub runs them."""
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
    # hub.extraFiles land in the hub's config folder, which is on its Python path.
    for extra in values["hub"]["extraFiles"].values():
        (hub_config_dir / Path(extra["mountPath"]).name).write_text(extra["stringData"])
    for _, snippet in sorted(values["hub"]["extraConfig"].items()):
        exec(snippet, {"c": c})  # as the chart's jupyterhub_config.py runs extraConfig
    return c


@pytest.fixture
def hub_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import sys

    folder = tmp_path / "usr-local-etc-jupyterhub"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    sys.modules.pop("ilum_hub_hooks", None)
    yield folder
    sys.modules.pop("ilum_hub_hooks", None)


def test_example_merged_with_chart_defaults_passes_the_chart_schema(
    chart_defaults, chart_schema, example
):
    merged = deep_merge(chart_defaults, example)
    jsonschema.validate(merged, chart_schema)
    # and so does it with the hook's source added by --set-file, as the install command does
    jsonschema.validate(deep_merge(merged, set_file_hooks()), chart_schema)


def test_a_typo_in_a_values_key_is_caught(chart_defaults, chart_schema, example):
    typo = deep_merge(example, {})
    typo["singleuser"]["initContainerz"] = typo["singleuser"].pop("initContainers")
    with pytest.raises(jsonschema.ValidationError, match="initContainerz"):
        jsonschema.validate(deep_merge(chart_defaults, typo), chart_schema)


def test_generated_templates_values_merge_into_the_example(
    chart_defaults, chart_schema, example, make_templates
):
    _, volume = make_templates.build(INIT / "templates", "ilum-templates", None)
    merged = deep_merge(deep_merge(chart_defaults, example), make_templates.z2jh_values(volume))
    jsonschema.validate(merged, chart_schema)
    # The example carries exactly what the generator prints for the shipped templates.
    assert example["singleuser"]["storage"]["extraVolumes"]["ilum-templates"] == volume


def test_init_container_runs_the_notebook_image(example):
    image = example["singleuser"]["image"]
    init = next(c for c in example["singleuser"]["initContainers"] if c["name"] == "ilum-init")
    assert init["image"] == f"{image['name']}:{image['tag']}"
    assert init["command"] == ["ilum-init"]


async def test_chart_rendered_pod_is_valid_and_wired(
    chart_defaults, example, hub_config_dir, render_pod
):
    # Given the example as the chart turns it into KubeSpawner settings, hook source included
    values = deep_merge(deep_merge(chart_defaults, example), set_file_hooks())
    config = kubespawner_config(values, hub_config_dir)
    # When a user with LDAP attributes starts a server
    state = {"user_attributes": {"cn": ["Jane Doe"], "mail": ["jane@example.org"]}}
    pod = await render_pod(config, "jane", state)
    # Then the pod is valid Kubernetes and every mount names a volume of the pod
    validate_k8s(pod)
    assert_volume_references_resolve(pod)
    init = container(pod, "ilum-init", init=True)
    notebook = container(pod, "notebook")
    # and the init container prepares the very home the notebook container mounts
    assert mount(init, "/home/jovyan") == mount(notebook, "/home/jovyan")
    # as the notebook user, with the credentials folder both containers read
    assert init["securityContext"]["runAsUser"] == 1000
    assert pod["spec"]["securityContext"]["fsGroup"] == 100
    for spec in (init, notebook):
        assert mount(spec, env_of(spec)["ILUM_GIT_CREDENTIALS_DIR"])["name"] == (
            "ilum-git-credentials"
        )
    # with the templates ConfigMap where ILUM_TEMPLATES_DIR points
    assert mount(init, env_of(init)["ILUM_TEMPLATES_DIR"])["name"] == "ilum-templates"
    # and the identity from LDAP, under the exact user name
    env = env_of(init)
    assert (env["ILUM_USER"], env["ILUM_USER_FULLNAME"], env["ILUM_USER_EMAIL"]) == (
        "jane",
        "Jane Doe",
        "jane@example.org",
    )
    # SSH stays off until switched on
    assert env_of(notebook)["ILUM_SSH_ENABLED"] == "false"


async def test_shared_settings_are_the_same_in_both_containers(
    chart_defaults, example, hub_config_dir, render_pod
):
    values = deep_merge(deep_merge(chart_defaults, example), set_file_hooks())
    pod = await render_pod(kubespawner_config(values, hub_config_dir), "jane")
    init_env = env_of(container(pod, "ilum-init", init=True))
    notebook_env = env_of(container(pod, "notebook"))
    for name in ("ILUM_GIT_URL", "ILUM_GIT_ORG", "ILUM_LIVY_URL", "ILUM_GIT_CREDENTIALS_DIR"):
        assert init_env[name] == notebook_env[name], name


async def test_the_pod_lives_long_enough_for_the_last_autosave(
    chart_defaults, example, hub_config_dir, render_pod
):
    values = deep_merge(deep_merge(chart_defaults, example), set_file_hooks())
    config = kubespawner_config(values, hub_config_dir)
    pod = await render_pod(config, "jane")
    stop_timeout = float(env_of(container(pod, "notebook"))["ILUM_AUTOSAVE_STOP_TIMEOUT"])
    assert config.KubeSpawner.delete_grace_period >= stop_timeout + 5


def test_without_the_hook_source_the_hub_starts_and_says_what_is_missing(
    chart_defaults, example, hub_config_dir
):
    # Given the values without --set-file: the hook file is mounted empty
    values = deep_merge(chart_defaults, example)
    out = io.StringIO()
    with redirect_stdout(out):
        config = kubespawner_config(values, hub_config_dir)
    # Then the hub config still loads, without the hook, and the log says how to fix it
    assert "auth_state_hook" not in config.Spawner
    assert "--set-file hub.extraFiles.ilum-hub-hooks.stringData" in out.getvalue()


def test_with_the_hook_source_the_hook_is_installed(chart_defaults, example, hub_config_dir):
    values = deep_merge(deep_merge(chart_defaults, example), set_file_hooks())
    config = kubespawner_config(values, hub_config_dir)
    assert config.Spawner.auth_state_hook.__name__ == "ilum_auth_state_hook"
    assert config.Authenticator.enable_auth_state is True


def test_secret_example_is_a_valid_basic_auth_secret():
    secret = load_yaml(INIT / "ilum-git-credentials.example.yaml")
    validate_k8s(secret)
    assert secret["metadata"]["name"] == "ilum-git-credentials"
    assert set(secret["stringData"]) == {"username", "password"}
