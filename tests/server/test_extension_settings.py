"""The extension is on once installed; its settings are traitlets with ILUM_* defaults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ilum_singleuser
from ilum_singleuser.core.settings import SETTINGS, Config
from ilum_singleuser.server.extension import IlumExtension

ROOT = Path(__file__).resolve().parents[2]


def test_installed_config_enables_the_extension_point():
    config = json.loads((ROOT / "jupyter-config/server-config/ilum_singleuser.json").read_text())
    assert config["ServerApp"]["jpserver_extensions"] == {"ilum_singleuser": True}
    (point,) = ilum_singleuser._jupyter_server_extension_points()
    assert (point["module"], point["app"]) == ("ilum_singleuser", IlumExtension)


def test_every_server_setting_but_secrets_is_a_typed_documented_traitlet():
    traits = IlumExtension.class_traits(config=True)
    ours = {name for name, trait in traits.items() if getattr(trait, "setting", None)}
    expected = {s.name for s in SETTINGS if s.info.server and not s.secret}
    assert ours == expected
    for setting in SETTINGS:
        if setting.secret:
            assert setting.name not in traits
        elif setting.name in traits:
            assert setting.help.replace("`", "") in traits[setting.name].help
            assert not setting.env or setting.env in traits[setting.name].help


def test_traitlet_defaults_are_the_tables(monkeypatch):
    for setting in SETTINGS:
        if setting.env:
            monkeypatch.delenv(setting.env, raising=False)
    extension = IlumExtension()
    defaults = Config(user="")
    for setting in SETTINGS:
        if setting.info.server and not setting.secret and setting.name != "workspace":
            value = getattr(extension, setting.name)
            value = tuple(value) if isinstance(value, list) else value
            assert value == getattr(defaults, setting.name), setting.name


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
    assert (extension.init_timeout, extension.workspace) == (30.0, str(tmp_path))
    assert isinstance(extension.init_timeout, float)


def test_an_environment_variable_sets_a_typed_traitlet(monkeypatch):
    monkeypatch.setenv("ILUM_INIT_TIMEOUT", " 42 ")
    assert IlumExtension().init_timeout == 42.0
