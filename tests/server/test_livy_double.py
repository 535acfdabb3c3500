"""The Livy double itself follows Livy's REST API (other tests and the demo rely on it)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from ilum_singleuser.testing.livy_double import LivyDouble


def call(livy: LivyDouble, method: str, path: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(livy.url + path, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_post_list_delete_follow_livy(livy: LivyDouble):
    status, created = call(livy, "POST", "/sessions", {"kind": "pyspark", "proxyUser": "jane"})
    assert status == 201
    assert (created["state"], created["kind"], created["proxyUser"]) == (
        "starting",
        "pyspark",
        "jane",
    )
    for _ in range(4):
        livy.add_session(owner="bob")
    status, page = call(livy, "GET", "/sessions?from=2&size=2")
    assert (status, page["from"], page["total"]) == (200, 2, 5)
    assert [s["id"] for s in page["sessions"]] == [2, 3]
    assert set(page["sessions"][0]) >= {
        "id",
        "name",
        "appId",
        "owner",
        "proxyUser",
        "state",
        "kind",
        "appInfo",
        "log",
    }
    assert call(livy, "DELETE", "/sessions/0") == (200, {"msg": "deleted"})
    assert call(livy, "DELETE", "/sessions/0") == (404, {"msg": "Session 0 already stopped."})
    assert call(livy, "GET", "/sessions/1")[0] == 200
    assert [r.path for r in livy.per_session_reads()] == ["/sessions/1"]


def test_unknown_state_is_refused(livy: LivyDouble):
    with pytest.raises(ValueError, match="not a Livy session state"):
        livy.add_session(state="sleeping")


def test_basic_auth_is_demanded_when_users_are_given():
    with LivyDouble(users={"jane": "pw"}) as livy:
        assert call(livy, "GET", "/sessions") == (401, None)
        assert [r.path for r in livy.requests] == ["/sessions"]
