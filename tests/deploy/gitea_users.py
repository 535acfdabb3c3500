"""A Gitea stand-in with a site admin and users (alice and bob with passwords, a few LDAP users
without), each with a private repository, as Ilum's Gitea operator lays them out."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ilum_singleuser.testing.git_http_server import GitHTTPServer
from ilum_singleuser.testing.gitea_accounts import GiteaAccounts

ORG = "ilum-jupyterhub"
ADMIN = "gitea-admin"
ADMIN_PASSWORD = "adm1n:/#? pass"
PASSWORDS = {"alice": "alice-pw", "bob": "bob-pw"}
# Users the deployment tests spawn; LDAP users, so Gitea holds no password for them.
LDAP_USERS = ("jane", "jane.doe", "john.roe")


@contextmanager
def gitea_with_users(root: Path) -> Iterator[GitHTTPServer]:
    accounts = GiteaAccounts()
    accounts.add_user(ADMIN, ADMIN_PASSWORD, admin=True)
    for user, password in PASSWORDS.items():
        accounts.add_user(user, password)
    for user in LDAP_USERS:
        accounts.add_user(user)
    with GitHTTPServer(root, accounts=accounts) as server:
        for user in (*PASSWORDS, *LDAP_USERS):
            server.create_repo(ORG, f"jupyterhub-{user}.git", collaborators=[user])
        yield server


def write_admin_login(folder: Path) -> Path:
    """The hub-only Secret with the Gitea admin login, as Kubernetes mounts it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "username").write_text(ADMIN)
    # As `kubectl create secret --from-file` of a file that ends with a newline.
    (folder / "password").write_text(ADMIN_PASSWORD + "\n")
    return folder


def git_with_login(
    login: tuple[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """git with ``login`` handed over by a credential helper, as from a terminal in a pod, and
    no other configuration."""
    helper = f"!f() {{ echo username={login[0]}; echo password={login[1]}; }}; f"
    identity = ["-c", "user.name=t", "-c", "user.email=t@t"]
    return subprocess.run(
        ["git", "-c", f"credential.helper={helper}", *identity, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"GIT_TERMINAL_PROMPT": "0", "PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
        check=False,
        timeout=60,
    )


def ls_remote(gitea: GitHTTPServer, repo: str, login: tuple[str, str]) -> str:
    """``git ls-remote`` of ``repo`` of the organisation: "ok", else what git said."""
    result = git_with_login(login, "ls-remote", f"{gitea.url}/{ORG}/{repo}")
    return "ok" if result.returncode == 0 else result.stderr
