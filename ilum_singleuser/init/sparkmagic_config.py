"""sparkmagic's ``config.json`` for Ilum's Livy-proxy, merged with what the user already has.

A setting we wrote before and the user has not touched since follows the platform (a new
Livy-proxy URL reaches everyone on their next start); a setting the user changed stays theirs.
What we last wrote is remembered beside the config in ``.ilum-managed.json``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.atomic_json import write_json_atomically
from ..core.settings import Config

MANAGED_RECORD = ".ilum-managed.json"
KERNEL_CREDENTIAL_KEYS = (
    "kernel_python_credentials",
    "kernel_scala_credentials",
    "kernel_r_credentials",
)
# A Kubernetes driver pod must be scheduled and pull its image: minutes, not sparkmagic's 60 s.
SESSION_STARTUP_TIMEOUT_SECONDS = 600
# Keeps an abandoned session's heartbeat short so the Livy-proxy reclaims it (0 would disable it).
LIVY_HEARTBEAT_TIMEOUT_SECONDS = 900


@dataclass(frozen=True)
class MergeResult:
    path: Path
    written: bool
    kept_user_keys: list[str]
    note: str = ""


def config_path(workspace: Path, environ: Mapping[str, str] | None = None) -> Path:
    """Where sparkmagic reads its config: ``SPARKMAGIC_CONF_DIR``/``SPARKMAGIC_CONF_FILE`` win,
    else ``<workspace>/.sparkmagic/config.json`` (the workspace is the user's home)."""
    env = os.environ if environ is None else environ
    folder = Path(env["SPARKMAGIC_CONF_DIR"]) if env.get("SPARKMAGIC_CONF_DIR") else None
    name = env.get("SPARKMAGIC_CONF_FILE") or "config.json"
    return (folder or workspace / ".sparkmagic") / name


def desired_settings(config: Config) -> dict[str, Any]:
    """The flat ``a.b`` keys and values Ilum wants in sparkmagic's config."""
    wanted: dict[str, Any] = {}
    basic = config.livy_auth == "Basic_Access"
    for key in KERNEL_CREDENTIAL_KEYS:
        wanted[f"{key}.url"] = config.livy_url.rstrip("/")
        wanted[f"{key}.auth"] = config.livy_auth
        wanted[f"{key}.username"] = (config.livy_username or "") if basic else ""
        wanted[f"{key}.password"] = (config.livy_password or "") if basic else ""
    wanted.update(
        {
            "livy_session_startup_timeout_seconds": SESSION_STARTUP_TIMEOUT_SECONDS,
            "wait_for_idle_timeout_seconds": SESSION_STARTUP_TIMEOUT_SECONDS,
            "livy_server_heartbeat_timeout_seconds": LIVY_HEARTBEAT_TIMEOUT_SECONDS,
            "heartbeat_refresh_seconds": 30,
            "heartbeat_retry_seconds": 10,
            "retry_policy": "configurable",
            "retry_seconds_to_sleep_list": [0.2, 0.5, 1, 3, 5],
            "configurable_retry_policy_max_retries": 8,
            "cleanup_all_sessions_on_exit": True,
            # sparkmagic merges session_configs_defaults under every session's properties,
            # %%configure included (that one replaces session_configs only), so each POST
            # /sessions names the user even when Livy sees no credentials or a shared login.
            "session_configs_defaults.proxyUser": config.user,
        }
    )
    return wanted


def _get(tree: Mapping[str, Any], dotted: str) -> Any:
    node: Any = tree
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _set(tree: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = tree
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


_MISSING = object()


def _load_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def merge_sparkmagic_config(config: Config, path: Path) -> MergeResult:
    """Write the Ilum settings into ``path``, keeping every key the user set themselves.

    A config that is not valid JSON is left exactly as it is (and reported): the user's bytes
    are worth more than our defaults.
    """
    current = _load_json(path)
    if current is None:
        return MergeResult(path, False, [], note=f"{path} is not a JSON object; left untouched")
    record_path = path.with_name(MANAGED_RECORD)
    previous = _load_json(record_path) or {}
    merged = json.loads(json.dumps(current))
    managed: dict[str, Any] = {}
    kept: list[str] = []
    for key, value in desired_settings(config).items():
        existing = _get(current, key)
        ours_before = previous.get(key, _MISSING)
        if existing is _MISSING or existing == ours_before:
            _set(merged, key, value)
            managed[key] = value
        elif existing != value:
            kept.append(key)
    if merged == current and previous == managed:
        return MergeResult(path, False, kept)
    # Readable by the owner only: it may hold the Livy password.
    write_json_atomically(path, merged, mode=0o600)
    write_json_atomically(record_path, managed, mode=0o600)
    return MergeResult(path, True, kept)
