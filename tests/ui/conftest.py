"""A real ``jupyter lab`` with the lab extension, over a real git workspace and the Livy double,
driven by Debian's Chromium through Playwright. One lab server per test module."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ilum_singleuser.core.state_file import now_iso, write_state
from ilum_singleuser.testing.git_http_server import GitHTTPServer
from ilum_singleuser.testing.livy_double import LivyDouble
from ilum_singleuser.testing.loopback import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
USER = "jane"
GIT_PASSWORD = "s3cret:/#? word"
ORG = "ilum-jupyterhub"
XSS_NAME = "<img src=x onerror=alert(1)>"
OTHER_USER = "bob"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LABEXTENSION = Path(__file__).resolve().parents[2] / "ilum_singleuser" / "labextension"
INIT_FAILURE = {
    "code": "authentication",
    "message": "Gitea refused the credentials for http://gitea.test/ilum-jupyterhub/jupyterhub-jane.git",
    "hint": "Ask your administrator to renew your Gitea access.",
    "admin_hint": "Check the Secret mounted at ILUM_GIT_CREDENTIALS_DIR.",
}


def _missing_requirement() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is not installed"
    if not (LABEXTENSION / "package.json").exists():
        return "the lab extension is not built (pip install -e . builds it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (python) is not installed"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = _missing_requirement()
    for item in items:
        if item.get_closest_marker("ui") is None:
            continue
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))
        else:
            # A browser test on a loaded 2-core machine can lose a race with the lab's own
            # start-up (layout restore, theme splash) once; it runs once more before it counts as
            # failed, and the rerun shows as "R" in the report.
            item.add_marker(pytest.mark.flaky(reruns=1))


@pytest.fixture
def jp_asyncio_loop() -> None:
    """No pytest-jupyter event loop here: the lab runs in its own process, and Playwright's sync
    API keeps its own loop marked as running on this thread, so pytest-jupyter could not close
    one."""
    return None


@pytest.fixture
def jp_server_cleanup() -> None:
    """Nothing to clean up: no in-process Jupyter server in the UI tests."""
    return None


class GitWorkspace:
    """The workspace the server reports on: a clone of a bare remote, in a known state."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / "workspace"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
            "GIT_CONFIG_GLOBAL": str(root / "gitconfig"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Jane Doe",
            "GIT_AUTHOR_EMAIL": "jane@example.org",
            "GIT_COMMITTER_NAME": "Jane Doe",
            "GIT_COMMITTER_EMAIL": "jane@example.org",
            "LANG": "C",
            "LC_ALL": "C",
            "GIT_TERMINAL_PROMPT": "0",
        }

    def git(self, *args: str, cwd: Path | None = None) -> str:
        return subprocess.run(
            ["git", *args],
            cwd=cwd or self.path,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def try_git(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run git where failing is an outcome (a merge that stops on a conflict)."""
        return subprocess.run(
            ["git", *args],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )

    def create(self, remote: Path, remote_url: str) -> GitWorkspace:
        """A clone of ``remote`` (the Gitea double's bare repository, then reached over HTTP as
        ``remote_url``): two pushed commits, two unpushed ones, one modified file, one staged,
        three untracked."""
        self.git("clone", "-q", str(remote), str(self.path), cwd=self.root)
        self.commit("README.md", "# Notebooks\n", "Add README")
        self.commit("analysis.ipynb", "{}\n", "Add analysis notebook")
        self.git("push", "-q", "origin", "main")
        self.git("remote", "set-url", "origin", remote_url)
        self.commit("etl.py", "print('etl')\n", "Add ETL script")
        self.commit("report.py", "print('report')\n", "Summarise <b>sales</b> & costs")
        (self.path / "README.md").write_text("# Notebooks\n\nchanged\n")
        (self.path / "staged.py").write_text("x = 1\n")
        self.git("add", "--", "staged.py")
        for name in ("scratch1.py", "scratch2.py", "scratch3.py"):
            (self.path / name).write_text("pass\n")
        return self

    def commit(self, name: str, text: str, message: str) -> None:
        (self.path / name).write_text(text)
        self.git("add", "--", name)
        self.git("commit", "-q", "-m", message)

    def counts(self) -> dict[str, int]:
        """What git itself says, to compare the panel with."""

        def lines(*args: str) -> int:
            return len([line for line in self.git(*args).splitlines() if line.strip()])

        return {
            "modified": lines("diff", "--name-only"),
            "staged": lines("diff", "--cached", "--name-only"),
            "untracked": lines("ls-files", "--others", "--exclude-standard"),
            "conflicted": lines("diff", "--name-only", "--diff-filter=U"),
            "ahead": int(self.git("rev-list", "--count", "origin/main..HEAD").strip()),
            "behind": int(self.git("rev-list", "--count", "HEAD..origin/main").strip()),
        }


@dataclass
class Lab:
    url: str
    token: str
    livy: LivyDouble | None = None
    workspace: GitWorkspace | None = None
    gitea: GitHTTPServer | None = None
    repo_web_url: str | None = None
    session_ids: dict[str, int] = field(default_factory=dict)

    def lab_url(self) -> str:
        return f"{self.url}lab?token={self.token}"

    def api(self, path: str) -> dict:
        request = urllib.request.Request(
            f"{self.url}ilum/api/{path}", headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())


def _wait_until_up(url: str, token: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited early:\n{log.read_text()[-4000:]}")
        request = urllib.request.Request(
            f"{url}ilum/api/status", headers={"Authorization": f"token {token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"jupyter lab did not answer in time:\n{log.read_text()[-4000:]}")


def _write_user_settings(settings_dir: Path, poll_interval: float) -> None:
    """No news prompt or update check (nothing may cover the panel in the screenshots), and the
    panel's poll interval (short, so that the tests see changes quickly, unless a test must
    tell a refresh from a poll)."""
    folder = settings_dir / "@jupyterlab" / "apputils-extension"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    ilum = settings_dir / "@ilum" / "singleuser"
    ilum.mkdir(parents=True, exist_ok=True)
    (ilum / "model.jupyterlab-settings").write_text(json.dumps({"pollInterval": poll_interval}))


def git_env(root: Path) -> dict[str, str]:
    return GitWorkspace(root).env


@contextmanager
def running_lab(
    root: Path,
    workspace: Path,
    ilum_env: dict[str, str],
    poll_interval: float = 2,
    disabled_extensions: tuple[str, ...] = (),
) -> Iterator[Lab]:
    """``jupyter lab`` on a free loopback port with a token, serving ``workspace``, without the
    lab extensions named in ``disabled_extensions``; its log is copied to test-artifacts/ when
    it stops."""
    settings_dir = root / "lab-user-settings"
    _write_user_settings(settings_dir, poll_interval)
    labconfig = root / "jupyter-config" / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    (labconfig / "page_config.json").write_text(
        json.dumps({"disabledExtensions": dict.fromkeys(disabled_extensions, True)})
    )
    port = free_port()
    token = secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}/"
    env = {
        **{k: v for k, v in git_env(root).items() if not k.startswith("ILUM_")},
        **ilum_env,
        "JUPYTER_CONFIG_DIR": str(root / "jupyter-config"),
        "JUPYTER_RUNTIME_DIR": str(root / "jupyter-runtime"),
        "JUPYTER_DATA_DIR": str(root / "jupyter-data"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    log = root / "jupyter-lab.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--allow-root",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={workspace}",
                f"--LabApp.user_settings_dir={settings_dir}",
                f"--LabApp.workspaces_dir={root / 'lab-workspaces'}",
                "--LabApp.expose_app_in_browser=True",
                "--IlumExtension.repo_cache_ttl=0",
                "--IlumExtension.spark_cache_ttl=0",
                "--IlumExtension.livy_connect_timeout=1",
                "--IlumExtension.livy_timeout=2",
            ],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(url, token, process, log)
        yield Lab(url=url, token=token)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(log, ARTIFACTS / f"ui-{root.name}-jupyter-lab.log")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The lab of a user with work in progress, Spark sessions and a failed init run."""
    root = tmp_path_factory.mktemp("ui")
    gitea = GitHTTPServer(root / "gitea", {USER: GIT_PASSWORD}).start()
    bare = gitea.create_repo(ORG, f"jupyterhub-{USER}.git")
    repo_url = f"{gitea.url}/{ORG}/jupyterhub-{USER}.git"
    workspace = GitWorkspace(root).create(bare, repo_url)
    state_dir = root / "state"
    write_state(
        state_dir / "init.json",
        {
            "outcome": "failed",
            "started_at": now_iso(),
            "finished_at": now_iso(),
            "case": None,
            "pushed_commit": None,
            "head": None,
            "branch": None,
            "repo_url": repo_url,
            "workspace": str(workspace.path),
            "user": USER,
            "error": INIT_FAILURE,
            "steps": ["config", "probe-remote"],
        },
    )
    with LivyDouble() as livy:
        ids = {
            "etl": livy.add_session(owner=USER, proxy_user=USER, state="idle", name="etl-notebook"),
            "xss": livy.add_session(
                owner=USER, proxy_user=USER, state="busy", kind="sql", name=XSS_NAME
            ),
            "other": livy.add_session(
                owner=OTHER_USER, proxy_user=OTHER_USER, state="idle", name="bobs-session"
            ),
        }
        ilum_env = {
            "ILUM_USER": USER,
            "ILUM_WORKSPACE": str(workspace.path),
            "ILUM_GIT_REPO_URL": repo_url,
            "ILUM_GIT_USERNAME": USER,
            "ILUM_GIT_PASSWORD": GIT_PASSWORD,
            "ILUM_LIVY_URL": livy.url,
            "ILUM_STATE_DIR": str(state_dir),
        }
        try:
            with running_lab(root, workspace.path, ilum_env) as running:
                running.livy = livy
                running.workspace = workspace
                running.session_ids = ids
                running.gitea = gitea
                running.repo_web_url = f"{gitea.url}/{ORG}/jupyterhub-{USER}"
                yield running
        finally:
            gitea.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class LabPage:
    """A JupyterLab tab; ``dialogs`` records every alert/confirm the page tried to show and
    ``errors`` every uncaught exception and console error that names the extension."""

    page: object
    dialogs: list[str]
    errors: list[str]


def _is_ours(text: str) -> bool:
    return "ilum" in text.lower()


@pytest.fixture
def lab_page(lab: Lab, browser) -> Iterator[LabPage]:
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    context.set_default_timeout(30_000)
    page = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(message) -> None:
        if message.type == "error" and _is_ours(message.text):
            errors.append(message.text)

    def on_page_error(error) -> None:
        if _is_ours(f"{error.message} {error.stack}"):
            errors.append(error.message)

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.goto(lab.lab_url())
    page.wait_for_selector("#jp-main-dock-panel", state="visible", timeout=60_000)
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands")
    try:
        yield LabPage(page=page, dialogs=dialogs, errors=errors)
    finally:
        context.close()
    assert errors == [], f"the lab extension logged errors: {errors}"
