"""The Spark part of the API: Livy sessions as the panel shows them, and ending one's own.

Many tabs polling cost one ``GET /sessions`` walk per ``ttl`` (see :mod:`.single_flight`).
Whatever the Livy-proxy does (down, slow, 5xx, nonsense), :meth:`SparkSessions.status` answers
``reachable: false`` with a readable ``error``; it never raises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .livy_client import LivyClient, LivyError, SessionListing
from .single_flight import SingleFlight

# Livy's session states after which nothing runs any more.
FINISHED_STATES = frozenset({"error", "dead", "killed", "success"})
_LISTING = "sessions"


class SparkActionError(Exception):
    """Ending a session was refused or failed: ``status`` and ``code`` for the HTTP answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def is_mine(raw: dict[str, Any], user: str, owner_conf_key: str = "") -> bool:
    """A session is the user's when Livy's ``owner`` or ``proxyUser`` is them, or the Spark
    configuration key ``owner_conf_key`` (a proxy may record the user there) names them."""
    if user in (raw.get("owner"), raw.get("proxyUser")):
        return True
    conf = raw.get("conf")
    return bool(owner_conf_key) and isinstance(conf, dict) and conf.get(owner_conf_key) == user


def map_session(raw: dict[str, Any], user: str, owner_conf_key: str = "") -> dict[str, Any]:
    """One Livy session object as the API's Spark session."""
    app_info = raw.get("appInfo")
    if not isinstance(app_info, dict):
        app_info = {}
    state = _text(raw.get("state")) or "unknown"
    return {
        "id": raw["id"],
        "name": _text(raw.get("name")),
        "state": state,
        "kind": _text(raw.get("kind")),
        "app_id": _text(raw.get("appId")),
        "owner": _text(raw.get("owner")),
        "proxy_user": _text(raw.get("proxyUser")),
        "spark_ui_url": _text(app_info.get("sparkUiUrl")),
        "driver_log_url": _text(app_info.get("driverLogUrl")),
        "mine": is_mine(raw, user, owner_conf_key),
        "finished": state in FINISHED_STATES,
    }


@dataclass
class SparkSessions:
    """Reads and ends Livy sessions for ``user``; ``make_client`` builds a client per use so that
    rotated credentials take effect."""

    make_client: Callable[[], LivyClient]
    user: str
    owner_conf_key: str = ""
    ttl: float = 2.0

    def __post_init__(self) -> None:
        self.flight: SingleFlight[SessionListing | LivyError] = SingleFlight(self.ttl)

    async def _listing(self, fresh: bool = False) -> SessionListing | LivyError:
        async def produce() -> SessionListing | LivyError:
            try:
                return await self.make_client().list_sessions()
            except LivyError as exc:
                return exc  # an answer too: shared with every waiting tab and cached for ttl

        return await self.flight.get(_LISTING, produce, fresh=fresh)

    def unanswered(self, error: str | None = None) -> dict[str, Any]:
        """The API's Spark object when the Livy-proxy gave no session list."""
        return {
            "endpoint": self.make_client().endpoint,
            "reachable": False,
            "error": error,
            "latency_ms": None,
            "total": 0,
            "user": self.user,
            "sessions": [],
        }

    async def status(self, fresh: bool = False) -> dict[str, Any]:
        """The API's Spark object."""
        answer = self.unanswered()
        listing = await self._listing(fresh)
        if isinstance(listing, LivyError):
            return {**answer, "error": str(listing)}
        return {
            **answer,
            "reachable": True,
            "latency_ms": listing.latency_ms,
            "total": listing.total,
            "sessions": [map_session(s, self.user, self.owner_conf_key) for s in listing.sessions],
        }

    async def end_session(self, session_id: int) -> dict[str, Any]:
        """End one of the user's own sessions, found through a fresh list (never a per-id read)."""
        listing = await self._listing(fresh=True)
        if isinstance(listing, LivyError):
            raise SparkActionError(502, "livy-unreachable", f"Livy-proxy: {listing}")
        raw = next((s for s in listing.sessions if s["id"] == session_id), None)
        if raw is None:
            raise SparkActionError(404, "no-session", f"there is no Spark session {session_id}")
        if not is_mine(raw, self.user, self.owner_conf_key):
            owner = _text(raw.get("owner")) or _text(raw.get("proxyUser")) or "another user"
            raise SparkActionError(
                403, "not-yours", f"Spark session {session_id} belongs to {owner}, not {self.user}"
            )
        try:
            await self.make_client().delete_session(session_id)
        except LivyError as exc:
            if exc.status == 404:
                raise SparkActionError(404, "no-session", f"Livy-proxy: {exc}") from None
            raise SparkActionError(502, "livy-unreachable", f"Livy-proxy: {exc}") from None
        finally:
            self.flight.invalidate(_LISTING)
        return {"id": session_id, "deleted": True}
