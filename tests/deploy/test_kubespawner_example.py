"""init/kubespawner_config.py rendered by the real KubeSpawner into pod manifests that
Kubernetes' schema accepts, with the init container wired to the notebook container."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

from .support import (
    INIT,
    LDAP_STATE,
    assert_volume_references_resolve,
    container,
    env_of,
    load_example,
    mount,
    validate_k8s,
)


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.syspath_prepend(str(tmp_path / "hub-config"))
    return load_example(tmp_path)


async def test_rendered_pod_passes_kubernetes_validation(example, render_pod):
    pod = await render_pod(example, "jane.doe", LDAP_STATE)
    validate_k8s(pod)
    assert_volume_references_resolve(pod)


async def test_init_container_runs_ilum_init_from_the_notebook_image(example, render_pod):
    pod = await render_pod(example, "jane.doe")
    init = container(pod, "ilum-init", init=True)
    assert init["command"] == ["ilum-init"]
    assert init["image"] == container(pod, "notebook")["image"]


async def test_home_is_the_same_volume_and_sub_path_in_both_containers(example, render_pod):
    pod = await render_pod(example, "jane")
    init_home = mount(container(pod, "ilum-init", init=True), "/home/jovyan")
    notebook_home = mount(container(pod, "notebook"), "/home/jovyan")
    assert init_home == notebook_home
    volume = next(v for v in pod["spec"]["volumes"] if v["name"] == init_home["name"])
    assert volume["persistentVolumeClaim"]["claimName"] == "claim-jane"


async def test_a_home_sub_path_applies_to_both_containers(tmp_path, monkeypatch, render_pod):
    monkeypatch.syspath_prepend(str(tmp_path / "hub-config"))
    config = load_example(tmp_path, {'HOME_SUBPATH = ""': 'HOME_SUBPATH = "home"'})
    pod = await render_pod(config, "jane")
    validate_k8s(pod)
    init_home = mount(container(pod, "ilum-init", init=True), "/home/jovyan")
    assert init_home["subPath"] == "home"
    assert init_home == mount(container(pod, "notebook"), "/home/jovyan")


async def test_files_are_created_as_the_notebook_user(example, render_pod):
    pod = await render_pod(example, "jane.doe")
    security = container(pod, "ilum-init", init=True)["securityContext"]
    assert security["runAsUser"] == 1000
    assert security["runAsGroup"] == 100
    assert security["runAsNonRoot"] is True
    assert pod["spec"]["securityContext"]["fsGroup"] == 100
    assert container(pod, "notebook")["securityContext"]["runAsUser"] == 1000


async def test_both_containers_read_git_credentials_from_the_mounted_secret(example, render_pod):
    pod = await render_pod(example, "jane.doe")
    volume = next(v for v in pod["spec"]["volumes"] if v["name"] == "ilum-git-credentials")
    assert volume["secret"]["secretName"] == "ilum-git-credentials"
    for spec in (container(pod, "ilum-init", init=True), container(pod, "notebook")):
        folder = env_of(spec)["ILUM_GIT_CREDENTIALS_DIR"]
        assert mount(spec, folder)["readOnly"] is True
        # No credential is ever in the pod spec itself.
        assert "ILUM_GIT_PASSWORD" not in env_of(spec)


async def test_templates_configmap_is_mounted_where_ilum_init_looks(example, render_pod):
    pod = await render_pod(example, "jane.doe")
    init = container(pod, "ilum-init", init=True)
    templates = mount(init, env_of(init)["ILUM_TEMPLATES_DIR"])
    volume = next(v for v in pod["spec"]["volumes"] if v["name"] == templates["name"])
    assert volume["configMap"]["name"] == "ilum-templates"


async def test_templates_volume_items_match_the_generator(example, render_pod, make_templates):
    pod = await render_pod(example, "jane.doe")
    volume = next(v for v in pod["spec"]["volumes"] if v["name"] == "ilum-templates")
    _, generated = make_templates.build(INIT / "templates", "ilum-templates", None)
    assert volume == generated


async def test_ldap_identity_reaches_the_init_container(example, render_pod):
    # Given LDAP kept the full name and e-mail in the auth state
    pod = await render_pod(example, "Jane.Doe", LDAP_STATE)
    env = env_of(container(pod, "ilum-init", init=True))
    # Then ilum-init commits as that person, under the exact hub user name
    assert env["ILUM_USER"] == "Jane.Doe"
    assert env["ILUM_USER_FULLNAME"] == "Jane Doe"
    assert env["ILUM_USER_EMAIL"] == "jane.doe@example.org"
    # and the settings shared with the notebook container are still there
    assert env["ILUM_GIT_URL"] == "http://ilum-gitea-http:3000"


async def test_without_auth_state_the_user_name_is_still_exact(example, render_pod):
    pod = await render_pod(example, "Jane.Doe", None)
    env = env_of(container(pod, "ilum-init", init=True))
    assert env["ILUM_USER"] == "Jane.Doe"
    assert "ILUM_USER_FULLNAME" not in env
    assert "ILUM_USER_EMAIL" not in env


async def test_hook_changes_only_this_users_pod(example, render_pod):
    await render_pod(example, "jane.doe", LDAP_STATE)
    other = await render_pod(example, "john.roe", None)
    env = env_of(container(other, "ilum-init", init=True))
    assert env["ILUM_USER"] == "john.roe"
    assert "ILUM_USER_FULLNAME" not in env


def test_hub_is_told_to_keep_ldap_attributes(example):
    assert example.Authenticator.enable_auth_state is True
    assert example.LDAPAuthenticator.auth_state_attributes == ["cn", "mail"]
    assert example.Spawner.auth_state_hook.__name__ == "ilum_auth_state_hook"


async def test_ssh_is_off_in_the_example(example, render_pod):
    pod = await render_pod(example, "jane.doe")
    assert "ILUM_SSH_ENABLED" not in env_of(container(pod, "notebook"))
    assert all(v["name"] != "ilum-ssh" for v in pod["spec"]["volumes"])


async def test_turning_ssh_on_mounts_the_ssh_secret(tmp_path, monkeypatch, render_pod):
    monkeypatch.syspath_prepend(str(tmp_path / "hub-config"))
    config = load_example(tmp_path, {"SSH_ENABLED = False": "SSH_ENABLED = True"})
    pod = await render_pod(config, "jane.doe")
    validate_k8s(pod)
    assert_volume_references_resolve(pod)
    notebook = container(pod, "notebook")
    env: dict[str, Any] = env_of(notebook)
    assert env["ILUM_SSH_ENABLED"] == "true"
    assert mount(notebook, env["ILUM_SSH_DIR"])["name"] == "ilum-ssh"
    volume = next(v for v in pod["spec"]["volumes"] if v["name"] == "ilum-ssh")
    assert volume["secret"] == {"secretName": "ilum-ssh", "optional": True, "defaultMode": 0o440}


async def test_the_pod_lives_long_enough_for_the_last_autosave(example, render_pod):
    # KubeSpawner's own default (1 s) would kill the server in the middle of its last snapshot.
    pod = await render_pod(example, "jane")
    stop_timeout = float(env_of(container(pod, "notebook"))["ILUM_AUTOSAVE_STOP_TIMEOUT"])
    assert example.KubeSpawner.delete_grace_period >= stop_timeout + 5
