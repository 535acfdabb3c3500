"""Runtime noise that never belongs in the repository nor in an autosave snapshot.

``ilum-init`` writes these into ``.git/info/exclude`` (so the user's own ``.gitignore`` stays
theirs); the autosave applies them again itself, so a repository whose exclude file was never
written still keeps ``.ssh/`` and ``.sparkmagic/`` (the Livy password) out of every snapshot.
"""

from __future__ import annotations

RUNTIME_EXCLUDES = (
    ".ipynb_checkpoints/",
    ".virtual_documents/",
    "__pycache__/",
    ".cache/",
    ".local/",
    ".config/",
    ".jupyter/",
    ".ipython/",
    ".sparkmagic/",
    ".npm/",
    ".yarn/",
    ".conda/",
    ".ssh/",
    ".Trash-*/",
    ".bash_history",
    ".python_history",
    ".lesshst",
    ".viminfo",
    ".wget-hsts",
    ".jupyter_ystore.db",
    ".jupyter_ystore.db-journal",
    "*.pyc",
)
