"""Every setting of ``ilum-init`` and the server extension, declared once.

:class:`Config` is the table: each field is one setting, and its declaration holds all there is
to know about it: the name (the field), the type (the annotation), the default, the help text,
the environment variable (what Kubernetes sets) and where it applies (a flag of ``ilum-init``,
a traitlet of the server extension, or both). The environment reading (:func:`load_config`),
the CLI flags, the extension's typed traitlets and the settings tables in ``docs/``
(:mod:`ilum_singleuser.core.settings_docs`) are all derived from it.
"""

from __future__ import annotations

import dataclasses
import os
import string
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError
from .redaction import redact_url
from .snapshot import DEFAULT_AUTOSAVE_EXCLUDE, parse_exclude_setting

LIVY_AUTH_CHOICES = ("None", "Basic_Access")
REPO_URL_PLACEHOLDERS = frozenset({"git_url", "org", "username"})
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True)
class SettingInfo:
    """What a :class:`Config` field declares besides its name, type and default."""

    help: str
    env: str | None = None
    init: bool = False  # a flag of ilum-init
    server: bool = False  # a traitlet of the server extension
    secret: bool = False  # environment only: never a flag, a traitlet or a log line
    default_doc: str | None = None  # how the docs show a default that is worked out at run time
    fallback_env: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    minimum: float | None = None


def setting(
    help: str,
    *,
    default: Any = None,
    default_factory: Callable[[], Any] | None = None,
    **info: Any,
) -> Any:
    """Declare one setting as a :class:`Config` field (see :class:`SettingInfo` for ``info``)."""
    meta = {"setting": SettingInfo(help=help, **info)}
    if default_factory is not None:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def shared(help: str, **kwargs: Any) -> Any:
    """A setting of both ilum-init (flag) and the server extension (traitlet)."""
    return setting(help, init=True, server=True, **kwargs)


def tuning(help: str, default: Any) -> Any:
    """One of the server extension's own knobs: a traitlet only."""
    return setting(help, default=default, server=True)


