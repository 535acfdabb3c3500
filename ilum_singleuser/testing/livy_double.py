"""A loopback stand-in for Ilum's Livy-proxy that follows the Apache Livy REST API.

For tests, the demo and the UI tests. Sessions: ``GET /sessions`` pages with ``from``/``size``
(default size 100, ``total`` counts every session); ``POST /sessions`` answers 201 with the new
session, or 400 ``{"msg": "Rejected, too many sessions are being created!"}`` while
``max_creation`` sessions are still starting (Livy's ``livy.server.session.max-creation``);
``GET /sessions/{id}``, ``/state`` and ``/log``; ``DELETE /sessions/{id}`` answers 200
``{"msg": "deleted"}`` or 404 ``{"msg": "Session N already stopped."}``. Statements:
``POST /sessions/{id}/statements`` (201, ``waiting``; the session turns ``busy``), ``GET
/sessions/{id}/statements[/{sid}]`` (the statement is ``available`` when read; the session is
``idle`` again) and ``.../cancel``. The double runs no code: every statement's output is a fixed
``text/plain`` line.

Who a session belongs to, as Livy records it: ``owner`` is the authenticated caller of ``POST
/sessions`` (null without ``users``), ``proxyUser`` is the ``doAs`` parameter or the body's
``proxyUser``, or the owner when ``impersonation`` is on and neither is given. (Apache Livy with
impersonation off drops a requested proxyUser; Ilum's Livy-proxy keeps it, and so does the double.)

A created session answers ``starting`` to its first ``startup_requests`` requests, then is
``idle``. Every request to one session (``/sessions/{id}...``) resets its heartbeat deadline in
Livy; the double counts them in ``heartbeats`` and records every request, so a test can prove a
client never did that.

``mode`` simulates a failing proxy: ``"ok"``, ``"500"``, ``"invalid-json"``, ``"html"`` or
``"slow"`` (answers after ``delay`` seconds). With ``users`` it demands HTTP basic auth.

For a demo: ``python -m ilum_singleuser.testing.livy_double --port 8998 --user jane`` serves a
few sessions of ``jane`` and of another user until interrupted.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

from .loopback import LoopbackServer

LIVY_STATES = (
    "not_started",
    "starting",
    "recovering",
    "idle",
    "running",
    "busy",
    "shutting_down",
    "error",
    "dead",
    "killed",
    "success",
)
SESSION_KINDS = ("spark", "pyspark", "sparkr", "sql", "shared")
MODES = ("ok", "500", "invalid-json", "html", "slow")
DEFAULT_PAGE_SIZE = 100
TOO_MANY_SESSIONS = "Rejected, too many sessions are being created!"
# Livy's session fields a POST /sessions body may set, with Livy's value when it is absent.
CREATE_FIELDS: dict[str, Any] = {
    "name": None,
    "driverMemory": None,
    "driverCores": 0,
    "executorMemory": None,
    "executorCores": 0,
    "numExecutors": 0,
    "queue": None,
    "ttl": None,
    "idleTimeout": None,
    "heartbeatTimeoutInSecond": 0,
    "conf": {},
    "archives": [],
    "files": [],
    "jars": [],
    "pyFiles": [],
}
_SESSION_PATH = re.compile(r"^/sessions/(\d+)(/.*)?$")
_STATEMENT_PATH = re.compile(r"^/statements(?:/(\d+)(/cancel)?)?$")


def _now_ms() -> int:
    return int(time.time() * 1000)


class LivyRequest(NamedTuple):
    method: str
    path: str
    query: dict[str, str]


class LivyAnswer(Exception):
    """Ends a request with Livy's JSON error ``{"msg": ...}``."""

    def __init__(self, status: int, msg: str) -> None:
        super().__init__(msg)
        self.status = status
        self.msg = msg


