"""Starter notebooks carry the metadata their kernel reports in this image.

JupyterLab writes the kernel's ``language_info`` (version, CodeMirror mode, ...) and its
kernelspec into a notebook as soon as the kernel answers. A template that says less would be
rewritten by the first autosave after the user merely opened it, and the repository would show
a change nobody made. ilum-init runs in the notebook image, so it asks the very kernel each
notebook names, once per kernel, and writes the answer into the copies, in the layout the
Jupyter server saves (nbformat's JSON), so that a save writes the same bytes.

The kernel runs with its home, IPython folder and connection file in scratch space: the init
container may run as root, and nothing of this may land in the user's home.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .templates import TemplateFile

KERNEL_TIMEOUT = 60.0


class KernelUnavailable(Exception):
    """The kernel a notebook names could not be started or did not answer."""


def kernel_metadata(name: str, scratch: Path, timeout: float = KERNEL_TIMEOUT) -> dict[str, Any]:
    """``{"kernelspec": ..., "language_info": ...}`` as JupyterLab writes them for ``name``."""
    from jupyter_client.kernelspec import NoSuchKernel
    from jupyter_client.manager import KernelManager

    home = scratch / f"kernel-{name}"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "HOME": str(home),
        "IPYTHONDIR": str(home / ".ipython"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "MPLCONFIGDIR": str(home / "matplotlib"),
    }
    manager = KernelManager(kernel_name=name, connection_file=str(home / "connection.json"))
    try:
        spec = manager.kernel_spec
        if spec is None:
            raise NoSuchKernel(name)
        manager.start_kernel(
            env=env, cwd=str(home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    # Whatever a kernel does wrong only costs the notebooks their filled-in metadata.
    except Exception as exc:
        raise KernelUnavailable(f"kernel {name!r} cannot start: {exc}") from None
    client = manager.client()
    try:
        client.start_channels()
        client.wait_for_ready(timeout=timeout)
        reply = client.kernel_info(reply=True, timeout=timeout)
        language_info = reply["content"]["language_info"]
    except Exception as exc:
        raise KernelUnavailable(f"kernel {name!r} did not answer: {exc!r}") from None
    finally:
        client.stop_channels()
        with contextlib.suppress(Exception):
            manager.shutdown_kernel(now=True)
    return {
        "kernelspec": {"display_name": spec.display_name, "language": spec.language, "name": name},
        "language_info": language_info,
    }


def with_kernel_metadata(
    templates: list[TemplateFile], scratch: Path, log: Callable[[str], None]
) -> list[TemplateFile]:
    """``templates`` with every notebook that names a kernel replaced by a copy in ``scratch``
    that carries that kernel's metadata. A kernel that cannot answer leaves its notebooks as
    shipped (they then change on the first save, which costs the user nothing but a commit)."""
    answers: dict[str, dict[str, Any] | None] = {}
    out = []
    for template in templates:
        notebook = _read_notebook(template) if template.rel.suffix == ".ipynb" else None
        name = _kernel_name(notebook)
        if notebook is None or name is None:
            out.append(template)
            continue
        if name not in answers:
            try:
                answers[name] = kernel_metadata(name, scratch)
            except KernelUnavailable as exc:
                log(f"starter notebooks keep their shipped metadata: {exc}")
                answers[name] = None
        metadata = answers[name]
        if metadata is None:
            out.append(template)
            continue
        notebook["metadata"].update(metadata)
        dest = scratch / "notebooks" / Path(*template.rel.parts)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(_as_saved(notebook), encoding="utf-8")
        out.append(TemplateFile(template.rel, dest, template.executable))
    return out


def _read_notebook(template: TemplateFile) -> dict[str, Any] | None:
    try:
        notebook = json.loads(template.source.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return notebook if isinstance(notebook, dict) else None


def _kernel_name(notebook: dict[str, Any] | None) -> str | None:
    metadata = (notebook or {}).get("metadata")
    kernelspec = metadata.get("kernelspec") if isinstance(metadata, dict) else None
    name = kernelspec.get("name") if isinstance(kernelspec, dict) else None
    return name if isinstance(name, str) and name else None


def _as_saved(notebook: dict[str, Any]) -> str:
    """The bytes the Jupyter server writes for ``notebook`` (``nbformat.write``)."""
    import nbformat

    text = nbformat.writes(nbformat.from_dict(notebook), version=nbformat.NO_CONVERT)
    return text if text.endswith("\n") else text + "\n"
