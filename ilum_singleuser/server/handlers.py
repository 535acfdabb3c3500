"""HTTP handlers of ``{base_url}ilum/api/``: authenticate, authorise, call a service, answer JSON.

Authentication and XSRF are Jupyter's own (``APIHandler``): a token, or the login cookie plus
the XSRF header for POST and DELETE.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from http.client import responses
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web

from ..core.errors import ConfigError, IlumError, RateLimited
from .services import IlumServices
from .spark_sessions import OTHERS_PAGE_CAP

# The one map from an error's code to the HTTP status of the answer (see docs/api.md).
STATUS_OF_CODE = {
    "configuration": 503,
    "no-repo": 409,
    "rate-limited": 429,
    "git": 502,
    "timeout": 504,
    "not-yours": 403,
    "no-session": 404,
    "livy-unreachable": 502,
    "autosave-off": 409,
}
# Jupyter's own refusals (authentication, XSRF, unknown route), by status.
_CODE_OF_STATUS = {400: "bad-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found"}


class IlumHandler(ExtensionHandlerMixin, APIHandler):
    """Base of every route: JSON errors ``{"message", "code"}`` and access to the services."""

    auth_resource = "ilum"

    def update_api_activity(self) -> None:
        """Only actions (POST, DELETE) are activity: a panel or script that polls a GET route
        must not keep the idle culler from stopping the server."""
        if self.request.method != "GET":
            super().update_api_activity()

    def reply(self, data: dict[str, Any], status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Cache-Control", "no-store")
        self.finish(data)

    async def answer(self, call: Callable[[IlumServices], Any]) -> None:
        """Reply with what ``call(services)`` returns (or awaits), or with its :class:`IlumError`
        as ``{"message", "code"}`` and the status :data:`STATUS_OF_CODE` gives that code."""
        try:
            services = getattr(self.extensionapp, "services", None)
            if services is None:
                message = getattr(self.extensionapp, "config_error", None) or "not configured"
                raise ConfigError(message)
            result = call(services)
            if inspect.isawaitable(result):
                result = await result
        except IlumError as exc:
            body: dict[str, Any] = {"message": str(exc), "code": exc.code}
            if isinstance(exc, RateLimited):
                body["retry_after"] = exc.retry_after
                self.set_header("Retry-After", str(exc.retry_after))
            self.reply(body, STATUS_OF_CODE.get(exc.code, 500))
            return
        self.reply(result)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = responses.get(status_code, "error")
        if isinstance(exc, web.HTTPError) and exc.log_message:
            message = exc.log_message
        self.reply(
            {"message": message, "code": _CODE_OF_STATUS.get(status_code, "error")}, status_code
        )


class StatusHandler(IlumHandler):
    auth_resource = "ilum:status"

    @web.authenticated
    @authorized
    async def get(self) -> None:
        fresh = self.get_argument("fresh", "") == "1"
        await self.answer(lambda s: s.status(fresh_repo=fresh))


class RepoHandler(IlumHandler):
    auth_resource = "ilum:repo"

    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.answer(lambda s: s.repo.read())


class RepoFetchHandler(IlumHandler):
    auth_resource = "ilum:repo"

    @web.authenticated
    @authorized
    async def post(self) -> None:
        await self.answer(lambda s: s.fetch())


class SparkSessionsHandler(IlumHandler):
    auth_resource = "ilum:spark"

    @web.authenticated
    @authorized
    async def get(self) -> None:
        if self.get_argument("others", "") != "1":
            await self.answer(lambda s: s.spark.status())
            return
        start, size = self._int_argument("from", 0), self._int_argument("size", OTHERS_PAGE_CAP)
        await self.answer(lambda s: s.spark.others(start, size))

    def _int_argument(self, name: str, default: int) -> int:
        value = self.get_argument(name, str(default))
        if not value.isdigit():
            raise web.HTTPError(400, f"{name} must be a whole number")
        return int(value)


class SparkSessionHandler(IlumHandler):
    auth_resource = "ilum:spark"

    @web.authenticated
    @authorized
    async def delete(self, session_id: str) -> None:
        await self.answer(lambda s: s.spark.end_session(int(session_id)))


class InitHandler(IlumHandler):
    auth_resource = "ilum:init"

    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.answer(lambda s: s.init_state())


class AutosaveHandler(IlumHandler):
    auth_resource = "ilum:autosave"

    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.answer(lambda s: s.autosave.describe())

    @web.authenticated
    @authorized
    async def post(self) -> None:
        await self.answer(lambda s: s.autosave_now())


ROUTES: list[tuple[str, type[IlumHandler]]] = [
    (r"ilum/api/status", StatusHandler),
    (r"ilum/api/repo", RepoHandler),
    (r"ilum/api/repo/fetch", RepoFetchHandler),
    (r"ilum/api/spark/sessions", SparkSessionsHandler),
    (r"ilum/api/spark/sessions/(?P<session_id>\d+)", SparkSessionHandler),
    (r"ilum/api/init", InitHandler),
    (r"ilum/api/autosave", AutosaveHandler),
]
