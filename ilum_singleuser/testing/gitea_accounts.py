"""What Gitea's database holds for the stand-ins: users, passwords, access tokens and who may
reach which repository. One store is shared by the git smart-HTTP stand-in and the token REST
double, so a token minted through the API opens exactly what it would open on Gitea.

Sign-in follows Gitea's ``services/auth/basic.go``: in a basic ``Authorization`` header the
password is tried as an access token first (the user name is then ignored: the token's owner is
who signs in), a token may also stand in the user name with an empty password or
``x-oauth-basic``, and only then is the pair checked as a user name and password.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class AccessToken:
    id: int
    name: str
    sha1: str = field(repr=False)
    scopes: list[str]

    @property
    def last_eight(self) -> str:
        return self.sha1[-8:]


@dataclass
class Account:
    name: str
    password: str | None = field(default=None, repr=False)
    admin: bool = False
    tokens: list[AccessToken] = field(default_factory=list)


class GiteaAccounts:
    """Thread-safe: the stand-ins serve each request on its own thread."""

    def __init__(self, users: dict[str, str] | None = None) -> None:
        self._lock = threading.Lock()
        self._accounts: dict[str, Account] = {}
        # repository path relative to the server root ("org/name.git") -> users granted access
        self._grants: dict[str, set[str]] = {}
        self._ids = itertools.count(1)
        for name, password in (users or {}).items():
            self.add_user(name, password)

    def add_user(self, name: str, password: str | None = None, admin: bool = False) -> None:
        """A Gitea user; one without a password can still sign in with its tokens (like an
        LDAP user whose password Gitea never sees)."""
        with self._lock:
            self._accounts[name.lower()] = Account(name, password, admin)

    def __bool__(self) -> bool:
        return bool(self._accounts)

    def account(self, name: str) -> Account | None:
        """Gitea matches user names case-insensitively."""
        return self._accounts.get(name.lower())

    def sign_in(self, login: str, secret: str) -> str | None:
        """The user a basic ``Authorization`` header with ``login:secret`` signs in as."""
        token_text = login if secret in ("", "x-oauth-basic") else secret
        owner = self.token_owner(token_text)
        if owner is not None:
            return owner
        account = self.account(login)
        password = account.password if account else None
        if account and password is not None and secret and secrets.compare_digest(password, secret):
            return account.name
        return None

    def token_owner(self, token_text: str) -> str | None:
        with self._lock:
            for account in self._accounts.values():
                if any(secrets.compare_digest(t.sha1, token_text) for t in account.tokens):
                    return account.name
        return None

    # --- access tokens ------------------------------------------------------------------------

    def tokens(self, user: str) -> list[AccessToken]:
        account = self.account(user)
        with self._lock:
            return list(account.tokens) if account else []

    def create_token(self, user: str, name: str, scopes: Iterable[str]) -> AccessToken:
        account = self.account(user)
        assert account is not None, user
        token = AccessToken(next(self._ids), name, secrets.token_hex(20), list(scopes))
        with self._lock:
            account.tokens.append(token)
        return token

    def delete_token(self, user: str, token_id: int) -> bool:
        account = self.account(user)
        with self._lock:
            if account is None or not any(t.id == token_id for t in account.tokens):
                return False
            account.tokens = [t for t in account.tokens if t.id != token_id]
            return True

    # --- repository access ----------------------------------------------------------------------

    def grant(self, repo: str, users: Iterable[str]) -> None:
        """Only ``users`` (and admins) reach ``repo`` ("org/name.git"), as when the Gitea operator
        makes a private repository with the user as its collaborator. A repository nobody was
        granted stays open to every signed-in user (the single-user stand-in of older tests)."""
        with self._lock:
            self._grants[repo.strip("/")] = {u.lower() for u in users}

    def may_access(self, user: str, repo: str) -> bool:
        account = self.account(user)
        if account is None:
            return False
        if account.admin:
            return True
        with self._lock:
            granted = self._grants.get(repo.strip("/"))
        return granted is None or account.name.lower() in granted
