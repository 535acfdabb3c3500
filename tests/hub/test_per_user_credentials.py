"""Per-user Git credentials behind a real JupyterHub: the hub mints each user's own Gitea token
at spawn (init/ilum_gitea_tokens.py), and from inside alice's pod nothing opens bob's repository.

The Gitea stand-in here is the private layout of Ilum's Gitea operator: each repository is its
user's alone, a site admin exists, and the token routes of Gitea's API are served beside git.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ilum_singleuser.testing.git_http_server import GitHTTPServer
from tests.deploy.gitea_users import git_with_login

from .conftest import ORG, HubWorld, running_hub

ADMIN, ADMIN_PASSWORD = "gitea-admin", "hub-only:admin pass"


def admin_dir(root: Path) -> Path:
    return root / "hub-secrets" / "gitea-admin"


def private_repositories_and_no_shared_credentials(world: HubWorld) -> dict[str, dict[str, str]]:
    """Gitea as Ilum lays it out: a site admin whose login only the hub holds, each repository
    private to its user; the pods get no credentials but the ones the hub mints."""
    world.gitea.accounts.add_user(ADMIN, ADMIN_PASSWORD, admin=True)
    for name in world.users:
        world.gitea.accounts.grant(f"{ORG}/jupyterhub-{name}.git", [name])
    folder = admin_dir(world.root)
    folder.mkdir(parents=True)
    (folder / "username").write_text(ADMIN)
    (folder / "password").write_text(ADMIN_PASSWORD)
    return {}


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubWorld]:
    root = tmp_path_factory.mktemp("hub-creds")
    # As init/kubespawner_config.py installs the hook.
    extra = (
        "from ilum_gitea_tokens import GiteaTokenHook\n"
        "pre_spawn_hooks.append(GiteaTokenHook(\n"
        '    gitea_url=S["pod_env"]["ILUM_GIT_URL"],\n'
        f"    admin_credentials_dir={str(admin_dir(root))!r},\n"
        "    user_wait_seconds=10,\n"
        "))\n"
    )
    with running_hub(
        root, extra_config=extra, user_env=private_repositories_and_no_shared_credentials
    ) as world:
        yield world


def pod_process(hub: HubWorld, name: str) -> int:
    """The pid of ``name``'s notebook process, from the spawner state the hub's API shows."""
    state = hub.running.user_model(name)["servers"][""]["state"]
    return int(state["pid"])


def pod_environment(pid: int) -> dict[str, str]:
    """What a terminal in the pod sees: the notebook process's environment."""
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {key.decode(): value.decode() for key, value in pairs}


def command_lines() -> list[bytes]:
    lines = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                lines.append((proc / "cmdline").read_bytes())
            except OSError:
                continue
    return lines


def git_as(login: tuple[str, str], *args: str, cwd: Path | None = None) -> tuple[int, str]:
    result = git_with_login(login, *args, cwd=cwd)
    return result.returncode, result.stderr


def repo(gitea: GitHTTPServer, name: str) -> str:
    return f"{gitea.url}/{ORG}/jupyterhub-{name}.git"


@pytest.fixture(scope="module")
def first_logins(hub: HubWorld) -> dict[str, tuple[str, str]]:
    """alice and bob log in and spawn; what each pod's environment holds."""
    for name in ("alice", "bob"):
        hub.running.login(name)
    hub.running.spawn_all(["alice", "bob"])
    logins = {}
    for name in ("alice", "bob"):
        env = pod_environment(pod_process(hub, name))
        logins[name] = (env["ILUM_GIT_USERNAME"], env["ILUM_GIT_PASSWORD"])
    return logins


def test_each_pod_holds_a_token_of_its_own_user(hub: HubWorld, first_logins) -> None:
    for name, (username, password) in first_logins.items():
        assert username == name
        (token,) = hub.gitea.accounts.tokens(name)
        assert token.sha1 == password
        assert token.scopes == ["write:repository"]
        # and ilum-init cloned and pushed the user's repository with it
        init = json.loads(
            (hub.root / "home" / name / ".local" / "state" / "ilum" / "init.json").read_text()
        )
        assert init["outcome"] == "ok", init
    assert first_logins["alice"][1] != first_logins["bob"][1]
    pushes = [r for r in hub.gitea.requests if r[0] == "POST" and "receive-pack" in r[1]]
    assert {(r[1].split("/")[2], r[2]) for r in pushes} == {
        ("jupyterhub-alice.git", "alice"),
        ("jupyterhub-bob.git", "bob"),
    }


