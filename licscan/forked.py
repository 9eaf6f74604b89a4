"""Work on the second core: a forked child computes a JSON value and hands it back through a pipe."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Callable, NamedTuple


class Child(NamedTuple):
    pid: int
    read_end: int


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def can_fork() -> bool:
    """Whether a child can be forked safely: the platform has fork, and no other thread runs (a child forked
    while another thread holds a lock can deadlock). A process that never imported threading started none."""
    if not hasattr(os, "fork"):
        return False
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() <= 1


def start(work: Callable[[], Any]) -> Child | None:
    """Fork a child that runs `work` and writes its JSON-able result to a pipe; None when no child started
    (the caller then does the work itself)."""
    if not can_fork():
        return None
    try:
        read_end, write_end = os.pipe()
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:  # the child: work, write, leave without running the parent's clean-up
        status = 0
        try:
            os.close(read_end)
            payload = json.dumps(work(), separators=(",", ":")).encode("utf-8")
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
        except BaseException:  # noqa: BLE001 - the parent notices the missing result and does the work itself
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    return Child(pid, read_end)


def collect(child: Child | None) -> Any:
    """The child's result, or None when there is no child or it died or wrote nothing readable."""
    if child is None:
        return None
    chunks = []
    try:
        with os.fdopen(child.read_end, "rb") as pipe:
            while True:
                chunk = pipe.read(1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        try:
            os.waitpid(child.pid, 0)
        except ChildProcessError:
            pass
    try:
        return json.loads(b"".join(chunks))
    except ValueError:
        return None
