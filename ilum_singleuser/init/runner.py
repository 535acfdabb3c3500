"""One ``ilum-init`` run: lock, initialise the workspace, configure sparkmagic, hand files to
the notebook user, and record what happened in the state file.

By default a failure still exits 0 so that a Git outage never keeps a user's server from
starting; the state file carries the error to the panel. ``strict`` turns failures into exit
codes: 2 configuration, 3 authentication, 4 timeout, 1 anything else.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from ..core.credentials import read_git_credentials
from ..core.errors import ConfigError, IlumError
from ..core.file_lock import exclusive_lock
from ..core.git import Git
from ..core.ownership import chown_paths
from ..core.redaction import redact
from ..core.settings import Config
from ..core.state_file import now_iso, write_state
from .case_table import InitOutcome, WorkspaceInitialiser
from .hints import hint_for
from .sparkmagic_config import config_path, merge_sparkmagic_config


def known_secrets(config: Config) -> list[str | None]:
    """Every secret a message could carry, read as the helper would read it right now."""
    git_creds = read_git_credentials({**os.environ, **config.credential_env})
    return [git_creds.password, config.git_password, config.livy_password]


# Cases in which the run writes nothing into the working tree (only into .git).
UNTOUCHED_WORKTREE_CASES = frozenset({"existing-checkout", "push-pending"})


def make_logger(config: Config, stream: TextIO, steps: list[str]) -> Callable[[str], None]:
    """One line per step on ``stream``, every line redacted, each also kept for the state."""

    def log(message: str) -> None:
        line = redact(message, known_secrets(config))
        steps.append(line)
        stream.write(f"ilum-init: {line}\n")
        stream.flush()

    return log


def _created_parents(path: Path, stop: Path) -> list[Path]:
    """``path`` and its parents up to (not including) ``stop``."""
    out = []
    while path != stop and stop in path.parents:
        out.append(path)
        path = path.parent
    return out


def run_init(
    config: Config,
    *,
    strict: bool = False,
    owner: tuple[int, int] | None = None,
    stream: TextIO = sys.stderr,
) -> int:
    steps: list[str] = []
    log = make_logger(config, stream, steps)
    state: dict[str, Any] = {
        "outcome": "running",
        "started_at": now_iso(),
        "finished_at": None,
        "case": None,
        "pushed_commit": None,
        "head": None,
        "branch": None,
        "repo_url": config.repo_url,
        "workspace": str(config.workspace),
        "user": config.user,
        "error": None,
        "steps": steps,
    }
    status = 0
    state_dir = config.state_path.parent
    try:
        with exclusive_lock(
            config.lock_path,
            timeout=config.init_timeout + 60,
            on_wait=lambda: log("another ilum-init is running on this workspace; waiting"),
        ):
            write_state(config.state_path, state)
            try:
                outcome = WorkspaceInitialiser(config, log).run()
                state.update(_outcome_fields(outcome))
                state["outcome"] = "ok"
                log(f"done: {outcome.case}, {outcome.branch} at {(outcome.head or '')[:12]}")
            except IlumError as exc:
                state["outcome"] = "failed"
                state["error"] = _error_fields(exc, config, log)
                status = exc.exit_status
            _configure_sparkmagic(config, log)
            state["finished_at"] = now_iso()
            write_state(config.state_path, state)
            if owner is not None:
                worktree_untouched = state["case"] in UNTOUCHED_WORKTREE_CASES
                restored = state.get("autosave_restore") or {}
                _hand_over(
                    config,
                    owner,
                    state_dir,
                    walk_tracked=not worktree_untouched,
                    written=[*restored.get("files", []), *restored.get("beside", [])],
                )
    except IlumError as exc:  # the lock itself timed out
        state.update(outcome="failed", error=_error_fields(exc, config, log), finished_at=now_iso())
        write_state(config.state_path, state)
        status = exc.exit_status
    return status if strict else 0


def record_config_error(exc: ConfigError, workspace: str | None, state_dir: str | None) -> None:
    """Best effort: put a configuration error where the panel looks, if we can tell where."""
    folder = state_dir or os.environ.get("ILUM_STATE_DIR")
    if not folder:
        base = Path(workspace or os.environ.get("ILUM_WORKSPACE") or Path.home())
        folder = str(base / ".local" / "state" / "ilum")
    now = now_iso()
    hint = hint_for(exc.code)
    error = {"code": exc.code, "message": str(exc), "hint": hint.user, "admin_hint": hint.admin}
    with contextlib.suppress(OSError):
        write_state(
            Path(folder) / "init.json",
            {"outcome": "failed", "started_at": now, "finished_at": now, "error": error},
        )


def _outcome_fields(outcome: InitOutcome) -> dict[str, Any]:
    return {
        "case": outcome.case,
        "branch": outcome.branch,
        "head": outcome.head,
        "pushed_commit": outcome.pushed_commit,
        "templates_copied": outcome.templates_copied,
        "autosave_restore": outcome.autosave_restore,
    }


def _error_fields(exc: IlumError, config: Config, log: Callable[[str], None]) -> dict[str, str]:
    message = redact(str(exc), known_secrets(config))
    log(f"failed ({exc.code}): {message}")
    hint = hint_for(exc.code)
    if hint.admin:
        log(hint.admin)
    return {"code": exc.code, "message": message, "hint": hint.user, "admin_hint": hint.admin}


def _configure_sparkmagic(config: Config, log: Callable[[str], None]) -> None:
    path = config_path(config.workspace)
    try:
        result = merge_sparkmagic_config(config, path)
    except OSError as exc:
        log(f"sparkmagic config not written: {exc.strerror} ({path})")
        return
    if result.note:
        log(result.note)
    elif result.written:
        log(f"sparkmagic config for {config.livy_url} written to {path}")
    if result.kept_user_keys:
        log("kept the user's sparkmagic settings: " + ", ".join(result.kept_user_keys))


def _hand_over(
    config: Config,
    owner: tuple[int, int],
    state_dir: Path,
    *,
    walk_tracked: bool,
    written: list[str],
) -> None:
    """Whatever this run may have created becomes the notebook user's. The tracked files are
    walked only when this run may have written some (not on an ordinary repeat start);
    ``written`` are further files it wrote (restored from an autosave)."""
    ws = config.workspace
    spark_dir = config_path(ws).parent
    singles = [ws, *_created_parents(state_dir, ws), *_created_parents(spark_dir, ws)]
    rels = _tracked_paths(config) if walk_tracked else []
    singles += [ws / p for p in _with_parents([*rels, *written])]
    chown_paths(singles, owner, [ws / ".git", state_dir, spark_dir])


def _tracked_paths(config: Config) -> list[str]:
    """Tracked files: the checkout and the templates we wrote."""
    out = Git(config.workspace).run("ls-files", "-z", check=False, read_only=True).stdout
    return [rel for rel in out.split("\0") if rel]


def _with_parents(rels: list[str]) -> list[str]:
    paths: set[str] = set()
    for rel in rels:
        parts = rel.split("/")
        paths.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return sorted(paths)
