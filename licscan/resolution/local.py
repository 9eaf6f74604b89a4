"""The licence file of a model folder inside the project, read like a Hub repo's without leaving the project."""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

# The weights' licence before the folder's general one, as for Hub repos; a NOTICE file last.
LOCAL_LICENSE_FILES = ("LICENSE-MODEL", "LICENSE-MODEL.md", "LICENSE-MODEL.txt", "LICENSE", "LICENSE.md",
                       "LICENSE.txt", "NOTICE", "NOTICE.md", "NOTICE.txt")
MAX_LICENSE_BYTES = 2_000_000


def _inside(root: Path, relpath: str) -> Path | None:
    """root/relpath when no part of it is a symlink and it stays inside root; else None."""
    parts = PurePosixPath(relpath).parts
    if not parts or any(part in ("..", "") for part in parts) or PurePosixPath(relpath).is_absolute():
        return None
    path = root
    for part in parts:
        path = path / part
        try:
            if stat.S_ISLNK(os.lstat(path).st_mode):
                return None  # never follow a link out of (or around inside) the folder being read
        except OSError:
            return None
    return path


def read_local_license(project_root: str | None, location: str) -> tuple[str | None, str | None]:
    """(file name, text) of the licence file beside a local model's file (location, relative to the project).

    Reads regular files only, at most MAX_LICENSE_BYTES of each, never through a symlink; (None, None) when
    there is none or the project root is not known.
    """
    if not project_root:
        return None, None
    folder_rel = str(PurePosixPath(location).parent)
    root = Path(project_root)
    folder = root if folder_rel in (".", "") else _inside(root, folder_rel)
    if folder is None:
        return None, None
    try:
        names = {entry.name: entry for entry in os.scandir(folder)}
    except OSError:
        return None, None
    for wanted in LOCAL_LICENSE_FILES:
        entry = names.get(wanted) or next((e for n, e in names.items() if n.upper() == wanted.upper()), None)
        if entry is None:
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(entry.path, flags)
            with os.fdopen(fd, "rb") as handle:
                data = handle.read(MAX_LICENSE_BYTES)
        except OSError:
            continue
        return entry.name, data.decode("utf-8", errors="replace")
    return None, None
