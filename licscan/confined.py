"""Reading a file of a folder licscan was pointed at (a mirror) without leaving it: no link out, no special file,
never more than a cap."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class Unreadable(Exception):
    """A file that is there but is not read; the message says why, in words for a report."""


def inside(path: Path, root: Path) -> bool:
    """Whether path, with every link in it followed, is root or lies below it (root already resolved)."""
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def read_confined(root: Path, path: Path, limit: int, *, prefix: bool = False) -> bytes | None:
    """The bytes of `path`, a file under `root`; None when there is no such file. With prefix, its first
    `limit` bytes (a GGUF header), however large the file is.

    Raises Unreadable when the path leads out of root (a link, or a linked folder), is not a regular file (a
    FIFO, a device, a socket, a folder), is larger than `limit` bytes, or cannot be read. The file is read up
    to limit + 1 bytes, never whole; the open never blocks (O_NONBLOCK) and is checked again on the open
    descriptor, so a file swapped for a pipe or a link after the check is refused too.
    """
    real_root = root.resolve()
    try:
        os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise Unreadable(f"{path.name} cannot be read: {exc.strerror or exc}") from None
    if not inside(path, real_root):
        raise Unreadable(f"{path.name} is a link to outside {root}: not read")
    target = path.resolve()
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(target, flags)
    except OSError as exc:
        raise Unreadable(f"{path.name} cannot be read: {exc.strerror or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise Unreadable(f"{path.name} is not a regular file (a pipe, device or folder): not read")
        chunks: list[bytes] = []
        total = 0
        wanted = limit if prefix else limit + 1
        while total < wanted:
            chunk = os.read(descriptor, min(wanted - total, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise Unreadable(f"{path.name} cannot be read: {exc.strerror or exc}") from None
    finally:
        os.close(descriptor)
    if total > limit:
        raise Unreadable(f"{path.name} is larger than {limit:,} bytes: not read")
    return b"".join(chunks)
