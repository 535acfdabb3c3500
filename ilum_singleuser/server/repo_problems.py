"""Why the repository cannot be read, as a stable code the panel turns into plain words.

Git says it in English on stderr (the server runs git with ``LC_ALL=C``); the panel needs to know
which failure it is to tell the user whether the files are safe and what to do next. Codes:

- ``index-corrupt``: ``.git/index`` cannot be read (bad signature, truncated);
- ``index-missing``: ``.git/index`` is gone, so git would count every file twice;
- ``dubious-ownership``: git refuses a repository owned by another user;
- ``not-a-repo``: ``.git`` is there but git does not take it for a repository;
- ``timeout``: git took longer than ``git_status_timeout``;
- ``unexpected-output``: git's answer did not follow porcelain v2;
- ``git``: any other failure (git's own text is in ``error``).
"""

from __future__ import annotations

from ..core.git import GitCommandError

# Checked in order against git's stderr, lower-cased.
_SIGNATURES = (
    ("detected dubious ownership", "dubious-ownership"),
    ("index file corrupt", "index-corrupt"),
    ("bad signature", "index-corrupt"),
    ("index file smaller than expected", "index-corrupt"),
    ("bad index file", "index-corrupt"),
    ("not a git repository", "not-a-repo"),
)


def classify(exc: GitCommandError) -> str:
    """The problem code of a failed git run."""
    if exc.returncode is None:
        return "timeout"
    stderr = exc.stderr.lower()
    return next((code for text, code in _SIGNATURES if text in stderr), "git")
