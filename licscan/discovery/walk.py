"""Walk a project tree: honour .gitignore files and excludes, prune tool folders, read files once."""

from __future__ import annotations

import os
import pathlib
from dataclasses import dataclass
from typing import Callable, Iterator

import pathspec

from licscan.model import DiscoverySettings, Skipped

from .interface import ProjectFile

ALWAYS_SKIPPED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "__pycache__", "node_modules", ".venv", "venv", ".tox", ".nox",
        "site-packages", ".mypy_cache", ".pytest_cache", ".ruff_cache", "dist", "build",
    }
)
BINARY_SNIFF_BYTES = 8192
MAX_IGNORE_FILE_BYTES = 1_000_000


@dataclass(frozen=True)
class _Rules:
    """The ignore rules of one directory: its patterns match paths relative to it."""

    base: str  # POSIX, relative to root; "" for the root
    spec: pathspec.GitIgnoreSpec


def _read_ignore_file(path: pathlib.Path) -> list[str]:
    try:
        if path.stat().st_size > MAX_IGNORE_FILE_BYTES:
            return []
        return path.read_bytes().decode("utf-8", errors="replace").splitlines()
    except OSError:
        return []


def _ignored(rules: list[_Rules], relpath: str, is_dir: bool) -> bool:
    """Git's answer: the deepest ignore file with a matching pattern decides."""
    for rule in reversed(rules):
        if rule.base:
            if not relpath.startswith(rule.base + "/"):
                continue
            local = relpath[len(rule.base) + 1 :]
        else:
            local = relpath
        result = rule.spec.check_file(local + "/" if is_dir else local)
        if result.include is not None:
            return result.include
    return False


def _inside(path: pathlib.Path, root: pathlib.Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def walk(
    root: pathlib.Path,
    settings: DiscoverySettings,
    wants: Callable[[str], bool],
) -> Iterator[ProjectFile | Skipped]:
    """Yield every file some source wants, read once, or a Skipped saying why it was not read.

    Files no source wants are never opened, and ignored or excluded files are not reported.
    """
    real_root = root.resolve()
    # The user's excludes are checked apart from .gitignore so no '!' pattern can undo them.
    exclude = pathspec.GitIgnoreSpec.from_lines(list(settings.exclude)) if settings.exclude else None
    base_rules: list[_Rules] = []
    # .git/info/exclude is the repository's own, unshared ignore list.
    info_exclude = _read_ignore_file(root / ".git" / "info" / "exclude")
    if info_exclude:
        base_rules.append(_Rules("", pathspec.GitIgnoreSpec.from_lines(info_exclude)))

    def skip(rules: list[_Rules], relpath: str, is_dir: bool) -> bool:
        if exclude is not None and exclude.match_file(relpath + "/" if is_dir else relpath):
            return True
        return _ignored(rules, relpath, is_dir)

    stack: list[tuple[pathlib.Path, str, list[_Rules]]] = [(root, "", base_rules)]
    while stack:
        directory, rel_dir, rules = stack.pop()
        try:
            with os.scandir(directory) as iterator:
                entries = sorted(iterator, key=lambda entry: entry.name)
        except OSError as exc:
            yield Skipped(rel_dir or ".", "unreadable", f"directory cannot be listed: {exc.strerror or exc}")
            continue

        if any(entry.name == ".gitignore" for entry in entries):
            lines = _read_ignore_file(directory / ".gitignore")
            if lines:
                rules = [*rules, _Rules(rel_dir, pathspec.GitIgnoreSpec.from_lines(lines))]

        subdirs: list[tuple[pathlib.Path, str]] = []
        for entry in entries:
            relpath = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if entry.name in ALWAYS_SKIPPED_DIRS or skip(rules, relpath, True):
                    continue
                if os.path.exists(os.path.join(entry.path, "pyvenv.cfg")):
                    continue  # a virtualenv under any name
                subdirs.append((pathlib.Path(entry.path), relpath))
                continue
            if skip(rules, relpath, False) or not wants(relpath):
                continue
            path = pathlib.Path(entry.path)
            if is_link:
                # Linked directories are never followed (no loops, no double counting);
                # linked files are read only when they stay inside the project.
                if path.is_dir():
                    continue
                if not _inside(path, real_root):
                    yield Skipped(relpath, "outside-root", "symbolic link to a file outside the project")
                    continue
            yield _read(path, relpath, root, settings)
        for sub_path, sub_rel in reversed(subdirs):
            stack.append((sub_path, sub_rel, rules))


def _read(path: pathlib.Path, relpath: str, root: pathlib.Path, settings: DiscoverySettings) -> ProjectFile | Skipped:
    try:
        size = path.stat().st_size
        if size > settings.max_file_bytes:
            return Skipped(relpath, "too-large", f"{size} bytes, over the limit of {settings.max_file_bytes}")
        with open(path, "rb") as handle:
            data = handle.read(settings.max_file_bytes + 1)
    except OSError as exc:
        return Skipped(relpath, "unreadable", exc.strerror or str(exc))
    if len(data) > settings.max_file_bytes:
        return Skipped(relpath, "too-large", f"over the limit of {settings.max_file_bytes} bytes")
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        return Skipped(relpath, "binary", "contains NUL bytes")
    return ProjectFile(relpath=relpath, abspath=path, data=data, root=root, settings=settings)
