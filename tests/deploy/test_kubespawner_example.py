"""init/kubespawner_config.py rendered by the real KubeSpawner into pod manifests that
Kubernetes' schema accepts, with the init container wired to the notebook container."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

from .gitea_users import ADMIN_PASSWORD, ORG
from .support import (
    INIT,
    LDAP_STATE,
    assert_volume_references_resolve,
    container,
    env_of,
    gitea_edits,
    load_example,
    mount,
    validate_k8s,
)


@pytest.fixture
def load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gitea, gitea_admin_dir) -> Any:
    """``load(edits)``: the example as the hub loads it, pointed at the Gitea stand-in."""
    monkeypatch.syspath_prepend(str(tmp_path / "hub-config"))

    def load_with(edits: dict[str, str] | None = None) -> Config:
        return load_example(tmp_path, {**gitea_edits(gitea.url, gitea_admin_dir), **(edits or {})})

    return load_with


@pytest.fixture
def example(load) -> Config:
    return load()


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


async def test_a_home_sub_path_applies_to_both_containers(load, render_pod):
    config = load({'HOME_SUBPATH = ""': 'HOME_SUBPATH = "home"'})
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


async def test_each_pod_carries_only_its_own_users_git_credentials(example, render_pod, gitea):
    # When alice and bob start their servers
    pods = {user: await render_pod(example, user) for user in ("alice", "bob")}
    logins = {}
    for user, pod in pods.items():
        (token,) = gitea.accounts.tokens(user)
        for spec in (container(pod, "ilum-init", init=True), container(pod, "notebook")):
            env = env_of(spec)
            # Then both containers of each pod sign in as that user, with a token Gitea made
            # for that user alone
            assert (env["ILUM_GIT_USERNAME"], env["ILUM_GIT_PASSWORD"]) == (user, token.sha1)
            assert token.scopes == ["write:repository"]
            assert "ILUM_GIT_CREDENTIALS_DIR" not in env
        logins[user] = token.sha1
        # and no pod mounts a Git Secret shared with other users, nor sees the admin login
        assert all("secret" not in volume for volume in pod["spec"]["volumes"])
        assert ADMIN_PASSWORD not in json.dumps(pod)
    assert logins["alice"] != logins["bob"]
    # Alice's token opens her repository only
    assert gitea.accounts.may_access(
        gitea.accounts.token_owner(logins["alice"]), f"{ORG}/jupyterhub-alice.git"
    )
    assert not gitea.accounts.may_access("alice", f"{ORG}/jupyterhub-bob.git")


async def test_a_second_start_replaces_the_users_token(example, render_pod, gitea):
    first = env_of(container(await render_pod(example, "alice"), "notebook"))
    second = env_of(container(await render_pod(example, "alice"), "notebook"))
    assert first["ILUM_GIT_PASSWORD"] != second["ILUM_GIT_PASSWORD"]
    assert [t.sha1 for t in gitea.accounts.tokens("alice")] == [second["ILUM_GIT_PASSWORD"]]


async def test_without_a_token_the_pod_still_starts_without_credentials(
    load, render_pod, gitea_admin_dir
):
    # Given the hub's Gitea admin Secret is wrong
    (gitea_admin_dir / "password").write_text("not-the-password")
    # When alice starts her server, it starts, with her name and no password
    pod = await render_pod(load(), "alice")
    for spec in (container(pod, "ilum-init", init=True), container(pod, "notebook")):
        env = env_of(spec)
        assert (env["ILUM_GIT_USERNAME"], env["ILUM_GIT_PASSWORD"]) == ("alice", "")


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


async def test_ldap_identity_reaches_the_init_container(example, render_pod, gitea):
    # Given LDAP kept the full name and e-mail in the auth state
    pod = await render_pod(example, "Jane.Doe", LDAP_STATE)
    env = env_of(container(pod, "ilum-init", init=True))
    # Then ilum-init commits as that person, under the exact hub user name
    assert env["ILUM_USER"] == "Jane.Doe"
    assert env["ILUM_USER_FULLNAME"] == "Jane Doe"
    assert env["ILUM_USER_EMAIL"] == "jane.doe@example.org"
    # and the settings shared with the notebook container are still there
    assert env["ILUM_GIT_URL"] == gitea.url


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


def test_hub_is_told_to_keep_ldap_attributes_and_mint_tokens(example):
    assert example.Authenticator.enable_auth_state is True
    assert example.LDAPAuthenticator.auth_state_attributes == ["cn", "mail"]
    assert example.Spawner.auth_state_hook.__name__ == "ilum_auth_state_hook"
    assert type(example.Spawner.pre_spawn_hook).__name__ == "GiteaTokenHook"


async def test_ssh_is_off_in_the_example(example, render_pod):
    pod = await render_pod(example, "jane.doe")
    assert "ILUM_SSH_ENABLED" not in env_of(container(pod, "notebook"))
    assert all(v["name"] != "ilum-ssh" for v in pod["spec"]["volumes"])


async def test_turning_ssh_on_mounts_the_ssh_secret(load, render_pod):
    config = load({"SSH_ENABLED = False": "SSH_ENABLED = True"})
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
