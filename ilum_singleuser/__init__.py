"""ilum-singleuser: workspace init, repo and Spark status API and JupyterLab panel for Ilum."""

from __future__ import annotations

try:
    from ._version import __version__
except ImportError:  # a source checkout that was never built
    __version__ = "0.0.0.dev0"


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    from .server.extension import IlumExtension  # the CLI must not pay for importing jupyter_server

    return [{"module": "ilum_singleuser", "app": IlumExtension}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "@ilum/singleuser"}]