@dataclass(frozen=True)
class Config:
    """Resolved settings. Build with :func:`load_config`; every field is already defaulted."""

    # Shared by ilum-init and the server extension.
    user: str = shared(
        "The user name.",
        default="",
        env="ILUM_USER",
        fallback_env=("JUPYTERHUB_USER", "USER"),
        default_doc="`$JUPYTERHUB_USER`, else `$USER`",
    )
    git_url: str = shared(
        "Gitea base URL.", default="http://ilum-gitea-http:3000", env="ILUM_GIT_URL"
    )
    git_org: str = shared(
        "Organisation holding the personal repositories.",
        default="ilum-jupyterhub",
        env="ILUM_GIT_ORG",
    )
    git_repo_url: str = shared(
        "Clone URL: a template with `{git_url}`, `{org}`, `{username}` only.",
        default="{git_url}/{org}/jupyterhub-{username}.git",
        env="ILUM_GIT_REPO_URL",
    )
    git_branch: str | None = shared(
        "Branch to check out.",
        env="ILUM_GIT_BRANCH",
        default_doc="the remote's default branch, `main` for an empty repository",
    )
    git_username: str | None = shared("Git user for clone and push.", env="ILUM_GIT_USERNAME")
    git_password: str | None = setting(
        "Git password or token; environment only (a command line is visible in `ps`).",
        env="ILUM_GIT_PASSWORD",
        init=True,
        server=True,
        secret=True,
    )
    git_credentials_dir: Path | None = shared(
        "A mounted Secret with files `username` and `password`, read at each use (rotation "
        "works); wins over the two above.",
        env="ILUM_GIT_CREDENTIALS_DIR",
    )
    user_fullname: str | None = shared(
        "Commit author name (LDAP `cn`).", env="ILUM_USER_FULLNAME", default_doc="the user name"
    )
    user_email: str | None = shared(
        "Commit author e-mail (LDAP `mail`).",
        env="ILUM_USER_EMAIL",
        default_doc="`$ILUM_GIT_EMAIL`",
    )
    git_email: str = shared("Fallback commit e-mail.", default="ilum@ilum", env="ILUM_GIT_EMAIL")
    templates_dir: Path | None = shared(
        "Starter templates; may be a ConfigMap volume.",
        env="ILUM_TEMPLATES_DIR",
        default_doc="the package's templates",
    )
    workspace: Path = shared(
        "The folder that becomes the working tree.",
        default_factory=Path.home,
        env="ILUM_WORKSPACE",
        default_doc="`$HOME`",
    )
    init_timeout: float = shared(
        "Seconds to wait for the repository and Gitea.",
        default=300.0,
        env="ILUM_INIT_TIMEOUT",
        minimum=0,
    )
    livy_url: str = shared(
        "Ilum's Livy-proxy, written into sparkmagic's config.",
        default="http://ilum-core:9888",
        env="ILUM_LIVY_URL",
    )
    livy_auth: str = shared(
        "Livy authentication, in sparkmagic's names.",
        default="None",
        env="ILUM_LIVY_AUTH",
        choices=LIVY_AUTH_CHOICES,
    )
    livy_username: str | None = shared("Livy user for `Basic_Access`.", env="ILUM_LIVY_USERNAME")
    livy_password: str | None = setting(
        "Livy password for `Basic_Access`; environment only.",
        env="ILUM_LIVY_PASSWORD",
        init=True,
        server=True,
        secret=True,
    )
    state_dir: Path | None = shared(
        "Where ilum-init keeps its state file and lock.",
        env="ILUM_STATE_DIR",
        default_doc="`<workspace>/.local/state/ilum`",
    )
    autosave: bool = shared(
        "Keep a snapshot of uncommitted and unpushed work on the branch "
        "`ilum-autosave/<branch>` and restore it on a fresh volume.",
        default=True,
        env="ILUM_AUTOSAVE",
    )

    # Autosave: the server takes the snapshots (see docs/autosave.md).
    autosave_interval: float = setting(
        "Seconds between two autosave checks; a snapshot is pushed only when the work changed.",
        default=300.0,
        env="ILUM_AUTOSAVE_INTERVAL",
        server=True,
        minimum=0,
    )
    autosave_stop_timeout: float = setting(
        "Seconds the server may spend on the last snapshot when it stops.",
        default=20.0,
        env="ILUM_AUTOSAVE_STOP_TIMEOUT",
        server=True,
        minimum=0,
    )
    autosave_max_file_mb: float = setting(
        "Files bigger than this many MB stay out of a snapshot and are listed as skipped.",
        default=25.0,
        env="ILUM_AUTOSAVE_MAX_FILE_MB",
        server=True,
        minimum=0,
    )
    autosave_exclude: tuple[str, ...] = setting(
        "gitignore-style patterns (commas or new lines between them) never put in a snapshot; "
        "runtime files such as `.ssh/` and `.sparkmagic/` are always left out.",
        default=DEFAULT_AUTOSAVE_EXCLUDE,
        env="ILUM_AUTOSAVE_EXCLUDE",
        server=True,
    )

    # The server extension's own knobs.
    repo_cache_ttl: float = tuning(
        "Seconds a repository status is served to further polls before git runs again.", 2.0
    )
    git_status_timeout: float = tuning(
        "Seconds before a git status run is abandoned (state `error`).", 10.0
    )
    changes_cap: int = tuning(
        "Most changed paths listed in a repository status (the counts stay exact).", 100
    )
    fetch_timeout: float = tuning("Seconds before `POST repo/fetch` gives up (`504`).", 60.0)
    fetch_min_interval: float = tuning(
        "Rate limit of `POST repo/fetch`: seconds between two fetches.", 10.0
    )
    spark_cache_ttl: float = tuning(
        "Seconds a Livy session list serves further polls (one request per interval).", 2.0
    )
    livy_connect_timeout: float = tuning("Seconds to connect to the Livy-proxy.", 3.0)
    livy_timeout: float = tuning(
        "Seconds for a whole Livy answer (all pages of `GET /sessions`, or a `DELETE`).", 5.0
    )
    livy_page_size: int = tuning("Sessions asked for per `GET /sessions` page.", 100)
    spark_owner_conf_key: str = tuning(
        "Spark configuration key that names a session's user, for proxies that set neither "
        "Livy's `owner` nor `proxyUser` (empty: `owner` and `proxyUser` only).",
        "",
    )
    status_part_wait: float = tuning(
        "Seconds `GET status` waits for each part (repository, Spark) before serving that part's "
        "last answer, marked `stale`, while the slow part finishes in the background.",
        1.0,
    )

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


