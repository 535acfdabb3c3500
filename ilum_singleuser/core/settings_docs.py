"""The settings tables of ``docs/``, made from the settings table so that they cannot drift.

``python -m ilum_singleuser.core.settings_docs`` rewrites each table between its markers
(``<!-- settings-table: init -->`` ... ``<!-- /settings-table -->``); a test checks that the
docs in the repository are what this module makes.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from .settings import SETTINGS

END = "<!-- /settings-table -->"
_BLOCK = re.compile(
    r"(<!-- settings-table: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(" + END + ")", re.S
)


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _code(text: str | None) -> str:
    return f"`{text}`" if text else ""


def init_table() -> str:
    """Every setting of ilum-init: variable, flag, default, meaning."""
    rows = (
        (_code(s.env), "*(no flag)*" if s.secret else _code(s.flag), s.default_text(), s.describe())
        for s in SETTINGS
        if s.info.init
    )
    return _table(("env", "flag", "default", "meaning"), rows)


def server_table() -> str:
    """The server extension's own settings (the shared ones are in the init table)."""
    rows = (
        (_code(s.name), _code(s.env) or "", s.default_text(), s.describe())
        for s in SETTINGS
        if s.info.server and not s.info.init
    )
    return _table(("traitlet", "env", "default", "meaning"), rows)


TABLES: dict[str, Callable[[], str]] = {"init": init_table, "server": server_table}
DOCS = ("ilum-init.md", "api.md")


def render(text: str) -> str:
    """``text`` with every marked table made anew."""

    def fill(match: re.Match[str]) -> str:
        return match.group(1) + TABLES[match.group("name")]() + match.group(4)

    return _BLOCK.sub(fill, text)


def main(docs: Path) -> int:
    for name in DOCS:
        path = docs / name
        path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs")))
