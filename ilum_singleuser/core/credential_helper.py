"""``git-credential-ilum``: a git credential helper that answers from Ilum's settings.

Git runs it as ``git credential-ilum get`` and reads ``username=`` / ``password=`` from its
output. It reads the credentials at that moment (environment or the mounted Secret folder), so
nothing secret is ever written to ``.git/config`` or a command line. ``store`` and ``erase`` are
ignored: the Secret is the only source of truth. The repository config scopes this helper to the
Gitea URL, so it never answers for another host.
"""

from __future__ import annotations

import sys
from typing import TextIO

from .credentials import read_git_credentials


def _read_request(stream: TextIO) -> dict[str, str]:
    request: dict[str, str] = {}
    for raw in stream:
        line = raw.rstrip("\n")
        if not line:
            break
        key, sep, value = line.partition("=")
        if sep:
            request[key] = value
    return request


def answer(action: str, stdin: TextIO, stdout: TextIO) -> int:
    request = _read_request(stdin)
    if action != "get":
        return 0
    creds = read_git_credentials()
    if not creds.complete:
        return 0
    if request.get("username") and request["username"] != creds.username:
        # Git asks for another account than ours: do not hand it our password.
        return 0
    username, password = creds.username or "", creds.password or ""
    if "\n" in username or "\n" in password:
        return 0
    stdout.write(f"username={username}\npassword={password}\n")
    stdout.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        sys.stderr.write("usage: git-credential-ilum get|store|erase\n")
        return 2
    return answer(args[-1], sys.stdin, sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
