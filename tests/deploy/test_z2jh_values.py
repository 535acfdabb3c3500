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

from . import chart
from .chart import set_file_hooks
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


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def chart_defaults() -> dict[str, Any]:
    return chart.chart_defaults()


@pytest.fixture(scope="module")
def chart_schema() -> dict[str, Any]:
    return load_yaml(REFERENCE / "z2jh-values.schema.yaml")


@pytest.fixture(scope="module")
def example() -> dict[str, Any]:
    return chart.z2jh_example()


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


async def test_chart_rendered_pod_is_valid_and_wired(z2jh_hub, render_pod, gitea):
    # Given the example as the chart turns it into KubeSpawner settings, hook source included
    config = z2jh_hub()
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
    # as the notebook user, both containers with the user's own Gitea token
    assert init["securityContext"]["runAsUser"] == 1000
    assert pod["spec"]["securityContext"]["fsGroup"] == 100
    (token,) = gitea.accounts.tokens("jane")
    for spec in (init, notebook):
        env = env_of(spec)
        assert (env["ILUM_GIT_USERNAME"], env["ILUM_GIT_PASSWORD"]) == ("jane", token.sha1)
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


async def test_shared_settings_are_the_same_in_both_containers(z2jh_hub, render_pod):
    pod = await render_pod(z2jh_hub(), "jane")
    init_env = env_of(container(pod, "ilum-init", init=True))
    notebook_env = env_of(container(pod, "notebook"))
    for name in ("ILUM_GIT_URL", "ILUM_GIT_ORG", "ILUM_LIVY_URL", "ILUM_GIT_USERNAME"):
        assert init_env[name] == notebook_env[name], name
    assert init_env["ILUM_GIT_PASSWORD"] == notebook_env["ILUM_GIT_PASSWORD"]


async def test_the_pod_lives_long_enough_for_the_last_autosave(z2jh_hub, render_pod):
    config = z2jh_hub()
    pod = await render_pod(config, "jane")
    stop_timeout = float(env_of(container(pod, "notebook"))["ILUM_AUTOSAVE_STOP_TIMEOUT"])
    assert config.KubeSpawner.delete_grace_period >= stop_timeout + 5


async def test_two_users_pods_carry_different_credentials_and_no_shared_secret(
    z2jh_hub, render_pod, gitea
):
    config = z2jh_hub()
    passwords = {}
    for user in ("alice", "bob"):
        pod = await render_pod(config, user)
        # The only Secret of a user's pod is the optional SSH one: no Git Secret is shared
        secrets = {v["secret"]["secretName"] for v in pod["spec"]["volumes"] if "secret" in v}
        assert secrets == {"ilum-ssh"}
        env = env_of(container(pod, "notebook"))
        assert env["ILUM_GIT_USERNAME"] == user
        assert gitea.accounts.token_owner(env["ILUM_GIT_PASSWORD"]) == user
        passwords[user] = env["ILUM_GIT_PASSWORD"]
    assert passwords["alice"] != passwords["bob"]


def test_the_gitea_admin_secret_is_mounted_into_the_hub_only(example):
    hub_mounts = {m["name"]: m for m in example["hub"]["extraVolumeMounts"]}
    admin_dir = example["hub"]["extraEnv"]["ILUM_GITEA_ADMIN_DIR"]
    assert hub_mounts["ilum-gitea-admin"]["mountPath"] == admin_dir
    volume = next(v for v in example["hub"]["extraVolumes"] if v["name"] == "ilum-gitea-admin")
    assert volume["secret"]["secretName"] == "ilum-gitea-admin"
    assert "ilum-gitea-admin" not in yaml.safe_dump(example["singleuser"])


def test_without_the_hook_source_the_hub_starts_and_says_what_is_missing(z2jh_hub):
    # Given the values without --set-file: the hook files are mounted empty
    out = io.StringIO()
    with redirect_stdout(out):
        config = z2jh_hub(set_file=False)
    # Then the hub config still loads, without the hooks, and the log says how to fix it
    assert "auth_state_hook" not in config.Spawner
    assert "pre_spawn_hook" not in config.Spawner
    assert "--set-file hub.extraFiles.ilum-hub-hooks.stringData" in out.getvalue()
    assert "--set-file hub.extraFiles.ilum-gitea-tokens.stringData" in out.getvalue()


def test_with_the_hook_source_the_hooks_are_installed(z2jh_hub):
    config = z2jh_hub()
    assert config.Spawner.auth_state_hook.__name__ == "ilum_auth_state_hook"
    assert type(config.Spawner.pre_spawn_hook).__name__ == "GiteaTokenHook"
    assert config.Authenticator.enable_auth_state is True


@pytest.mark.parametrize(
    "name", ["ilum-gitea-admin.example.yaml", "ilum-git-credentials.example.yaml"]
)
def test_secret_examples_are_valid_basic_auth_secrets(name):
    secret = load_yaml(INIT / name)
    validate_k8s(secret)
    assert secret["metadata"]["name"] == name.removesuffix(".example.yaml")
    assert set(secret["stringData"]) == {"username", "password"}


def test_the_shared_secret_example_warns_in_plain_words():
    text = (INIT / "ilum-git-credentials.example.yaml").read_text()
    assert "FALLBACK ONLY" in text
    assert "every user can `cat` this Secret" in text
