"""Typed traitlets made from rows of the settings table.

A trait's type, default and help come from its :class:`~ilum_singleuser.core.settings.Setting`.
Left unset, a setting with an ``ILUM_*`` variable takes that variable's value when it is first
read (what jupyter-resource-usage does with ``@default`` methods), so the traitlet shows the value
in use and the environment is read at start, not at import.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from traitlets import Bool, Float, Int, List, TraitError, TraitType, Unicode

from ..core.errors import ConfigError
from ..core.settings import SETTINGS_BY_NAME, Setting


class _FromSetting:
    """Mixin: the default is the setting's environment value, else its table default."""

    setting: Setting

    def default(self, obj: Any = None) -> Any:
        value = self.setting.from_environment(os.environ)
        return str(value) if isinstance(value, Path) else value

    def validate(self, obj: Any, value: Any) -> Any:
        # Text for a number, a flag or a list (a config file written by hand, a --flag) is read
        # as the environment variable would be.
        if isinstance(value, str) and self.setting.type in (bool, float, int, tuple):
            try:
                value = self.setting.parse(value)
            except ConfigError as exc:
                raise TraitError(str(exc)) from None
        return super().validate(obj, value)  # type: ignore[misc]


class _Text(_FromSetting, Unicode):
    pass


class _Number(_FromSetting, Float):
    pass


class _Integer(_FromSetting, Int):
    pass


class _Flag(_FromSetting, Bool):
    pass


class _Patterns(_FromSetting, List):
    """A list of text patterns (a tuple in the settings table)."""

    def default(self, obj: Any = None) -> Any:
        return list(super().default(obj))


class _PathText(_FromSetting, Unicode):
    """A path, kept as text; a ``Path`` in a config file is accepted."""

    def validate(self, obj: Any, value: Any) -> Any:
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        return super().validate(obj, value)


_TRAITS: dict[type, type[TraitType[Any, Any]]] = {
    str: _Text,
    float: _Number,
    int: _Integer,
    bool: _Flag,
    Path: _PathText,
    tuple: _Patterns,
}


def setting_trait(name: str) -> Any:
    """The configurable traitlet of setting ``name``."""
    setting = SETTINGS_BY_NAME[name]
    if setting.secret:
        raise ValueError(f"{name} is a secret: environment only, never a traitlet")
    kind = _TRAITS[setting.type]
    options: dict[str, Any] = {"allow_none": setting.optional, "help": setting.usage()}
    if kind is _Patterns:
        options["trait"] = Unicode()
    trait: Any = kind(**options)
    trait.setting = setting
    return trait.tag(config=True)
