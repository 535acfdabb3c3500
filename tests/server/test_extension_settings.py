"""The extension is on once installed; its settings are traitlets with ILUM_* defaults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ilum_singleuser
from ilum_singleuser.core.settings import SETTINGS
from ilum_singleuser.server.extension import IlumExtension

ROOT = Path(__file__).resolve().parents[2]


def test_installed_config_enables_the_extension_point():
    config = json.loads((ROOT / "jupyter-config/server-config/ilum_singleuser.json").read_text())
    assert config["ServerApp"]["jpserver_extensions"] == {"ilum_singleuser": True}
    (point,) = ilum_singleuser._jupyter_server_extension_points()
    assert (point["module"], point["app"]) == ("ilum_singleuser", IlumExtension)


def test_every_shared_setting_but_secrets_is_a_documented_traitlet():
    traits = IlumExtension.class_traits(config=True)
    for setting in SETTINGS:
        if setting.secret:
            assert setting.attr not in traits
        else:
            assert setting.env in traits[setting.attr].help
    own = ["repo_cache_ttl", "fetch_min_interval", "livy_timeout", "spark_owner_conf_key"]
    assert all(traits[name].help for name in own)


@pytest.fixture
def livy_from_environment(ilum_settings, monkeypatch, livy):
    del ilum_settings["livy_url"]
    monkeypatch.setenv("ILUM_LIVY_URL", livy.url)


async def test_unset_traitlet_falls_back_to_the_environment(livy_from_environment, api, livy):
    code, spark = await api("GET", "spark/sessions")
    assert (code, spark["endpoint"], spark["reachable"]) == (200, livy.url, True)


@pytest.fixture
def traitlet_and_environment(ilum_settings, monkeypatch):
    monkeypatch.setenv("ILUM_USER", "from-environment")


async def test_traitlet_wins_over_the_environment(traitlet_and_environment, api):
    code, status = await api("GET", "status")
    assert (code, status["user"]) == (200, "jane")


def test_numbers_and_paths_in_config_files_are_accepted(tmp_path: Path):
    extension = IlumExtension(init_timeout=30, workspace=tmp_path)
    assert (extension.init_timeout, extension.workspace) == ("30", str(tmp_path))
