"""An exclusive lock on the workspace, so two init runs on one volume take turns."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import WaitTimeout


@contextmanager
def exclusive_lock(
    path: Path, timeout: float, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold an ``flock`` on ``path``; the kernel drops it if the holder dies (even ``kill -9``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WaitTimeout(f"another ilum-init still holds {path}") from None
                if on_wait and not told:
                    on_wait()
                    told = True
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)
