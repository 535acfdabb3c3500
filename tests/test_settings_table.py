"""One source per setting: the CLI flags, the traitlets and the docs tables come from the table."""

from __future__ import annotations

from pathlib import Path

import pytest

from ilum_singleuser.core.errors import ConfigError
from ilum_singleuser.core.settings import SETTINGS, load_config
from ilum_singleuser.core.settings_docs import DOCS, render
from ilum_singleuser.init.cli import build_parser

DOCS_DIR = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize("name", DOCS)
def test_docs_tables_are_made_from_the_settings_table(name):
    text = (DOCS_DIR / name).read_text(encoding="utf-8")
    assert "<!-- settings-table:" in text
    assert render(text) == text, (
        f"docs/{name} is out of date: run python -m ilum_singleuser.core.settings_docs docs"
    )


def test_a_changed_default_shows_in_the_rendered_docs(monkeypatch):
    text = (DOCS_DIR / "ilum-init.md").read_text(encoding="utf-8")
    row = next(s for s in SETTINGS if s.name == "init_timeout")
    monkeypatch.setattr(row.field, "default", 123.0)
    assert "`123`" in render(text)
    assert render(text) != text


def test_every_flag_of_ilum_init_is_a_setting_of_the_table():
    flags = {a.dest for a in build_parser()._actions if a.option_strings and a.dest}
    own = {"help", "version", "strict", "chown"}
    assert flags - own == {s.name for s in SETTINGS if s.info.init and not s.secret}


def test_init_timeout_is_a_number_from_flag_and_environment():
    env = {"ILUM_USER": "jane", "ILUM_INIT_TIMEOUT": "12.5"}
    assert load_config(environ=env).init_timeout == 12.5
    assert load_config({"init_timeout": "7"}, environ=env).init_timeout == 7.0


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ILUM_INIT_TIMEOUT": "soon"}, "ILUM_INIT_TIMEOUT must be a number"),
        ({"ILUM_INIT_TIMEOUT": "-1"}, "ILUM_INIT_TIMEOUT must not be less than 0"),
        ({"ILUM_LIVY_AUTH": "Kerberos"}, "ILUM_LIVY_AUTH must be one of None, Basic_Access"),
    ],
)
def test_an_unusable_value_is_refused_naming_its_variable(env, message):
    with pytest.raises(ConfigError, match=message):
        load_config(environ={"ILUM_USER": "jane", **env})
