"""Settings shared by ``ilum-init`` and the server extension.

Every setting has one name in three forms: an environment variable (what Kubernetes sets), a flag
of ``ilum-init`` and a traitlet of the server extension. :data:`SETTINGS` is the single table the
CLI and the extension are generated from, so the three can never drift apart.
"""

from __future__ import annotations

import os
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .errors import ConfigError
from .snapshot import DEFAULT_AUTOSAVE_EXCLUDE, parse_exclude_setting

DEFAULT_GIT_URL = "http://ilum-gitea-http:3000"
DEFAULT_GIT_ORG = "ilum-jupyterhub"
DEFAULT_REPO_URL_TEMPLATE = "{git_url}/{org}/jupyterhub-{username}.git"
DEFAULT_GIT_EMAIL = "ilum@ilum"
DEFAULT_LIVY_URL = "http://ilum-core:9888"
DEFAULT_INIT_TIMEOUT = 300.0
LIVY_AUTH_CHOICES = ("None", "Basic_Access")
REPO_URL_PLACEHOLDERS = frozenset({"git_url", "org", "username"})
DEFAULT_AUTOSAVE_INTERVAL = 300.0
DEFAULT_AUTOSAVE_STOP_TIMEOUT = 20.0
DEFAULT_AUTOSAVE_MAX_FILE_MB = 25.0
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Setting:
    """One configurable value: its attribute, environment variable, flag and help text."""

    attr: str
    env: str
    help: str
    secret: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.attr.replace("_", "-")


SETTINGS: tuple[Setting, ...] = (
    Setting("user", "ILUM_USER", "User name (default: $JUPYTERHUB_USER, else $USER)."),
    Setting("git_url", "ILUM_GIT_URL", f"Gitea base URL (default: {DEFAULT_GIT_URL})."),
    Setting("git_org", "ILUM_GIT_ORG", f"Organisation of the repos (default: {DEFAULT_GIT_ORG})."),
    Setting(
        "git_repo_url",
        "ILUM_GIT_REPO_URL",
        "Clone URL, a template with {git_url}, {org}, {username} "
        f"(default: {DEFAULT_REPO_URL_TEMPLATE}).",
    ),
    Setting(
        "git_branch",
        "ILUM_GIT_BRANCH",
        "Branch to check out (default: the remote's default branch, main for an empty repo).",
    ),
    Setting("git_username", "ILUM_GIT_USERNAME", "Git user for clone and push."),
    Setting("git_password", "ILUM_GIT_PASSWORD", "Git password or token.", secret=True),
    Setting(
        "git_credentials_dir",
        "ILUM_GIT_CREDENTIALS_DIR",
        "Folder with files 'username' and 'password' (a mounted Secret), read at each use.",
    ),
    Setting("user_fullname", "ILUM_USER_FULLNAME", "Commit author name (default: the user)."),
    Setting("user_email", "ILUM_USER_EMAIL", "Commit author e-mail (default: $ILUM_GIT_EMAIL)."),
    Setting(
        "git_email", "ILUM_GIT_EMAIL", f"Fallback commit e-mail (default: {DEFAULT_GIT_EMAIL})."
    ),
    Setting(
        "templates_dir",
        "ILUM_TEMPLATES_DIR",
        "Starter templates; may be a ConfigMap volume (default: the package's templates).",
    ),
    Setting(
        "workspace", "ILUM_WORKSPACE", "Folder that becomes the working tree (default: $HOME)."
    ),
    Setting(
        "init_timeout",
        "ILUM_INIT_TIMEOUT",
        "Seconds to wait for the repository and Gitea (default: 300).",
    ),
    Setting("livy_url", "ILUM_LIVY_URL", f"Livy-proxy endpoint (default: {DEFAULT_LIVY_URL})."),
    Setting("livy_auth", "ILUM_LIVY_AUTH", "Livy authentication: None or Basic_Access."),
    Setting("livy_username", "ILUM_LIVY_USERNAME", "Livy user for Basic_Access."),
    Setting("livy_password", "ILUM_LIVY_PASSWORD", "Livy password for Basic_Access.", secret=True),
    Setting(
        "state_dir",
        "ILUM_STATE_DIR",
        "Where ilum-init keeps its state file and lock (default: <workspace>/.local/state/ilum).",
    ),
    Setting(
        "autosave",
        "ILUM_AUTOSAVE",
        "Keep a snapshot of uncommitted and unpushed work on the branch ilum-autosave/<branch> "
        "and restore it on a fresh volume: true or false (default: true).",
    ),
    Setting(
        "autosave_interval",
        "ILUM_AUTOSAVE_INTERVAL",
        "Seconds between two autosave checks; a snapshot is pushed only when the work changed "
        "(default: 300).",
    ),
    Setting(
        "autosave_stop_timeout",
        "ILUM_AUTOSAVE_STOP_TIMEOUT",
        "Seconds the server may spend on the last snapshot when it stops (default: 20).",
    ),
    Setting(
        "autosave_max_file_mb",
        "ILUM_AUTOSAVE_MAX_FILE_MB",
        "Files bigger than this many MB stay out of a snapshot and are listed as skipped "
        "(default: 25).",
    ),
    Setting(
        "autosave_exclude",
        "ILUM_AUTOSAVE_EXCLUDE",
        "gitignore-style patterns, separated by commas, never put in a snapshot "
        f"(default: {','.join(DEFAULT_AUTOSAVE_EXCLUDE)}); runtime files such as .ssh/ and "
        ".sparkmagic/ are always left out.",
    ),
)

