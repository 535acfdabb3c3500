"""Optional SSH access to the notebook server, started by a docker-stacks start hook.

Off unless ``ILUM_SSH_ENABLED`` is true. When on, ``sshd`` runs as the notebook user (never
root) on port 2222 with public-key login only: host keys and ``authorized_keys`` come from a
mounted Secret (``ILUM_SSH_DIR``, one Secret shared by everyone or one per user), and sessions
idle for ``SSH_IDLE_TIMEOUT`` seconds are closed. Without host keys it refuses to start rather
than invent keys whose fingerprint would change on every restart.

The hook never stops the notebook server from starting: it reports a problem and returns 1,
which docker-stacks' ``run-hooks`` logs before carrying on.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ..core.ownership import default_owner

ENABLED_ENV = "ILUM_SSH_ENABLED"
SSH_DIR_ENV = "ILUM_SSH_DIR"
IDLE_TIMEOUT_ENV = "SSH_IDLE_TIMEOUT"
DEFAULT_SSH_DIR = Path("/etc/ilum/ssh")
DEFAULT_IDLE_TIMEOUT = 3600
PORT = 2222
AUTHORIZED_KEYS = "authorized_keys"
HOST_KEY_GLOB = "ssh_host_*_key"
# A dead client (laptop closed, network gone) is dropped after about three minutes.
CLIENT_ALIVE_INTERVAL = 60
CLIENT_ALIVE_COUNT_MAX = 3
# How long sshd must survive its start for the hook to call it started.
STARTUP_GRACE_SECONDS = 0.5

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})

SSHD_CONFIG_TEMPLATE = """\
# Rendered by ilum_singleuser.image.ssh_hook at server start. sshd runs as the notebook user, so the
# only account it can log in is that user's.
Port {port}
PidFile {pid_file}
{host_key_lines}
AuthorizedKeysFile {authorized_keys}
# Secret volumes are root-owned and group-readable: sshd's ownership checks would refuse them.
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
HostbasedAuthentication no
PermitRootLogin no
UsePAM no
X11Forwarding no
PrintMotd no
Subsystem sftp internal-sftp
ClientAliveInterval {client_alive_interval}
ClientAliveCountMax {client_alive_count_max}
{idle_lines}"""


class SSHSetupError(Exception):
    """SSH was asked for but cannot be started; the message says what to fix."""


@dataclass(frozen=True)
class SSHSettings:
    enabled: bool
    ssh_dir: Path
    idle_timeout: int
    warning: str = ""


def settings_from_env(environ: Mapping[str, str]) -> SSHSettings:
    """Read the hook's settings; an unusable idle timeout is an error, not a silent default."""
    raw_enabled = environ.get(ENABLED_ENV, "").strip().lower()
    warning = ""
    if raw_enabled in _TRUE:
        enabled = True
    else:
        enabled = False
        if raw_enabled not in _FALSE:
            warning = (
                f"{ENABLED_ENV}={environ[ENABLED_ENV]!r} is not understood "
                "(use true or false); SSH stays off"
            )
    ssh_dir = Path(environ.get(SSH_DIR_ENV) or DEFAULT_SSH_DIR)
    raw_timeout = environ.get(IDLE_TIMEOUT_ENV, "").strip()
    idle_timeout = DEFAULT_IDLE_TIMEOUT
    if raw_timeout:
        try:
            idle_timeout = int(raw_timeout)
        except ValueError:
            idle_timeout = -1
        if idle_timeout < 0:
            raise SSHSetupError(
                f"{IDLE_TIMEOUT_ENV} must be a whole number of seconds (0 for no limit), "
                f"not {raw_timeout!r}"
            )
    return SSHSettings(enabled, ssh_dir, idle_timeout, warning)


def find_host_keys(ssh_dir: Path) -> list[Path]:
    """The private host keys (``ssh_host_<type>_key``) in the mounted Secret, sorted."""
    keys = sorted(p for p in ssh_dir.glob(HOST_KEY_GLOB) if p.is_file())
    if not keys:
        raise SSHSetupError(
            f"no SSH host key in {ssh_dir} (expected files like ssh_host_ed25519_key from the "
            "SSH Secret); not starting sshd"
        )
    return keys


def render_sshd_config(
    host_keys: Sequence[Path],
    authorized_keys: Path,
    pid_file: Path,
    idle_timeout: int,
    port: int = PORT,
) -> str:
    """sshd_config text. ``idle_timeout`` 0 keeps idle sessions open."""
    idle_lines = ""
    if idle_timeout > 0:
        # Close any channel (shell, sftp, forwarded port) without traffic for that long, then
        # the connection once it has no channel left.
        idle_lines = f"ChannelTimeout *={idle_timeout}s\nUnusedConnectionTimeout {idle_timeout}s\n"
    return SSHD_CONFIG_TEMPLATE.format(
        port=port,
        pid_file=pid_file,
        host_key_lines="\n".join(f"HostKey {key}" for key in host_keys),
        authorized_keys=authorized_keys,
        client_alive_interval=CLIENT_ALIVE_INTERVAL,
        client_alive_count_max=CLIENT_ALIVE_COUNT_MAX,
        idle_lines=idle_lines,
    )


