"""A real JupyterHub and configurable-http-proxy on loopback; Ilum "pods" as local processes.

``LocalHub(root, users, pod_env=...)`` writes a ``jupyterhub_config.py`` under ``root`` and runs
``jupyterhub`` with it (the hub starts configurable-http-proxy itself; it must be on ``PATH``,
``scripts/install-hub-proxy`` puts it into the virtual environment). Every port is a free one on
127.0.0.1. Each user logs in with a password (:class:`~.hub_plugins.PasswordAuthenticator`,
LDAP-shaped auth state with the user's full name and e-mail) and gets a pod
(:class:`~.hub_plugins.LocalPodSpawner`) whose home is ``root/home/<name>``: the ``ilum-init``
init container runs first, as in ``init/kubespawner_config.py``, with ``ilum_auth_state_hook``
of ``init/ilum_hub_hooks.py`` passing the identity to it; then ``jupyterhub-singleuser`` (JupyterLab
with the Ilum extensions) starts as root (``--allow-root``).

What a test can shape:

* ``pod_env``: the Ilum settings both containers get (``ILUM_GIT_URL``, ``ILUM_LIVY_URL``...);
* ``user_env``: per user, variables added to both containers (credentials, say);
* ``extra_config``: Python appended to ``jupyterhub_config.py``: ``c`` is the config, ``S``
  the settings above; a hook that must run before each spawn (minting credentials, say) is
  appended to ``pre_spawn_hooks`` (a list of functions of the spawner, sync or async, run after
  the one that applies ``user_env``), rather than replacing ``c.Spawner.pre_spawn_hook``;
* ``activity_interval``: seconds between two activity reports of a server to the hub
  (``JUPYTERHUB_ACTIVITY_INTERVAL``; 300 in production).

The hub's own API is reached with an admin service token (:meth:`LocalHub.api`); a user's token
comes from :meth:`LocalHub.token_for`. The hub pulls the proxy's activity every
``last_activity_interval`` (300 s), so in a test only the servers' own reports move
``last_activity``.
"""

from __future__ import annotations

import html
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .loopback import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
HUB_HOOKS_DIR = REPO_ROOT / "init"
PROXY_COMMAND = "configurable-http-proxy"
ADMIN_SERVICE = "ilum-tests"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass(frozen=True)
class HubUser:
    name: str
    password: str
    fullname: str
    email: str


class HubError(RuntimeError):
    """The hub did not start, or answered what a test did not expect; carries its log's end."""


