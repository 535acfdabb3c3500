"""init/ilum_hub_hooks.py: LDAP attributes from the auth state into ilum-init's environment."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

INIT_CONTAINER = {
    "name": "ilum-init",
    "image": "img",
    "env": [
        {"name": "ILUM_USER", "value": "{username}"},
        {"name": "ILUM_GIT_URL", "value": "http://gitea"},
        {"name": "ILUM_GIT_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "s", "key": "p"}}},
    ],
}


def spawner(name: str, init_containers) -> SimpleNamespace:
    return SimpleNamespace(
        user=SimpleNamespace(name=name),
        init_containers=init_containers,
        log=logging.getLogger("test-spawner"),
    )


@pytest.mark.parametrize(
    "auth_state",
    [
        # LDAPAuthenticator 2: attributes under user_attributes, values as lists
        {"ldap_groups": [], "user_attributes": {"cn": ["Jane Doe"], "mail": ["jane@ex.org"]}},
        # older LDAPAuthenticator: the auth state is the attribute dict itself
        {"cn": ["Jane Doe"], "mail": ["jane@ex.org"]},
        # single values, bytes, other capitalisation
        {"user_attributes": {"CN": b"Jane Doe", "Mail": "jane@ex.org"}},
    ],
)
def test_identity_is_read_from_every_auth_state_shape(hub_hooks, auth_state):
    assert hub_hooks.identity_env("jane", auth_state) == {
        "ILUM_USER": "jane",
        "ILUM_USER_FULLNAME": "Jane Doe",
        "ILUM_USER_EMAIL": "jane@ex.org",
    }


def test_display_name_wins_over_cn(hub_hooks):
    state = {"user_attributes": {"cn": ["jdoe"], "displayName": ["Jane Doe"]}}
    assert hub_hooks.identity_env("jdoe", state)["ILUM_USER_FULLNAME"] == "Jane Doe"


@pytest.mark.parametrize("auth_state", [None, {}, {"user_attributes": None}, {"ldap_groups": []}])
def test_no_attributes_means_only_the_user_name(hub_hooks, auth_state):
    assert hub_hooks.identity_env("jane", auth_state) == {"ILUM_USER": "jane"}


def test_values_are_kept_to_one_line_and_bad_emails_dropped(hub_hooks):
    state = {"cn": ["Jane\n  Doe\r\n"], "mail": ["not an email"]}
    assert hub_hooks.identity_env("jane", state) == {
        "ILUM_USER": "jane",
        "ILUM_USER_FULLNAME": "Jane Doe",
    }


def test_hook_replaces_only_its_own_variables_in_the_init_container(hub_hooks):
    # Given the configured init containers, ilum-init among others
    other = {"name": "block-cloud-metadata", "image": "tools"}
    target = spawner("Jane.Doe", [other, INIT_CONTAINER])
    # When the hook runs with LDAP attributes
    hub_hooks.ilum_auth_state_hook(target, {"cn": ["Jane Doe"], "mail": ["jane@ex.org"]})
    # Then ilum-init gets the exact name and the identity; everything else is left as it was
    assert target.init_containers[0] is other
    env = target.init_containers[1]["env"]
    assert env == [
        {"name": "ILUM_GIT_URL", "value": "http://gitea"},
        {"name": "ILUM_GIT_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "s", "key": "p"}}},
        {"name": "ILUM_USER", "value": "Jane.Doe"},
        {"name": "ILUM_USER_FULLNAME", "value": "Jane Doe"},
        {"name": "ILUM_USER_EMAIL", "value": "jane@ex.org"},
    ]
    # and the configured template is not modified in place (other spawners share it)
    assert INIT_CONTAINER["env"][0] == {"name": "ILUM_USER", "value": "{username}"}


def test_hook_handles_init_containers_given_as_a_dict(hub_hooks):
    target = spawner("jane", {"10-ilum": INIT_CONTAINER})
    hub_hooks.ilum_auth_state_hook(target, None)
    env = target.init_containers["10-ilum"]["env"]
    assert {"name": "ILUM_USER", "value": "jane"} in env


def test_hook_warns_when_there_is_no_ilum_init_container(hub_hooks, caplog):
    containers = [{"name": "something-else"}]
    target = spawner("jane", containers)
    with caplog.at_level(logging.WARNING, logger="test-spawner"):
        hub_hooks.ilum_auth_state_hook(target, {"cn": ["Jane"]})
    assert target.init_containers is containers
    assert "no init container named 'ilum-init'" in caplog.text