def prepare_runtime(
    settings: SSHSettings,
    runtime_dir: Path,
    owner: tuple[int, int] | None,
    port: int = PORT,
) -> Path:
    """Copy the host keys into ``runtime_dir`` (0600: sshd refuses readable private keys it
    owns), write the config beside them and return its path."""
    host_keys = find_host_keys(settings.ssh_dir)
    runtime_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    copies = []
    for key in host_keys:
        copy = runtime_dir / key.name
        copy.write_bytes(key.read_bytes())
        copy.chmod(0o600)
        copies.append(copy)
    config = runtime_dir / "sshd_config"
    config.write_text(
        render_sshd_config(
            copies,
            settings.ssh_dir / AUTHORIZED_KEYS,
            runtime_dir / "sshd.pid",
            settings.idle_timeout,
            port,
        )
    )
    config.chmod(0o600)
    if owner is not None:
        for path in (runtime_dir, config, *copies):
            os.chown(path, *owner)
    return config


def find_sshd(environ: Mapping[str, str]) -> Path:
    found = shutil.which("sshd", path=environ.get("PATH", "") + os.pathsep + "/usr/sbin")
    if not found:
        raise SSHSetupError("sshd is not installed in this image; not starting SSH")
    # sshd re-executes itself and insists on an absolute path.
    return Path(found).resolve()


Launcher = Callable[[list[str], "tuple[int, int] | None"], "subprocess.Popen[bytes]"]


def _identity(owner: tuple[int, int] | None) -> dict[str, object]:
    """Popen arguments that drop root to the notebook user."""
    if owner is None:
        return {}
    return {"user": owner[0], "group": owner[1], "extra_groups": []}


def launch_sshd(command: list[str], owner: tuple[int, int] | None) -> subprocess.Popen[bytes]:
    """Start sshd in its own session, logging to the container's stderr; it outlives the hook."""
    return subprocess.Popen(  # type: ignore[call-overload]
        command, stdin=subprocess.DEVNULL, start_new_session=True, **_identity(owner)
    )


def start(
    environ: Mapping[str, str],
    *,
    out: TextIO,
    launch: Launcher = launch_sshd,
    runtime_parent: Path | None = None,
    port: int = PORT,
) -> int:
    """The hook: 0 when SSH is off or sshd started, 1 when SSH was asked for and cannot run."""
    try:
        settings = settings_from_env(environ)
    except SSHSetupError as exc:
        print(f"ilum-sshd: {exc}", file=out)
        return 1
    if settings.warning:
        print(f"ilum-sshd: {settings.warning}", file=out)
    if not settings.enabled:
        print(f"ilum-sshd: SSH access is off ({ENABLED_ENV} is not true)", file=out)
        return 0
    owner = default_owner(environ)
    try:
        find_host_keys(settings.ssh_dir)
        sshd = find_sshd(environ)
        runtime_dir = Path(tempfile.mkdtemp(prefix="ilum-sshd-", dir=runtime_parent))
        config = prepare_runtime(settings, runtime_dir, owner, port)
        if not (settings.ssh_dir / AUTHORIZED_KEYS).is_file():
            print(
                f"ilum-sshd: warning: {settings.ssh_dir / AUTHORIZED_KEYS} is missing; nobody "
                "can log in until the Secret provides it",
                file=out,
            )
        check = subprocess.run(  # type: ignore[call-overload]
            [str(sshd), "-t", "-f", str(config)],
            capture_output=True,
            text=True,
            check=False,
            **_identity(owner),
        )
        if check.returncode != 0:
            raise SSHSetupError(f"sshd rejects the configuration: {check.stderr.strip()}")
        process = launch([str(sshd), "-D", "-e", "-f", str(config)], owner)
        time.sleep(STARTUP_GRACE_SECONDS)
        if process.poll() is not None:
            raise SSHSetupError(f"sshd exited at once with status {process.returncode}")
    except (SSHSetupError, OSError) as exc:
        print(f"ilum-sshd: {exc}", file=out)
        return 1
    print(
        f"ilum-sshd: sshd listening on port {port} (pid {process.pid}), public-key login only",
        file=out,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ilum_singleuser.image.ssh_hook",
        description="Start sshd for the notebook user when ILUM_SSH_ENABLED is true.",
    )
    parser.add_argument("action", choices=["start"])
    parser.parse_args(argv)
    return start(os.environ, out=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