@dataclass(frozen=True)
class Setting:
    """One row of the settings table, as the CLI, the traitlets and the docs read it."""

    name: str
    type: type
    optional: bool
    info: SettingInfo
    field: dataclasses.Field[Any]

    @property
    def env(self) -> str | None:
        return self.info.env

    @property
    def help(self) -> str:
        return self.info.help

    @property
    def secret(self) -> bool:
        return self.info.secret

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def label(self) -> str:
        """How the setting is named in messages: its environment variable, else its traitlet."""
        return self.info.env or f"IlumExtension.{self.name}"

    def describe(self) -> str:
        """The help text with its choices, as the docs table's "meaning" shows it (Markdown)."""
        if not self.info.choices:
            return self.help
        return f"{self.help} One of " + ", ".join(f"`{c}`" for c in self.info.choices) + "."

    def usage(self) -> str:
        """One line for ``--help`` and the traitlet's help: meaning, variable and default."""
        where = f"env: {self.env}; " if self.env else ""
        return f"{self.describe()} [{where}default: {self.default_text()}]".replace("`", "")

    def default(self) -> Any:
        if self.field.default_factory is not dataclasses.MISSING:
            return self.field.default_factory()
        return self.field.default

    def default_text(self) -> str:
        """The default as the docs and the help texts show it."""
        if self.info.default_doc:
            return self.info.default_doc
        value = self.field.default
        if value is None:
            return "unset"
        if value == "":
            return "empty"
        if isinstance(value, tuple):
            return ", ".join(f"`{v}`" for v in value)
        if isinstance(value, bool):
            return "`true`" if value else "`false`"
        return f"`{value:g}`" if isinstance(value, float) else f"`{value}`"

    def parse(self, raw: object) -> Any:
        """``raw`` (text from the environment or a flag, or an already typed value from a
        config file) as this setting's type; :class:`ConfigError` naming the setting if not."""
        if isinstance(raw, str):
            raw = raw.strip()
        if raw is None or raw == "":
            return None
        try:
            value = _convert(self.type, raw)
        except (TypeError, ValueError):
            raise ConfigError(
                f"{self.label} must be {_TYPE_WORDS[self.type]}, not {raw!r}"
            ) from None
        if self.info.minimum is not None and value < self.info.minimum:
            raise ConfigError(f"{self.label} must not be less than {self.info.minimum:g}")
        if self.info.choices and value not in self.info.choices:
            raise ConfigError(
                f"{self.label} must be one of {', '.join(self.info.choices)}, not {value!r}"
            )
        return value

    def from_environment(self, environ: Mapping[str, str]) -> Any:
        """This setting's value when nothing overrides it: its variable(s), else the default."""
        for name in (self.info.env, *self.info.fallback_env):
            if name and (value := self.parse(environ.get(name, ""))) is not None:
                return value
        return self.default()


_TYPE_WORDS = {
    str: "text",
    float: "a number",
    int: "a whole number",
    bool: "true or false",
    Path: "a path",
    tuple: "a list of patterns",
}


def _convert(kind: type, raw: object) -> Any:
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        word = str(raw).lower()
        if word in TRUE_WORDS | FALSE_WORDS:
            return word in TRUE_WORDS
        raise ValueError(raw)
    if kind is tuple:
        if isinstance(raw, str):
            return parse_exclude_setting(raw)
        if not isinstance(raw, list | tuple) or not all(isinstance(p, str) for p in raw):
            raise TypeError(raw)
        return tuple(raw)
    if kind is Path:
        if not isinstance(raw, str | os.PathLike):
            raise TypeError(raw)
        return Path(raw).expanduser()
    if kind in (int, float) and isinstance(raw, bool):
        raise TypeError(raw)
    if kind is str and not isinstance(raw, str):
        raise TypeError(raw)
    return kind(raw)


@cache
def settings_table() -> tuple[Setting, ...]:
    hints = typing.get_type_hints(Config)
    rows = []
    for f in dataclasses.fields(Config):
        hint = hints[f.name]
        optional = type(None) in typing.get_args(hint)
        if optional:
            (hint,) = (a for a in typing.get_args(hint) if a is not type(None))
        rows.append(
            Setting(
                name=f.name,
                type=typing.get_origin(hint) or hint,
                optional=optional,
                info=f.metadata["setting"],
                field=f,
            )
        )
    return tuple(rows)


SETTINGS: tuple[Setting, ...] = settings_table()
SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}
INIT_FLAGS = tuple(s for s in SETTINGS if s.info.init and not s.secret)
SERVER_TRAITS = tuple(s for s in SETTINGS if s.info.server and not s.secret)


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


def load_config(
    overrides: Mapping[str, object | None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Resolve settings: explicit overrides (flags, traitlets) win over the environment, which
    wins over the defaults.

    Raises :class:`ConfigError` with a message naming the setting when a value is unusable.
    """
    env = os.environ if environ is None else environ
    given = overrides or {}
    values: dict[str, Any] = {}
    for s in SETTINGS:
        value = None if s.secret else s.parse(given.get(s.name))
        values[s.name] = s.from_environment(env) if value is None else value
    config = Config(**values)
    _validate(config)
    return config


def _validate(config: Config) -> None:
    user = config.user
    if not user:
        raise ConfigError("no user name: set ILUM_USER (or JUPYTERHUB_USER) or pass --user")
    if "/" in user or user in {".", ".."} or any(c.isspace() for c in user):
        raise ConfigError(f"user name {user!r} cannot be part of a repository name")
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
