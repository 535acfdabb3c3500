"""GET spark/sessions and DELETE spark/sessions/{id} against a Livy double on loopback.

Fixtures that change the extension's settings come before ``api`` in a test's arguments: the
server reads its settings when ``api`` starts it.
"""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from ilum_singleuser.testing.livy_double import LIVY_STATES, LivyDouble

from .conftest import OTHER, USER

SPARK_FIELDS = {
    "endpoint",
    "reachable",
    "error",
    "error_code",
    "latency_ms",
    "total",
    "others",
    "user",
    "sessions",
}
SESSION_FIELDS = {
    "id",
    "name",
    "state",
    "kind",
    "app_id",
    "owner",
    "proxy_user",
    "spark_ui_url",
    "driver_log_url",
    "mine",
    "finished",
}


@pytest.fixture(autouse=True)
def _never_a_per_session_read(livy: LivyDouble):
    """Whatever a test does, the extension never reads one session (that resets its heartbeat)."""
    yield
    assert livy.per_session_reads() == []
    assert all(r.path == "/sessions" for r in livy.requests if r.method == "GET")


async def test_no_sessions(api, livy: LivyDouble):
    code, spark = await api("GET", "spark/sessions")
    assert code == 200
    assert set(spark) == SPARK_FIELDS
    assert spark["endpoint"] == livy.url
    assert spark["reachable"] is True
    assert (spark["error"], spark["error_code"]) == (None, None)
    assert spark["latency_ms"] >= 0
    assert (spark["total"], spark["others"], spark["sessions"], spark["user"]) == (0, 0, [], USER)


async def test_250_sessions_are_read_across_pages_without_per_session_reads(api, livy: LivyDouble):
    for i in range(250):
        livy.add_session(owner=USER if i % 3 == 0 else OTHER)
    code, spark = await api("GET", "spark/sessions")
    assert code == 200
    assert spark["total"] == 250
    assert [s["id"] for s in spark["sessions"]] == list(range(0, 250, 3))
    assert all(s["mine"] for s in spark["sessions"])
    assert spark["others"] == 250 - 84
    assert [(r.method, r.path, r.query.get("from")) for r in livy.requests] == [
        ("GET", "/sessions", "0"),
        ("GET", "/sessions", "100"),
        ("GET", "/sessions", "200"),
    ]
    assert livy.per_session_reads() == []


async def test_sessions_map_livy_fields_and_ownership(api, livy: LivyDouble):
    mine = livy.add_session(owner=USER, kind="pyspark", name="etl", app_id="application_1_0001")
    proxied = livy.add_session(owner="livy-svc", proxy_user=USER, kind="spark")
    theirs = livy.add_session(owner=OTHER, proxy_user=OTHER, kind="sql")
    code, spark = await api("GET", "spark/sessions")
    assert code == 200
    by_id = {s["id"]: s for s in spark["sessions"]}
    code, others = await api("GET", "spark/sessions?others=1")
    assert code == 200
    by_id.update({s["id"]: s for s in others["sessions"]})
    assert all(set(s) == SESSION_FIELDS for s in by_id.values())
    assert by_id[mine] == {
        "id": mine,
        "name": "etl",
        "state": "idle",
        "kind": "pyspark",
        "app_id": "application_1_0001",
        "owner": USER,
        "proxy_user": None,
        "spark_ui_url": f"{livy.url}/ui/spark/application_1_0001",
        "driver_log_url": f"{livy.url}/ui/driver-log/application_1_0001",
        "mine": True,
        "finished": False,
    }
    assert by_id[proxied]["mine"] is True
    assert by_id[theirs]["mine"] is False


async def test_a_proxy_may_report_the_user_in_another_case_or_with_a_domain(api, livy: LivyDouble):
    spelled = [
        livy.add_session(proxy_user=name) for name in ("Jane", "jane@CORP.EXAMPLE", "CORP\\jane")
    ]
    livy.add_session(proxy_user="janet")
    livy.add_session(owner="JANE.DOE@CORP.EXAMPLE")
    code, spark = await api("GET", "spark/sessions")
    assert code == 200
    assert [s["id"] for s in spark["sessions"] if s["mine"]] == spelled
    code, _ = await api("DELETE", f"spark/sessions/{spelled[1]}")
    assert code == 200


