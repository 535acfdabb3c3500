"""The Gitea stand-in: the access-token REST routes as Gitea serves them, and git over HTTP that
takes the tokens they mint and lets each user reach only their own repository."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ilum_singleuser.testing.git_http_server import GitHTTPServer

from .gitea_users import ADMIN, ADMIN_PASSWORD, PASSWORDS, gitea_with_users, ls_remote


@pytest.fixture
def gitea(tmp_path: Path) -> Iterator[GitHTTPServer]:
    with gitea_with_users(tmp_path / "gitea") as server:
        yield server


def call(
    gitea: GitHTTPServer,
    method: str,
    path: str,
    login: tuple[str, str] | None = (ADMIN, ADMIN_PASSWORD),
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, dict[str, str]]:
    request = urllib.request.Request(f"{gitea.url}/api/v1{path}", method=method)
    if login is not None:
        pair = base64.b64encode(":".join(login).encode()).decode()
        request.add_header("Authorization", f"Basic {pair}")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    data = None if body is None else json.dumps(body).encode()
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, data=data, timeout=10) as response:
            status, raw, answer_headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        status, raw, answer_headers = exc.code, exc.read(), exc.headers
    return status, json.loads(raw) if raw else None, dict(answer_headers)


def mint(gitea: GitHTTPServer, user: str, name: str = "pod") -> dict[str, Any]:
    status, token, _ = call(
        gitea,
        "POST",
        f"/users/{user}/tokens",
        body={"name": name, "scopes": ["write:repository"]},
        headers={"Sudo": user},
    )
    assert status == 201, token
    return token


def test_admin_mints_a_token_for_a_user_with_sudo(gitea):
    token = mint(gitea, "alice")
    assert set(token) == {"id", "name", "sha1", "token_last_eight", "scopes"}
    assert token["name"] == "pod"
    assert token["scopes"] == ["write:repository"]
    assert len(token["sha1"]) == 40
    assert token["token_last_eight"] == token["sha1"][-8:]
    # The token is alice's: listed under her, never under the admin
    status, listed, headers = call(gitea, "GET", "/users/alice/tokens", headers={"Sudo": "alice"})
    assert status == 200
    assert [t["id"] for t in listed] == [token["id"]]
    assert call(gitea, "GET", f"/users/{ADMIN}/tokens")[1] == []
    # and a list never shows a token's text again
    assert listed[0]["sha1"] == ""
    assert headers["X-Total-Count"] == "1"


def test_sudo_may_come_as_a_query_parameter(gitea):
    status, listed, _ = call(gitea, "GET", "/users/alice/tokens?sudo=alice")
    assert (status, listed) == (200, [])


def test_deleting_a_token_by_id_or_by_name(gitea):
    first, second = mint(gitea, "alice", "one"), mint(gitea, "alice", "two")
    sudo = {"Sudo": "alice"}
    assert call(gitea, "DELETE", f"/users/alice/tokens/{first['id']}", headers=sudo)[0] == 204
    assert call(gitea, "DELETE", "/users/alice/tokens/two", headers=sudo)[0] == 204
    assert call(gitea, "GET", "/users/alice/tokens", headers=sudo)[1] == []
    # Gone is gone: 404, also for a token of another user
    assert call(gitea, "DELETE", f"/users/alice/tokens/{second['id']}", headers=sudo)[0] == 404
    bobs = mint(gitea, "bob")
    assert call(gitea, "DELETE", f"/users/alice/tokens/{bobs['id']}", headers=sudo)[0] == 404


def test_a_duplicate_token_name_is_refused_with_400_as_gitea_does(gitea):
    # routers/api/v1/user/app.go: "access token name has been used already" is a 400, not a 422
    mint(gitea, "alice", "pod")
    status, answer, _ = call(
        gitea,
        "POST",
        "/users/alice/tokens",
        body={"name": "pod", "scopes": ["write:repository"]},
        headers={"Sudo": "alice"},
    )
    assert status == 400
    assert answer["message"] == "access token name has been used already"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"scopes": ["write:repository"]}, 422),  # name is required by the form binding
        ({"name": "", "scopes": ["write:repository"]}, 422),
        ({"name": "pod"}, 400),  # a token must have a scope
        ({"name": "pod", "scopes": ["write:everything"]}, 400),
    ],
)
def test_an_invalid_token_form_is_refused(gitea, body, status):
    answer = call(gitea, "POST", "/users/alice/tokens", body=body, headers={"Sudo": "alice"})
    assert answer[0] == status
    assert call(gitea, "GET", "/users/alice/tokens", headers={"Sudo": "alice"})[1] == []


@pytest.mark.parametrize(
    ("login", "headers", "status"),
    [
        # a wrong admin password signs nobody in
        ((ADMIN, "wrong"), {"Sudo": "alice"}, 401),
        # nobody signed in: Gitea's reqSelfOrAdmin refuses before it asks for basic auth
        (None, {}, 403),
        # sudo needs a site admin
        (("bob", PASSWORDS["bob"]), {"Sudo": "alice"}, 403),
        # without sudo a user may not touch another user's tokens
        (("bob", PASSWORDS["bob"]), {}, 403),
        # sudo to a user Gitea does not know
        ((ADMIN, ADMIN_PASSWORD), {"Sudo": "nobody"}, 404),
    ],
)
def test_only_the_admin_or_the_user_may_mint(gitea, login, headers, status):
    answer = call(
        gitea,
        "POST",
        "/users/alice/tokens",
        login=login,
        body={"name": "pod", "scopes": ["write:repository"]},
        headers=headers,
    )
    assert answer[0] == status, answer
    assert gitea.accounts.tokens("alice") == []


def test_an_unknown_user_is_404(gitea):
    assert call(gitea, "GET", "/users/nobody/tokens")[0] == 404


def test_the_token_routes_want_basic_auth_not_a_token(gitea):
    admin_token = gitea.accounts.create_token(ADMIN, "api", ["all"]).sha1
    status, answer, _ = call(
        gitea,
        "GET",
        "/users/alice/tokens",
        login=None,
        headers={"Authorization": f"token {admin_token}", "Sudo": "alice"},
    )
    assert (status, answer["message"]) == (401, "auth required")


def test_a_user_may_list_their_own_tokens_with_their_password(gitea):
    mint(gitea, "alice")
    status, listed, _ = call(gitea, "GET", "/users/alice/tokens", login=("alice", "alice-pw"))
    assert status == 200
    assert len(listed) == 1


def test_git_takes_a_minted_token_as_the_password(gitea):
    token = mint(gitea, "alice")["sha1"]
    assert ls_remote(gitea, "jupyterhub-alice.git", ("alice", token)) == "ok"
    # Gitea looks the token up and ignores the user name that comes with it
    assert ls_remote(gitea, "jupyterhub-alice.git", ("someone", token)) == "ok"


def test_a_user_reaches_only_their_own_repository(gitea):
    alice = mint(gitea, "alice")["sha1"]
    # Gitea answers 404 to a signed-in user who may not see a private repository
    assert "not found" in ls_remote(gitea, "jupyterhub-bob.git", ("alice", alice))
    assert "not found" in ls_remote(gitea, "jupyterhub-bob.git", ("alice", PASSWORDS["alice"]))
    # the admin reaches every repository
    for repo in ("jupyterhub-alice.git", "jupyterhub-bob.git"):
        assert ls_remote(gitea, repo, (ADMIN, ADMIN_PASSWORD)) == "ok"


def test_a_revoked_token_no_longer_signs_in(gitea):
    token = mint(gitea, "alice")
    call(gitea, "DELETE", f"/users/alice/tokens/{token['id']}", headers={"Sudo": "alice"})
    answer = ls_remote(gitea, "jupyterhub-alice.git", ("alice", token["sha1"]))
    assert "Authentication failed" in answer
    assert gitea.requests[-1][3] == 401
