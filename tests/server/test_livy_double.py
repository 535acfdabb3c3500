"""The Livy double itself follows Livy's REST API (other tests and the demo rely on it)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import pytest

from ilum_singleuser.testing.livy_double import LivyDouble


def call(
    livy: LivyDouble,
    method: str,
    path: str,
    body: dict | None = None,
    headers: dict[str, str] | None = None,
):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        livy.url + path, data=data, method=method, headers=headers or {}
    )
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


def test_owner_is_the_caller_and_proxy_user_is_asked_for_or_impersonated():
    users = {"jane": "pw", "svc": "pw"}
    with LivyDouble(users=users, impersonation=True) as livy:
        auth = {"Authorization": "Basic " + base64.b64encode(b"svc:pw").decode()}
        asked = call(livy, "POST", "/sessions", {"proxyUser": "jane"}, auth)[1]
        by_do_as = call(livy, "POST", "/sessions?doAs=bob", {}, auth)[1]
        none_asked = call(livy, "POST", "/sessions", {}, auth)[1]
    assert (asked["owner"], asked["proxyUser"], asked["kind"]) == ("svc", "jane", "shared")
    assert (by_do_as["owner"], by_do_as["proxyUser"]) == ("svc", "bob")
    assert (none_asked["owner"], none_asked["proxyUser"]) == ("svc", "svc")


def test_without_authentication_a_session_names_only_the_proxy_user_asked_for(livy: LivyDouble):
    named = call(livy, "POST", "/sessions", {"kind": "pyspark", "proxyUser": "jane"})[1]
    anonymous = call(livy, "POST", "/sessions", {"kind": "pyspark"})[1]
    assert (named["owner"], named["proxyUser"]) == (None, "jane")
    assert (anonymous["owner"], anonymous["proxyUser"]) == (None, None)


def test_create_body_is_bound_as_livy_binds_it(livy: LivyDouble):
    body = {
        "kind": "pyspark",
        "driverMemory": "2g",
        "conf": {"a": "b"},
        "heartbeatTimeoutInSecond": 9,
    }
    status, created = call(livy, "POST", "/sessions", body)
    assert status == 201
    assert (created["driverMemory"], created["conf"], created["heartbeatTimeoutInSecond"]) == (
        "2g",
        {"a": "b"},
        9,
    )
    assert (created["appId"], created["appInfo"]["sparkUiUrl"]) == (None, None)
    assert call(livy, "POST", "/sessions", {"proxy_user": "jane"}) == (
        400,
        {"msg": 'Unrecognized field "proxy_user"'},
    )
    assert call(livy, "POST", "/sessions", {"kind": "java"})[0] == 400


def test_a_session_starts_then_runs_statements_and_reads_reset_its_heartbeat():
    with LivyDouble(startup_requests=2) as livy:
        session = call(livy, "POST", "/sessions", {"kind": "pyspark"})[1]["id"]
        assert livy.heartbeats == {}
        early = call(livy, "POST", f"/sessions/{session}/statements", {"code": "1"})
        assert early[0] == 500
        assert "Session is in state starting" in early[1]["msg"]
        assert call(livy, "GET", f"/sessions/{session}/state")[1]["state"] == "starting"
        ready = call(livy, "GET", f"/sessions/{session}")[1]
        assert (ready["state"], ready["appId"]) == (
            "idle",
            f"application_1700000000000_{session:04d}",
        )

        status, statement = call(livy, "POST", f"/sessions/{session}/statements", {"code": "spark"})
        assert (status, statement["id"], statement["state"], statement["output"]) == (
            201,
            0,
            "waiting",
            None,
        )
        assert livy.sessions[session]["state"] == "busy"
        status, done = call(livy, "GET", f"/sessions/{session}/statements/0")
        assert (status, done["state"], done["output"]["status"]) == (200, "available", "ok")
        assert "text/plain" in done["output"]["data"]
        assert livy.sessions[session]["state"] == "idle"
        assert call(livy, "GET", f"/sessions/{session}/statements")[1]["total_statements"] == 1
        assert call(livy, "GET", f"/sessions/{session}/statements/7") == (
            404,
            {"msg": "Statement not found"},
        )
        assert livy.heartbeats == {session: 7}
        call(livy, "GET", "/sessions")
        assert livy.heartbeats == {session: 7}


def test_creation_is_refused_while_max_creation_sessions_are_starting():
    with LivyDouble(max_creation=1, startup_requests=0) as livy:
        first = call(livy, "POST", "/sessions", {})[1]["id"]
        assert call(livy, "POST", "/sessions", {}) == (
            400,
            {"msg": "Rejected, too many sessions are being created!"},
        )
        call(livy, "GET", f"/sessions/{first}/state")
        assert call(livy, "POST", "/sessions", {})[0] == 201
