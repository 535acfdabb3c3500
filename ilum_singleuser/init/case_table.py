"""Turn the home volume into a checkout of the user's repository, safely, on every start.

The case table of docs/ilum-init.md ("What it does, case by case"), in one place. Invariants
that every path keeps:

* no user file is ever replaced or deleted: remote files are only written where no file is;
* no commit is ever lost: we never reset a branch, merge, rebase or force-push;
* every step can be killed and re-run: the new ``.git`` is built aside and renamed into place,
  templates are hard-linked in whole, and an adoption in progress leaves a marker to finish.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from ..core.errors import AuthError, ConfigError, WorkspaceError
from ..core.git import Git, GitCommandError, credential_helper_command, credential_scope
from ..core.redaction import redact_url
from ..core.runtime_files import RUNTIME_EXCLUDES
from ..core.settings import Config, default_templates_dir
from .autosave_restore import AutosaveRestorer
from .notebook_metadata import with_kernel_metadata
from .remote_probe import Probe, wait_for_repository
from .templates import copy_templates, iter_template_files, path_is_free, same_content

DEFAULT_BRANCH = "main"
TEMPLATE_COMMIT_MESSAGE = "Add Ilum starter templates"
ADOPTION_MARKER = "ilum-init-adopting"
# A push killed half-way can leave Gitea busy with it (the old receive-pack still holds the
# branch's lock); the rerun's push is then turned away for a moment. Retried after these delays.
PUSH_RETRY_DELAYS = (1.0, 2.0, 4.0)
_TRANSIENT_PUSH_REJECTIONS = (
    "(failed to update ref)",
    "(failed to lock)",
    "cannot lock ref",
    "The requested URL returned error: 502",
    "The requested URL returned error: 503",
    "The requested URL returned error: 504",
)
# An existing checkout needs Gitea only to fetch and push: don't hold the user's server for long.
EXISTING_CHECKOUT_WAIT = 30.0
NETWORK_TIMEOUT = 600.0

_EXCLUDE_BEGIN = "# >>> ilum-init: runtime files (managed, rewritten on every start)"
_EXCLUDE_END = "# <<< ilum-init"
_RUNTIME_TOP_LEVEL = {p.strip("/") for p in RUNTIME_EXCLUDES if "*" not in p}


@dataclass
class InitOutcome:
    case: str = ""
    branch: str | None = None
    head: str | None = None
    pushed_commit: str | None = None
    templates_copied: list[str] = field(default_factory=list)
    autosave_restore: dict[str, Any] | None = None


def auth_failure(exc: GitCommandError) -> bool:
    text = exc.stderr
    return "Authentication failed" in text or "The requested URL returned error: 403" in text


def transient_push_rejection(exc: GitCommandError) -> bool:
    """Whether the server turned the push away for now, not for good (never a non-fast-forward,
    a hook's refusal or a refused login)."""
    return any(marker in exc.stderr for marker in _TRANSIENT_PUSH_REJECTIONS)


class WorkspaceInitialiser:
    """One run of the init against ``config.workspace``. Call :meth:`run` under the lock."""

    def __init__(self, config: Config, log: Callable[[str], None]) -> None:
        self.config = config
        self.log = log
        self.workspace = config.workspace
        self.repo_url = config.repo_url
        self.scratch = config.state_path.parent / "tmp"
        self.git = self._git(self.workspace)
        self.outcome = InitOutcome()

    def _git(self, cwd: Path) -> Git:
        return Git(
            cwd,
            repo_url=self.repo_url,
            timeout=NETWORK_TIMEOUT,
            credential_env=self.config.credential_env,
        )

    # -- the run -------------------------------------------------------------------------

    def run(self) -> InitOutcome:
        self.workspace.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.scratch, ignore_errors=True)  # leftovers of a killed run
        had_git = (self.workspace / ".git").exists()
        had_user_files = self._has_user_files()
        if had_git:
            self._check_existing_checkout()
        probe = self._wait_for_repository(had_git)
        if not had_git:
            self._build_git_dir_aside(probe)
        self._configure_repository()
        marker = self.workspace / ".git" / ADOPTION_MARKER
        if marker.exists():
            self.log("finishing an interrupted checkout")
            self._restore_missing_files(marker)
        elif had_git and self._remote_tracking_refs() == dict(probe.branches):
            self.log("remote branches unchanged since the last fetch")
        elif had_git:
            self._step("fetching", "fetch", "--quiet", "--prune", "origin")
        branch = self.config.git_branch or probe.default_branch or DEFAULT_BRANCH
        head = self._rev("HEAD")
        if head is None:
            if self._rev(f"refs/remotes/origin/{branch}"):
                self.outcome.case = "adopt-files-remote-commits" if had_user_files else "clone"
                self._adopt_remote_branch(branch, marker)
                if not had_user_files:
                    self._restore_autosave(branch)
            else:
                self.outcome.case = "adopt-files-empty-remote" if had_user_files else "fresh-repo"
                self._commit_templates(branch)
                self._push(branch)
        else:
            self.outcome.case = "existing-checkout"
            self._finish_interrupted_restore(branch)
            self._push_if_only_ahead(branch)
        self.outcome.branch = self._current_branch()
        self.outcome.head = self._rev("HEAD")
        shutil.rmtree(self.scratch, ignore_errors=True)
        return self.outcome

    # -- steps ---------------------------------------------------------------------------

    def _step(self, what: str, *args: str, input: bytes | None = None) -> str:
        self.log(what)
        try:
            return self.git.run(*args, input=input).stdout
        except GitCommandError as exc:
            if auth_failure(exc):
                user = self.git.credentials().username or "(none)"
                raise AuthError(
                    f"Gitea refused the login of user {user!r} at {self.repo_url} while {what}"
                ) from None
            raise

    def _has_user_files(self) -> bool:
        try:
            names = {e.name for e in os.scandir(self.workspace)}
        except OSError:
            return False
        return bool(names - {".git"} - _RUNTIME_TOP_LEVEL)

    def _check_existing_checkout(self) -> None:
        if self.git.run("rev-parse", "--git-dir", check=False, read_only=True).returncode:
            raise WorkspaceError(f"{self.workspace}/.git exists but is not a usable repository")
        origin = self.git.run("config", "--get", "remote.origin.url", check=False).stdout.strip()
        if origin and _normalise_url(origin) != _normalise_url(self.repo_url):
            raise WorkspaceError(
                f"{self.workspace} is a checkout of {redact_url(origin)}, not of {self.repo_url}; "
                "ilum-init leaves it alone"
            )

    def _wait_for_repository(self, had_git: bool) -> Probe:
        timeout = self.config.init_timeout
        if had_git:
            timeout = min(timeout, EXISTING_CHECKOUT_WAIT)
        self.log(f"checking repository {self.repo_url}")
        return wait_for_repository(
            self.repo_url, self.git.credentials, timeout, self.config.user, self.log
        )

    def _build_git_dir_aside(self, probe: Probe) -> None:
        """Init and fetch in scratch space, then rename ``.git`` into the workspace at once."""
        aside = self.scratch / "repo"
        aside.mkdir(parents=True)
        git = self._git(aside)
        branch = self.config.git_branch or probe.default_branch or DEFAULT_BRANCH
        self.log("creating the repository")
        git.run("init", "--quiet", f"--initial-branch={branch}")
        git.run("remote", "add", "origin", "--", self.repo_url)
        if probe.branches:
            self._step_in(git, "fetching", "fetch", "--quiet", "origin")
        os.rename(aside / ".git", self.workspace / ".git")

    def _step_in(self, git: Git, what: str, *args: str) -> None:
        saved, self.git = self.git, git
        try:
            self._step(what, *args)
        finally:
            self.git = saved

    def _configure_repository(self) -> None:
        """Refresh identity, remote, credential helper and excludes; write only what changed."""
        current = _read_local_config(self.git)
        wanted = {
            "remote.origin.url": self.repo_url,
            "remote.origin.fetch": "+refs/heads/*:refs/remotes/origin/*",
            "user.name": self.config.author_name,
            "user.email": self.config.author_email,
        }
        changes = [(k, v) for k, v in wanted.items() if current.get(k) != [v]]
        scope = credential_scope(self.repo_url)
        helper_key = f"credential.{scope}.helper"
        helper_values = ["", credential_helper_command()]
        if scope and current.get(helper_key.lower()) != helper_values:
            changes.append((helper_key, ""))
        if changes:
            self.log("configuring the repository")
        for key, value in changes:
            if key == helper_key:
                self.git.run("config", "--local", "--unset-all", key, check=False)
                for helper in helper_values:
                    self.git.run("config", "--local", "--add", key, helper)
            else:
                self.git.run("config", "--local", "--replace-all", key, value)
        _write_exclude_block(self.workspace / ".git" / "info" / "exclude")

    def _rev(self, ref: str) -> str | None:
        result = self.git.run(
            "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False, read_only=True
        )
        return result.stdout.strip() or None

    def _remote_tracking_refs(self) -> dict[str, str]:
        out = self.git.run(
            "for-each-ref",
            "--format=%(refname:lstrip=3) %(objectname)",
            "refs/remotes/origin/",
            read_only=True,
        ).stdout
        refs = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
        refs.pop("HEAD", None)
        return refs

    def _current_branch(self) -> str | None:
        result = self.git.run("symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        return result.stdout.strip() or None

    def _set_upstream(self, branch: str) -> None:
        self.git.run("config", "--local", f"branch.{branch}.remote", "origin")
        self.git.run("config", "--local", f"branch.{branch}.merge", f"refs/heads/{branch}")

    def _adopt_remote_branch(self, branch: str, marker: Path) -> None:
        """Check out the remote branch without writing over a single local file."""
        marker.write_text(branch + "\n", encoding="utf-8")
        self.log(f"checking out {branch} from the remote (local files win)")
        if not self._rev(f"refs/heads/{branch}"):
            self.git.run("update-ref", f"refs/heads/{branch}", f"refs/remotes/origin/{branch}")
        self.git.run("symbolic-ref", "HEAD", f"refs/heads/{branch}")
        self._set_upstream(branch)
        self._restore_missing_files(marker)

    def _restore_missing_files(self, marker: Path) -> None:
        # Index := HEAD; the working tree is not touched.
        self.git.run("reset", "--quiet", "--mixed", check=False)
        listed = self.git.run("ls-files", "--deleted", "-z").stdout
        missing = [
            p for p in listed.split("\0") if p and path_is_free(self.workspace, PurePosixPath(p))
        ]
        if missing:
            self.git.run(
                "checkout-index", "--quiet", "-z", "--stdin", input="\0".join(missing).encode()
            )
        marker.unlink(missing_ok=True)

    def _restore_autosave(self, branch: str) -> None:
        """A fresh volume: bring back the snapshot of the work the last one had not pushed."""
        restorer = AutosaveRestorer(self.git, branch, self.log)
        snapshot = restorer.available() if self.config.autosave else None
        if snapshot:
            restored = restorer.restore(snapshot)
            self.outcome.autosave_restore = restored.as_state() if restored else None

    def _finish_interrupted_restore(self, branch: str) -> None:
        restorer = AutosaveRestorer(self.git, branch, self.log)
        snapshot = restorer.pending()
        if snapshot:
            self.log("finishing an interrupted autosave restore")
            restored = restorer.restore(snapshot)
            self.outcome.autosave_restore = restored.as_state() if restored else None

    def _commit_templates(self, branch: str) -> None:
        self.git.run("symbolic-ref", "HEAD", f"refs/heads/{branch}")
        templates_dir = self._readable_templates_dir()
        templates = [t for t in iter_template_files(templates_dir) if not _runtime_path(t.rel)]
        templates = with_kernel_metadata(templates, self.scratch, self.log)
        self.log(f"copying templates from {templates_dir}")
        copied = copy_templates(templates, self.workspace, self.scratch)
        self.outcome.templates_copied = copied
        ours = [
            str(t.rel) for t in templates if same_content(self.workspace.joinpath(*t.rel.parts), t)
        ]
        if ours:
            pathspecs = "\0".join(f":(literal){p}" for p in ours).encode()
            self.git.run(
                "add", "--force", "--pathspec-from-file=-", "--pathspec-file-nul", input=pathspecs
            )
        self.log(f"committing {len(ours)} template file(s)")
        self.git.run(
            "commit", "--quiet", "--no-verify", "--allow-empty", "-m", TEMPLATE_COMMIT_MESSAGE
        )
        self._set_upstream(branch)

    def _readable_templates_dir(self) -> Path:
        """The templates folder, checked only now that templates are about to be copied: a
        returning user needs none, and an unreadable folder must not stop their init."""
        folder = self.config.templates_dir or default_templates_dir()
        if folder.exists() and not folder.is_dir():
            raise ConfigError(f"the templates folder {folder} (ILUM_TEMPLATES_DIR) is not a folder")
        if not os.access(folder, os.R_OK | os.X_OK):
            raise ConfigError(f"the templates folder {folder} (ILUM_TEMPLATES_DIR) cannot be read")
        return folder

    def _push(self, branch: str) -> None:
        # With the default fetch refspec, push also moves refs/remotes/origin/<branch>.
        args = ("push", "--quiet", "origin", f"refs/heads/{branch}")
        for delay in (*PUSH_RETRY_DELAYS, None):
            try:
                self._step(f"pushing {branch}", *args)
                break
            except GitCommandError as exc:
                if delay is None or not transient_push_rejection(exc):
                    raise
                self.log(f"Gitea turned the push away for now; retrying in {delay:g} s")
                time.sleep(delay)
        self.outcome.pushed_commit = self._rev(f"refs/heads/{branch}")

    def _push_if_only_ahead(self, branch: str) -> None:
        """Push commits an earlier run (or the user) left unpushed, but only a fast-forward."""
        if self._current_branch() != branch:
            return
        remote = self._rev(f"refs/remotes/origin/{branch}")
        if remote is None:
            self.outcome.case = "push-pending"
            self._set_upstream(branch)
            self._push(branch)
            return
        counts = self.git.run(
            "rev-list", "--left-right", "--count", f"{remote}...HEAD", read_only=True
        ).stdout.split()
        behind, ahead = int(counts[0]), int(counts[1])
        if ahead and not behind:
            self.outcome.case = "push-pending"
            self._push(branch)
        elif ahead and behind:
            self.log(f"{branch} and origin/{branch} have diverged; not pushing")


def _read_local_config(git: Git) -> dict[str, list[str]]:
    out = git.run("config", "--local", "--list", "-z", check=False).stdout
    values: dict[str, list[str]] = {}
    for item in out.split("\0"):
        if item:
            key, _, value = item.partition("\n")
            values.setdefault(key.lower(), []).append(value)
    return values


def _write_exclude_block(path: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    before, _, rest = text.partition(_EXCLUDE_BEGIN)
    _, _, after = rest.partition(_EXCLUDE_END)
    if not rest:
        after = ""
    block = "\n".join([_EXCLUDE_BEGIN, *RUNTIME_EXCLUDES, _EXCLUDE_END])
    new = (before.rstrip("\n") + "\n" if before.strip() else "") + block + "\n"
    new += after.lstrip("\n")
    if new != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".ilum-tmp")
        tmp.write_text(new, encoding="utf-8")
        os.replace(tmp, path)


def _runtime_path(rel: PurePosixPath) -> bool:
    return bool(rel.parts) and rel.parts[0] in _RUNTIME_TOP_LEVEL


def _normalise_url(url: str) -> str:
    parts = urlsplit(redact_url(url.strip()))
    path = parts.path.rstrip("/")
    path = path[:-4] if path.endswith(".git") else path
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{parts.port or ''}{path}"
