"""JupyterHub hook for Ilum: each user's pod gets a Gitea access token of that user's own.

At every spawn the hub, signed in to Gitea as a site admin, asks Gitea for a token that belongs
to the spawning user and is scoped to repositories (``write:repository``): it lists the user's
tokens, revokes the one this hook made last time (same name), and creates a new one. The pod
gets ``ILUM_GIT_USERNAME`` = the user and ``ILUM_GIT_PASSWORD`` = that token, in the notebook
container's environment and in the ``ilum-init`` init container's. Whatever the user does with
it from a terminal, it opens only what Gitea lets that user open.

Gitea's token routes (``/api/v1/users/{username}/tokens``) accept only a basic login with a
password, never a token, and an admin acts for another user with ``Sudo``. The admin's user name
and password exist only in the hub pod: a Secret mounted there as a folder with the files
``username`` and ``password``, read at each spawn (a rotated Secret is used at the next one).

When the user is not in Gitea yet (Gitea syncs LDAP users every few minutes) or Gitea does not
answer, the hook retries with back-off for up to ``user_wait_seconds`` (never longer than the
spawner's ``start_timeout``). If there is still no token, the server starts anyway without one:
``ilum-init`` then records an authentication error that the Ilum panel shows, and the hub log
says why. No token ever reaches a log line or an error text.

Wiring (init/kubespawner_config.py and init/z2jh-values.yaml do this)::

    c.Spawner.pre_spawn_hook = GiteaTokenHook(
        gitea_url="http://ilum-gitea-http:3000", admin_credentials_dir="/etc/ilum/gitea-admin"
    )

Only the standard library, tornado (which every hub has) and ``ilum_hub_hooks`` (beside this
file) are used, so both files can be dropped into any hub image beside ``jupyterhub_config.py``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ilum_hub_hooks import update_init_container_env
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest, HTTPResponse

TOKEN_SCOPES = ("write:repository",)
TOKEN_NAME = "ilum-notebook"  # noqa: S105 (the name Gitea lists the token under)
PAGE_SIZE = 50
_MESSAGE_LIMIT = 200


class GiteaTokenError(Exception):
    """Why no token could be had; ``str()`` is safe to log (never a password or token)."""

    retryable = False


class GiteaUnavailable(GiteaTokenError):
    """The user is not in Gitea yet, or Gitea did not answer: worth another try."""

    retryable = True


@dataclass(frozen=True)
class AdminLogin:
    username: str
    password: str = field(repr=False)


def read_admin_login(folder: Path) -> AdminLogin:
    """The Gitea admin's login from a mounted Secret, read now (so rotation works)."""
    try:
        username = (folder / "username").read_text(encoding="utf-8").strip()
        password = (folder / "password").read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise GiteaTokenError(
            f"cannot read the Gitea admin login from {folder} ({type(exc).__name__})"
        ) from None
    if not username or not password:
        raise GiteaTokenError(f"the Gitea admin login in {folder} is empty")
    return AdminLogin(username, password)


def token_name(server_name: str) -> str:
    """One token per server: the default server's, and one per named server."""
    return f"{TOKEN_NAME}-{server_name}" if server_name else TOKEN_NAME


class GiteaTokens:
    """Gitea's access-token routes, called by the site admin on behalf of a user (``Sudo``)."""

    def __init__(
        self,
        gitea_url: str,
        admin: AdminLogin,
        request_timeout: float = 10.0,
        client: AsyncHTTPClient | None = None,
    ) -> None:
        self.api = gitea_url.rstrip("/") + "/api/v1"
        self.admin = admin
        self.request_timeout = request_timeout
        self.client = client or AsyncHTTPClient()

    async def replace(self, user: str, name: str) -> str:
        """Revoke the user's tokens called ``name``, then create a new one; its text."""
        for token in await self.list(user):
            if token.get("name") == name:
                await self.delete(user, int(token["id"]))
        return await self.create(user, name)

    async def list(self, user: str) -> list[dict[str, Any]]:
        tokens: list[dict[str, Any]] = []
        page = 1
        while True:
            response = await self._call("GET", user, f"?page={page}&limit={PAGE_SIZE}")
            batch = _json(response)
            if not isinstance(batch, list):
                raise GiteaTokenError("Gitea's token list is not a JSON list")
            tokens.extend(t for t in batch if isinstance(t, dict))
            total = int(response.headers.get("X-Total-Count") or 0)
            if len(batch) < PAGE_SIZE or len(tokens) >= total:
                return tokens
            page += 1

    async def delete(self, user: str, token_id: int) -> None:
        await self._call("DELETE", user, f"/{token_id}", accept=(204, 404))

    async def create(self, user: str, name: str) -> str:
        body = {"name": name, "scopes": list(TOKEN_SCOPES)}
        response = await self._call("POST", user, "", body=body)
        text = _json(response).get("sha1") if response.body else None
        if not isinstance(text, str) or not text:
            raise GiteaTokenError("Gitea created a token but its answer carried no token")
        return text

    async def _call(
        self,
        method: str,
        user: str,
        suffix: str,
        body: dict[str, Any] | None = None,
        accept: tuple[int, ...] = (200, 201),
    ) -> HTTPResponse:
        url = f"{self.api}/users/{quote(user, safe='')}/tokens{suffix}"
        login = f"{self.admin.username}:{self.admin.password}".encode()
        request = HTTPRequest(
            url,
            method=method,
            headers={
                "Authorization": "Basic " + base64.b64encode(login).decode("ascii"),
                "Sudo": user,
                "Accept": "application/json",
                "Content-Type": "application/json",
            },
            body=json.dumps(body) if body is not None else None,
            request_timeout=self.request_timeout,
            # Gitea does not redirect its API: an answer that does is refused, not followed,
            # so neither the admin login nor a token is sent anywhere else.
            follow_redirects=False,
        )
        try:
            response = await self.client.fetch(request, raise_error=False)
        except (OSError, HTTPClientError) as exc:
            # Refused, unresolvable, timed out: the text is tornado's, the name is enough.
            raise GiteaUnavailable(f"Gitea did not answer ({type(exc).__name__})") from None
        if response.code in accept:
            return response
        raise _refusal(response, method, user, self.admin.username)


