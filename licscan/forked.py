"""Work on the second core: a forked child computes a JSON value and hands it back through a pipe, or works
through a list the parent is still making."""

from __future__ import annotations

import gc
import json
import mmap
import os
import struct
import sys
from typing import Any, Callable, NamedTuple


class Child(NamedTuple):
    pid: int
    read_end: int


class Codec(NamedTuple):
    """How values cross a pipe: to bytes holding no raw newline, and back to the same value."""

    dump: Callable[[Any], bytes]
    load: Callable[[bytes], Any]


JSON = Codec(lambda value: json.dumps(value, separators=(",", ":")).encode("utf-8"), json.loads)


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
    try:
        return json.loads(_read_to_end(child.read_end, child.pid))
    except ValueError:
        return None


def _read_to_end(read_end: int, pid: int) -> bytes:
    """Everything a child writes to its pipe until it exits; then the child is reaped."""
    chunks = []
    try:
        with os.fdopen(read_end, "rb") as pipe:
            while True:
                chunk = pipe.read(1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    return b"".join(chunks)


# ---------------------------------------------------------------------------------------------
# A helper that starts on a list while the parent is still making it
# ---------------------------------------------------------------------------------------------

# Two numbers in memory both processes see, each written by one side only: how many positions the helper has
# started (it goes up from the front), and the lowest position the parent has taken (it comes down from the
# back). Neither needs a lock: each side checks the other's number before it starts a position and stops
# where they meet; in a race both may do the same position, which gives the same result twice, never none.
# They are read and written through a memoryview of C ints: one aligned load or store each (struct.pack_into
# zero-fills before it writes, and the other side could read that zero).
_STARTED, _TAKEN = 0, 1
_NONE_TAKEN = (1 << 31) - 1


class Helper:
    """A forked child that works through items while the parent is still producing them (a walk of the
    project), in the order sent. When the parent has sent the last one, it takes items from the back of the
    helper's list until the two meet, so both finish together however uneven the items' costs are.
    """

    def __init__(self, pid: int, items_fd: int, results_fd: int, mapping: mmap.mmap, numbers: memoryview,
                 codec: Codec = JSON) -> None:
        self.pid = pid
        self._codec = codec
        self._items_fd = items_fd
        self._results_fd = results_fd
        self._mapping = mapping
        self._shared = numbers
        self._unsent = bytearray()
        self.sent = 0
        self.alive = True

    @classmethod
    def start(cls, work: Callable[[Any], Any], codec: Codec = JSON) -> "Helper | None":
        """Fork a helper that calls `work(item)` for each item it is sent; None when none could start. Items and
        results cross the pipes through `codec` (the standard library's JSON unless the caller has a faster one)."""
        if not can_fork():
            return None
        try:
            shared = mmap.mmap(-1, 2 * struct.calcsize("i"))
            numbers = memoryview(shared).cast("i")
            numbers[_STARTED], numbers[_TAKEN] = 0, _NONE_TAKEN
            items_read, items_write = os.pipe()
            results_read, results_write = os.pipe()
            parent = os.getpid()  # before the fork: a parent gone before the helper runs must not pass for it
            # What exists now is long-lived in both processes: their cycle collectors leave it alone, so neither
            # writes its marks into pages the two still share (each such write copies a page: ~7% fewer copies).
            gc.freeze()
            pid = os.fork()
        except OSError:
            return None
        if pid == 0:
            status = 0
            try:
                os.close(items_write)
                os.close(results_read)
                results = _helper_loop(work, items_read, numbers, parent, codec.load)
                with os.fdopen(results_write, "wb") as pipe:
                    pipe.write(codec.dump(results))
            except BaseException:  # noqa: BLE001 - the parent does whatever is not handed back
                status = 1
            finally:
                os._exit(status)
        os.close(items_read)
        os.close(results_write)
        os.set_blocking(items_write, False)
        return cls(pid, items_write, results_read, shared, numbers, codec)

    def send(self, items: list[Any]) -> None:
        """Queue JSON-able items for the helper, without waiting for it to read them."""
        self._unsent += self._codec.dump(items) + b"\n"
        self.sent += len(items)
        self._flush()

    def end(self) -> None:
        """No more items: waits until all are sent."""
        self.send([])
        if self.alive:
            os.set_blocking(self._items_fd, True)
            self._flush()
        try:
            os.close(self._items_fd)
        except OSError:
            pass

    def left(self) -> int:
        """How many items neither the helper has started nor the parent has taken."""
        taken = min(self._shared[_TAKEN], self.sent)
        return max(taken - self._shared[_STARTED], 0) if self.alive else 0

    def take_last(self) -> int | None:
        """The position of the last item the helper has not started, now the parent's; None when none is left."""
        if not self.left():
            return None
        position = min(self._shared[_TAKEN], self.sent) - 1
        self._shared[_TAKEN] = position
        return position

    def results(self) -> dict[int, Any]:
        """Position -> the helper's result, for the items it did; empty when it failed."""
        try:
            payload = _read_to_end(self._results_fd, self.pid)
        finally:
            self._shared.release()
            try:
                self._mapping.close()
            except BufferError:
                pass  # a view of it is still held somewhere: the memory goes with the process
        try:
            pairs = self._codec.load(payload)
            return {int(position): result for position, result in pairs}
        except (ValueError, TypeError):
            return {}

    def _flush(self) -> None:
        while self._unsent and self.alive:
            try:
                written = os.write(self._items_fd, self._unsent)
            except BlockingIOError:
                return  # the pipe is full: the rest goes with a later send
            except OSError:
                self.alive = False  # the helper is gone: its results will be missing
                return
            del self._unsent[:written]


def _helper_loop(work: Callable[[Any], Any], items_fd: int, shared: memoryview, parent: int,
                 load: Callable[[bytes], Any] = json.loads) -> list[list[Any]]:
    """The helper's side: read what the parent sends and work through it until it meets what the parent took;
    hand back the results."""
    items: list[Any] = []
    results: list[list[Any]] = []
    buffered = b""
    ended = False
    position = 0
    blocking = True
    while True:
        if not ended:
            # What the parent has sent meanwhile, at once when there is nothing else to do; once all is sent, the
            # pipe is not looked at again (three system calls per item, most of them after the walk's end).
            if blocking != (position >= len(items)):
                blocking = not blocking
                os.set_blocking(items_fd, blocking)
            try:
                chunk = os.read(items_fd, 1 << 20)
            except BlockingIOError:
                chunk = None
            if chunk == b"":
                ended = True  # the parent closed its end: all is sent
            elif chunk:
                buffered += chunk
                *lines, buffered = buffered.split(b"\n")
                for line in lines:
                    batch = load(line)
                    if not batch:
                        ended = True
                    items.extend(batch)
        if ended and position >= len(items):
            break
        if position < len(items):
            if position >= shared[_TAKEN] or os.getppid() != parent:
                break  # the parent has taken the rest, or is gone (its pipe closed early) and wants nothing
            shared[_STARTED] = position + 1
            results.append([position, work(items[position])])
            position += 1
    return results
