"""The Livy client against a double that follows the Apache Livy REST API."""

from __future__ import annotations

import socket
import time

import pytest

from ilum_singleuser.server.livy_client import (
    LivyBadAnswer,
    LivyClient,
    LivyError,
    parse_session_page,
)
from ilum_singleuser.server.spark_sessions import map_session, same_user
from ilum_singleuser.testing.livy_double import LIVY_STATES, LivyDouble


def client(url: str, **kwargs) -> LivyClient:
    kwargs.setdefault("total_timeout", 1.0)
    kwargs.setdefault("connect_timeout", 1.0)
    kwargs.setdefault("page_size", 100)
    return LivyClient(url, **kwargs)


async def test_lists_every_page_until_total_and_never_reads_one_session(livy: LivyDouble):
    for i in range(250):
        livy.add_session(owner="jane" if i % 2 else "bob", state=LIVY_STATES[i % len(LIVY_STATES)])
    listing = await client(livy.url).list_sessions()
    assert listing.total == 250
    assert [s["id"] for s in listing.sessions] == list(range(250))
    pages = [r.query for r in livy.requests]
    assert pages == [
        {"from": "0", "size": "100"},
        {"from": "100", "size": "100"},
        {"from": "200", "size": "100"},
    ]
    assert livy.per_session_reads() == []


async def test_small_pages_are_walked_too(livy: LivyDouble):
    for _ in range(7):
        livy.add_session(owner="jane")
    listing = await client(livy.url, page_size=3).list_sessions()
    assert len(listing.sessions) == 7
    assert livy.count("GET") == 3


async def test_basic_auth_is_sent_and_a_refusal_is_readable():
    with LivyDouble(users={"jane": "pw:with@odd/chars"}) as livy:
        livy.add_session(owner="jane")
        listing = await client(
            livy.url, username="jane", password="pw:with@odd/chars"
        ).list_sessions()
        assert listing.total == 1
        with pytest.raises(LivyError, match="HTTP 401") as refused:
            await client(livy.url, username="jane", password="wrong").list_sessions()
        assert "wrong" not in str(refused.value)


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("500", "HTTP 500: java.lang.IllegalStateException: simulated failure"),
        ("invalid-json", "answer is not JSON"),
        ("html", "HTTP 502: the answer is an HTML page, not Livy's JSON"),
    ],
)
async def test_broken_answers_give_readable_errors(livy: LivyDouble, mode: str, error: str):
    livy.mode = mode
    with pytest.raises(LivyError) as failure:
        await client(livy.url).list_sessions()
    assert str(failure.value) == error


async def test_slow_answer_ends_at_the_total_timeout(livy: LivyDouble):
    livy.mode, livy.delay = "slow", 3.0
    started = time.monotonic()
    with pytest.raises(LivyError, match=r"^timed out after 0.5 s$"):
        await client(livy.url, total_timeout=0.5).list_sessions()
    assert time.monotonic() - started < 1.5


async def test_refused_connection():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(LivyError, match=r"^connection refused$"):
        await client(f"http://127.0.0.1:{port}").list_sessions()


@pytest.mark.parametrize(
    "answer",
    [[], {"from": 0, "total": "3", "sessions": []}, {"total": 1, "sessions": [{"id": "x"}]}, {}],
)
def test_wrongly_shaped_lists_are_rejected(answer):
    with pytest.raises(LivyBadAnswer, match="answer is not a Livy session list"):
        parse_session_page(answer)


async def test_delete_answers_and_missing_session(livy: LivyDouble):
    session = livy.add_session(owner="jane")
    await client(livy.url).delete_session(session)
    with pytest.raises(LivyError, match="already stopped") as gone:
        await client(livy.url).delete_session(session)
    assert gone.value.status == 404


def test_session_mapping_follows_livy_fields():
    raw = {
        "id": 4,
        "name": None,
        "appId": "application_1_0004",
        "owner": "svc",
        "proxyUser": "jane",
        "state": "dead",
        "kind": "pyspark",
        "appInfo": {"driverLogUrl": "http://d/log", "sparkUiUrl": None},
        "conf": {"spark.ilum.user": "bob"},
    }
    assert map_session(raw, "jane") == {
        "id": 4,
        "name": None,
        "state": "dead",
        "kind": "pyspark",
        "app_id": "application_1_0004",
        "owner": "svc",
        "proxy_user": "jane",
        "spark_ui_url": None,
        "driver_log_url": "http://d/log",
        "mine": True,
        "finished": True,
    }
    assert map_session(raw, "bob")["mine"] is False
    assert map_session(raw, "bob", owner_conf_key="spark.ilum.user")["mine"] is True
    assert map_session({"id": 1, "appInfo": None}, "bob")["state"] == "unknown"


@pytest.mark.parametrize(
    ("reported", "user", "same"),
    [
        ("jane", "jane", True),
        ("Jane", "jane", True),
        ("JANE@CORP.EXAMPLE", "jane", True),
        ("CORP\\jane", "jane", True),
        ("jane@corp.example", "Jane@Corp.Example", True),
        ("CORP\\Jane", "jane@corp.example", True),
        ("jane", "jane@corp.example", True),
        ("janet", "jane", False),
        ("jan", "jane", False),
        ("jane.doe", "jane", False),
        ("janet@CORP.EXAMPLE", "jane", False),
        ("jane@partner.example", "jane@corp.example", False),
        ("PARTNER\\jane", "jane@corp.example", False),
        ("CORP\\jane", "jane@corporate.example", False),
        ("@corp.example", "jane", False),
        ("", "jane", False),
        (None, "jane", False),
    ],
)
def test_a_reported_user_is_the_user_in_any_case_and_with_a_matching_domain(reported, user, same):
    assert same_user(reported, user) is same


@pytest.mark.parametrize(
    ("reason", "text"),
    [
        ("Timeout while connecting", "could not connect within 1 s"),
        ("Timeout during request", "timed out after 1 s"),
        ("Stream closed", "Stream closed"),
    ],
)
def test_no_answer_reasons_are_worded_for_people(reason, text):
    assert client("http://livy")._no_answer(reason) == text
