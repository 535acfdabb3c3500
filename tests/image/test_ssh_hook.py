"""The SSH start hook: off unless asked for, refuses without host keys, renders a config that
the real sshd accepts, and (where sshd is installed) serves the Secret's host key with
public-key login only."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from ilum_singleuser.image import ssh_hook
from ilum_singleuser.testing.loopback import free_port

HOOK = Path(__file__).parents[2] / "images" / "start-hooks" / "50-ilum-sshd"
SSHD = shutil.which("sshd", path=os.environ.get("PATH", "") + ":/usr/sbin")
needs_sshd = pytest.mark.skipif(SSHD is None, reason="openssh-server (sshd) is not installed")
needs_keygen = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="no ssh-keygen")


class RecordingLauncher:
    """Stands in for starting sshd where a test checks that it is not started."""

    def __init__(self) -> None:
        self.commands: list[list[str]] = []

    def __call__(self, command: list[str], owner: tuple[int, int] | None):
        self.commands.append(command)
        raise AssertionError("sshd must not be started here")


@pytest.fixture
def launcher() -> RecordingLauncher:
    return RecordingLauncher()


def make_host_key(folder: Path) -> None:
    """A real ed25519 host key, as the Secret would hold it."""
    key = folder / "ssh_host_ed25519_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)


@pytest.fixture
def secret_dir(tmp_path: Path) -> Path:
    """A mounted SSH Secret: world-readable files, as a Secret volume gives them."""
    folder = tmp_path / "secret"
    folder.mkdir()
    if shutil.which("ssh-keygen"):
        make_host_key(folder)
    else:
        (folder / "ssh_host_ed25519_key").write_text("not a real key\n")
    (folder / "authorized_keys").write_text(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake user@laptop\n"
    )
    for path in folder.iterdir():
        path.chmod(0o644)
    return folder


def run_start(env: dict[str, str], launcher, tmp_path: Path, port: int = 2222) -> tuple[int, str]:
    out = io.StringIO()
    status = ssh_hook.start(env, out=out, launch=launcher, runtime_parent=tmp_path, port=port)
    return status, out.getvalue()


@pytest.mark.parametrize("value", [None, "", "false", "0", "no", "off", "FALSE"])
def test_ssh_stays_off_unless_asked_for(value, secret_dir, launcher, tmp_path):
    # Given host keys are mounted but ILUM_SSH_ENABLED is unset or false
    env = {"ILUM_SSH_DIR": str(secret_dir), "PATH": os.environ["PATH"]}
    if value is not None:
        env["ILUM_SSH_ENABLED"] = value
    # When the hook runs
    status, out = run_start(env, launcher, tmp_path)
    # Then nothing is started and the notebook server goes on
    assert status == 0
    assert launcher.commands == []
    assert "SSH access is off" in out


def test_a_value_not_understood_keeps_ssh_off_and_says_so(secret_dir, launcher, tmp_path):
    env = {"ILUM_SSH_ENABLED": "ture", "ILUM_SSH_DIR": str(secret_dir)}
    status, out = run_start(env, launcher, tmp_path)
    assert status == 0
    assert launcher.commands == []
    assert "'ture' is not understood" in out


def test_refuses_to_start_without_host_keys(tmp_path, launcher):
    # Given SSH is on but the Secret (or a per-user Secret marked optional) is missing
    empty = tmp_path / "no-secret"
    empty.mkdir()
    env = {"ILUM_SSH_ENABLED": "true", "ILUM_SSH_DIR": str(empty), "PATH": os.environ["PATH"]}
    status, out = run_start(env, launcher, tmp_path)
    # Then sshd is not started, the hook fails (run-hooks logs it) and the message says why
    assert status == 1
    assert launcher.commands == []
    assert f"no SSH host key in {empty}" in out
    assert not list(tmp_path.glob("ilum-sshd-*"))


@pytest.mark.parametrize("value", ["soon", "-5", "1.5"])
def test_an_unusable_idle_timeout_is_refused(value, secret_dir, launcher, tmp_path):
    env = {"ILUM_SSH_ENABLED": "1", "ILUM_SSH_DIR": str(secret_dir), "SSH_IDLE_TIMEOUT": value}
    status, out = run_start(env, launcher, tmp_path)
    assert status == 1
    assert launcher.commands == []
    assert "SSH_IDLE_TIMEOUT must be a whole number of seconds" in out


def test_rendered_config_allows_public_keys_only_and_closes_idle_sessions(tmp_path, secret_dir):
    settings = ssh_hook.settings_from_env(
        {"ILUM_SSH_ENABLED": "yes", "ILUM_SSH_DIR": str(secret_dir), "SSH_IDLE_TIMEOUT": "900"}
    )
    runtime = tmp_path / "runtime"
    config = ssh_hook.prepare_runtime(settings, runtime, owner=None)
    lines = config.read_text().splitlines()
    assert "Port 2222" in lines
    assert f"HostKey {runtime / 'ssh_host_ed25519_key'}" in lines
    assert f"AuthorizedKeysFile {secret_dir / 'authorized_keys'}" in lines
    assert "StrictModes no" in lines
    assert "PasswordAuthentication no" in lines
    assert "KbdInteractiveAuthentication no" in lines
    assert "PermitRootLogin no" in lines
    assert "ChannelTimeout *=900s" in lines
    assert "UnusedConnectionTimeout 900s" in lines
    # The private host key is copied private: sshd refuses a readable key it owns.
    copied = runtime / "ssh_host_ed25519_key"
    assert copied.read_bytes() == (secret_dir / "ssh_host_ed25519_key").read_bytes()
    assert copied.stat().st_mode & 0o777 == 0o600
    assert runtime.stat().st_mode & 0o777 == 0o700


def test_idle_timeout_zero_means_no_idle_limit(tmp_path, secret_dir):
    settings = ssh_hook.settings_from_env(
        {"ILUM_SSH_ENABLED": "true", "ILUM_SSH_DIR": str(secret_dir), "SSH_IDLE_TIMEOUT": "0"}
    )
    text = ssh_hook.prepare_runtime(settings, tmp_path / "rt", owner=None).read_text()
    assert "ChannelTimeout" not in text
    assert "UnusedConnectionTimeout" not in text
    assert "ClientAliveInterval 60" in text


def test_default_idle_timeout_is_an_hour(secret_dir):
    settings = ssh_hook.settings_from_env({"ILUM_SSH_DIR": str(secret_dir)})
    assert settings.idle_timeout == 3600
    assert settings.enabled is False


def test_the_image_hook_runs_the_module_and_is_not_sourced():
    # docker-stacks sources *.sh hooks into start.sh (an `exit` there would stop the server);
    # an executable without the suffix is run as a child instead.
    assert not HOOK.name.endswith(".sh")
    assert os.access(HOOK, os.X_OK)
    assert "python -m ilum_singleuser.image.ssh_hook start" in HOOK.read_text()


def test_the_hook_command_reports_off_by_default(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ILUM_SSH", "SSH_IDLE"))}
    result = subprocess.run(
        ["bash", str(HOOK)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "SSH access is off" in result.stderr


def wait_for_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port}")


@needs_sshd
@needs_keygen
def test_started_sshd_serves_the_secret_host_key_without_password_login(tmp_path):
    # Given a Secret readable by the notebook user (here: nobody when the test runs as root)
    shared = Path(os.environ.get("TMPDIR", "/tmp"))
    secret = Path(
        subprocess.run(
            ["mktemp", "-d", str(shared / "ilum-ssh-secret-XXXX")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    runtime_parent = Path(
        subprocess.run(
            ["mktemp", "-d", str(shared / "ilum-ssh-run-XXXX")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    started: list[subprocess.Popen[bytes]] = []

    def launch(command, owner):
        process = ssh_hook.launch_sshd(command, owner)
        started.append(process)
        return process

    try:
        secret.chmod(0o755)
        runtime_parent.chmod(0o755)
        make_host_key(secret)
        client_key = runtime_parent / "client"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(client_key)], check=True
        )
        (secret / "authorized_keys").write_text((runtime_parent / "client.pub").read_text())
        for path in secret.iterdir():
            path.chmod(0o644)
        port = free_port()
        env = {
            "ILUM_SSH_ENABLED": "true",
            "ILUM_SSH_DIR": str(secret),
            "PATH": os.environ["PATH"],
            "NB_UID": "65534",
            "NB_GID": "65534",
        }
        # When the hook starts sshd
        out = io.StringIO()
        status = ssh_hook.start(
            env, out=out, launch=launch, runtime_parent=runtime_parent, port=port
        )
        assert status == 0, out.getvalue()
        wait_for_port(port)
        # Then it runs as the notebook user, never as root
        process = started[0]
        uid = int(Path(f"/proc/{process.pid}/status").read_text().split("Uid:")[1].split()[0])
        assert uid == (65534 if os.geteuid() == 0 else os.geteuid())
        # and presents the host key from the Secret
        scan = subprocess.run(
            ["ssh-keyscan", "-t", "ed25519", "-p", str(port), "127.0.0.1"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        served = scan.stdout.split()[-1]
        assert served == (secret / "ssh_host_ed25519_key.pub").read_text().split()[1]
        # and offers public-key login only
        ssh_base = [
            "ssh",
            "-p",
            str(port),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=10",
        ]
        password = subprocess.run(
            [
                *ssh_base,
                "-o",
                "PreferredAuthentications=password,keyboard-interactive",
                "someone@127.0.0.1",
                "true",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert password.returncode == 255
        assert "Permission denied (publickey)" in password.stderr
        if os.geteuid() != 0:
            # Not root: sshd runs as this very user, so a full key login can be checked.
            login = subprocess.run(
                [
                    *ssh_base,
                    "-i",
                    str(client_key),
                    f"{os.environ.get('USER', 'nobody')}@127.0.0.1",
                    "echo",
                    "in",
                ],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            assert login.stdout.strip() == "in", login.stderr
    finally:
        for process in started:
            process.terminate()
            process.wait(timeout=10)
        shutil.rmtree(secret, ignore_errors=True)
        shutil.rmtree(runtime_parent, ignore_errors=True)


def fake_sshd(folder: Path, script: str) -> dict[str, str]:
    """An environment whose PATH finds a stand-in `sshd` first."""
    folder.mkdir()
    sshd = folder / "sshd"
    sshd.write_text("#!/bin/sh\n" + script)
    sshd.chmod(0o755)
    # Stay this user: as root the hook would switch to the notebook user 1000, who cannot
    # reach pytest's private temporary folder.
    return {
        "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}",
        "NB_UID": str(os.getuid()),
        "NB_GID": str(os.getgid()),
    }


def test_no_sshd_in_the_image_is_reported(secret_dir, launcher, tmp_path, monkeypatch):
    monkeypatch.setattr(ssh_hook.shutil, "which", lambda *a, **k: None)
    env = {"ILUM_SSH_ENABLED": "true", "ILUM_SSH_DIR": str(secret_dir)}
    status, out = run_start(env, launcher, tmp_path)
    assert status == 1
    assert launcher.commands == []
    assert "sshd is not installed" in out


def test_a_configuration_sshd_rejects_is_reported_and_not_started(secret_dir, launcher, tmp_path):
    env = fake_sshd(tmp_path / "bin", 'echo "/x/sshd_config line 7: Bad key" >&2\nexit 255\n')
    env.update(ILUM_SSH_ENABLED="true", ILUM_SSH_DIR=str(secret_dir))
    status, out = run_start(env, launcher, tmp_path)
    assert status == 1
    assert launcher.commands == []
    assert "sshd rejects the configuration: /x/sshd_config line 7: Bad key" in out


def test_an_sshd_that_dies_at_start_is_reported(secret_dir, tmp_path):
    # `sshd -t` passes, the daemon itself exits at once (say, port 2222 already taken).
    env = fake_sshd(tmp_path / "bin", 'if [ "$1" = "-t" ]; then exit 0; fi\nexit 1\n')
    env.update(ILUM_SSH_ENABLED="true", ILUM_SSH_DIR=str(secret_dir))
    started: list[subprocess.Popen[bytes]] = []

    def launch(command, owner):
        started.append(ssh_hook.launch_sshd(command, owner))
        return started[-1]

    status, out = run_start(env, launch, tmp_path)
    assert status == 1
    assert "sshd exited at once with status 1" in out
    assert started[0].wait(timeout=10) == 1
