"""Starter notebooks are copied with the metadata of the kernel they name, as the Jupyter
server would save them (the UI test in tests/ui/test_starter_notebooks.py opens them in
JupyterLab); a kernel that cannot answer leaves them as shipped."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import git
from tests.init.conftest import InitSetup


def notebook(kernel: str) -> str:
    return json.dumps(
        {
            "cells": [{"cell_type": "markdown", "id": "a", "metadata": {}, "source": ["# Hi"]}],
            "metadata": {
                "kernelspec": {"display_name": "Python 3", "language": "python", "name": kernel},
                "language_info": {"name": "python"},
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


def test_a_notebook_gets_the_language_info_its_kernel_reports(setup: InitSetup):
    (setup.templates / "Start.ipynb").write_text(notebook("python3"))

    result = setup.run("--strict")

    assert result.returncode == 0, result.stderr
    copied = (setup.workspace / "Start.ipynb").read_text()
    metadata = json.loads(copied)["metadata"]
    version = ".".join(map(str, sys.version_info[:3]))
    assert metadata["language_info"]["version"] == version
    assert metadata["language_info"]["codemirror_mode"] == {"name": "ipython", "version": 3}
    assert metadata["kernelspec"]["name"] == "python3"
    # Committed as written, in the server's layout (one-space indent, a final newline).
    assert git(setup.workspace, "show", "HEAD:Start.ipynb") == copied
    assert copied.startswith('{\n "cells": [\n  {\n')
    assert copied.endswith("}\n")
    assert git(setup.workspace, "status", "--porcelain") == ""
    # The kernel ran in scratch space: nothing of it is left in the user's home.
    assert not (setup.workspace / ".ipython").exists()
    assert not (setup.workspace / ".local" / "share" / "jupyter").exists()


def test_the_kernel_the_notebook_names_is_asked_also_sparkmagics(setup: InitSetup, tmp_path):
    # The PySpark kernel as the image installs it (sparkmagic's kernelspec, in a Jupyter path).
    sparkmagic = pytest.importorskip("sparkmagic")
    kernels = tmp_path / "jupyter" / "kernels" / "pysparkkernel"
    kernels.mkdir(parents=True)
    shutil.copy(Path(sparkmagic.__file__).parent / "kernels/pysparkkernel/kernel.json", kernels)
    (setup.templates / "Spark.ipynb").write_text(notebook("pysparkkernel"))

    result = setup.run("--strict", JUPYTER_PATH=str(tmp_path / "jupyter"))

    assert result.returncode == 0, result.stderr
    metadata = json.loads((setup.workspace / "Spark.ipynb").read_text())["metadata"]
    assert metadata["kernelspec"] == {
        "display_name": "PySpark",
        "language": "python",
        "name": "pysparkkernel",
    }
    assert metadata["language_info"]["name"] == "pyspark"


def test_a_notebook_naming_a_missing_kernel_is_copied_as_shipped(setup: InitSetup):
    shipped = notebook("no-such-kernel")
    (setup.templates / "Start.ipynb").write_text(shipped)

    result = setup.run("--strict")

    assert result.returncode == 0, result.stderr
    assert (setup.workspace / "Start.ipynb").read_text() == shipped
    assert "no-such-kernel" in result.stderr
    assert git(setup.workspace, "status", "--porcelain") == ""
