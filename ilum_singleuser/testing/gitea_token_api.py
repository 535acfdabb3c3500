"""Gitea's access-token REST routes, and only those, for the hub's token hook to be tested against.

``GET|POST /api/v1/users/{username}/tokens`` and ``DELETE /api/v1/users/{username}/tokens/{id}``
as Gitea 1.2x serves them (``routers/api/v1/api.go``, ``routers/api/v1/user/app.go``). The checks
run in Gitea's middleware order, so each refusal has Gitea's status:

1. an ``Authorization`` header that signs nobody in: 401;
2. ``sudo`` (query parameter, else the ``Sudo`` header) from anyone but a signed-in site admin: 403
   "Only administrators allowed to sudo."; to an unknown user: 404; else the request acts as that
   user from here on;
3. ``{username}`` unknown: 404;
4. ``reqSelfOrAdmin``: the acting user is neither ``{username}`` nor a site admin (anonymous
   included): 403;
5. ``reqBasicOrRevProxyAuth``: not signed in with a basic ``Authorization`` header (an
   ``Authorization: token ...`` header does not count): 401 "auth required";
6. the body (POST): no ``name``: 422; a name this user already has a token of: 400; no or an
   unknown scope: 400. Created: 201 with the token's text in ``sha1``, the only time it is shown.

DELETE takes a numeric id or a name: no match 404, done 204. Tokens belong to ``{username}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from .gitea_accounts import AccessToken, GiteaAccounts

API_PREFIX = "/api/v1/"
_TOKENS_ROUTE = re.compile(r"^/api/v1/users/(?P<user>[^/]+)/tokens(?:/(?P<id>[^/]+))?/?$")
_SCOPE_CATEGORIES = (
    "activitypub",
    "admin",
    "issue",
    "misc",
    "notification",
    "organization",
    "package",
    "repository",
    "user",
)
VALID_SCOPES = frozenset(
    {"all", "public-only"} | {f"{lvl}:{c}" for lvl in ("read", "write") for c in _SCOPE_CATEGORIES}
)
DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 50


@dataclass
class ApiReply:
    status: int
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> bytes:
        return b"" if self.payload is None else json.dumps(self.payload).encode()


@dataclass(frozen=True)
class _Caller:
    user: str | None
    basic: bool


def _error(status: int, message: str) -> ApiReply:
    return ApiReply(status, {"message": message, "url": "/api/swagger"})


def _not_found() -> ApiReply:
    return ApiReply(404, {"message": "The target couldn't be found.", "url": "", "errors": []})


def _caller(accounts: GiteaAccounts, authorization: str) -> _Caller | ApiReply:
    if not authorization:
        return _Caller(None, basic=False)
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "basic":
        try:
            login, _, secret = base64.b64decode(value).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return _error(401, "invalid basic authentication")
        user = accounts.sign_in(login, secret)
        if user is None:
            return _error(401, "user does not exist or the password is wrong")
        return _Caller(user, basic=True)
    if scheme.lower() in ("token", "bearer"):
        user = accounts.token_owner(value.strip())
        return _Caller(user, basic=False) if user else _error(401, "invalid token")
    return _Caller(None, basic=False)


def handle(
    accounts: GiteaAccounts,
    method: str,
    path: str,
    query: Mapping[str, list[str]],
    headers: Message,
    body: bytes,
) -> ApiReply:
    """One request to ``path`` (under ``API_PREFIX``); ``headers`` match case-insensitively."""
    route = _TOKENS_ROUTE.match(path)
    if route is None:
        return _not_found()
    caller = _caller(accounts, headers.get("Authorization", ""))
    if isinstance(caller, ApiReply):
        return caller
    acting = caller.user
    sudo = (query.get("sudo") or [""])[0] or headers.get("Sudo", "")
    if sudo:
        account = accounts.account(acting) if acting else None
        if account is None or not account.admin:
            return ApiReply(403, {"message": "Only administrators allowed to sudo."})
        target = accounts.account(sudo)
        if target is None:
            return _not_found()
        acting = target.name
    owner = accounts.account(route["user"])
    if owner is None:
        return _not_found()
    actor = accounts.account(acting) if acting else None
    if actor is None or (not actor.admin and actor.name != owner.name):
        return _error(403, "doer should be the site admin or be same as the contextUser")
    if not caller.basic:
        return _error(401, "auth required")
    if route["id"] is None and method == "GET":
        return _list(accounts, owner.name, query)
    if route["id"] is None and method == "POST":
        return _create(accounts, owner.name, body)
    if route["id"] is not None and method == "DELETE":
        return _delete(accounts, owner.name, route["id"])
    return ApiReply(405, {"message": "Method Not Allowed"})


def _as_json(token: AccessToken, with_text: bool) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "sha1": token.sha1 if with_text else "",
        "token_last_eight": token.last_eight,
        "scopes": list(token.scopes),
    }


def _list(accounts: GiteaAccounts, user: str, query: Mapping[str, list[str]]) -> ApiReply:
    tokens = accounts.tokens(user)
    page = max(1, _int((query.get("page") or ["1"])[0], 1))
    limit = min(MAX_PAGE_SIZE, max(1, _int((query.get("limit") or [""])[0], DEFAULT_PAGE_SIZE)))
    shown = tokens[(page - 1) * limit : page * limit]
    return ApiReply(
        200, [_as_json(t, with_text=False) for t in shown], {"X-Total-Count": str(len(tokens))}
    )


def _create(accounts: GiteaAccounts, user: str, body: bytes) -> ApiReply:
    try:
        form = json.loads(body or b"{}")
    except ValueError:
        return _error(422, "[Name]: Required")
    name = form.get("name") if isinstance(form, dict) else None
    if not isinstance(name, str) or not name:
        return _error(422, "[Name]: Required")
    if any(t.name == name for t in accounts.tokens(user)):
        return _error(400, "access token name has been used already")
    scopes = form.get("scopes") or []
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        return _error(422, "[Scopes]: invalid")
    unknown = [s for s in scopes if s not in VALID_SCOPES]
    if unknown:
        return _error(400, f"invalid access token scope provided: {unknown[0]}")
    if not scopes:
        return _error(400, "access token must have a scope")
    token = accounts.create_token(user, name, dict.fromkeys(scopes))
    return ApiReply(201, _as_json(token, with_text=True))


def _delete(accounts: GiteaAccounts, user: str, token_ref: str) -> ApiReply:
    token_id = _int(token_ref, 0)
    if token_id == 0:
        named = [t for t in accounts.tokens(user) if t.name == token_ref]
        if not named:
            return _not_found()
        token_id = named[0].id
    if not accounts.delete_token(user, token_id):
        return _not_found()
    return ApiReply(204)


def _int(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default
