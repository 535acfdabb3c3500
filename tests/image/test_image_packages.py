"""What the image's Python environment holds: images/install-notebook-packages run in a fresh
virtual environment exactly as the Dockerfile runs it, then checked the way a user would meet it.

Slow (a fresh environment with JupyterLab and sparkmagic: a minute or two with pip's cache).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]
IMAGES = REPO / "images"
INSTALL_TIMEOUT = 900
# Inputs of the wheel: a dist/ wheel older than any of them is stale.
WHEEL_SOURCES = (
    "pyproject.toml",
    "ilum_singleuser",
    "jupyter-config",
    "init/templates",
    "labextension/package.json",
    "labextension/src",
    "labextension/schema",
    "labextension/style",
)
LAB_EXTENSION_IN_WHEEL = "share/jupyter/labextensions/@ilum/singleuser/package.json"

ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")

pytestmark = pytest.mark.timeout(INSTALL_TIMEOUT + 300)


def listing(result: subprocess.CompletedProcess[str]) -> str:
    """What a `jupyter ... list` printed, without its colours."""
    return ANSI_COLOUR.sub("", result.stdout + result.stderr)


@dataclass
class NotebookEnv:
    prefix: Path
    home: Path
    wheel: Path

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("JUPYTER", "PYTHON", "VIRTUAL_ENV"))
        }
        env.update(
            PATH=f"{self.prefix / 'bin'}{os.pathsep}{os.environ['PATH']}",
            VIRTUAL_ENV=str(self.prefix),
            HOME=str(self.home),
            SPARKMAGIC_CONF_DIR=str(self.home / ".sparkmagic"),
        )
        return subprocess.run(
            list(args), env=env, capture_output=True, text=True, timeout=timeout, check=False
        )


def newest_source_mtime() -> float:
    newest = 0.0
    for name in WHEEL_SOURCES:
        root = REPO / name
        paths: Sequence[Path] = [root] if root.is_file() else list(root.rglob("*"))
        for path in paths:
            if "node_modules" in path.parts or "__pycache__" in path.parts:
                continue
            if path.is_file():
                newest = max(newest, path.stat().st_mtime)
    return newest


def project_wheel(build_dir: Path) -> Path:
    """dist/'s wheel when it is newer than every source, else a fresh build."""
    wheels = sorted((REPO / "dist").glob("ilum_singleuser-*.whl"))
    if len(wheels) == 1 and wheels[0].stat().st_mtime >= newest_source_mtime():
        return wheels[0]
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(build_dir), str(REPO)],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )
    assert build.returncode == 0, f"building the wheel failed:\n{build.stderr[-3000:]}"
    return next(build_dir.glob("ilum_singleuser-*.whl"))


@pytest.fixture(scope="module")
def notebook_env(tmp_path_factory: pytest.TempPathFactory) -> NotebookEnv:
    root = tmp_path_factory.mktemp("image-env")
    wheel = project_wheel(root / "wheel")
    prefix = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(prefix)], check=True, timeout=300)
    home = root / "home"
    home.mkdir()
    env = NotebookEnv(prefix, home, wheel)
    install = env.run(
        "bash",
        str(IMAGES / "install-notebook-packages"),
        str(IMAGES / "requirements.txt"),
        str(wheel),
        timeout=INSTALL_TIMEOUT,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    return env


def lab_extension_build_configured() -> bool:
    return "hatch_jupyter_builder" in (REPO / "pyproject.toml").read_text().replace("-", "_")


def test_install_script_refuses_a_wrong_call():
    result = subprocess.run(
        ["bash", str(IMAGES / "install-notebook-packages"), str(IMAGES / "requirements.txt")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_server_extensions_are_enabled_and_load(notebook_env):
    result = notebook_env.run("jupyter", "server", "extension", "list")
    text = listing(result)
    assert result.returncode == 0, text
    for name in ("ilum_singleuser", "jupyterlab_git"):
        assert re.search(rf"{name} enabled", text), text
        assert re.search(rf"{name} \S+ OK", text), text


def test_lab_extensions_are_listed(notebook_env):
    result = notebook_env.run("jupyter", "labextension", "list")
    text = listing(result)
    assert result.returncode == 0, text
    assert re.search(r"@jupyterlab/git v\S+ enabled\s+OK", text), text
    with zipfile.ZipFile(notebook_env.wheel) as wheel:
        shipped = any(n.endswith(LAB_EXTENSION_IN_WHEEL) for n in wheel.namelist())
    if not shipped and not lab_extension_build_configured():
        pytest.skip("pyproject.toml does not build the lab extension into the wheel yet")
    assert shipped, "the wheel lacks the lab extension"
    assert re.search(r"@ilum/singleuser v\S+ enabled\s+OK", text), text


def test_sparkmagic_kernels_are_installed_in_the_environment(notebook_env):
    result = notebook_env.run("jupyter", "kernelspec", "list", "--json")
    assert result.returncode == 0, result.stderr
    specs = json.loads(result.stdout)["kernelspecs"]
    for name, language in (("pysparkkernel", "python"), ("sparkkernel", "scala")):
        assert name in specs, sorted(specs)
        assert Path(specs[name]["resource_dir"]).is_relative_to(notebook_env.prefix)
        assert specs[name]["spec"]["language"] == language


def test_pyspark_kernel_starts_and_answers(notebook_env):
    # A kernel_info round trip: the kernel process starts from its kernelspec (no Livy needed).
    script = (
        "from jupyter_client.manager import start_new_kernel\n"
        "km, kc = start_new_kernel(kernel_name='pysparkkernel', startup_timeout=120)\n"
        "try:\n"
        "    reply = kc.kernel_info(reply=True, timeout=60)\n"
        "    print(reply['content']['implementation'])\n"
        "finally:\n"
        "    kc.stop_channels()\n"
        "    km.shutdown_kernel(now=True)\n"
    )
    result = notebook_env.run(
        str(notebook_env.prefix / "bin" / "python"), "-c", script, timeout=240
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "pyspark" in result.stdout.lower()


def test_ilum_init_is_on_path_and_needs_nothing_else(notebook_env):
    assert shutil.which("ilum-init", path=str(notebook_env.prefix / "bin"))
    result = notebook_env.run("ilum-init", "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: ilum-init" in result.stdout
    assert shutil.which("git-credential-ilum", path=str(notebook_env.prefix / "bin"))


def test_ssh_start_hook_runs_in_the_environment(notebook_env):
    result = notebook_env.run("bash", str(IMAGES / "start-hooks" / "50-ilum-sshd"))
    assert result.returncode == 0, result.stderr
    assert "SSH access is off" in result.stderr