def _json(response: HTTPResponse) -> Any:
    try:
        return json.loads(response.body or b"null")
    except ValueError:
        raise GiteaTokenError("Gitea's answer is not JSON") from None


def _gitea_message(response: HTTPResponse) -> str:
    try:
        message = json.loads(response.body or b"{}").get("message", "")
    except (ValueError, AttributeError):
        message = ""
    return " ".join(str(message).split())[:_MESSAGE_LIMIT]


def _refusal(response: HTTPResponse, method: str, user: str, admin: str) -> GiteaTokenError:
    code = response.code
    said = _gitea_message(response)
    detail = f"HTTP {code}" + (f": {said}" if said else "")
    if code == 401:
        return GiteaTokenError(
            f"Gitea refused the admin login of {admin!r} ({detail}); check the hub's Gitea "
            "admin Secret (a password is needed, Gitea's token routes refuse tokens)"
        )
    if code == 403:
        return GiteaTokenError(f"Gitea user {admin!r} may not act for {user!r} ({detail})")
    if code == 404:
        return GiteaUnavailable(f"Gitea has no user {user!r} yet ({detail})")
    if code >= 500:
        return GiteaUnavailable(f"Gitea failed on {method} of {user!r}'s tokens ({detail})")
    return GiteaTokenError(f"Gitea refused {method} of {user!r}'s tokens ({detail})")


def backoff(attempt: int, rand: Callable[[], float] = random.random) -> float:
    """Capped exponential back-off with jitter: 50-100% of min(8, 0.5 * 2^attempt) seconds."""
    return min(8.0, 0.5 * 2**attempt) * (0.5 + rand() / 2)


class GiteaTokenHook:
    """``Spawner.pre_spawn_hook``: mint the user's token and hand it to the pod's containers."""

    def __init__(
        self,
        gitea_url: str,
        admin_credentials_dir: str | Path,
        user_wait_seconds: float = 60.0,
        request_timeout: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.gitea_url = gitea_url
        self.admin_credentials_dir = Path(admin_credentials_dir)
        self.user_wait_seconds = user_wait_seconds
        self.request_timeout = request_timeout
        self.sleep = sleep
        self.clock = clock

    async def __call__(self, spawner: Any) -> None:
        user = spawner.user.name
        wait = min(self.user_wait_seconds, float(getattr(spawner, "start_timeout", 60)))
        try:
            token = await self.mint(user, token_name(getattr(spawner, "name", "")), wait)
        except GiteaTokenError as exc:
            spawner.log.warning(
                "ilum: no Gitea token for %s, the server starts without Git credentials: %s",
                user,
                exc,
            )
            token = ""
        except Exception as exc:
            # A bug here must not keep the user's server from starting; the text of an
            # unexpected exception is not logged, as it might quote a request.
            spawner.log.error(
                "ilum: no Gitea token for %s, the server starts without Git credentials: "
                "unexpected %s",
                user,
                type(exc).__name__,
            )
            token = ""
        # An empty password also overrides any shared one configured for the pod.
        env = {"ILUM_GIT_USERNAME": user, "ILUM_GIT_PASSWORD": token}
        spawner.environment = {**spawner.environment, **env}
        update_init_container_env(spawner, env)

    async def mint(self, user: str, name: str, wait_seconds: float) -> str:
        deadline = self.clock() + wait_seconds
        attempt = 0
        while True:
            try:
                admin = read_admin_login(self.admin_credentials_dir)
                tokens = GiteaTokens(self.gitea_url, admin, self.request_timeout)
                return await tokens.replace(user, name)
            except GiteaTokenError as exc:
                remaining = deadline - self.clock()
                if not exc.retryable:
                    raise
                if remaining <= 0:
                    raise GiteaTokenError(f"{exc}; gave up after {wait_seconds:g} s") from None
                await self.sleep(min(backoff(attempt), remaining))
                attempt += 1