@pytest.fixture
def owner_conf_key(ilum_settings):
    ilum_settings["spark_owner_conf_key"] = "spark.ilum.user"


async def test_owner_can_come_from_a_spark_conf_key(owner_conf_key, api, livy: LivyDouble):
    session = livy.add_session(owner="proxy", conf={"spark.ilum.user": USER})
    livy.add_session(owner="proxy", conf={"spark.ilum.user": OTHER})
    code, spark = await api("GET", "spark/sessions")
    assert code == 200
    assert [s["id"] for s in spark["sessions"]] == [session]
    assert spark["others"] == 1


async def test_the_poll_carries_own_sessions_and_pages_the_others_on_request(api, livy: LivyDouble):
    # Given 2 sessions of the user among 250 of someone else
    mine = [livy.add_session(owner=USER)]
    theirs = [livy.add_session(owner=OTHER, proxy_user=OTHER) for _ in range(250)]
    mine.append(livy.add_session(proxy_user=USER))

    # When the panel polls
    code, status = await api("GET", "status")

    # Then the answer holds the user's sessions and only a count of the others
    assert code == 200
    assert [s["id"] for s in status["spark"]["sessions"]] == mine
    assert (status["spark"]["total"], status["spark"]["others"]) == (252, 250)

    # When the others are asked for, page by page
    code, first = await api("GET", "spark/sessions?others=1&from=0&size=40")
    code2, last = await api("GET", "spark/sessions?others=1&from=240&size=40")

    # Then each page holds other users' sessions only, in Livy's order
    assert (code, code2) == (200, 200)
    assert [s["id"] for s in first["sessions"]] == theirs[:40]
    assert [s["id"] for s in last["sessions"]] == theirs[240:]
    assert (first["from"], first["others"], last["from"]) == (0, 250, 240)
    assert not any(s["mine"] for s in first["sessions"] + last["sessions"])

    # And a page is capped however large a size is asked for
    code, capped = await api("GET", "spark/sessions?others=1&size=100000")
    assert (code, len(capped["sessions"])) == (200, 100)


@pytest.mark.parametrize("query", ["others=1&from=-1", "others=1&size=ten"])
async def test_a_bad_page_is_a_bad_request(api, query: str):
    code, body = await api("GET", f"spark/sessions?{query}")
    assert (code, body["code"]) == (400, "bad-request")


async def test_every_livy_state_is_reported_with_finished_flag(api, livy: LivyDouble):
    for state in LIVY_STATES:
        livy.add_session(owner=USER, state=state)
    code, spark = await api("GET", "spark/sessions")
    assert code == 200
    assert [s["state"] for s in spark["sessions"]] == list(LIVY_STATES)
    assert {s["state"] for s in spark["sessions"] if s["finished"]} == {
        "error",
        "dead",
        "killed",
        "success",
    }


@pytest.mark.parametrize(
    ("mode", "error", "error_code"),
    [
        ("500", "HTTP 500: java.lang.IllegalStateException: simulated failure", "error-answer"),
        ("invalid-json", "answer is not JSON", "bad-answer"),
        ("html", "HTTP 502: the answer is an HTML page, not Livy's JSON", "error-answer"),
    ],
)
async def test_failing_livy_gives_no_list_and_says_it_answered(
    api, livy: LivyDouble, mode: str, error: str, error_code: str
):
    livy.mode = mode
    code, spark = await api("GET", "spark/sessions")
    assert code == 200
    assert set(spark) == SPARK_FIELDS
    assert (spark["reachable"], spark["error"], spark["sessions"]) == (False, error, [])
    assert spark["error_code"] == error_code


async def test_wrongly_shaped_answer(api, livy: LivyDouble):
    livy.add_session(owner=USER)
    livy.sessions[0]["id"] = "zero"
    code, spark = await api("GET", "spark/sessions")
    assert code == 200
    assert (spark["reachable"], spark["error"]) == (False, "answer is not a Livy session list")
    assert spark["error_code"] == "bad-answer"


