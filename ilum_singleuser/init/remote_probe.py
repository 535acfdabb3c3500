"""Is the user's repository there yet? Ask Gitea over plain HTTP, the way git itself would.

``GET <repo>/info/refs?service=git-upload-pack`` answers 200 with the ref advertisement once the
repository exists, 404 while the Gitea operator has not created it, and 401/403 when the login
is refused. The advertisement also names the default branch, so no extra git call is needed.
"""

from __future__ import annotations

import base64
import random
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..core.credentials import Credentials
from ..core.errors import AuthError, WaitTimeout
from ..core.git import Git

_SYMREF_HEAD = re.compile(r"symref=HEAD:refs/heads/(\S+)")
_BRANCH_REF = re.compile(r"([0-9a-f]{40,64}) refs/heads/(\S+)")
_MAX_ATTEMPT_SECONDS = 10.0


@dataclass(frozen=True)
class Probe:
    """One look at the remote. ``ready`` means the repository exists and we may read it."""

    ready: bool
    detail: str
    auth_refused: bool = False
    default_branch: str | None = None
    branches: Mapping[str, str] = field(default_factory=dict)  # name -> commit


def pkt_lines(body: bytes) -> list[str]:
    """The payloads of a git pkt-line stream (flush packets skipped)."""
    lines, pos = [], 0
    while pos + 4 <= len(body):
        try:
            size = int(body[pos : pos + 4], 16)
        except ValueError:
            break
        if size < 4:
            pos += 4
            continue
        lines.append(body[pos + 4 : pos + size].decode("utf-8", "replace").rstrip("\n"))
        pos += size
    return lines


def parse_refs(lines: list[str]) -> tuple[str | None, dict[str, str]]:
    """The default branch and every branch's commit, from advertised ref lines
    (``<sha> <ref>[\\0<capabilities>]``)."""
    default = None
    branches: dict[str, str] = {}
    for line in lines:
        ref, _, caps = line.partition("\0")
        if head := _SYMREF_HEAD.search(caps):
            default = head.group(1)
        if match := _BRANCH_REF.fullmatch(ref.strip()):
            branches[match.group(2)] = match.group(1)
    return default, branches


def parse_advertisement(body: bytes) -> tuple[str | None, dict[str, str]]:
    return parse_refs(pkt_lines(body))


def probe_http(url: str, creds: Credentials, timeout: float) -> Probe:
    # Only http(s) URLs get here (config validation); file URLs go through probe_file.
    request = urllib.request.Request(url.rstrip("/") + "/info/refs?service=git-upload-pack")  # noqa: S310
    request.add_header("User-Agent", "git/2 ilum-init")
    if creds.complete:
        token = base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()
        # Unredirected: a redirect to another host never carries the password along.
        request.add_unredirected_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read(4 * 1024 * 1024)
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            return Probe(False, f"HTTP {exc.code}", auth_refused=True)
        return Probe(False, f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Probe(False, f"not answering ({reason})")
    default, branches = parse_advertisement(body)
    return Probe(True, "HTTP 200", default_branch=default, branches=branches)


def probe_file(url: str) -> Probe:
    path = Path(unquote(urlsplit(url).path))
    if not (path / "HEAD").is_file():
        return Probe(False, "no repository at that path")
    listing = Git(path, timeout=30).run("ls-remote", "--symref", "--", str(path), check=False)
    lines = listing.stdout.replace("\t", " ").splitlines()
    # `ls-remote --symref` prints "ref: refs/heads/main HEAD" for the default branch.
    lines = [
        f"x\0symref=HEAD:{ln[5:].split()[0]}" if ln.startswith("ref: ") else ln for ln in lines
    ]
    default, branches = parse_refs(lines)
    return Probe(True, "found", default_branch=default, branches=branches)


def probe(url: str, creds: Credentials, timeout: float) -> Probe:
    if urlsplit(url).scheme == "file":
        return probe_file(url)
    return probe_http(url, creds, timeout)


def backoff_delays(
    base: float = 0.25, cap: float = 8.0, rand: Callable[[], float] = random.random
) -> Callable[[int], float]:
    """Capped exponential back-off with jitter: attempt n sleeps 50-100% of min(cap, base*2^n)."""

    def delay(attempt: int) -> float:
        return min(cap, base * 2**attempt) * (0.5 + rand() / 2)

    return delay


def wait_for_repository(
    url: str,
    read_creds: Callable[[], Credentials],
    timeout: float,
    user: str,
    log: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Probe:
    """Probe until ready; raise :class:`AuthError` at once on a refused login and
    :class:`WaitTimeout` once ``timeout`` seconds have passed."""
    deadline = clock() + timeout
    delay = backoff_delays()
    attempt = 0
    while True:
        remaining = deadline - clock()
        creds = read_creds()
        result = probe(url, creds, max(0.5, min(_MAX_ATTEMPT_SECONDS, remaining)))
        if result.ready:
            return result
        if result.auth_refused:
            who = creds.username or "(no user name)"
            if not creds.complete:
                raise AuthError(f"Gitea asks for a login at {url} but no git credentials are set")
            raise AuthError(f"Gitea refused the login of user {who!r} at {url} ({result.detail})")
        remaining = deadline - clock()
        if remaining <= 0:
            raise WaitTimeout(
                f"repository {url} of user {user!r} not ready after {timeout:g} s: {result.detail}"
            )
        pause = min(delay(attempt), remaining)
        log(f"waiting for {url}: {result.detail}; retrying in {pause:.1f} s")
        sleep(pause)
        attempt += 1
