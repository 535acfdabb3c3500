"""The init state file: what the last ``ilum-init`` run did, read by the server extension.

Lives at ``<workspace>/.local/state/ilum/init.json`` (``ILUM_STATE_DIR`` moves the folder) and
is replaced atomically, so a reader never sees half a file. It never holds a secret: error texts
are redacted before they get here.

Shape (``version`` 1)::

    {"version": 1, "outcome": "running" | "ok" | "failed",
     "started_at": ISO-8601, "finished_at": ISO-8601 | null,
     "case": "fresh-repo" | "clone" | "existing-checkout" | "adopt-files-empty-remote"
             | "adopt-files-remote-commits" | "push-pending" | null,
     "pushed_commit": sha | null, "head": sha | null, "branch": str | null,
     "repo_url": str, "workspace": str, "user": str,
     "error": {"code": str, "message": str, "hint": str (to the user),
               "admin_hint": str (to the administrator)} | null,
     "autosave_restore": null | {"snapshot": sha, "taken_at": ISO-8601, "branch": str,
         "commits": int, "files": [path, ...], "beside": [path, ...],
         "kept_branch": str | null, "skipped_at_snapshot": [{"path", "reason", "size"}, ...]},
     "steps": [str, ...]}
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .atomic_json import write_json_atomically

STATE_VERSION = 1


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def write_state(path: Path, state: dict[str, Any]) -> None:
    """Replace ``path`` with ``state`` atomically; readable by all (it holds no secret)."""
    write_json_atomically(path, {"version": STATE_VERSION, **state}, mode=0o644)


def read_state(path: Path) -> dict[str, Any]:
    """The state as the API serves it: ``present`` says whether a run has been recorded."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {"present": False, "path": str(path)}
    except OSError as exc:
        return {"present": False, "path": str(path), "error": f"cannot read: {exc.strerror}"}
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        return {"present": False, "path": str(path), "error": "state file is not valid JSON"}
    if not isinstance(data, dict):
        return {"present": False, "path": str(path), "error": "state file is not an object"}
    return {**data, "present": True, "path": str(path)}