class LocalHub:
    """``with LocalHub(root, users, pod_env=...) as hub:`` then ``hub.spawn("alice")``."""

    def __init__(
        self,
        root: Path,
        users: Sequence[HubUser],
        *,
        pod_env: Mapping[str, str],
        user_env: Mapping[str, Mapping[str, str]] | None = None,
        extra_config: str = "",
        activity_interval: int = 1,
        python: str = sys.executable,
    ) -> None:
        self.root = Path(root)
        self.users = {user.name: user for user in users}
        self.pod_env = dict(pod_env)
        self.user_env = {name: dict(env) for name, env in (user_env or {}).items()}
        self.extra_config = extra_config
        self.activity_interval = activity_interval
        self.python = python
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.admin_token = secrets.token_hex(32)
        self.log_path = self.root / "jupyterhub.log"
        self._process: subprocess.Popen[bytes] | None = None

    # --- life cycle ---------------------------------------------------------------------------

    def start(self) -> LocalHub:
        proxy = shutil.which(PROXY_COMMAND)
        if proxy is None:
            raise HubError(f"{PROXY_COMMAND} is not on PATH: run scripts/install-hub-proxy")
        self.root.mkdir(parents=True, exist_ok=True)
        config = self.root / "jupyterhub_config.py"
        config.touch(mode=0o600)  # it holds the passwords and the admin token
        config.write_text(self._config(proxy))
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "ILUM_"))},
            "JUPYTERHUB_CRYPT_KEY": secrets.token_hex(32),
            "CONFIGPROXY_AUTH_TOKEN": secrets.token_hex(32),
        }
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [self.python, "-m", "jupyterhub", "-f", str(config)],
                cwd=self.root,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_until_up()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stops the hub, which stops every server and the proxy first."""
        process = self._process
        if process is None:
            return
        self._process = None
        if process.poll() is None:
            # The hub's own clean-up stops every server (side by side), then the proxy.
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def __enter__(self) -> LocalHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the hub's REST API -------------------------------------------------------------------

    def api(
        self, method: str, path: str, body: object = None, token: str | None = None
    ) -> tuple[int, Any]:
        """``{hub}/hub/api/<path>`` with the admin token (or ``token``): (status, JSON or None)."""
        return self._request(method, path, token or self.admin_token, body, 30)

    def user_model(self, name: str) -> dict[str, Any]:
        status, model = self.api("GET", f"users/{name}")
        if status != 200:
            raise HubError(f"GET users/{name} answered {status}: {model}")
        return dict(model)

    def login(self, name: str) -> urllib.request.OpenerDirector:
        """Logs ``name`` in through the hub's login form, as a browser does (so the hub keeps
        the user's auth state, which the spawn hooks read); returns an opener holding the
        session's cookies."""
        cookies = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))
        login_url = f"{self.url}hub/login"
        with opener.open(login_url, timeout=30) as page:
            form = page.read().decode()
        match = re.search(r'name="_xsrf" value="([^"]+)"', form)
        fields = {"username": name, "password": self.users[name].password}
        if match:
            fields["_xsrf"] = html.unescape(match.group(1))
        data = urllib.parse.urlencode(fields).encode()
        # The hub answers with a redirect to the user's server, which is not started yet.
        no_redirect = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(cookies), _NoRedirect
        )
        try:
            with no_redirect.open(login_url, data=data, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        if status != 302:
            raise HubError(f"logging {name} in answered {status}{self.log_tail()}")
        return opener

    def spawn(self, name: str, timeout: float = 90) -> str:
        """Starts ``name``'s server (if needed) and waits until the hub calls it ready; returns
        its URL through the proxy (``http://127.0.0.1:PORT/user/<name>/``)."""
        return self.spawn_all([name], timeout)[name]

    def spawn_all(self, names: Sequence[str], timeout: float = 90) -> dict[str, str]:
        """:meth:`spawn` for several users at once (their pods start side by side). A user who
        never logged in has no auth state, so the identity hooks pass on only the name:
        :meth:`login` first for a realistic spawn."""
        deadline = time.monotonic() + timeout
        # The hub answers a POST only once the server is up (or after 10 s): one thread each.
        with ThreadPoolExecutor(max_workers=len(names) or 1) as pool:
            answers = list(pool.map(lambda n: self.api("POST", f"users/{n}/server"), names))
        for name, (status, answer) in zip(names, answers, strict=True):
            if status not in (201, 202, 400):  # 400: already running
                raise HubError(f"spawning {name} answered {status}: {answer}{self.log_tail()}")
        return {name: self._wait_until_ready(name, deadline) for name in names}

    def _wait_until_ready(self, name: str, deadline: float) -> str:
        while time.monotonic() < deadline:
            server = self.user_model(name).get("servers", {}).get("")
            if server is None:
                raise HubError(f"the spawn of {name} failed{self.log_tail()}")
            if server.get("ready"):
                return self.server_url(name)
            self._check_alive()
            time.sleep(0.3)
        raise HubError(f"the server of {name} was not ready in time{self.log_tail()}")

    def server_url(self, name: str) -> str:
        return f"{self.url}user/{name}/"

    def token_for(self, name: str) -> str:
        """A new API token of ``name``, with the user's own permissions."""
        status, answer = self.api("POST", f"users/{name}/tokens", {"note": "ilum tests"})
        if status != 201:
            raise HubError(f"a token for {name}: {status} {answer}")
        return str(answer["token"])

    def last_activity(self, name: str) -> datetime | None:
        """The hub's ``last_activity`` of ``name``'s default server (what the idle culler reads)."""
        server = self.user_model(name).get("servers", {}).get("")
        if not server or not server.get("last_activity"):
            return None
        return datetime.fromisoformat(server["last_activity"].replace("Z", "+00:00"))

    def log_tail(self, chars: int = 4000) -> str:
        if not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace")
        return "\n--- jupyterhub.log (end) ---\n" + text[-chars:]

    # --- internals ----------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, token: str, body: object, timeout: float
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        # Always the hub's own http://127.0.0.1 address.
        request = urllib.request.Request(  # noqa: S310
            f"{self.url}hub/api/{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return 0, None
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    def _check_alive(self) -> None:
        if self._process is not None and self._process.poll() is not None:
            raise HubError(f"jupyterhub exited with {self._process.returncode}{self.log_tail()}")

    def _wait_until_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            if self.api("GET", "")[0] == 200:
                return
            time.sleep(0.3)
        raise HubError(f"the hub did not answer in {timeout} s{self.log_tail()}")

    def _config(self, proxy: str) -> str:
        """The generated ``jupyterhub_config.py``: values go in as JSON literals."""
        home = self.root / "home"
        settings = {
            "hub_hooks_dir": str(HUB_HOOKS_DIR),
            "port": self.port,
            "hub_port": free_port(),
            "proxy_api_port": free_port(),
            "proxy": proxy,
            "db": f"sqlite:///{self.root / 'jupyterhub.sqlite'}",
            "cookie_secret_file": str(self.root / "jupyterhub_cookie_secret"),
            "home": str(home / "{username}"),
            "admin_token": self.admin_token,
            "admin_service": ADMIN_SERVICE,
            "passwords": {u.name: u.password for u in self.users.values()},
            "attributes": {
                u.name: {"cn": [u.fullname], "mail": [u.email]} for u in self.users.values()
            },
            "pod_env": self.pod_env,
            "user_env": self.user_env,
            "activity_interval": str(self.activity_interval),
        }
        return _CONFIG_TEMPLATE.replace("__SETTINGS__", json.dumps(settings, indent=2)) + (
            f"\n# --- extra configuration of the test ---\n{self.extra_config}\n"
        )


_CONFIG_TEMPLATE = '''"""Written by ilum_singleuser.testing.local_hub for a test."""
import inspect
import json
import sys

S = json.loads(r"""__SETTINGS__""")
sys.path.insert(0, S["hub_hooks_dir"])

from ilum_hub_hooks import ilum_auth_state_hook, with_env  # noqa: E402

from ilum_singleuser.testing.hub_plugins import (  # noqa: E402
    LocalPodSpawner,
    PasswordAuthenticator,
)

c = get_config()  # noqa: F821

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = S["port"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = S["hub_port"]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:%d" % S["proxy_api_port"]
c.ConfigurableHTTPProxy.command = [S["proxy"]]
c.JupyterHub.db_url = S["db"]
c.JupyterHub.cookie_secret_file = S["cookie_secret_file"]
c.JupyterHub.log_level = "INFO"

c.JupyterHub.authenticator_class = PasswordAuthenticator
c.PasswordAuthenticator.passwords = S["passwords"]
c.PasswordAuthenticator.attributes = S["attributes"]
c.Authenticator.allowed_users = set(S["passwords"])
c.Authenticator.enable_auth_state = True

c.JupyterHub.services = [{"name": S["admin_service"], "api_token": S["admin_token"]}]
c.JupyterHub.load_roles = [
    {
        "name": "ilum-tests",
        "scopes": ["admin:users", "admin:servers", "tokens"],
        "services": [S["admin_service"]],
    }
]

c.JupyterHub.spawner_class = LocalPodSpawner
c.LocalPodSpawner.home_dir_template = S["home"]
c.Spawner.cmd = ["jupyterhub-singleuser"]
c.Spawner.args = ["--allow-root"]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 90
c.Spawner.environment = {
    **S["pod_env"],
    "JUPYTERHUB_ACTIVITY_INTERVAL": S["activity_interval"],
}
# As init/kubespawner_config.py: ilum-init runs first, with the user's exact name put in by
# ilum_auth_state_hook.
c.LocalPodSpawner.init_containers = [
    {
        "name": "ilum-init",
        "command": ["ilum-init"],
        "env": [
            {"name": k, "value": v}
            for k, v in {**S["pod_env"], "ILUM_USER": "{username}"}.items()
        ],
    }
]
c.Spawner.auth_state_hook = ilum_auth_state_hook


def _per_user_env(spawner):
    """Both containers get the user's own variables (as a per-user Secret would)."""
    env = S["user_env"].get(spawner.user.name, {})
    spawner.environment = {**spawner.environment, **env}
    spawner.init_containers = [with_env(each, env) for each in spawner.init_containers]


# A test's extra configuration appends its own hooks here; they run in order.
pre_spawn_hooks = [_per_user_env]


async def _pre_spawn(spawner):
    for hook in pre_spawn_hooks:
        result = hook(spawner)
        if inspect.isawaitable(result):
            await result


c.Spawner.pre_spawn_hook = _pre_spawn
'''
