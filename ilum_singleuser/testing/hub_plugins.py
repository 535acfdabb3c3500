"""JupyterHub plug-ins for a hub on one machine that behaves like Ilum's (see ``local_hub``).

Loaded by the hub process only (``local_hub`` writes a ``jupyterhub_config.py`` that imports
them), never by the single-user server:

* :class:`PasswordAuthenticator`: one password per user, and an auth state shaped like
  LDAPAuthenticator 2's (``user_attributes`` with ``cn`` and ``mail``), so that the hub hooks of
  ``init/ilum_hub_hooks.py`` read what they would read in Ilum;
* :class:`LocalPodSpawner`: a "pod" made of local processes. It honours KubeSpawner's
  ``init_containers`` (name, command, ``env`` as ``{"name", "value"}`` entries): each runs to
  completion before the notebook starts, as Kubernetes runs them, so ``ilum-init`` and the hooks
  that rewrite its container run unchanged.

Not isolated in any way: every process runs as the hub's own user. For tests only.
"""

from __future__ import annotations

import asyncio
import hmac
import os
from pathlib import Path
from typing import Any

from jupyterhub.auth import Authenticator
from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import Dict, List


class PasswordAuthenticator(Authenticator):
    """``passwords`` maps user names to passwords; ``attributes`` to LDAP-like attributes."""

    passwords = Dict(config=True, help="user name -> password")
    attributes = Dict(config=True, help="user name -> {attribute: [values]}, as LDAP returns")

    async def authenticate(self, handler: Any, data: dict[str, str]) -> dict[str, Any] | None:
        name = data.get("username", "")
        expected = self.passwords.get(name)
        given = data.get("password", "")
        if expected is None or not hmac.compare_digest(expected.encode(), given.encode()):
            return None
        return {
            "name": name,
            "auth_state": {"user_attributes": dict(self.attributes.get(name, {}))},
        }


class InitContainerFailed(RuntimeError):
    """An init container exited non-zero: Kubernetes would not start the notebook either."""


class LocalPodSpawner(SimpleLocalProcessSpawner):
    """Runs ``init_containers`` in turn, then the notebook (``cmd``), all in the user's home."""

    init_containers: List[dict[str, Any]] = List(
        config=True,
        help="KubeSpawner-style init containers: {'name', 'command', 'env': [{'name', 'value'}]}",
    )

    async def start(self) -> Any:
        Path(self.home_dir).mkdir(parents=True, exist_ok=True)
        for container in self.init_containers:
            await self._run_init_container(container)
        return await super().start()

    async def wait_for_death(self, timeout: float = 10) -> bool:
        """A fixed 0.1 s poll: JupyterHub's growing back-off (0.1 s, doubled up to 3.2 s) adds
        seconds to every stop of a server that exits in one."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if await self.poll() is not None:
                return True
            await asyncio.sleep(0.1)
        return False

    def _init_container_env(self, container: dict[str, Any]) -> dict[str, str]:
        """What a container of the pod sees: the image's environment (the kept variables, HOME,
        USER) and its own ``env``, with KubeSpawner's ``{username}`` expanded. Not the notebook's
        environment and no hub token: those belong to the notebook container."""
        env = {key: os.environ[key] for key in self.env_keep if key in os.environ}
        env = self.user_env(env)
        for entry in container.get("env") or []:
            if "value" not in entry:
                raise ValueError(f"init container env {entry.get('name')!r}: only values work here")
            env[entry["name"]] = str(entry["value"]).format(username=self.user.name)
        return env

    async def _run_init_container(self, container: dict[str, Any]) -> None:
        name = container.get("name", "init")
        log_path = Path(self.home_dir).parent / f"{self.user.name}-{name}.log"
        with log_path.open("ab") as log_file:
            process = await asyncio.create_subprocess_exec(
                *container["command"],
                *container.get("args", []),
                cwd=self.home_dir,
                env=self._init_container_env(container),
                stdout=log_file,
                stderr=log_file,
                start_new_session=True,
            )
            status = await process.wait()
        self.log.info("init container %s of %s exited %s", name, self.user.name, status)
        if status != 0:
            raise InitContainerFailed(f"init container {name} exited {status}; see {log_path}")
