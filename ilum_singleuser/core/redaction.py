"""Keep secrets out of anything that is shown, logged or stored."""

from __future__ import annotations

import re
from collections.abc import Iterable

_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/@\s]*@)")
_AUTH_HEADER = re.compile(r"(?i)(authorization:\s*\w+\s+)\S+")
MASK = "***"


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with URL credentials, Authorization values and every known secret masked."""
    text = _URL_USERINFO.sub(lambda m: m.group("scheme"), text)
    text = _AUTH_HEADER.sub(lambda m: m.group(1) + MASK, text)
    for secret in sorted((s for s in secrets if s and len(s) >= 3), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
