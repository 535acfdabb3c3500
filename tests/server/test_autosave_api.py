"""``GET|POST ilum/api/autosave`` and ``autosave`` in ``GET status``, in a real Jupyter server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.autosave_support import USER, Pod, initialised_pod


@pytest.fixture
def pod(git_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Pod:
    return initialised_pod(git_server, tmp_path, monkeypatch)


@pytest.fixture
def autosave_setting() -> str:
    return "true"


@pytest.fixture
def ilum_settings(pod: Pod, livy, autosave_setting: str) -> dict[str, object]:
    return {
        "user": USER,
        "workspace": str(pod.workspace),
        "git_url": pod.server.url,
        "livy_url": livy.url,
        "autosave": autosave_setting,
        "autosave_interval": 3600,
    }


async def test_get_autosave_before_any_snapshot(api):
    status, body = await api("GET", "autosave")

    assert status == 200
    assert body["enabled"] is True
    assert body["last"] is None
    assert body["error"] is None


async def test_post_autosave_snapshots_now_and_status_carries_it(api, pod):
    pod.write("draft.md", "draft\n")

    status, body = await api("POST", "autosave")
    _, polled = await api("GET", "status")

    assert status == 200
    assert body["last"]["commit"] == pod.remote_ref()
    assert body["last"]["paths"] == ["draft.md"]
    assert body["ref"] == "ilum-autosave/main"
    assert polled["autosave"]["last"] == body["last"]
    assert (await api("GET", "autosave"))[1]["last"] == body["last"]


async def test_a_failed_snapshot_answers_with_its_error(api, pod, monkeypatch):
    monkeypatch.setenv("ILUM_GIT_PASSWORD", "not the password")
    pod.write("draft.md", "draft\n")

    status, body = await api("POST", "autosave")

    assert status == 200
    assert body["error"]["code"] == "authentication"
    assert "not the password" not in str(body)


@pytest.mark.parametrize("autosave_setting", ["false"])
async def test_autosave_off(api, pod):
    status, body = await api("GET", "autosave")
    refused, error = await api("POST", "autosave")

    assert status == 200
    assert body["enabled"] is False
    assert (refused, error["code"]) == (409, "autosave-off")
    assert pod.remote_ref() is None
