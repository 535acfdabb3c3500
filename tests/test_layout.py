"""The package's import direction: ``init/`` and ``server/`` never import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ilum_singleuser"

# Which subpackages each part may import besides its own.
ALLOWED = {
    "core": set(),
    "init": {"core"},
    "server": {"core"},
    "image": {"core"},
    "testing": {"core"},
}


def imported_parts(source: str, module_path: Path) -> set[str]:
    """The subpackages of ``ilum_singleuser`` a module imports, relative imports resolved."""
    here = module_path.relative_to(PACKAGE.parent).with_suffix("").parts
    parts: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(here[: len(here) - node.level])
                names = [".".join(base + ([node.module] if node.module else []))]
                if not node.module:
                    names = [f"{names[0]}.{alias.name}" for alias in node.names]
            elif node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            dotted = name.split(".")
            if dotted[0] == "ilum_singleuser" and len(dotted) > 1 and dotted[1] in ALLOWED:
                parts.add(dotted[1])
    return parts


def violations(source: str, module_path: Path) -> list[str]:
    part = module_path.relative_to(PACKAGE).parts[0]
    if part not in ALLOWED:
        return []
    forbidden = imported_parts(source, module_path) - ALLOWED[part] - {part}
    return [f"{module_path.relative_to(PACKAGE)} imports {other}/" for other in sorted(forbidden)]


def test_the_tree_shows_the_parts():
    for part in ("core", "init", "server", "testing"):
        assert (PACKAGE / part / "__init__.py").is_file(), part
    flat = sorted(
        p.name for p in PACKAGE.glob("*.py") if p.name not in {"__init__.py", "_version.py"}
    )
    assert flat == [], f"modules outside the parts: {flat}"


def test_init_and_server_never_import_each_other():
    found = [
        violation
        for module in sorted(PACKAGE.rglob("*.py"))
        if "labextension" not in module.parts
        for violation in violations(module.read_text(encoding="utf-8"), module)
    ]
    assert found == []


@pytest.mark.parametrize(
    ("where", "source"),
    [
        ("server/handlers.py", "from ..init.runner import run_init\n"),
        ("server/handlers.py", "from ilum_singleuser.init import case_table\n"),
        ("init/runner.py", "import ilum_singleuser.server.services\n"),
        ("init/runner.py", "from .. import server\n"),
        ("core/git.py", "from ..server.web_url import web_url\n"),
    ],
)
def test_the_direction_check_catches_a_wrong_import(where, source):
    assert violations(source, PACKAGE / where), f"{where}: {source!r} went unnoticed"


def test_the_direction_check_allows_core():
    assert violations("from ..core.git import Git\n", PACKAGE / "server/repo_reader.py") == []
    assert violations("from ..core import errors\n", PACKAGE / "init/runner.py") == []
