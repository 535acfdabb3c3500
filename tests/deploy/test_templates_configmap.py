"""init/make-templates-configmap: the templates ConfigMap and the volume items that mount it
as the nested tree ilum-init copies."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import PurePosixPath

import pytest

from .support import INIT, project_configmap, tree, validate_k8s

TEMPLATES = INIT / "templates"
KEY_PATTERN = re.compile(r"[-._a-zA-Z0-9]+")


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(INIT / "make-templates-configmap"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "path",
    [
        "IlumIntro.ipynb",
        "work/SparkQuickStart.ipynb",
        "my_notes/data set (v2).csv",
        ".gitignore",
        "..hidden/..x",
        "Über/straße.md",
        "a_2fb.txt",
    ],
)
def test_keys_are_valid_configmap_keys_and_decode_back(make_templates, path):
    key = make_templates.encode_key(PurePosixPath(path))
    assert KEY_PATTERN.fullmatch(key), key
    assert not key.startswith("..")
    assert make_templates.decode_key(key) == PurePosixPath(path)


def test_different_paths_never_share_a_key(make_templates):
    paths = ["a/b", "a_b", "a_2fb", "a.b", "a-b", "a b"]
    keys = {make_templates.encode_key(PurePosixPath(p)) for p in paths}
    assert len(keys) == len(paths)


def test_the_shipped_templates_become_a_valid_configmap(make_templates):
    configmap, volume = make_templates.build(TEMPLATES, "ilum-templates", "ilum")
    validate_k8s(configmap)
    assert configmap["metadata"] == {
        "name": "ilum-templates",
        "namespace": "ilum",
        "labels": {"app.kubernetes.io/name": "ilum-templates", "app.kubernetes.io/part-of": "ilum"},
    }
    assert set(configmap["data"]) == {"IlumIntro.ipynb", "work_2fSparkQuickStart.ipynb"}
    assert volume["configMap"]["items"] == [
        {"key": "IlumIntro.ipynb", "path": "IlumIntro.ipynb"},
        {"key": "work_2fSparkQuickStart.ipynb", "path": "work/SparkQuickStart.ipynb"},
    ]


def test_mounted_configmap_is_the_nested_tree_ilum_init_copies(make_templates, tmp_path):
    # Given the shipped templates as a ConfigMap, mounted the way the kubelet does it
    configmap, volume = make_templates.build(TEMPLATES, "ilum-templates", None)
    mounted = tmp_path / "etc-ilum-templates"
    mounted.mkdir()
    project_configmap(configmap, volume, mounted)
    # Then ilum-init's template reader sees exactly the templates folder, nested folders included
    assert tree(mounted) == tree(TEMPLATES)
    assert "work/SparkQuickStart.ipynb" in tree(mounted)


def test_binary_files_executables_and_odd_names_survive_the_round_trip(make_templates, tmp_path):
    # Given templates with a binary file, an executable script and awkward names
    source = tmp_path / "templates"
    (source / "data set").mkdir(parents=True)
    (source / "data set" / "logo.png").write_bytes(bytes(range(256)))
    (source / "bin").mkdir()
    script = source / "bin" / "run_job.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o755)
    (source / ".gitignore").write_text("*.tmp\n")
    (source / "Über.md").write_text("# ü\n")
    (source / ".ipynb_checkpoints").mkdir()
    (source / ".ipynb_checkpoints" / "x-checkpoint.ipynb").write_text("{}")
    # When they become a ConfigMap and are mounted
    configmap, volume = make_templates.build(source, "t", None)
    validate_k8s(configmap)
    mounted = tmp_path / "mounted"
    mounted.mkdir()
    project_configmap(configmap, volume, mounted)
    # Then the tree, the bytes and the executable bit are what the folder held
    assert tree(mounted) == tree(source)
    assert tree(mounted)["bin/run_job.sh"][1] is True
    assert "data_20set_2flogo.png" in configmap["binaryData"]
    assert ".ipynb_checkpoints/x-checkpoint.ipynb" not in tree(mounted)


def test_templates_over_the_configmap_size_limit_are_refused(make_templates, tmp_path):
    source = tmp_path / "templates"
    source.mkdir()
    (source / "big.csv").write_bytes(b"x" * (1024 * 1024))
    with pytest.raises(make_templates.TemplatesError, match="at most about 1 MiB"):
        make_templates.build(source, "t", None)


def test_a_link_out_of_the_templates_folder_is_refused(make_templates, tmp_path):
    source = tmp_path / "templates"
    source.mkdir()
    (tmp_path / "secret.txt").write_text("not a template")
    (source / "leak.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(make_templates.TemplatesError, match="links outside"):
        make_templates.build(source, "t", None)


def test_an_empty_folder_is_refused(make_templates, tmp_path):
    with pytest.raises(make_templates.TemplatesError, match="holds no file"):
        make_templates.build(tmp_path, "t", None)


def test_command_prints_configmap_volume_and_values_that_agree():
    configmap = json.loads(run_script("--namespace", "ilum").stdout)
    volume = json.loads(run_script("--output", "volume").stdout)
    values = json.loads(run_script("--output", "z2jh-values").stdout)
    assert configmap["kind"] == "ConfigMap"
    assert configmap["metadata"]["namespace"] == "ilum"
    assert {i["key"] for i in volume["configMap"]["items"]} == set(configmap["data"])
    assert values == {"singleuser": {"storage": {"extraVolumes": {"ilum-templates": volume}}}}


def test_command_reports_a_missing_folder(tmp_path):
    result = run_script(str(tmp_path / "nope"))
    assert result.returncode == 1
    assert "is not a folder" in result.stderr
    assert result.stdout == ""


def test_command_works_on_a_folder_given_relative_to_the_caller(tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "a.txt").write_text("a")
    result = subprocess.run(
        [sys.executable, str(INIT / "make-templates-configmap"), "t", "--name", "x"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ},
    )
    assert json.loads(result.stdout)["data"] == {"a.txt": "a"}
