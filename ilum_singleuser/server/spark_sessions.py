"""The Spark part of the API: Livy sessions as the panel shows them, and ending one's own.

Many tabs polling cost one ``GET /sessions`` walk per ``ttl`` (see :mod:`.single_flight`).
Whatever the Livy-proxy does (down, slow, 5xx, nonsense), :meth:`SparkSessions.status` answers
``reachable: false`` with a readable ``error`` and an ``error_code`` saying which of those it
was; it never raises.

The poll carries only the user's own sessions and a count of the others: on a shared platform
the others are most of the list (2,000 sessions are some 570 KB of JSON per poll per tab).
:meth:`SparkSessions.others` pages through them for the panel's "Show other users' sessions".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core.errors import LivyUnavailable, NoSession, NotYours
from .livy_client import LivyBadAnswer, LivyClient, LivyError, SessionListing
from .single_flight import SingleFlight

# Livy's session states after which nothing runs any more.
FINISHED_STATES = frozenset({"error", "dead", "killed", "success"})
_LISTING = "sessions"
# Most other users' sessions one ``others`` page holds.
OTHERS_PAGE_CAP = 100


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _account_and_domain(name: str) -> tuple[str, str | None]:
    """``CORP\\jane`` (down-level logon name) and ``jane@corp.example`` (Kerberos principal,
    user principal name) -> ``("jane", domain)``, case-folded; a bare name has no domain."""
    if "\\" in name:
        domain, _, account = name.partition("\\")
    elif "@" in name:
        account, _, domain = name.rpartition("@")
    else:
        account, domain = name, ""
    return account.casefold(), domain.casefold() or None


def _same_domain(one: str, other: str) -> bool:
    """Equal, or a NetBIOS name (``corp``) that is the first label of the DNS name
    (``corp.example``): the two forms Windows and Kerberos give one Active Directory domain."""
    return one == other or one == other.partition(".")[0] or other == one.partition(".")[0]


def same_user(reported: object, user: str) -> bool:
    """Whether a user name a Livy-proxy reports names ``user``.

    Accounts compare whole and case-insensitively (``Jane`` is ``jane``; ``janet`` is not).
    Domains compare only when both names carry one: ``jane@corp.example`` is not
    ``OTHER\\jane``. A domain on one side only does not decide, since that side is the only
    one that knows it (see docs/api.md, "Whose session is it").
    """
    if not isinstance(reported, str) or not reported:
        return False
    account, domain = _account_and_domain(reported)
    user_account, user_domain = _account_and_domain(user)
    if not account or account != user_account:
        return False
    return domain is None or user_domain is None or _same_domain(domain, user_domain)


def is_mine(raw: dict[str, Any], user: str, owner_conf_key: str = "") -> bool:
    """A session is the user's when Livy's ``owner`` or ``proxyUser`` is them, or the Spark
    configuration key ``owner_conf_key`` (a proxy may record the user there) names them."""
    if same_user(raw.get("owner"), user) or same_user(raw.get("proxyUser"), user):
        return True
    conf = raw.get("conf")
    return (
        bool(owner_conf_key)
        and isinstance(conf, dict)
        and same_user(conf.get(owner_conf_key), user)
    )


def problem_code(exc: LivyError) -> str:
    """``unreachable`` when no HTTP answer came, ``error-answer`` when the Livy-proxy answered
    with an HTTP error, ``bad-answer`` when it answered something that is no session list."""
    if isinstance(exc, LivyBadAnswer):
        return "bad-answer"
    return "unreachable" if exc.status is None else "error-answer"


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

    def unanswered(self, error: str | None = None, error_code: str | None = None) -> dict[str, Any]:
        """The API's Spark object when the Livy-proxy gave no session list."""
        return {
            "endpoint": self.make_client().endpoint,
            "reachable": False,
            "error": error,
            "error_code": error_code,
            "latency_ms": None,
            "total": 0,
            "others": 0,
            "user": self.user,
            "sessions": [],
        }

    async def _split(self) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
        """The Spark object without sessions, the user's raw sessions and the others'."""
        answer = self.unanswered()
        listing = await self._listing()
        if isinstance(listing, LivyError):
            return {**answer, "error": str(listing), "error_code": problem_code(listing)}, [], []
        mine: list[dict[str, Any]] = []
        others: list[dict[str, Any]] = []
        for raw in listing.sessions:
            (mine if is_mine(raw, self.user, self.owner_conf_key) else others).append(raw)
        answer = {
            **answer,
            "reachable": True,
            "latency_ms": listing.latency_ms,
            "total": listing.total,
            "others": len(others),
        }
        return answer, mine, others

    async def status(self) -> dict[str, Any]:
        """The API's Spark object: the user's sessions and how many the others have."""
        answer, mine, _ = await self._split()
        return {**answer, "sessions": [self._map(s) for s in mine]}

    async def others(self, start: int = 0, size: int = OTHERS_PAGE_CAP) -> dict[str, Any]:
        """The Spark object with other users' sessions ``start`` to ``start + size`` (at most
        :data:`OTHERS_PAGE_CAP`) in ``sessions`` instead of the user's."""
        answer, _, others = await self._split()
        page = others[start : start + max(0, min(size, OTHERS_PAGE_CAP))]
        return {**answer, "from": start, "sessions": [self._map(s) for s in page]}

    def _map(self, raw: dict[str, Any]) -> dict[str, Any]:
        return map_session(raw, self.user, self.owner_conf_key)

    async def end_session(self, session_id: int) -> dict[str, Any]:
        """End one of the user's own sessions, found through a fresh list (never a per-id read)."""
        listing = await self._listing(fresh=True)
        if isinstance(listing, LivyError):
            raise LivyUnavailable(f"Livy-proxy: {listing}")
        raw = next((s for s in listing.sessions if s["id"] == session_id), None)
        if raw is None:
            raise NoSession(f"there is no Spark session {session_id}")
        if not is_mine(raw, self.user, self.owner_conf_key):
            owner = _text(raw.get("owner")) or _text(raw.get("proxyUser")) or "another user"
            raise NotYours(f"Spark session {session_id} belongs to {owner}, not {self.user}")
        try:
            await self.make_client().delete_session(session_id)
        except LivyError as exc:
            if exc.status == 404:
                raise NoSession(f"Livy-proxy: {exc}") from None
            raise LivyUnavailable(f"Livy-proxy: {exc}") from None
        finally:
            self.flight.invalidate(_LISTING)
        return {"id": session_id, "deleted": True}
