"""The starter templates every user's repository receives once: valid nbformat 4 notebooks
without stored outputs, saying what users need to know and ending Spark sessions."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

TEMPLATES = Path(__file__).parents[2] / "init" / "templates"
NOTEBOOKS = sorted(TEMPLATES.rglob("*.ipynb"))


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=nbformat.NO_CONVERT)


def code_sources(path: Path) -> list[str]:
    return [c.source for c in read(path).cells if c.cell_type == "code"]


def all_text(path: Path) -> str:
    return "\n".join(c.source for c in read(path).cells)


def test_the_templates_are_the_intro_and_a_spark_quick_start_under_work():
    assert {p.relative_to(TEMPLATES).as_posix() for p in NOTEBOOKS} == {
        "IlumIntro.ipynb",
        "work/SparkQuickStart.ipynb",
    }


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_valid_nbformat_4(path):
    notebook = read(path)
    assert notebook.nbformat == 4
    nbformat.validate(notebook)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_no_stored_outputs(path):
    for cell in read(path).cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_opens_in_the_python_kernel(path):
    assert read(path).metadata.kernelspec.name == "python3"


def test_intro_explains_save_commit_push_and_what_is_backed_up():
    text = all_text(TEMPLATES / "IlumIntro.ipynb").lower()
    for word in ("save", "commit", "push", "gitea", "backed up", "idle", "shut down", "lost"):
        assert word in text, word


def test_intro_says_where_the_ilum_panel_is_and_what_it_shows():
    text = all_text(TEMPLATES / "IlumIntro.ipynb")
    assert "Ilum panel" in text
    for part in ("left sidebar", "Launcher", "status bar", "Spark sessions", "Repository"):
        assert part in text, part


def test_spark_quick_start_uses_the_magics_against_the_preconfigured_endpoint():
    sources = code_sources(TEMPLATES / "work" / "SparkQuickStart.ipynb")
    assert sources[0] == "%load_ext sparkmagic.magics"
    assert "%manage_spark" in sources
    assert any(s.startswith("%%spark\n") for s in sources)
    # No endpoint in the notebook: ilum-init writes it to ~/.sparkmagic/config.json.
    assert not any("http://" in s or "-u " in s for s in sources)


def test_spark_quick_start_ends_the_session_last():
    assert code_sources(TEMPLATES / "work" / "SparkQuickStart.ipynb")[-1] == "%spark cleanup"


def run_in_ipython(tmp_path: Path, cells: list[str], then: str = "") -> subprocess.CompletedProcess:
    """Runs ``cells`` in a real IPython shell (no Livy session, no network), each of which must
    succeed, then the Python code ``then``."""
    script = (
        "import sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "for cell in sys.argv[1:]:\n"
        "    assert shell.run_cell(cell).success, cell\n"
        f"{then}"
    )
    env = {**os.environ, "HOME": str(tmp_path), "SPARKMAGIC_CONF_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-c", script, *cells],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_magics_load_and_cleanup_is_a_known_subcommand(tmp_path):
    pytest.importorskip("sparkmagic")
    # When the quick start's first and last cells run
    result = run_in_ipython(tmp_path, ["%load_ext sparkmagic.magics", "%spark cleanup"])
    # Then both are accepted (an unknown subcommand only prints "not found")
    assert result.returncode == 0, result.stderr
    assert "not found" not in result.stdout + result.stderr


SIZE_KEYS = {"driverMemory", "driverCores", "executorMemory", "executorCores", "numExecutors"}


def sizing_cell() -> str:
    sources = code_sources(TEMPLATES / "work" / "SparkQuickStart.ipynb")
    [cell] = [s for s in sources if s.startswith("%%spark config\n")]
    # Sizes apply when a session is created: the cell comes before the session form.
    assert sources.index(cell) < sources.index("%manage_spark")
    return cell


def test_quick_start_sizes_the_session_with_driver_and_executor_memory_and_cores():
    # The Python kernel's cell and the PySpark kernel's %%configure -f ask for the same size.
    body = json.loads(sizing_cell().split("\n", 1)[1])
    assert set(body) == SIZE_KEYS
    text = all_text(TEMPLATES / "work" / "SparkQuickStart.ipynb")
    configure = re.search(r"```\n%%configure -f\n(\{.*?\})\n```", text, re.DOTALL)
    assert configure is not None
    assert json.loads(configure.group(1)) == body


def test_the_sizing_cell_sets_what_sparkmagic_sends_when_it_creates_a_session(tmp_path):
    pytest.importorskip("sparkmagic")
    cell = sizing_cell()

    # When the quick start's sizing cell runs after the magics are loaded
    result = run_in_ipython(
        tmp_path,
        ["%load_ext sparkmagic.magics", cell],
        then="import json, sparkmagic.utils.configuration as conf\n"
        "print(json.dumps(conf.session_configs()))\n",
    )

    # Then sparkmagic's session settings carry the size
    assert result.returncode == 0, result.stderr
    configs = json.loads(result.stdout.strip().splitlines()[-1])
    assert configs == json.loads(cell.split("\n", 1)[1])


def test_quick_start_says_how_to_find_the_session_in_the_panel():
    text = all_text(TEMPLATES / "work" / "SparkQuickStart.ipynb")
    for part in ("Ilum panel", "Spark sessions", "PySpark", "Spark UI", "End session"):
        assert part in text, part


def test_intro_names_session_kinds_as_the_panel_does():
    text = all_text(TEMPLATES / "IlumIntro.ipynb")
    for kind in ("PySpark", "Spark (Scala)", "SparkR", "Spark SQL"):
        assert kind in text, kind
