"""init/ilum_gitea_tokens.py against the Gitea stand-in: every spawn mints a token of the user's
own, revokes the previous one, and a failure never keeps the server from starting nor puts a
secret in the log."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from ilum_singleuser.testing.loopback import LoopbackServer

from .gitea_users import ADMIN_PASSWORD, PASSWORDS, ls_remote

LOGGER = "test-spawner"
INIT_CONTAINER = {
    "name": "ilum-init",
    "image": "img",
    "env": [{"name": "ILUM_GIT_URL", "value": "http://gitea"}],
}


@pytest.fixture
def tokens_module(hub_hooks: ModuleType) -> Iterator[ModuleType]:
    import sys

    sys.modules.pop("ilum_gitea_tokens", None)
    import ilum_gitea_tokens

    yield ilum_gitea_tokens
    sys.modules.pop("ilum_gitea_tokens", None)


def spawner(name: str, server_name: str = "") -> SimpleNamespace:
    return SimpleNamespace(
        user=SimpleNamespace(name=name),
        name=server_name,
        start_timeout=60,
        environment={"ILUM_GIT_URL": "http://gitea"},
        init_containers=[INIT_CONTAINER],
        log=logging.getLogger(LOGGER),
    )


def credentials(target: SimpleNamespace) -> tuple[str, str]:
    env = target.environment
    init_env = {e["name"]: e["value"] for e in target.init_containers[0]["env"]}
    pair = (env["ILUM_GIT_USERNAME"], env["ILUM_GIT_PASSWORD"])
    assert (init_env["ILUM_GIT_USERNAME"], init_env["ILUM_GIT_PASSWORD"]) == pair
    return pair


async def test_each_user_gets_a_token_of_their_own(tokens_module, gitea, gitea_admin_dir):
    hook = tokens_module.GiteaTokenHook(gitea.url, gitea_admin_dir)
    alice, bob = spawner("alice"), spawner("bob")
    await hook(alice)
    await hook(bob)
    alice_login, bob_login = credentials(alice), credentials(bob)
    assert alice_login[0] == "alice"
    assert bob_login[0] == "bob"
    assert alice_login[1] != bob_login[1]
    # The token is alice's, scoped to repositories
    (token,) = gitea.accounts.tokens("alice")
    assert token.name == "ilum-notebook"
    assert token.scopes == ["write:repository"]
    assert token.sha1 == alice_login[1]
    # It opens her repository and not bob's
    assert ls_remote(gitea, "jupyterhub-alice.git", alice_login) == "ok"
    assert "not found" in ls_remote(gitea, "jupyterhub-bob.git", alice_login)
    # The configured init container (shared by every spawner) is left as it was
    assert INIT_CONTAINER["env"] == [{"name": "ILUM_GIT_URL", "value": "http://gitea"}]


async def test_a_new_spawn_revokes_the_previous_token(tokens_module, gitea, gitea_admin_dir):
    hook = tokens_module.GiteaTokenHook(gitea.url, gitea_admin_dir)
    other = gitea.accounts.create_token("alice", "laptop", ["write:repository"])
    first, second = spawner("alice"), spawner("alice")
    await hook(first)
    await hook(second)
    old, new = credentials(first)[1], credentials(second)[1]
    assert old != new
    assert "Authentication failed" in ls_remote(gitea, "jupyterhub-alice.git", ("alice", old))
    assert ls_remote(gitea, "jupyterhub-alice.git", ("alice", new)) == "ok"
    # Tokens of other names (the user's own) are left alone
    assert {t.name for t in gitea.accounts.tokens("alice")} == {"laptop", "ilum-notebook"}
    assert other in gitea.accounts.tokens("alice")


async def test_a_named_server_has_a_token_of_its_own(tokens_module, gitea, gitea_admin_dir):
    hook = tokens_module.GiteaTokenHook(gitea.url, gitea_admin_dir)
    await hook(spawner("alice"))
    await hook(spawner("alice", server_name="gpu"))
    names = sorted(t.name for t in gitea.accounts.tokens("alice"))
    assert names == ["ilum-notebook", "ilum-notebook-gpu"]


async def test_waits_for_a_user_that_gitea_has_not_synced_yet(
    tokens_module, gitea, gitea_admin_dir
):
    # Given carol logs in to the hub before Gitea's LDAP sync created her
    timer = threading.Timer(1.0, gitea.accounts.add_user, args=("carol",))
    timer.start()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.05)

    # When her server spawns, while the hub's event loop serves other things
    hook = tokens_module.GiteaTokenHook(gitea.url, gitea_admin_dir, user_wait_seconds=20)
    target = spawner("carol")
    ticking = asyncio.create_task(ticker())
    await hook(target)
    ticking.cancel()
    # Then the hook waited for her without blocking the loop, and got her a token
    assert ticks >= 10
    assert credentials(target)[1] == gitea.accounts.tokens("carol")[0].sha1


async def test_a_user_gitea_never_gets_still_gets_a_server(
    tokens_module, gitea, gitea_admin_dir, caplog
):
    hook = tokens_module.GiteaTokenHook(gitea.url, gitea_admin_dir, user_wait_seconds=1)
    target = spawner("dave")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        await hook(target)
    assert credentials(target) == ("dave", "")
    assert "Gitea has no user 'dave' yet" in caplog.text
    assert "gave up after 1 s" in caplog.text


def failure_cases() -> list[Any]:
    return [
        pytest.param(
            lambda folder: (folder / "password").write_text("Wr0ng-s3cret"),
            "Gitea refused the admin login of 'gitea-admin' (HTTP 401",
            id="wrong-admin-password",
        ),
        pytest.param(
            lambda folder: (folder / "password").unlink(),
            "cannot read the Gitea admin login from",
            id="admin-secret-missing",
        ),
        pytest.param(
            lambda folder: [
                (folder / "username").write_text("bob"),
                (folder / "password").write_text(PASSWORDS["bob"]),
            ],
            "Gitea user 'bob' may not act for 'alice' (HTTP 403: Only administrators",
            id="not-a-site-admin",
        ),
    ]


@pytest.mark.parametrize(("break_it", "reason"), failure_cases())
async def test_a_failure_starts_the_server_without_credentials_and_logs_why(
    tokens_module, gitea, gitea_admin_dir, caplog, break_it, reason
):
    # Given alice's previous pod had a token, and the admin Secret is broken now
    hook = tokens_module.GiteaTokenHook(gitea.url, gitea_admin_dir, user_wait_seconds=1)
    await hook(spawner("alice"))
    break_it(gitea_admin_dir)
    target = spawner("alice")
    with caplog.at_level(logging.DEBUG):
        await hook(target)
    # Then the server starts with the user name and an empty password (so ilum-init records
    # an authentication error), and the hub log says why without a secret
    assert credentials(target) == ("alice", "")
    assert reason in caplog.text
    assert "the server starts without Git credentials" in caplog.text
    secrets = [ADMIN_PASSWORD, "Wr0ng-s3cret", *PASSWORDS.values()]
    secrets += [t.sha1 for t in gitea.accounts.tokens("alice")]
    for secret in secrets:
        assert secret not in caplog.text


async def test_gitea_not_answering_gives_up_within_the_wait(tokens_module, gitea_admin_dir, caplog):
    hook = tokens_module.GiteaTokenHook("http://127.0.0.1:9", gitea_admin_dir, user_wait_seconds=1)
    target = spawner("alice")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        await hook(target)
    assert credentials(target) == ("alice", "")
    assert "Gitea did not answer" in caplog.text


async def test_the_wait_never_outlasts_the_spawn_timeout(tokens_module, gitea, gitea_admin_dir):
    slept: list[float] = []
    now = [0.0]

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    hook = tokens_module.GiteaTokenHook(
        gitea.url, gitea_admin_dir, user_wait_seconds=600, sleep=sleep, clock=lambda: now[0]
    )
    target = spawner("nobody")
    target.start_timeout = 30
    await hook(target)
    assert sum(slept) == pytest.approx(30)
    assert credentials(target) == ("nobody", "")


async def test_a_spawner_without_init_containers_gets_the_environment(
    tokens_module, gitea, gitea_admin_dir
):
    # JupyterHub's local process spawners have no init containers
    target = SimpleNamespace(
        user=SimpleNamespace(name="alice"),
        name="",
        start_timeout=60,
        environment={},
        log=logging.getLogger(LOGGER),
    )
    await tokens_module.GiteaTokenHook(gitea.url, gitea_admin_dir)(target)
    assert target.environment["ILUM_GIT_USERNAME"] == "alice"
    assert target.environment["ILUM_GIT_PASSWORD"] == gitea.accounts.tokens("alice")[0].sha1


async def test_the_previous_token_is_found_on_any_page_of_the_list(
    tokens_module, gitea, gitea_admin_dir
):
    # Given alice has more tokens than one page of Gitea's list holds, the hook's one last
    for n in range(tokens_module.PAGE_SIZE + 10):
        gitea.accounts.create_token("alice", f"laptop-{n}", ["read:repository"])
    old = gitea.accounts.create_token("alice", "ilum-notebook", ["write:repository"])
    # When her server starts
    target = spawner("alice")
    await tokens_module.GiteaTokenHook(gitea.url, gitea_admin_dir)(target)
    # Then that token is gone and the new one is the only one of its name
    names = [t.name for t in gitea.accounts.tokens("alice")]
    assert names.count("ilum-notebook") == 1
    assert old not in gitea.accounts.tokens("alice")
    assert len(names) == tokens_module.PAGE_SIZE + 11


async def test_a_redirect_never_carries_the_admin_login_away(
    tokens_module, gitea_admin_dir, caplog
):
    # Given an address that redirects every request to another server
    seen: list[str | None] = []

    class Elsewhere(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization"))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"[]")

        def log_message(self, *args: object) -> None:
            return

    class Redirect(Elsewhere):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", f"{elsewhere.url}{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()

    with LoopbackServer(Elsewhere) as elsewhere, LoopbackServer(Redirect) as redirect:
        hook = tokens_module.GiteaTokenHook(redirect.url, gitea_admin_dir, user_wait_seconds=1)
        target = spawner("alice")
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            await hook(target)
    # Then the other server never saw a request, and the pod starts without a token
    assert seen == []
    assert credentials(target) == ("alice", "")
    assert "HTTP 302" in caplog.text