async def test_slow_livy_answers_within_the_timeout(api, livy: LivyDouble):
    livy.mode, livy.delay = "slow", 3.0
    started = time.monotonic()
    code, spark = await api("GET", "spark/sessions")
    assert time.monotonic() - started < 2.0  # livy_timeout is 1 s in these tests
    assert code == 200
    assert (spark["reachable"], spark["error"]) == (False, "timed out after 1 s")
    assert spark["error_code"] == "unreachable"


@pytest.fixture
def refused_url(ilum_settings) -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    ilum_settings["livy_url"] = url
    return url


async def test_refused_connection(refused_url: str, api):
    code, spark = await api("GET", "spark/sessions")
    assert code == 200
    assert (spark["reachable"], spark["error"], spark["endpoint"]) == (
        False,
        "connection refused",
        refused_url,
    )
    assert spark["error_code"] == "unreachable"


async def test_ending_own_session_works(api, livy: LivyDouble):
    session = livy.add_session(owner=USER)
    code, body = await api("DELETE", f"spark/sessions/{session}")
    assert (code, body) == (200, {"id": session, "deleted": True})
    assert session not in livy.sessions
    assert livy.count("DELETE") == 1
    assert livy.per_session_reads() == []


async def test_ending_another_users_session_is_refused(api, livy: LivyDouble):
    session = livy.add_session(owner=OTHER, proxy_user=OTHER)
    code, body = await api("DELETE", f"spark/sessions/{session}")
    assert code == 403
    assert body == {
        "message": f"Spark session {session} belongs to {OTHER}, not {USER}",
        "code": "not-yours",
    }
    assert session in livy.sessions
    assert livy.count("DELETE") == 0


async def test_ending_a_session_that_is_gone(api, livy: LivyDouble):
    code, body = await api("DELETE", "spark/sessions/41")
    assert code == 404
    assert body["code"] == "no-session"


async def test_ending_a_session_when_livy_is_down(refused_url: str, api):
    code, body = await api("DELETE", "spark/sessions/1")
    assert code == 502
    assert body == {"message": "Livy-proxy: connection refused", "code": "livy-unreachable"}


@pytest.fixture
def livy_with_auth(ilum_settings, monkeypatch):
    with LivyDouble(users={USER: "livy p@ss:word"}) as double:
        ilum_settings["livy_url"] = double.url
        ilum_settings["livy_auth"] = "Basic_Access"
        monkeypatch.setenv("ILUM_LIVY_USERNAME", USER)
        monkeypatch.setenv("ILUM_LIVY_PASSWORD", "livy p@ss:word")
        yield double


async def test_basic_access_credentials_are_used_and_never_returned(livy_with_auth, api):
    livy_with_auth.add_session(owner=USER)
    code, spark = await api("GET", "spark/sessions")
    assert (code, spark["reachable"], spark["total"]) == (200, True, 1)
    assert "p@ss" not in str(spark)


@pytest.fixture
def slow_livy_settings(ilum_settings, livy: LivyDouble):
    ilum_settings.update(livy_timeout=4.0, status_part_wait=0.5, spark_cache_ttl=30.0)
    livy.mode, livy.delay = "slow", 2.0
    livy.add_session(owner=USER, state="idle")


async def test_slow_livy_does_not_hold_up_the_status_poll(slow_livy_settings, api, livy):
    started = time.monotonic()
    code, first = await api("GET", "status")
    waited = time.monotonic() - started

    assert code == 200
    assert waited < 1.5
    assert first["repo"]["state"] == "no-repo"
    assert first["spark"]["stale"] is True
    assert first["spark"]["reachable"] is False
    assert "still waiting" in first["spark"]["error"]
    assert first["spark"]["error_code"] == "waiting"

    await asyncio.sleep(2.0)  # the Livy walk goes on in the background
    code, later = await api("GET", "status")
    assert later["spark"]["reachable"] is True
    assert "stale" not in later["spark"]
    assert [s["mine"] for s in later["spark"]["sessions"]] == [True]
    assert livy.count("GET") == 1