def test_alices_credentials_open_her_repository_and_not_bobs(
    hub: HubWorld, first_logins, tmp_path: Path
) -> None:
    alice = first_logins["alice"]
    # Her repository: clone, commit, push
    assert git_as(alice, "clone", repo(hub.gitea, "alice"), str(tmp_path / "mine"))[0] == 0
    (tmp_path / "mine" / "note.md").write_text("mine\n")
    assert git_as(alice, "add", "note.md", cwd=tmp_path / "mine")[0] == 0
    assert git_as(alice, "commit", "-m", "note", cwd=tmp_path / "mine")[0] == 0
    assert git_as(alice, "push", "origin", "HEAD", cwd=tmp_path / "mine")[0] == 0
    # Bob's: neither read nor written. Gitea answers 404 "Repository not found" to a signed-in
    # user without access (it does not admit that a private repository exists), not 403.
    status, error = git_as(alice, "clone", repo(hub.gitea, "bob"), str(tmp_path / "theirs"))
    assert status != 0
    assert "not found" in error
    assert hub.gitea.requests[-1][2:] == ("alice", 404)
    status, error = git_as(alice, "push", repo(hub.gitea, "bob"), "HEAD", cwd=tmp_path / "mine")
    assert status != 0
    assert "not found" in error


def test_respawning_alice_revokes_her_previous_token(
    hub: HubWorld, first_logins, tmp_path: Path
) -> None:
    old = first_logins["alice"]
    # When alice's server is stopped and started again
    status, answer = hub.running.api("DELETE", "users/alice/server")
    assert status in (202, 204), answer
    hub.running.spawn("alice")
    new = pod_environment(pod_process(hub, "alice"))
    # Then the new pod has a new token, and the old one is refused (401)
    assert new["ILUM_GIT_PASSWORD"] not in ("", old[1])
    status, error = git_as(old, "ls-remote", repo(hub.gitea, "alice"))
    assert status != 0
    assert "Authentication failed" in error
    assert hub.gitea.requests[-1][3] == 401
    login = (new["ILUM_GIT_USERNAME"], new["ILUM_GIT_PASSWORD"])
    assert git_as(login, "ls-remote", repo(hub.gitea, "alice"))[0] == 0
    assert [t.sha1 for t in hub.gitea.accounts.tokens("alice")] == [login[1]]


def test_no_token_in_a_log_line_a_command_line_or_an_api_answer(
    hub: HubWorld, first_logins
) -> None:
    tokens = [t.sha1 for name in ("alice", "bob") for t in hub.gitea.accounts.tokens(name)]
    tokens += [password for _, password in first_logins.values()]
    secrets = [token.encode() for token in tokens] + [ADMIN_PASSWORD.encode()]
    # The hub's log
    hub_log = hub.running.log_path.read_bytes()
    # Every process's command line (the pods' processes among them)
    lines = command_lines()
    # The hub's API, as its admin sees it (server state included), and the Ilum API of each pod
    answers = [json.dumps(hub.running.api("GET", "users")[1]).encode()]
    for name in ("alice", "bob"):
        answers.append(json.dumps(hub.running.user_model(name)).encode())
        user_token = hub.running.token_for(name)
        url = hub.running.server_url(name)
        for route in ("status", "repo", "init"):
            answers.append(_get(f"{url}ilum/api/{route}", user_token))
    for secret in secrets:
        assert secret not in hub_log
        assert not any(secret in line for line in lines)
        assert not any(secret in answer for answer in answers)


def _get(url: str, token: str) -> bytes:
    import urllib.request

    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        return response.read()


def test_without_a_token_the_server_starts_and_the_panel_shows_why(hub: HubWorld) -> None:
    # Given the hub's Gitea admin Secret went wrong
    password_file = admin_dir(hub.root) / "password"
    password_file.write_text("not the admin password")
    try:
        # When bob's server is started again
        status, answer = hub.running.api("DELETE", "users/bob/server")
        assert status in (202, 204), answer
        url = hub.running.spawn("bob")
    finally:
        password_file.write_text(ADMIN_PASSWORD)
    # Then it starts, without a password
    env = pod_environment(pod_process(hub, "bob"))
    assert (env["ILUM_GIT_USERNAME"], env["ILUM_GIT_PASSWORD"]) == ("bob", "")
    # and the panel's source, the Ilum API, shows ilum-init's authentication error
    init = json.loads(_get(f"{url}ilum/api/init", hub.running.token_for("bob")))
    assert init["outcome"] == "failed", init
    assert init["error"]["code"] == "authentication"
    # and the hub log says why, without the password it tried
    hub_log = hub.running.log_path.read_text(errors="replace")
    assert "ilum: no Gitea token for bob" in hub_log
    assert "Gitea refused the admin login of 'gitea-admin' (HTTP 401" in hub_log
    assert "not the admin password" not in hub_log
