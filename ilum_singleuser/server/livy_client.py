"""Async client for the Livy REST API as Ilum's Livy-proxy speaks it.

It only lists (``GET /sessions``, paged with ``from``/``size``) and deletes. It never reads one
session (``GET /sessions/{id}``): in Livy every per-session read resets that session's heartbeat
deadline, so a status panel that polled per id would keep abandoned sessions alive forever.

Every failure becomes :class:`LivyError` with a short readable text that carries no credential.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest, HTTPResponse

from ..core.redaction import redact, redact_url

# A server whose ``total`` keeps growing must not keep us paging forever.
MAX_PAGES = 1000
_ERROR_BODY_LIMIT = 200


class LivyError(Exception):
    """The Livy-proxy could not be used; ``str()`` is safe to show; ``status``: Livy's HTTP code."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class LivyBadAnswer(LivyError):
    """Livy answered, but not with what its REST API documents."""


@dataclass(frozen=True)
class SessionPage:
    start: int
    total: int
    sessions: list[dict[str, Any]]


@dataclass(frozen=True)
class SessionListing:
    total: int
    sessions: list[dict[str, Any]]
    latency_ms: float


def parse_session_page(data: object) -> SessionPage:
    """Check a ``GET /sessions`` answer against Livy's shape ``{from, total, sessions}``."""
    if not isinstance(data, dict):
        raise LivyBadAnswer("answer is not a Livy session list")
    total, sessions = data.get("total"), data.get("sessions")
    if (
        not isinstance(total, int)
        or isinstance(total, bool)
        or total < 0
        or not isinstance(sessions, list)
        or not all(isinstance(s, dict) and _is_id(s.get("id")) for s in sessions)
    ):
        raise LivyBadAnswer("answer is not a Livy session list")
    start = data.get("from", 0)
    return SessionPage(start if _is_id(start) else 0, total, sessions)


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@dataclass
class LivyClient:
    """One Livy endpoint; credentials are passed per client so that rotation takes effect."""

    url: str
    connect_timeout: float
    total_timeout: float
    page_size: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return redact_url(self.url.rstrip("/"))

    async def list_sessions(self) -> SessionListing:
        """Every session on the server, page by page, within ``total_timeout`` for all pages."""
        started = time.monotonic()
        try:
            sessions, total = await asyncio.wait_for(self._all_pages(), self.total_timeout)
        except asyncio.TimeoutError:
            raise LivyError(f"timed out after {self.total_timeout:g} s") from None
        return SessionListing(total, sessions, round((time.monotonic() - started) * 1000, 1))

    async def _all_pages(self) -> tuple[list[dict[str, Any]], int]:
        sessions: list[dict[str, Any]] = []
        seen: set[int] = set()
        total = 0
        for _ in range(MAX_PAGES):
            query = urlencode({"from": len(sessions), "size": self.page_size})
            page = parse_session_page(await self._request("GET", f"/sessions?{query}"))
            total = page.total
            fresh = [s for s in page.sessions if s["id"] not in seen]
            seen.update(s["id"] for s in fresh)
            sessions.extend(fresh)
            # Sessions may end between two pages, so an empty or short page also ends the walk.
            if not fresh or len(sessions) >= total:
                break
        return sessions, total

    async def delete_session(self, session_id: int) -> None:
        """End a session. Raises :class:`LivyError` with ``status`` 404 when it is already gone."""
        try:
            await asyncio.wait_for(
                self._request("DELETE", f"/sessions/{int(session_id)}"), self.total_timeout
            )
        except asyncio.TimeoutError:
            raise LivyError(f"timed out after {self.total_timeout:g} s") from None

    async def _request(self, method: str, path: str) -> object:
        request = HTTPRequest(
            self.url.rstrip("/") + path,
            method=method,
            headers={"Accept": "application/json", "X-Requested-By": "ilum-singleuser"},
            connect_timeout=self.connect_timeout,
            request_timeout=self.total_timeout,
            follow_redirects=False,
            auth_username=self.username if self.password is not None else None,
            auth_password=self.password,
            auth_mode="basic" if self.password is not None else None,
        )
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
        except (ConnectionRefusedError, ConnectionResetError):
            raise LivyError("connection refused") from None
        except socket.gaierror:
            raise LivyError("host not found") from None
        except OSError as exc:
            raise LivyError(self._safe(exc.strerror or type(exc).__name__)) from None
        except HTTPClientError as exc:
            raise LivyError(self._no_answer(exc.message or str(exc))) from None
        return self._decode(response)

    def _no_answer(self, reason: str) -> str:
        """tornado's texts for "no HTTP answer" (code 599) in the API's words."""
        if "timeout while connecting" in reason.lower():
            return f"could not connect within {self.connect_timeout:g} s"
        if "timeout" in reason.lower():
            return f"timed out after {self.total_timeout:g} s"
        return self._safe(reason)

    def _decode(self, response: HTTPResponse) -> object:
        if response.code == 599:  # tornado's code for "no HTTP answer" (timeouts, resets)
            raise LivyError(self._no_answer(str(response.error or "no answer")))
        body = response.body or b""
        if response.code >= 300:
            raise LivyError(f"HTTP {response.code}: {self._error_text(body)}", response.code)
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise LivyBadAnswer("answer is not JSON") from None

    def _error_text(self, body: bytes) -> str:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            data = None
        if isinstance(data, dict) and isinstance(data.get("msg"), str):
            text = data["msg"]
        elif body.lstrip()[:1] == b"<":
            text = "the answer is an HTML page, not Livy's JSON"
        else:
            text = body.decode("utf-8", "replace").strip() or "no message"
        return self._safe(" ".join(text.split())[:_ERROR_BODY_LIMIT])

    def _safe(self, text: str) -> str:
        return redact(text, [self.password])
