"""From a git remote to what the panel may show: the URL without credentials and its web page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from ..core.redaction import redact_url

# scp-like syntax of ssh remotes: ``user@host:org/repo.git`` (no scheme, a colon before the path).
_SCP_LIKE = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")


def display_remote(url: str | None) -> str | None:
    """``url`` as it may be shown: no user name, password or token in it."""
    if not url:
        return None
    if "://" not in url:
        match = _SCP_LIKE.match(url)
        if match:
            # The user of an scp-like remote is a login name (``git@``), never a secret, but the
            # rule is simple: the panel never shows any userinfo.
            return f"{match['host']}:{match['path']}"
        return url
    parts = urlsplit(redact_url(url))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def web_url(url: str | None) -> str | None:
    """The repository's web page (Gitea, GitHub, GitLab all follow ``host/org/repo``).

    http(s) remotes keep their scheme, host and port; ssh remotes become ``https://host/path``
    (the ssh port says nothing about the web port). Local paths and ``file://`` have no page.
    """
    if not url:
        return None
    if "://" not in url:
        match = _SCP_LIKE.match(url)
        if not match:
            return None
        return _page("https", match["host"], "/" + match["path"])
    # Credentials go first: an unencoded password (``/``, ``:``, ``@`` in it) would otherwise be
    # taken for the host or the port.
    parts = urlsplit(redact_url(url))
    if not parts.hostname:
        return None
    hostname = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if parts.scheme in {"http", "https"}:
        return _page(parts.scheme, hostname + (f":{parts.port}" if parts.port else ""), parts.path)
    if parts.scheme in {"ssh", "git", "git+ssh", "ssh+git"}:
        return _page("https", hostname, parts.path)
    return None


def _page(scheme: str, host: str, path: str) -> str | None:
    path = path.rstrip("/")
    path = path.removesuffix(".git").rstrip("/")
    if not path.strip("/"):
        return None
    return f"{scheme}://{host}{path}"
