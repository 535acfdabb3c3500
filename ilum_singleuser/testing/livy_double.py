"""A loopback stand-in for Ilum's Livy-proxy that follows the Apache Livy REST API.

For tests, the demo and the UI tests: ``GET /sessions`` pages with ``from``/``size`` (default
size 100, ``total`` counts every session), session objects carry Livy's own fields and states,
``DELETE /sessions/{id}`` answers 200 ``{"msg": "deleted"}`` or 404 ``{"msg": "Session N already
stopped."}``, ``POST /sessions`` answers 201 with the new session. ``GET /sessions/{id}`` exists
(Livy has it) and is recorded like every request, so a test can prove it was never called.

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
MODES = ("ok", "500", "invalid-json", "html", "slow")
DEFAULT_PAGE_SIZE = 100


class LivyRequest(NamedTuple):
    method: str
    path: str
    query: dict[str, str]


class LivyDouble(LoopbackServer):
    """``with LivyDouble() as livy: livy.add_session(owner="jane")`` then point the client at
    ``livy.url``."""

    def __init__(
        self,
        users: dict[str, str] | None = None,
        mode: str = "ok",
        delay: float = 0.0,
        port: int = 0,
    ) -> None:
        self.users = dict(users or {})
        self.mode = mode
        self.delay = delay
        self.sessions: dict[int, dict[str, Any]] = {}
        self.requests: list[LivyRequest] = []
        self._next_id = 0
        self._lock = threading.Lock()
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
        with self._lock:
            session_id = self._next_id
            self._next_id += 1
            app = app_id if app_id is not None else f"application_1700000000000_{session_id:04d}"
            self.sessions[session_id] = {
                "id": session_id,
                "name": name,
                "appId": app,
                "owner": owner,
                "proxyUser": proxy_user,
                "state": state,
                "kind": kind,
                "appInfo": {
                    "driverLogUrl": f"{self.url}/ui/driver-log/{app}",
                    "sparkUiUrl": f"{self.url}/ui/spark/{app}",
                },
                "log": [f"stdout: session {session_id} {state}"],
                "ttl": None,
                "driverMemory": "1g",
                "driverCores": 1,
                "executorMemory": "1g",
                "executorCores": 1,
                "conf": dict(conf or {}),
                "archives": [],
                "files": [],
                "heartbeatTimeoutInSecond": 60,
                "jars": [],
                "numExecutors": 1,
                "pyFiles": [],
                "queue": None,
            }
            return session_id

    def count(self, method: str, path_prefix: str = "/sessions") -> int:
        """How many requests of ``method`` whose path starts with ``path_prefix`` arrived."""
        return sum(r.method == method and r.path.startswith(path_prefix) for r in self.requests)

    def per_session_reads(self) -> list[LivyRequest]:
        """Every ``GET /sessions/{id}...``: reads that reset a session's heartbeat in Livy."""
        return [r for r in self.requests if r.method == "GET" and r.path.startswith("/sessions/")]


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

    def _session_id(self, path: str) -> int | None:
        parts = path.split("/")
        if len(parts) >= 3 and parts[2].isdigit():
            return int(parts[2])
        return None

    def do_GET(self) -> None:
        path, query = self._record()
        if not self._authorised() or self._failure_mode():
            return
        double = self.owner
        if path == "/sessions":
            try:
                start = int(query.get("from", 0))
                size = int(query.get("size", DEFAULT_PAGE_SIZE))
            except ValueError:
                self._json(400, {"msg": "from and size must be numbers"})
                return
            with double._lock:
                ordered = [double.sessions[k] for k in sorted(double.sessions)]
            page = ordered[start : start + size] if size >= 0 else ordered[start:]
            self._json(200, {"from": start, "total": len(ordered), "sessions": page})
            return
        session_id = self._session_id(path)
        if path.startswith("/sessions/") and session_id is not None:
            session = double.sessions.get(session_id)
            if session is None:
                self._json(404, {"msg": f"Session '{session_id}' not found."})
            elif path.endswith("/state"):
                self._json(200, {"id": session_id, "state": session["state"]})
            else:
                self._json(200, session)
            return
        self._json(404, {"msg": "not found"})

    def do_POST(self) -> None:
        path, _ = self._record()
        body = self._read_body()
        if not self._authorised() or self._failure_mode():
            return
        if path != "/sessions":
            self._json(404, {"msg": "not found"})
            return
        # Livy records the authenticated caller as owner; proxyUser is what the body asks for.
        session_id = self.owner.add_session(
            owner=self.auth_user,
            proxy_user=body.get("proxyUser") or None,
            state="starting",
            kind=body.get("kind") or "spark",
            name=body.get("name") or None,
            conf=body.get("conf") if isinstance(body.get("conf"), dict) else None,
        )
        self._json(201, self.owner.sessions[session_id])

    def do_DELETE(self) -> None:
        path, _ = self._record()
        if not self._authorised() or self._failure_mode():
            return
        session_id = self._session_id(path)
        if session_id is None or path.count("/") != 2:
            self._json(404, {"msg": "not found"})
            return
        with self.owner._lock:
            session = self.owner.sessions.pop(session_id, None)
        if session is None:
            self._json(404, {"msg": f"Session {session_id} already stopped."})
        else:
            self._json(200, {"msg": "deleted"})


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