SETTINGS_BY_ATTR = {s.attr: s for s in SETTINGS}


@dataclass(frozen=True)
class Config:
    """Resolved settings. Build with :func:`load_config`; every field is already defaulted."""

    user: str
    git_url: str = DEFAULT_GIT_URL
    git_org: str = DEFAULT_GIT_ORG
    git_repo_url: str = DEFAULT_REPO_URL_TEMPLATE
    git_branch: str | None = None
    git_username: str | None = None
    git_password: str | None = field(default=None, repr=False)
    git_credentials_dir: Path | None = None
    user_fullname: str = ""
    user_email: str = ""
    git_email: str = DEFAULT_GIT_EMAIL
    templates_dir: Path | None = None
    workspace: Path = field(default_factory=Path.home)
    init_timeout: float = DEFAULT_INIT_TIMEOUT
    livy_url: str = DEFAULT_LIVY_URL
    livy_auth: str = "None"
    livy_username: str | None = None
    livy_password: str | None = field(default=None, repr=False)
    state_dir: Path | None = None
    autosave: bool = True
    autosave_interval: float = DEFAULT_AUTOSAVE_INTERVAL
    autosave_stop_timeout: float = DEFAULT_AUTOSAVE_STOP_TIMEOUT
    autosave_max_file_mb: float = DEFAULT_AUTOSAVE_MAX_FILE_MB
    autosave_exclude: tuple[str, ...] = DEFAULT_AUTOSAVE_EXCLUDE

    @property
    def repo_url(self) -> str:
        """The clone URL with the template filled in (never carries a credential)."""
        return expand_repo_url(self.git_repo_url, self.git_url, self.git_org, self.user)

    @property
    def credential_env(self) -> dict[str, str]:
        """The credential settings as the variables ``git-credential-ilum`` reads.

        The helper is a child of git, not of us: a flag or traitlet reaches it only through the
        environment git passes on. The password has no flag: the helper reads it from the
        environment (or the Secret folder) at use, so it is not copied here.
        """
        values = {
            "ILUM_USER": self.user,
            "ILUM_GIT_USERNAME": self.git_username,
            "ILUM_GIT_CREDENTIALS_DIR": str(self.git_credentials_dir)
            if self.git_credentials_dir
            else None,
        }
        return {k: v for k, v in values.items() if v}

    @property
    def author_name(self) -> str:
        return self.user_fullname or self.user

    @property
    def author_email(self) -> str:
        return self.user_email or self.git_email

    @property
    def state_path(self) -> Path:
        return (self.state_dir or self.workspace / ".local" / "state" / "ilum") / "init.json"

    @property
    def lock_path(self) -> Path:
        return self.state_path.with_name("init.lock")

    @property
    def autosave_state_path(self) -> Path:
        return self.state_path.with_name("autosave.json")


