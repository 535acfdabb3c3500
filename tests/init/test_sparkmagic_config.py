"""sparkmagic's config for the Livy-proxy, read back by sparkmagic's own configuration code."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.init.conftest import USER, InitSetup

pytest.importorskip("sparkmagic")

READ_WITH_SPARKMAGIC = """
import json
from sparkmagic.utils import configuration as conf
print(json.dumps({
    "python": conf.base64_kernel_python_credentials(),
    "scala": conf.base64_kernel_scala_credentials(),
    "startup": conf.livy_session_startup_timeout_seconds(),
    "heartbeat": conf.livy_server_heartbeat_timeout_seconds(),
    "cleanup": conf.cleanup_all_sessions_on_exit(),
    "retry": conf.retry_policy(),
    "properties": conf.get_session_properties("python"),
}))
# What a %%configure cell does (sparkmagic's KernelMagics._override_session_settings).
conf.override(conf.session_configs.__name__, {"driverMemory": "2g", "conf": {"spark.a": "1"}})
print(json.dumps(conf.get_session_properties("python")))
"""


def read_with_sparkmagic(setup: InitSetup) -> dict:
    env = {**setup.env, "SPARKMAGIC_CONF_DIR": str(setup.workspace / ".sparkmagic")}
    out = subprocess.run(
        [sys.executable, "-c", READ_WITH_SPARKMAGIC],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    *_, seen, configured = out.stdout.strip().splitlines()
    return {**json.loads(seen), "after_configure": json.loads(configured)}


def test_sparkmagic_reads_the_livy_proxy_endpoint_and_kubernetes_friendly_timeouts(
    setup: InitSetup,
):
    assert setup.run("--strict").returncode == 0

    seen = read_with_sparkmagic(setup)

    assert seen["python"]["url"] == "http://livy.example:8998"
    assert seen["scala"]["url"] == "http://livy.example:8998"
    assert seen["python"]["auth"] == "None"
    assert seen["startup"] >= 300
    assert seen["heartbeat"] > 0
    assert seen["cleanup"] is True
    assert seen["retry"] == "configurable"


def test_a_key_the_user_set_survives_the_next_run(setup: InitSetup):
    setup.run("--strict")
    path = setup.workspace / ".sparkmagic" / "config.json"
    config = json.loads(path.read_text())
    config["livy_session_startup_timeout_seconds"] = 1234
    config["kernel_python_credentials"]["url"] = "http://my-own-livy:8998"
    config["session_configs"] = {"driverMemory": "2g"}
    path.write_text(json.dumps(config))

    setup.run("--strict", ILUM_LIVY_URL="http://new-proxy:9888")

    seen = read_with_sparkmagic(setup)
    assert seen["startup"] == 1234
    assert seen["python"]["url"] == "http://my-own-livy:8998"
    assert seen["scala"]["url"] == "http://new-proxy:9888"  # untouched by the user: follows
    assert json.loads(path.read_text())["session_configs"] == {"driverMemory": "2g"}


def test_existing_user_config_is_merged_not_replaced(setup: InitSetup):
    path = setup.workspace / ".sparkmagic" / "config.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"wait_for_idle_timeout_seconds": 42, "custom": [1, 2]}))

    setup.run("--strict")

    config = json.loads(path.read_text())
    assert config["wait_for_idle_timeout_seconds"] == 42
    assert config["custom"] == [1, 2]
    assert config["kernel_python_credentials"]["url"] == "http://livy.example:8998"


def test_broken_user_config_is_left_byte_for_byte(setup: InitSetup):
    path = setup.workspace / ".sparkmagic" / "config.json"
    path.parent.mkdir()
    path.write_bytes(b"{ not json")

    result = setup.run("--strict")

    assert result.returncode == 0
    assert path.read_bytes() == b"{ not json"
    assert "left untouched" in result.stderr


def test_basic_access_credentials_go_only_into_the_owner_readable_config(setup: InitSetup):
    result = setup.run(
        "--strict",
        ILUM_LIVY_AUTH="Basic_Access",
        ILUM_LIVY_USERNAME="livy-jane",
        ILUM_LIVY_PASSWORD="livy:secret@1",
    )

    assert result.returncode == 0
    path = setup.workspace / ".sparkmagic" / "config.json"
    assert path.stat().st_mode & 0o077 == 0
    assert read_with_sparkmagic(setup)["python"]["password"] == "livy:secret@1"
    assert "livy:secret@1" not in result.stderr
    assert "livy:secret@1" not in json.dumps(setup.state())


def test_livy_user_given_as_a_flag_reaches_sparkmagic(setup: InitSetup):
    result = setup.run(
        "--strict",
        "--livy-auth",
        "Basic_Access",
        "--livy-username",
        "flag-user",
        ILUM_LIVY_PASSWORD="pw-from-env",
    )

    assert result.returncode == 0
    seen = read_with_sparkmagic(setup)["python"]
    assert (seen["username"], seen["password"], seen["auth"]) == (
        "flag-user",
        "pw-from-env",
        "Basic_Access",
    )


def test_every_session_names_the_user_even_after_configure_and_user_defaults_stay(
    setup: InitSetup,
):
    path = setup.workspace / ".sparkmagic" / "config.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"session_configs_defaults": {"conf": {"spark.mine": "x"}}}))

    assert setup.run("--strict").returncode == 0

    seen = read_with_sparkmagic(setup)
    assert seen["properties"] == {
        "kind": "pyspark",
        "proxyUser": USER,
        "conf": {"spark.mine": "x"},
    }
    assert seen["after_configure"] == {
        "kind": "pyspark",
        "proxyUser": USER,
        "driverMemory": "2g",
        "conf": {"spark.mine": "x", "spark.a": "1"},  # sparkmagic merges nested dicts too
    }