class LivyDouble(LoopbackServer):
    """``with LivyDouble() as livy: livy.add_session(owner="jane")`` then point the client at
    ``livy.url``."""

    def __init__(
        self,
        users: dict[str, str] | None = None,
        mode: str = "ok",
        delay: float = 0.0,
        port: int = 0,
        impersonation: bool = False,
        max_creation: int | None = None,
        startup_requests: int = 1,
    ) -> None:
        self.users = dict(users or {})
        self.mode = mode
        self.delay = delay
        self.impersonation = impersonation
        self.max_creation = max_creation
        self.startup_requests = startup_requests
        self.sessions: dict[int, dict[str, Any]] = {}
        self.statements: dict[int, list[dict[str, Any]]] = {}
        self.heartbeats: dict[int, int] = {}
        self.requests: list[LivyRequest] = []
        self._requests_until_idle: dict[int, int] = {}
        self._next_id = 0
        self._lock = threading.RLock()
        super().__init__(_LivyRequestHandler, port)

    def add_session(
        self,
        owner: str | None = None,
        proxy_user: str | None = None,
        state: str = "idle",
        kind: str = "pyspark",
        name: str | None = None,
        app_id: str | None = None,
        conf: dict[str, str] | None = None,
    ) -> int:
        """Add a session as Livy would list it; returns its id."""
        if state not in LIVY_STATES:
            raise ValueError(f"{state!r} is not a Livy session state")
        fields = {
            "name": name,
            "driverMemory": "1g",
            "driverCores": 1,
            "executorMemory": "1g",
            "executorCores": 1,
            "numExecutors": 1,
            "heartbeatTimeoutInSecond": 60,
            "conf": dict(conf or {}),
        }
        with self._lock:
            session = self._new_session(owner, proxy_user, state, kind, fields)
            self._launched(session, app_id)
            return int(session["id"])

    def _new_session(
        self,
        owner: str | None,
        proxy_user: str | None,
        state: str,
        kind: str,
        fields: dict[str, Any],
    ) -> dict[str, Any]:
        session_id = self._next_id
        self._next_id += 1
        session = {
            "id": session_id,
            "appId": None,
            "owner": owner,
            "proxyUser": proxy_user,
            "state": state,
            "kind": kind,
            "appInfo": {"driverLogUrl": None, "sparkUiUrl": None},
            "log": [f"stdout: session {session_id} {state}"],
            **{key: fields.get(key, default) for key, default in CREATE_FIELDS.items()},
        }
        self.sessions[session_id] = session
        self.statements[session_id] = []
        return session

    def _launched(self, session: dict[str, Any], app_id: str | None = None) -> None:
        """The Spark application is known: Livy fills ``appId`` and ``appInfo``."""
        app = app_id if app_id is not None else f"application_1700000000000_{session['id']:04d}"
        session["appId"] = app
        session["appInfo"] = {
            "driverLogUrl": f"{self.url}/ui/driver-log/{app}",
            "sparkUiUrl": f"{self.url}/ui/spark/{app}",
        }

    def count(self, method: str, path_prefix: str = "/sessions") -> int:
        """How many requests of ``method`` whose path starts with ``path_prefix`` arrived."""
        return sum(r.method == method and r.path.startswith(path_prefix) for r in self.requests)

    def per_session_reads(self) -> list[LivyRequest]:
        """Every ``GET /sessions/{id}...``: reads that reset a session's heartbeat in Livy."""
        return [r for r in self.requests if r.method == "GET" and r.path.startswith("/sessions/")]

    # The REST API; each method runs under the lock and returns (status, JSON body).

    def create(self, caller: str | None, body: dict[str, Any], do_as: str | None) -> Any:
        starting = sum(s["state"] == "starting" for s in self.sessions.values())
        if self.max_creation is not None and starting >= self.max_creation:
            raise LivyAnswer(400, TOO_MANY_SESSIONS)
        unknown = sorted(set(body) - set(CREATE_FIELDS) - {"kind", "proxyUser"})
        if unknown:
            # Livy binds the body to CreateInteractiveRequest: an unknown field is a 400.
            raise LivyAnswer(400, f'Unrecognized field "{unknown[0]}"')
        kind = body.get("kind", "shared")
        if kind not in SESSION_KINDS:
            raise LivyAnswer(400, f"Invalid kind: {kind}")
        proxy_user = do_as or body.get("proxyUser")
        if self.impersonation and not proxy_user:
            proxy_user = caller
        session = self._new_session(caller, proxy_user, "starting", kind, body)
        self._requests_until_idle[session["id"]] = self.startup_requests
        return session

    def session(self, session_id: int) -> dict[str, Any]:
        """One session for a request to it: resets its heartbeat, moves a start along."""
        session = self.sessions.get(session_id)
        if session is None:
            raise LivyAnswer(404, f"Session '{session_id}' not found.")
        self.heartbeats[session_id] = self.heartbeats.get(session_id, 0) + 1
        left = self._requests_until_idle.get(session_id)
        if left is not None:
            if left > 0:
                self._requests_until_idle[session_id] = left - 1
            else:
                del self._requests_until_idle[session_id]
                self._launched(session)
                session["state"] = "idle"
                session["log"].append(f"stdout: session {session_id} idle")
        return session

    def run_statement(self, session: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        code = body.get("code")
        if not isinstance(code, str):
            raise LivyAnswer(400, "Missing required field: code")
        if session["state"] not in {"idle", "busy"}:
            # Livy's ensureRunning(): an IllegalStateException, answered as an internal error.
            raise LivyAnswer(
                500, f"java.lang.IllegalStateException: Session is in state {session['state']}"
            )
        statements = self.statements[session["id"]]
        statement = {
            "id": len(statements),
            "code": code,
            "state": "waiting",
            "output": None,
            "progress": 0.0,
            "started": 0,
            "completed": 0,
        }
        statements.append(statement)
        session["state"] = "busy"
        return statement

    def read_statement(self, session: dict[str, Any], statement_id: int) -> dict[str, Any]:
        """A waiting statement has run by the time it is read; the session is idle again."""
        statements = self.statements[session["id"]]
        if statement_id >= len(statements):
            raise LivyAnswer(404, "Statement not found")
        statement = statements[statement_id]
        if statement["state"] == "waiting":
            statement.update(
                state="available",
                progress=1.0,
                started=_now_ms(),
                completed=_now_ms(),
                output={
                    "status": "ok",
                    "execution_count": statement_id,
                    "data": {"text/plain": f"(Livy double: statement {statement_id} not run)"},
                },
            )
        if all(s["state"] != "waiting" for s in statements) and session["state"] == "busy":
            session["state"] = "idle"
        return statement

    def cancel_statement(self, session: dict[str, Any], statement_id: int) -> dict[str, Any]:
        statements = self.statements[session["id"]]
        if statement_id < len(statements) and statements[statement_id]["state"] == "waiting":
            statements[statement_id].update(state="cancelled", progress=1.0)
        return {"msg": "canceled"}

    def delete(self, session_id: int) -> dict[str, Any]:
        self.session(session_id)
        self.sessions.pop(session_id)
        self._requests_until_idle.pop(session_id, None)
        return {"msg": "deleted"}


class _LivyRequestHandler(BaseHTTPRequestHandler):
    owner: LivyDouble
    protocol_version = "HTTP/1.1"
    auth_user: str | None = None

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _record(self) -> tuple[str, dict[str, str]]:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        with self.owner._lock:
            self.owner.requests.append(LivyRequest(self.command, parts.path, query))
        return parts.path.rstrip("/") or "/", query

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: object) -> None:
        self._send(status, json.dumps(data).encode())

    def _authorised(self) -> bool:
        if not self.owner.users:
            return True
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                user, password = "", ""
            if self.owner.users.get(user) == password and user:
                self.auth_user = user
                return True
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="livy"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def _failure_mode(self) -> bool:
        """Answer as a broken proxy would; True when the request has been answered."""
        mode = self.owner.mode
        if mode == "slow":
            time.sleep(self.owner.delay)
            return False
        if mode == "500":
            self._json(500, {"msg": "java.lang.IllegalStateException: simulated failure"})
        elif mode == "invalid-json":
            self._send(200, b'{"from": 0, "total": ', "application/json")
        elif mode == "html":
            self._send(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
        else:
            return False
        return True

    def _read_body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def _serve(self, body: dict[str, Any] | None = None) -> None:
        path, query = self._record()
        if not self._authorised() or self._failure_mode():
            return
        try:
            with self.owner._lock:  # serialised under the lock: the objects are live
                status, payload = self._route(path, query, body or {})
                data = json.dumps(payload).encode()
        except LivyAnswer as exc:
            status, data = exc.status, json.dumps({"msg": exc.msg}).encode()
        self._send(status, data)

    def _route(self, path: str, query: dict[str, str], body: dict[str, Any]) -> tuple[int, Any]:
        double, method = self.owner, self.command
        if path == "/sessions" and method == "GET":
            return 200, self._page(query)
        if path == "/sessions" and method == "POST":
            return 201, double.create(self.auth_user, body, query.get("doAs"))
        match = _SESSION_PATH.match(path)
        if match is None:
            raise LivyAnswer(404, "not found")
        session_id, rest = int(match.group(1)), match.group(2) or ""
        if method == "DELETE" and not rest:
            if session_id not in double.sessions:
                raise LivyAnswer(404, f"Session {session_id} already stopped.")
            return 200, double.delete(session_id)
        return self._route_session(double.session(session_id), rest, body)

    def _route_session(
        self, session: dict[str, Any], rest: str, body: dict[str, Any]
    ) -> tuple[int, Any]:
        double, method, session_id = self.owner, self.command, session["id"]
        if method == "GET" and rest == "":
            return 200, session
        if method == "GET" and rest == "/state":
            return 200, {"id": session_id, "state": session["state"]}
        if method == "GET" and rest == "/log":
            log = session["log"]
            return 200, {"id": session_id, "from": 0, "total": len(log), "log": log}
        statement = _STATEMENT_PATH.match(rest)
        if statement is None:
            raise LivyAnswer(404, "not found")
        statement_id, cancel = statement.group(1), statement.group(2)
        if method == "POST" and statement_id is None:
            return 201, double.run_statement(session, body)
        if method == "GET" and statement_id is None:
            statements = double.statements[session_id]
            return 200, {"total_statements": len(statements), "statements": statements}
        if method == "GET" and not cancel:
            return 200, double.read_statement(session, int(statement_id))
        if method == "POST" and cancel:
            return 200, double.cancel_statement(session, int(statement_id))
        raise LivyAnswer(404, "not found")

    def _page(self, query: dict[str, str]) -> dict[str, Any]:
        try:
            start = int(query.get("from", 0))
            size = int(query.get("size", DEFAULT_PAGE_SIZE))
        except ValueError:
            raise LivyAnswer(400, "from and size must be numbers") from None
        ordered = [self.owner.sessions[k] for k in sorted(self.owner.sessions)]
        page = ordered[start : start + size] if size >= 0 else ordered[start:]
        return {"from": start, "total": len(ordered), "sessions": page}

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve(self._read_body())

    def do_DELETE(self) -> None:
        self._serve()


def main() -> None:
    parser = argparse.ArgumentParser(description="A Livy REST double on 127.0.0.1, for demos.")
    parser.add_argument("--port", type=int, default=8998)
    parser.add_argument("--user", default="jovyan", help="owner of the sessions marked as mine")
    args = parser.parse_args()
    with LivyDouble(port=args.port) as livy:
        livy.add_session(owner=args.user, kind="pyspark", name="exploration", state="idle")
        livy.add_session(owner=args.user, kind="spark", name="etl-job", state="busy")
        livy.add_session(proxy_user=args.user, kind="sql", state="dead")
        livy.add_session(owner="someone-else", kind="pyspark", name="their-session")
        print(f"Livy double at {livy.url} (Ctrl-C ends it)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
