"""Run git asynchronously so that a timeout really ends it, helpers included.

``git fetch`` over HTTP runs ``git-remote-http`` as a child, and ``git status`` may recurse into
submodules. Killing only the ``git`` process would leave such a child holding the output pipes,
and asyncio waits for those pipes to close before it reports the exit: a hung Gitea would hang
the request. Here git leads its own process group and a timeout kills the whole group.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

from .credentials import read_git_credentials
from .git import Git, GitCommandError, GitResult
from .redaction import redact


async def run_git(
    git: Git,
    *args: str,
    timeout: float | None = None,
    read_only: bool = False,
    check: bool = True,
) -> GitResult:
    """``git args`` in ``git.cwd`` with ``git``'s environment; raises :class:`GitCommandError`
    (``returncode`` None on timeout) with a redacted message."""
    proc = await asyncio.create_subprocess_exec(
        "git",
        *args,
        cwd=git.cwd,
        env=git.env(read_only=read_only),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout or git.timeout)
    except (asyncio.TimeoutError, asyncio.CancelledError) as exc:
        _kill_group(proc.pid)
        await proc.wait()
        if isinstance(exc, asyncio.CancelledError):
            raise
        raise GitCommandError(list(args), None, "") from None
    result = GitResult(
        proc.returncode or 0,
        out.decode("utf-8", "surrogateescape"),
        err.decode("utf-8", "replace"),
    )
    if check and result.returncode != 0:
        secrets = [read_git_credentials().password]
        raise GitCommandError(
            [redact(a, secrets) for a in args], result.returncode, redact(result.stderr, secrets)
        )
    return result


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
