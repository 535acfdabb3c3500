"""A real JupyterHub for the tests of this folder, one hub per test module.

``running_hub(root)`` starts the peers of Ilum's pods on loopback (the Gitea stand-in with one
empty repository and one password per user, the Livy double with one Spark session per user),
and a :class:`~ilum_singleuser.testing.local_hub.LocalHub` whose pods run ``ilum-init`` and then
``jupyterhub-singleuser`` with the Ilum settings pointing at those peers. Users alice and bob
log in to the hub with ``USERS[name].password``; each pod reads its Git credentials from its own
folder (``ILUM_GIT_CREDENTIALS_DIR``). test_per_user_credentials.py instead has the hub mint each
user's token, as the deployment examples do.

The module-scoped ``hub`` fixture is ``running_hub`` with no change. A test module that needs
another hub defines its own ``hub`` fixture::

    @pytest.fixture(scope="module")
    def hub(tmp_path_factory):
        extra = "pre_spawn_hooks.append(my_hook)"      # Python added to jupyterhub_config.py
        with running_hub(tmp_path_factory.mktemp("hub"), extra_config=extra,
                         user_env=lambda world: {...}) as world:
            yield world

``user_env`` (a function of the :class:`HubWorld` under construction, so that it can use the
Gitea stand-in's URL and users) replaces the per-user variables, the credentials folder among
them. ``world.hub.spawn_all(["alice", "bob"])`` starts the servers; ``world.hub`` has the hub's
admin API, user tokens and ``last_activity``. The logs of the hub and of each init container go
to test-artifacts/ at the end.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ilum_singleuser.testing.git_http_server import GitHTTPServer
from ilum_singleuser.testing.livy_double import LivyDouble
from ilum_singleuser.testing.local_hub import HubUser, LocalHub
from tests.ui.conftest import (  # noqa: F401  (fixtures and the skip hook of the UI tests)
    ARTIFACTS,
    browser,
    jp_asyncio_loop,
    jp_server_cleanup,
    pytest_collection_modifyitems,
)

ORG = "ilum-jupyterhub"
TEMPLATES = Path(__file__).resolve().parents[2] / "init" / "templates"
USERS = {
    "alice": HubUser("alice", "alice hub pass", "Alice Liddell", "alice@example.org"),
    "bob": HubUser("bob", "bob hub pass", "Bob Marley", "bob@example.org"),
}
# Gitea passwords, distinct from the hub's: the pod never sees the hub password.
GIT_PASSWORDS = {"alice": "alice:git/pass word", "bob": "bob#git?pass"}


@dataclass
class HubWorld:
    root: Path
    gitea: GitHTTPServer
    livy: LivyDouble
    users: Mapping[str, HubUser] = field(default_factory=lambda: USERS)
    # Livy session id of each user's session
    session_ids: dict[str, int] = field(default_factory=dict)
    hub: LocalHub | None = None

    @property
    def running(self) -> LocalHub:
        assert self.hub is not None
        return self.hub

    def repo_url(self, name: str) -> str:
        return f"{self.gitea.url}/{ORG}/jupyterhub-{name}.git"


def credentials_folders(world: HubWorld) -> dict[str, dict[str, str]]:
    """Per user, a folder with ``username`` and ``password`` files, as a mounted Secret."""
    env = {}
    for name in world.users:
        folder = world.root / "secrets" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "username").write_text(name)
        (folder / "password").write_text(GIT_PASSWORDS[name])
        env[name] = {"ILUM_GIT_CREDENTIALS_DIR": str(folder)}
    return env


@contextmanager
def running_hub(
    root: Path,
    *,
    extra_config: str = "",
    user_env: Callable[[HubWorld], Mapping[str, Mapping[str, str]]] = credentials_folders,
    activity_interval: int = 1,
) -> Iterator[HubWorld]:
    with (
        GitHTTPServer(root / "gitea", dict(GIT_PASSWORDS)) as gitea,
        LivyDouble() as livy,
    ):
        world = HubWorld(root=root, gitea=gitea, livy=livy)
        for name in world.users:
            gitea.create_repo(ORG, f"jupyterhub-{name}.git")
            world.session_ids[name] = livy.add_session(
                owner=name, proxy_user=name, name=f"{name}-etl"
            )
        pod_env = {
            "ILUM_GIT_URL": gitea.url,
            "ILUM_GIT_ORG": ORG,
            "ILUM_LIVY_URL": livy.url,
            "ILUM_TEMPLATES_DIR": str(TEMPLATES),
            "ILUM_INIT_TIMEOUT": "30",
        }
        hub = LocalHub(
            root,
            list(world.users.values()),
            pod_env=pod_env,
            user_env=user_env(world),
            extra_config=extra_config,
            activity_interval=activity_interval,
        )
        world.hub = hub
        try:
            with hub:
                yield world
        finally:
            ARTIFACTS.mkdir(exist_ok=True)
            for log in [hub.log_path, *sorted((root / "home").glob("*.log"))]:
                if log.exists():
                    shutil.copy(log, ARTIFACTS / f"hub-{root.name}-{log.name}")


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubWorld]:
    with running_hub(tmp_path_factory.mktemp("hub")) as world:
        yield world
