"""JupyterHub hook for Ilum: hand the user's identity to the ``ilum-init`` init container.

ilum-init commits the starter templates as the user, so it wants the user's full name and
e-mail. LDAPAuthenticator can keep LDAP attributes in the encrypted auth state; this hook copies
them into the init container's environment (``ILUM_USER_FULLNAME``, ``ILUM_USER_EMAIL``), and
sets ``ILUM_USER`` to the exact hub user name (KubeSpawner's ``{username}`` is a slug).

Wiring (init/kubespawner_config.py and init/z2jh-values.yaml do this)::

    c.Authenticator.enable_auth_state = True          # needs JUPYTERHUB_CRYPT_KEY
    c.LDAPAuthenticator.auth_state_attributes = ["cn", "mail"]
    c.Spawner.auth_state_hook = ilum_auth_state_hook

Only the standard library and the spawner's own objects are used, so the file can be dropped
into any hub image beside ``jupyterhub_config.py``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

INIT_CONTAINER_NAME = "ilum-init"
# LDAP attribute names, most specific first; LDAP compares them case-insensitively.
FULLNAME_ATTRIBUTES = ("displayName", "cn")
EMAIL_ATTRIBUTES = ("mail",)


def ldap_attributes(auth_state: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """The user's LDAP attributes from LDAPAuthenticator's auth state, names lower-cased.

    LDAPAuthenticator 2 keeps them under ``user_attributes``; older releases made the auth
    state the attribute dict itself. Values may be single or lists, ``str`` or ``bytes``.
    """
    if not auth_state:
        return {}
    raw = auth_state.get("user_attributes", auth_state)
    if not isinstance(raw, Mapping):
        return {}
    attributes: dict[str, list[str]] = {}
    for name, value in raw.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        texts = [_text(v) for v in values]
        attributes[str(name).lower()] = [t for t in texts if t]
    return attributes


def _text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return ""
    # One line: an environment value with a newline would end up inside git's config.
    return " ".join(value.split())


def _first(attributes: Mapping[str, list[str]], names: Iterable[str]) -> str | None:
    for name in names:
        for value in attributes.get(name.lower(), []):
            return value
    return None


def identity_env(username: str, auth_state: Mapping[str, Any] | None) -> dict[str, str]:
    """``ILUM_USER`` and, when LDAP provides them, ``ILUM_USER_FULLNAME``/``ILUM_USER_EMAIL``."""
    attributes = ldap_attributes(auth_state)
    env = {"ILUM_USER": username}
    fullname = _first(attributes, FULLNAME_ATTRIBUTES)
    if fullname:
        env["ILUM_USER_FULLNAME"] = fullname
    email = _first(attributes, EMAIL_ATTRIBUTES)
    if email and "@" in email and " " not in email:
        env["ILUM_USER_EMAIL"] = email
    return env


def with_env(container: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """A copy of a container spec (dict) whose ``env`` has ``env``'s values, replacing entries
    of the same name and keeping every other entry in place."""
    updated = copy.deepcopy(dict(container))
    entries = [e for e in updated.get("env") or [] if e.get("name") not in env]
    entries.extend({"name": name, "value": value} for name, value in env.items())
    updated["env"] = entries
    return updated


def _is_ilum_init(container: object) -> bool:
    return isinstance(container, Mapping) and container.get("name") == INIT_CONTAINER_NAME


def update_init_container_env(spawner: Any, env: Mapping[str, str]) -> bool:
    """Give the spawner's ``ilum-init`` init container ``env`` (a copy: the configured list is
    shared by every spawner). False when there is no such container, e.g. with a spawner that
    has no init containers at all."""
    containers = getattr(spawner, "init_containers", None) or []
    found = False
    updated: Any
    if isinstance(containers, Mapping):
        updated = {}
        for key, container in containers.items():
            found = found or _is_ilum_init(container)
            updated[key] = with_env(container, env) if _is_ilum_init(container) else container
    else:
        updated = []
        for container in containers:
            found = found or _is_ilum_init(container)
            updated.append(with_env(container, env) if _is_ilum_init(container) else container)
    if found:
        spawner.init_containers = updated
    return found


def ilum_auth_state_hook(spawner: Any, auth_state: Mapping[str, Any] | None) -> None:
    """``Spawner.auth_state_hook``: put the user's identity into the ilum-init container."""
    env = identity_env(spawner.user.name, auth_state)
    if not update_init_container_env(spawner, env):
        spawner.log.warning(
            "ilum_auth_state_hook: no init container named %r; identity not passed on",
            INIT_CONTAINER_NAME,
        )
