"""The one place that runs git: environment, credentials, timeouts and redaction.

Every call gets ``LANG=C``, no terminal prompt, a timeout and ``safe.directory`` for the
workspace (the init container may run as root on a volume owned by the notebook user).
Credentials reach git only through ``git-credential-ilum``, which reads them when git asks.
Extra configuration travels in ``GIT_CONFIG_*`` variables, never on the command line.

git leads its own process group and a timeout kills the whole group: ``git fetch`` over HTTP
runs ``git-remote-http`` as a child, and killing only ``git`` would leave that child holding the
output pipes, so a hung Gitea would hang the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import subprocess
import sys
import sysconfig
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .credentials import Credentials, read_git_credentials
from .errors import GitError
from .redaction import redact

DEFAULT_TIMEOUT = 120.0
# Variables that would point git at another repository, config or prompt program.
_INHERITED_GIT_VARIABLES_TO_DROP = (
    "GIT_CONFIG_",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_ASKPASS",
    "SSH_ASKPASS",
)


class GitCommandError(GitError):
    """A git command failed; the message is redacted and names the step, not the secret."""

    def __init__(self, args: Sequence[str], returncode: int | None, stderr: str) -> None:
        self.git_args = list(args)
        self.returncode = returncode
        self.stderr = stderr
        what = "timed out" if returncode is None else f"failed ({returncode})"
        detail = stderr.strip().splitlines()[-3:] if stderr.strip() else []
        msg = f"git {' '.join(args[:2])} {what}"
        if detail:
            msg += ": " + " | ".join(detail)
        super().__init__(msg)


@dataclass(frozen=True)
class GitResult:
    returncode: int
    stdout: str
    stderr: str


def credential_helper_command() -> str:
    """What ``credential.helper`` is set to: the helper by absolute path, so that git finds it
    from any shell, also a login shell whose ``/etc/profile`` reset PATH or a conda env without
    this package. ilum-init rewrites it on every start, so an image that moves it heals."""
    script = Path(sysconfig.get_path("scripts")) / "git-credential-ilum"
    if os.access(script, os.X_OK):
        return f"!{shlex.quote(str(script))}"
    # -I: the workspace (git's cwd) must not shadow a module the helper imports.
    return f"!{shlex.quote(sys.executable)} -I -m ilum_singleuser.core.credential_helper"


def credential_scope(repo_url: str) -> str | None:
    """The URL prefix the helper is scoped to (``scheme://host[:port]``), None for file URLs."""
    parts = urlsplit(repo_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return f"{parts.scheme}://{host}"


@dataclass
class Git:
    """Runs git in ``cwd`` with the project's environment."""

    cwd: Path
    repo_url: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    credential_env: Mapping[str, str] = field(default_factory=dict)
    # Set after the inherited GIT_* variables are dropped: e.g. a temporary GIT_INDEX_FILE.
    extra_env: Mapping[str, str] = field(default_factory=dict)

    def _config_pairs(self) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = [("safe.directory", str(self.cwd))]
        scope = credential_scope(self.repo_url) if self.repo_url else None
        if scope:
            # An empty helper first drops any helper from the user's global config for this URL.
            key = f"credential.{scope}.helper"
            pairs += [(key, ""), (key, credential_helper_command())]
        return pairs

    def env(self, *, read_only: bool = False) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(_INHERITED_GIT_VARIABLES_TO_DROP)
        }
        env.update(self.credential_env)
        env.update(self.extra_env)
        env.update(LANG="C", LC_ALL="C", GIT_TERMINAL_PROMPT="0", GCM_INTERACTIVE="never")
        if read_only:
            env["GIT_OPTIONAL_LOCKS"] = "0"
        pairs = self._config_pairs()
        env["GIT_CONFIG_COUNT"] = str(len(pairs))
        for i, (key, value) in enumerate(pairs):
            env[f"GIT_CONFIG_KEY_{i}"] = key
            env[f"GIT_CONFIG_VALUE_{i}"] = value
        return env

    def credentials(self) -> Credentials:
        """What ``git-credential-ilum`` would answer for this git's processes right now."""
        return read_git_credentials({**os.environ, **self.credential_env})

    def _secrets(self) -> list[str | None]:
        return [self.credentials().password]

    def _fail(self, args: Sequence[str], returncode: int | None, stderr: str) -> GitCommandError:
        return GitCommandError(
            [redact(a, self._secrets()) for a in args], returncode, redact(stderr, self._secrets())
        )

    def run(
        self,
        *args: str,
        check: bool = True,
        input: bytes | None = None,
        read_only: bool = False,
    ) -> GitResult:
        """Run ``git args``; on timeout git's whole process group is killed (see module doc)."""
        with subprocess.Popen(
            ["git", *args],
            cwd=self.cwd,
            env=self.env(read_only=read_only),
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        ) as proc:
            try:
                out, err = proc.communicate(input, timeout=self.timeout)
            except subprocess.TimeoutExpired:
                _kill_group(proc.pid)
                proc.communicate()
                raise self._fail(args, None, "") from None
        return self._result(args, proc.returncode, out, err, check)

    async def run_async(
        self,
        *args: str,
        check: bool = True,
        input: bytes | None = None,
        read_only: bool = False,
    ) -> GitResult:
        """Like :meth:`run` without blocking the event loop."""
        proc = await asyncio.create_subprocess_exec(
            "git",
            *args,
            cwd=self.cwd,
            env=self.env(read_only=read_only),
            stdin=asyncio.subprocess.PIPE if input is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(input), self.timeout)
        except (asyncio.TimeoutError, asyncio.CancelledError) as exc:
            _kill_group(proc.pid)
            await proc.wait()
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise self._fail(args, None, "") from None
        return self._result(args, proc.returncode or 0, out, err, check)

    def _result(
        self, args: Sequence[str], returncode: int, out: bytes, err: bytes, check: bool
    ) -> GitResult:
        result = GitResult(
            returncode, out.decode("utf-8", "surrogateescape"), err.decode("utf-8", "replace")
        )
        if check and returncode != 0:
            raise self._fail(args, returncode, result.stderr)
        return result


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
