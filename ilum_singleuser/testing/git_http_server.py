"""A Gitea stand-in for tests, benchmarks and the demo: git smart-HTTP with basic auth.

``git http-backend`` behind a small threaded HTTP server on 127.0.0.1. Like Gitea it answers
401 without (or with wrong) credentials and 404 for a repository that does not exist yet, so the
init's waiting and its refused-login path run against real HTTP and real git. Like Gitea it
answers 404 "Repository not found" as well to a signed-in user who may not reach the repository
(Gitea does not tell strangers that a private repository exists), and it accepts access tokens
as passwords. Under ``/api/v1/`` it serves Gitea's access-token routes (``gitea_token_api``);
users, tokens and grants live in one ``GiteaAccounts`` store, so a token minted there opens here
exactly what it would open on Gitea.
"""

from __future__ import annotations

import base64
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from . import gitea_token_api
from .gitea_accounts import GiteaAccounts
from .loopback import LoopbackServer


class GitHTTPServer(LoopbackServer):
    """Serve bare repositories under ``root`` as ``http://127.0.0.1:PORT/<org>/<name>.git``.

    ``users`` (name -> password) is shorthand for a store holding just them; without any user,
    every request is let in."""

    def __init__(
        self,
        root: Path,
        users: dict[str, str] | None = None,
        accounts: GiteaAccounts | None = None,
    ) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.accounts = accounts if accounts is not None else GiteaAccounts(users)
        self.requests: list[tuple[str, str, str | None, int]] = []
        self._lock = threading.Lock()
        super().__init__(_GitRequestHandler)

    def repo_path(self, org: str, name: str) -> Path:
        return self.root / org / name

    def create_repo(
        self, org: str, name: str, branch: str = "main", collaborators: list[str] | None = None
    ) -> Path:
        """An empty bare repository, as the Gitea operator creates it; with ``collaborators``,
        private to them (and the site admins)."""
        if collaborators is not None:
            self.accounts.grant(f"{org}/{name}", collaborators)
        path = self.repo_path(org, name)
        tmp = path.with_name(path.name + ".creating")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "init", "-q", "--bare", "-b", branch, str(tmp)], check=True, env=_clean_env()
        )
        subprocess.run(
            ["git", "config", "http.receivepack", "true"], cwd=tmp, check=True, env=_clean_env()
        )
        tmp.rename(path)
        return path

    def create_repo_later(self, org: str, name: str, delay: float) -> threading.Timer:
        timer = threading.Timer(delay, self.create_repo, args=(org, name))
        timer.daemon = True
        timer.start()
        return timer

    def _record(self, method: str, path: str, user: str | None, status: int) -> None:
        with self._lock:
            self.requests.append((method, path, user, status))


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(LANG="C", LC_ALL="C", GIT_CONFIG_NOSYSTEM="1", HOME=os.environ.get("HOME", "/"))
    return env


class _GitRequestHandler(BaseHTTPRequestHandler):
    owner: GitHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _user(self) -> str | None:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            decoded = base64.b64decode(header[6:]).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
        login, _, secret = decoded.partition(":")
        return self.owner.accounts.sign_in(login, secret)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _reply(self, status: int, text: str, extra: dict[str, str] | None = None) -> None:
        body = text.encode()
        self.send_response(status)
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _serve_api(self, path: str, query: str, body: bytes) -> None:
        reply = gitea_token_api.handle(
            self.owner.accounts, self.command, path, parse_qs(query), self.headers, body
        )
        self.owner._record(self.command, path, None, reply.status)
        payload = reply.body()
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        if payload:
            self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        body = self._read_body() if self.command in ("POST", "DELETE") else b""
        if path.startswith(gitea_token_api.API_PREFIX):
            self._serve_api(path, parts.query, body)
            return
        user = self._user()
        if self.owner.accounts and user is None:
            self.owner._record(self.command, path, None, 401)
            self._reply(401, "Unauthorized", {"WWW-Authenticate": 'Basic realm="Gitea"'})
            return
        repo_rel = path.split(".git/", 1)[0] + ".git" if ".git/" in path else None
        if (
            not repo_rel
            or not (self.owner.root / repo_rel.lstrip("/")).is_dir()
            or (user is not None and not self.owner.accounts.may_access(user, repo_rel))
        ):
            self.owner._record(self.command, path, user, 404)
            self._reply(404, "Repository not found")
            return
        env = _clean_env()
        env.update(
            GIT_PROJECT_ROOT=str(self.owner.root),
            GIT_HTTP_EXPORT_ALL="1",
            PATH_INFO=path,
            QUERY_STRING=parts.query,
            REQUEST_METHOD=self.command,
            CONTENT_TYPE=self.headers.get("Content-Type", ""),
            CONTENT_LENGTH=str(len(body)),
            REMOTE_USER=user or "anonymous",
            REMOTE_ADDR="127.0.0.1",
        )
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        proc = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
        )
        head, _, payload = proc.stdout.partition(b"\r\n\r\n")
        status = 200
        headers: list[tuple[str, str]] = []
        for line in head.decode("latin-1").split("\r\n"):
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.strip().split()[0])
            elif key:
                headers.append((key, value.strip()))
        self.owner._record(self.command, path, user, status)
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