def expand_repo_url(template: str, git_url: str, org: str, username: str) -> str:
    """Fill ``{git_url}``, ``{org}`` and ``{username}``; reject any other placeholder."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ConfigError(f"ILUM_GIT_REPO_URL is not a valid template: {exc}") from None
    unknown = names - REPO_URL_PLACEHOLDERS
    if unknown:
        raise ConfigError(
            "ILUM_GIT_REPO_URL has unknown placeholder(s) "
            + ", ".join("{" + n + "}" for n in sorted(unknown))
            + "; allowed: {git_url}, {org}, {username}"
        )
    return template.format(git_url=git_url.rstrip("/"), org=org, username=username)


def default_templates_dir() -> Path:
    """The templates shipped in the wheel, or ``init/templates`` in a source checkout."""
    package = Path(__file__).resolve().parents[1]
    packaged = package / "default_templates"
    if packaged.is_dir():
        return packaged
    return package.parent / "init" / "templates"


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def load_config(
    overrides: Mapping[str, object | None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Resolve settings: explicit overrides (flags, traitlets) win over the environment.

    Raises :class:`ConfigError` with a message naming the setting when a value is unusable.
    """
    env = os.environ if environ is None else environ
    given = {k: v for k, v in (overrides or {}).items() if v is not None and v != ""}

    def get(attr: str) -> str | None:
        if attr in given:
            return str(given[attr])
        return _clean(env.get(SETTINGS_BY_ATTR[attr].env))

    user = get("user") or _clean(env.get("JUPYTERHUB_USER")) or _clean(env.get("USER"))
    if not user:
        raise ConfigError("no user name: set ILUM_USER (or JUPYTERHUB_USER) or pass --user")
    if "/" in user or user in {".", ".."} or any(c.isspace() for c in user):
        raise ConfigError(f"user name {user!r} cannot be part of a repository name")

    values: dict[str, object] = {"user": user}
    for attr in ("git_url", "git_org", "git_repo_url", "git_email", "livy_url", "livy_auth"):
        if (v := get(attr)) is not None:
            values[attr] = v
    for attr in (
        "git_branch",
        "git_username",
        "git_password",
        "user_fullname",
        "user_email",
        "livy_username",
        "livy_password",
    ):
        if (v := get(attr)) is not None:
            values[attr] = v
    for attr in ("git_credentials_dir", "templates_dir", "workspace", "state_dir"):
        if (v := get(attr)) is not None:
            values[attr] = Path(v).expanduser()
    if (v := get("init_timeout")) is not None:
        values["init_timeout"] = _non_negative("init_timeout", v, "a number of seconds")
    values.update(_autosave_values(get))

    config = Config(**values)  # type: ignore[arg-type]
    _validate(config)
    return config


def _autosave_values(get: Callable[[str], str | None]) -> dict[str, object]:
    values: dict[str, object] = {}
    for attr in ("autosave_interval", "autosave_stop_timeout"):
        if (v := get(attr)) is not None:
            values[attr] = _non_negative(attr, v, "a number of seconds")
    if (v := get("autosave_max_file_mb")) is not None:
        values["autosave_max_file_mb"] = _non_negative("autosave_max_file_mb", v, "a number of MB")
    if (v := get("autosave")) is not None:
        if v.lower() not in _TRUE | _FALSE:
            raise ConfigError(f"ILUM_AUTOSAVE must be true or false, not {v!r}")
        values["autosave"] = v.lower() in _TRUE
    if (v := get("autosave_exclude")) is not None:
        values["autosave_exclude"] = parse_exclude_setting(v)
    return values


def _non_negative(attr: str, value: str, what: str) -> float:
    env = SETTINGS_BY_ATTR[attr].env
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{env} must be {what}, not {value!r}") from None
    if number < 0:
        raise ConfigError(f"{env} must not be negative")
    return number


def _validate(config: Config) -> None:
    if config.livy_auth not in LIVY_AUTH_CHOICES:
        raise ConfigError(
            f"ILUM_LIVY_AUTH must be one of {', '.join(LIVY_AUTH_CHOICES)}, "
            f"not {config.livy_auth!r}"
        )
    url = config.repo_url
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https", "file"}:
        raise ConfigError(f"repository URL {redact_url(url)!r} must be http(s):// or file://")
    if parts.username or parts.password:
        raise ConfigError(
            "repository URL must not carry credentials; use ILUM_GIT_USERNAME/ILUM_GIT_PASSWORD "
            "or ILUM_GIT_CREDENTIALS_DIR"
        )
    if config.git_branch is not None and (
        config.git_branch.startswith("-") or " " in config.git_branch
    ):
        raise ConfigError(f"ILUM_GIT_BRANCH {config.git_branch!r} is not a branch name")


def redact_url(url: str) -> str:
    """``url`` without any user name or password in its authority.

    Cuts at the last ``@``, not at what ``urlsplit`` thinks the authority is: a password typed
    by hand into a URL is often not percent-encoded (``/``, ``#``, ``?`` and spaces in it).
    """
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    return f"{scheme}://{rest.rpartition('@')[2]}"
