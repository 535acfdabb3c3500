"""Ilum's pod behind a real JupyterHub and configurable-http-proxy: login, isolation, activity."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import datetime

import pytest

from .conftest import ARTIFACTS, HubWorld

PANEL = "#ilum-singleuser-panel"
PANEL_TAB = '.jp-SideBar [data-id="ilum-singleuser-panel"]'
ILUM_GET_ROUTES = ("status", "repo", "spark/sessions", "init")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def call(url: str, token: str | None, method: str = "GET") -> tuple[int, bytes]:
    """One request, redirects not followed: (status, body)."""
    headers = {"Authorization": f"token {token}"} if token else {}
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with _opener.open(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture(scope="module")
def servers(hub: HubWorld) -> dict[str, str]:
    """alice's and bob's servers: each logs in, then the servers start through the hub's API."""
    for name in ("alice", "bob"):
        hub.running.login(name)
    return hub.running.spawn_all(["alice", "bob"])


@pytest.fixture(scope="module")
def tokens(hub: HubWorld, servers: dict[str, str]) -> dict[str, str]:
    return {name: hub.running.token_for(name) for name in servers}


def read(url: str, token: str) -> dict:
    status, body = call(url, token)
    assert status == 200, (url, status, body[:500])
    return json.loads(body)


def test_each_pod_is_initialised_for_its_user(
    hub: HubWorld, servers: dict[str, str], tokens: dict[str, str]
) -> None:
    for name, url in servers.items():
        # When the user reads the Ilum API of their own server through the proxy
        init = read(f"{url}ilum/api/init", tokens[name])
        repo = read(f"{url}ilum/api/repo", tokens[name])
        spark = read(f"{url}ilum/api/spark/sessions", tokens[name])

        # Then ilum-init ran in the pod for this user, committing as the user's LDAP identity
        # (the hub hook) and pushing with the user's own credentials
        assert init["outcome"] == "ok", init
        assert repo["state"] == "clean", repo
        assert repo["remote"] == hub.repo_url(name)
        assert repo["last_commit"]["author"] == hub.users[name].fullname
        pushed = hub.gitea.requests
        assert any(r[0] == "POST" and r[2] == name and "receive-pack" in r[1] for r in pushed)
        # And the Spark sessions marked as the user's are the user's
        assert [s["id"] for s in spark["sessions"] if s["mine"]] == [hub.session_ids[name]]


@pytest.mark.ui
def test_login_in_chromium_lands_in_the_lab_with_the_users_repository_and_sessions(
    hub: HubWorld, servers: dict[str, str], browser
) -> None:
    # Given alice's running server and a fresh browser
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        # When alice opens her lab's address and logs in on the hub's login page
        page.goto(f"{servers['alice']}lab")
        page.fill("#username_input", "alice")
        page.fill("#password_input", hub.users["alice"].password)
        page.click("#login_submit")

        # Then she lands in her JupyterLab, behind the hub's proxy
        page.wait_for_selector("#jp-main-dock-panel", state="visible")
        assert page.url.startswith(f"{servers['alice']}lab")

        # And the Ilum panel shows her repository, committed by ilum-init as her
        if not page.locator(PANEL).is_visible():
            page.locator(PANEL_TAB).click()
        panel = page.locator(PANEL)
        panel.locator('[data-ilum="branch"]').wait_for(state="visible")
        assert panel.locator('[data-ilum="branch"]').inner_text() == "main"
        assert "Alice Liddell" in panel.locator('[data-ilum="last-commit"]').inner_text()
        assert panel.locator('[data-ilum="count-modified"]').inner_text() == "0"

        # And her Spark session, with bob's only behind the "other users" switch
        sessions = panel.locator('[data-ilum="session-name"]')
        sessions.first.wait_for(state="visible")
        assert sessions.all_inner_texts() == ["alice-etl"]
        assert panel.locator('[data-ilum="show-others"]').count() == 1
    finally:
        page.screenshot(path=str(ARTIFACTS / "hub-alice-lab.png"))
        context.close()


def test_another_users_token_gets_nothing_from_the_ilum_api(
    hub: HubWorld, servers: dict[str, str], tokens: dict[str, str]
) -> None:
    alice = servers["alice"]
    secrets_of_alice = [b"alice-etl", b"jupyterhub-alice", hub.users["alice"].fullname.encode()]
    session = hub.session_ids["alice"]
    requests = [("GET", f"{alice}ilum/api/{route}") for route in ILUM_GET_ROUTES] + [
        ("POST", f"{alice}ilum/api/repo/fetch"),
        ("DELETE", f"{alice}ilum/api/spark/sessions/{session}"),
    ]
    fetches_before = len(hub.gitea.requests)
    for token in (tokens["bob"], None):
        for method, url in requests:
            # When bob (or nobody) calls alice's Ilum API
            status, body = call(url, token, method)

            # Then the answer is a refusal, with none of her data
            assert status == 403, (method, url, token is None, status)
            assert not any(secret in body for secret in secrets_of_alice), (method, url, body)
    # And nothing was done on her behalf
    assert hub.livy.sessions[session]["state"] == "idle"
    assert hub.livy.count("DELETE") == 0
    assert len(hub.gitea.requests) == fetches_before


def wait_for_quiet(hub: HubWorld, name: str, interval: float) -> datetime | None:
    """The hub's last_activity of ``name`` once it has not moved for two report intervals
    (the spawn and the first reads may still be on their way to the hub)."""
    seen = hub.running.last_activity(name)
    for _ in range(10):
        time.sleep(2 * interval + 0.5)
        now = hub.running.last_activity(name)
        if now == seen:
            return now
        seen = now
    raise AssertionError(f"the activity of {name} never settled")


def wait_for_move(hub: HubWorld, name: str, since: datetime | None, interval: float) -> bool:
    deadline = time.monotonic() + 4 * interval + 5
    while time.monotonic() < deadline:
        now = hub.running.last_activity(name)
        if now is not None and (since is None or now > since):
            return True
        time.sleep(0.2)
    return False


def test_polling_is_not_activity_but_fetching_and_ending_a_session_are(
    hub: HubWorld, servers: dict[str, str], tokens: dict[str, str]
) -> None:
    # Given bob's server, reporting its activity to the hub every second, and quiet
    interval = float(hub.running.activity_interval)
    url, token = servers["bob"], tokens["bob"]
    quiet = wait_for_quiet(hub, "bob", interval)

    # When a script polls every Ilum GET route through the proxy for three report intervals
    deadline = time.monotonic() + 3 * interval
    while time.monotonic() < deadline:
        for route in ILUM_GET_ROUTES:
            assert call(f"{url}ilum/api/{route}", token)[0] == 200
        time.sleep(0.2)

    # Then the hub's last_activity of the server (what the idle culler reads) has not moved
    time.sleep(2 * interval + 0.5)
    assert hub.running.last_activity("bob") == quiet

    # When the user fetches
    status, body = call(f"{url}ilum/api/repo/fetch", token, "POST")
    assert status == 200, body

    # Then that is activity
    assert wait_for_move(hub, "bob", quiet, interval), "POST repo/fetch was not activity"

    # And so is ending a Spark session (the fetch's time is reported: nothing else happened)
    before = hub.running.last_activity("bob")
    session = hub.session_ids["bob"]
    status, body = call(f"{url}ilum/api/spark/sessions/{session}", token, "DELETE")
    assert status == 200, body
    assert wait_for_move(hub, "bob", before, interval), "DELETE spark/sessions/N was not activity"
