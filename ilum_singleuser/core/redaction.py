"""Keep secrets out of anything that is shown, logged or stored.

Credentials are masked where they occur: URL user info, Authorization headers and the
``password=`` lines of git's credential protocol (what the helper prints), whatever their
length. A known secret elsewhere is masked only as a whole token: with the password ``jupyter``,
``.../ilum-jupyterhub/jupyterhub-jane.git`` stays as it is. Masking it inside other words would
mangle the line and, by showing where the mask falls, reveal the password.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Greedy up to the last "@" before the path: a password typed into a URL is often not
# percent-encoded and may hold an "@" itself.
_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/\s]*@)")
_AUTH_HEADER = re.compile(r"(?i)(authorization:\s*\w+\s+)\S+")
_CREDENTIAL_PASSWORD = re.compile(r"(?m)^(\s*password=).*$")
_STANDS_ALONE_BEFORE = r"(?<![^\s'\"(\[{<,;:=])"
_STANDS_ALONE_AFTER = r"(?![^\s'\")\]}>,;:.!?])"
MASK = "***"
# Shorter secrets are masked only where credentials occur: as bare tokens they would mask words.
MIN_TOKEN_LENGTH = 3


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with URL credentials, Authorization values, credential-protocol passwords and
    every known secret that stands as a whole token (see :func:`_whole_token`) masked."""
    text = _URL_USERINFO.sub(lambda m: m.group("scheme"), text)
    text = _AUTH_HEADER.sub(lambda m: m.group(1) + MASK, text)
    text = _CREDENTIAL_PASSWORD.sub(lambda m: m.group(1) + MASK, text)
    known = {s for s in secrets if s and len(s) >= MIN_TOKEN_LENGTH}
    for secret in sorted(known, key=len, reverse=True):
        text = _whole_token(secret).sub(MASK, text)
    return text


def _whole_token(secret: str) -> re.Pattern[str]:
    """``secret`` standing on its own: at the start or after white space, a quote, a bracket or
    one of ``, ; : =``; at the end or before white space, a quote, a bracket or one of
    ``, ; : . ! ?``. Never inside a path or a name (``/``, ``-``, ``_``, ``.`` before it)."""
    return re.compile(_STANDS_ALONE_BEFORE + re.escape(secret) + _STANDS_ALONE_AFTER)


def redact_url(url: str) -> str:
    """``url`` without any user name or password in its authority.

    Cuts at the last ``@``, not at what ``urlsplit`` thinks the authority is: a password typed
    by hand into a URL is often not percent-encoded (``/``, ``#``, ``?`` and spaces in it).
    """
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    return f"{scheme}://{rest.rpartition('@')[2]}"
