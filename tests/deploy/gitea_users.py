"""A Gitea stand-in with a site admin and users (alice and bob with passwords, a few LDAP users
without), each with a private repository, as Ilum's Gitea operator lays them out."""

from __future__ import annotations

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
    (folder / "password").write_text(ADMIN_PASSWORD)
    return folder
