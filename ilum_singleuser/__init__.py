"""ilum-singleuser: workspace init, repo and Spark status API and JupyterLab panel for Ilum."""

from __future__ import annotations

try:
    from ._version import __version__
except ImportError:  # a source checkout that was never built
    __version__ = "0.0.0.dev0"
