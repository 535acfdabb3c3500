"""The autosave schedule: when snapshots are taken, pushed, replaced and removed.

One snapshot runs at a time: the interval tick, ``POST autosave`` and the server's stop all go
through :meth:`AutosaveService.snapshot`, and a call that arrives while one runs joins it.
A failure (Gitea down, login refused, push rejected) is kept in :meth:`describe` for the API and
the panel, and the next tick comes later each time (back-off), never sooner than the interval.
What the last snapshot was is kept in ``autosave.json`` beside the init state, so a restarted
server does not push the same snapshot again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ..core.errors import AutosaveOff
from ..core.git import Git, GitCommandError
from ..core.settings import Config
from ..core.snapshot import ExcludeRules, autosave_branch
from ..core.state_file import now_iso, read_state, write_state
from .autosave_snapshot import SnapshotBuilder, Work

PUSH_TIMEOUT = 120.0
MAX_BACKOFF_FACTOR = 8  # after repeated failures a tick comes at most 8 intervals later
_MB = 1024 * 1024

log = logging.getLogger(__name__)


def classify_failure(exc: GitCommandError) -> str:
    """A stable code for what went wrong talking to Gitea."""
    text = exc.stderr
    if exc.returncode is None:
        return "timeout"
    if "Authentication failed" in text or "returned error: 401" in text or "error: 403" in text:
        return "authentication"
    if "[rejected]" in text or "[remote rejected]" in text or "declined" in text:
        return "rejected"
    unreachable = (
        "Could not resolve host",
        "Failed to connect",
        "Connection refused",
        "Connection timed out",
        "Couldn't connect",
        "returned error: 5",
        "Empty reply",
        "not found",
    )
    if any(marker in text for marker in unreachable):
        return "unreachable"
    return "git"


class AutosaveService:
    """Snapshots of the workspace's uncommitted and unpushed work on ``ilum-autosave/<branch>``."""

    def __init__(
        self,
        config: Config,
        *,
        push_timeout: float = PUSH_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.enabled = config.autosave
        self.interval = config.autosave_interval
        self.push_timeout = push_timeout
        self._clock = clock
        self.builder = SnapshotBuilder(
            config.workspace,
            # Not ilum-init's scratch folder ("tmp"), which each init run empties.
            config.autosave_state_path.parent / "autosave-tmp",
            ExcludeRules(config.autosave_exclude),
            int(config.autosave_max_file_mb * _MB),
            config.user,
            author_env={
                f"GIT_{role}_{part}": value
                for role in ("AUTHOR", "COMMITTER")
                for part, value in (("NAME", config.author_name), ("EMAIL", config.author_email))
            },
        )
        saved = read_state(config.autosave_state_path)
        self._saved: dict[str, Any] = saved if saved.get("present") else {}
        self.error: dict[str, Any] | None = None
        self.failures = 0
        self.next_at: float | None = None
        self.pushes = 0  # remote writes (snapshots and removals): what the tests and bench count
        self._running: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._stopped = False

    # -- the API's view -------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        next_at = None
        if self.enabled and self.next_at is not None and not self._stopped:
            next_at = datetime.fromtimestamp(self.next_at, timezone.utc).isoformat(
                timespec="seconds"
            )
        return {
            "enabled": self.enabled,
            "last": self._saved.get("last") if self.enabled else None,
            "error": self.error,
            "next_at": next_at,
            "ref": self._saved.get("ref"),
            "running": self._running is not None,
            "interval": self.interval,
        }

    # -- scheduling -----------------------------------------------------------------------

    def start(self) -> None:
        """Start the interval ticks (the first one right away). Needs a running event loop."""
        if self.enabled and self._ticker is None:
            self.next_at = self._clock()
            self._ticker = asyncio.ensure_future(self._tick_forever())

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(max(0.0, (self.next_at or 0) - self._clock()))
            await self.snapshot()

    async def stop(self) -> None:
        """The server is stopping: one last snapshot, within ``autosave_stop_timeout``.

        When the time is up the snapshot is cancelled, which kills its git processes: a dead
        Gitea never holds the shutdown longer than that.
        """
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        if not self.enabled or self._stopped:
            return
        self._stopped = True
        try:
            await asyncio.wait_for(self._last_snapshot(), self.config.autosave_stop_timeout)
        except asyncio.TimeoutError:
            self._record_failure(
                "timeout",
                f"the last snapshot did not finish within {self.config.autosave_stop_timeout:g} s "
                "of the server stopping",
            )
        if self.error:
            log.warning("ilum autosave at stop: %s", self.error["message"])

    async def _last_snapshot(self) -> None:
        running = self._running
        try:
            if running is not None:
                await asyncio.shield(running)  # work saved after it started needs another
            await self.snapshot()
        except asyncio.CancelledError:
            if self._running is not None:
                self._running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._running
            raise

    async def snapshot(self) -> dict[str, Any]:
        """Take a snapshot now, or join the one running. Returns :meth:`describe`."""
        if not self.enabled:
            raise AutosaveOff("autosave is off (setting 'autosave')")
        if self._running is None:
            self._running = asyncio.ensure_future(self._run())
            self._running.add_done_callback(self._finished)
        await asyncio.shield(self._running)
        return self.describe()

    def _finished(self, task: asyncio.Task[None]) -> None:
        if self._running is task:
            self._running = None

    # -- one run --------------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            # No repository (yet): nothing to protect, and the panel says so in its repo part.
            if self.builder.is_repository():
                await self._protect(await self.builder.read())
        except GitCommandError as exc:
            self._record_failure(classify_failure(exc), str(exc))
        except OSError as exc:
            self._record_failure("io", f"{exc.strerror or exc}: {exc.filename or ''}".strip())
        else:
            self.error = None
            self.failures = 0
            self.next_at = self._clock() + self.interval

    async def _protect(self, work: Work) -> None:
        ref = autosave_branch(work.branch)
        saved = self._saved
        if work.nothing_to_protect:
            if saved.get("ref") != ref or saved.get("remote") != "absent":
                await self._push(f":refs/heads/{ref}", deleting=True)
                await self._save(ref=ref, remote="absent", last=None, fingerprint=None)
            return
        same_target = saved.get("ref") == ref and saved.get("remote") == "present"
        if same_target and saved.get("fingerprint") == work.fingerprint:
            return  # idle: the status and every changed file's stat data are as last time
        built = await self.builder.build(work)
        if same_target and (saved.get("tree"), saved.get("parent")) == (built.tree, work.head):
            await self._save(fingerprint=work.fingerprint)  # touched, not changed
            return
        await self._push(f"+{built.commit}:refs/heads/{ref}")
        last = {
            "at": built.taken_at.isoformat(timespec="seconds"),
            "commit": built.commit,
            "branch": work.branch,
            "files": len(work.changed),
            "paths": list(work.changed[: self.config.changes_cap]),
            "commits": work.unpushed_commits,
            "skipped": [s.as_dict() for s in work.skipped],
        }
        log.info("ilum autosave: %d file(s) saved to %s (%s)", len(work.changed), ref, built.commit)
        await self._save(
            ref=ref,
            remote="present",
            last=last,
            tree=built.tree,
            parent=work.head,
            fingerprint=work.fingerprint,
        )

    async def _push(self, refspec: str, *, deleting: bool = False) -> None:
        git = Git(
            self.config.workspace,
            repo_url=self.config.repo_url,
            timeout=self.push_timeout,
            credential_env=self.config.credential_env,
        )
        self.pushes += 1
        try:
            await git.run_async(
                "push", "--quiet", "--no-verify", "--", self.config.repo_url, refspec
            )
        except GitCommandError as exc:
            if not (deleting and "remote ref does not exist" in exc.stderr):
                raise

    async def _save(self, **changes: Any) -> None:
        self._saved = {**self._saved, **changes, "saved_at": now_iso()}
        self._saved.pop("present", None)
        self._saved.pop("path", None)
        # write_state fsyncs: on a busy volume that takes long enough to stall the event loop.
        await asyncio.to_thread(write_state, self.config.autosave_state_path, dict(self._saved))

    def _record_failure(self, code: str, message: str) -> None:
        self.failures += 1
        factor = min(2 ** (self.failures - 1), MAX_BACKOFF_FACTOR)
        self.next_at = self._clock() + self.interval * factor
        self.error = {
            "code": code,
            "message": message,
            "at": now_iso(),
            "failures": self.failures,
        }
