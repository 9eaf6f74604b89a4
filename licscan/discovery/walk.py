"""Walk a project tree: honour .gitignore files, excludes and the ignore list, prune tool folders, read files once."""

from __future__ import annotations

import os
import pathlib
import re
import stat as stat_mode
from typing import TYPE_CHECKING, Any, Callable, Iterator, NamedTuple, Protocol

from licscan import lazy_re
from licscan.model import DiscoverySettings, IgnoreEntry, Skipped
from licscan.untrusted import shown_path

from .interface import ProjectFile

if TYPE_CHECKING:
    import pathspec

# Tool state that never holds the project's own files: pruned without a word.
SILENT_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
# Other people's code or generated output: pruned, and reported so a reviewer knows they were not read.
REPORTED_DIRS = {
    "node_modules": ("dependencies", "installed JavaScript packages"),
    "site-packages": ("dependencies", "installed Python packages"),
    ".venv": ("virtual-environment", "a virtual environment"),
    "venv": ("virtual-environment", "a virtual environment"),
    ".tox": ("virtual-environment", "tox environments"),
    ".nox": ("virtual-environment", "nox environments"),
    "dist": ("build-output", "build output"),
    "build": ("build-output", "build output"),
}
ALWAYS_SKIPPED_DIRS = SILENT_DIRS | frozenset(REPORTED_DIRS)
BINARY_SNIFF_BYTES = 8192
MAX_IGNORE_FILE_BYTES = 1_000_000
HEADER_BYTES = 65_536  # what a header-only source is handed; it reads further itself, bounded
IGNORED = "ignored-by-config"

TEXT = "text"
HEADER = "header"


def _gitignore_spec(lines: list[str]) -> pathspec.GitIgnoreSpec:
    import pathspec  # imported on first use: checking a few given files with no excludes never needs it

    # The plain re backend: with hyperscan installed (discovery's needles use it) pathspec would otherwise
    # compile a hyperscan database per .gitignore, ~30 ms each, for lists of a few patterns.
    return pathspec.GitIgnoreSpec.from_lines(lines, backend="simple")


class FileEntry(NamedTuple):
    """A file some source wants, with what the cache needs to know before reading it."""

    relpath: str
    abspath: str
    size: int
    mtime_ns: int
    mode: str  # TEXT (read whole, size-limited) or HEADER (the first HEADER_BYTES, any size)


class _Rules:
    """The ignore rules of one directory: its patterns match paths relative to it.

    Most paths match no pattern at all. A pre-check from the patterns' plain names and suffixes (and one
    regex for the few patterns that are neither) says so without pathspec; only the paths it lets through
    get pathspec's pattern-by-pattern answer (negations, order), and pathspec compiles only when first asked.
    """

    def __init__(self, base: str, lines: list[str]) -> None:
        self.base = base  # POSIX, relative to root; "" for the root
        self.lines = lines
        self._spec: pathspec.GitIgnoreSpec | None = None
        self.names: set[str] = set()
        self.suffixes: list[str] = []
        other: list[str] = []
        for line in lines:
            pattern = line.strip()
            if not pattern or pattern.startswith("#"):
                continue
            pattern = pattern.removeprefix("!").removeprefix("\\").strip("/")
            if not pattern:
                continue
            if "/" not in pattern and not any(char in pattern for char in "*?[\\"):
                self.names.add(pattern)
            elif "/" not in pattern and pattern.startswith("*") and not any(c in pattern[1:] for c in "*?[\\"):
                self.suffixes.append(pattern[1:])
            else:
                other.append(pattern)
        self.suffix_tuple = tuple(self.suffixes)
        self._other_patterns = other
        self._other: re.Pattern[str] | None = None

    @property
    def spec(self) -> pathspec.GitIgnoreSpec:
        if self._spec is None:
            self._spec = _gitignore_spec(self.lines)
        return self._spec

    def check(self, path: str) -> bool | None:
        """True (ignored), False (re-included) or None (no pattern here matches)."""
        parts = path.rstrip("/").split("/")
        maybe = any(part in self.names or (self.suffix_tuple and part.endswith(self.suffix_tuple)) for part in parts)
        if not maybe and self._other_patterns:
            if self._other is None:
                self._other = _any_of(self._other_patterns)
            maybe = self._other.match(path) is not None
        if not maybe:
            return None
        return self.spec.check_file(path).include


def _any_of(patterns: list[str]) -> re.Pattern[str]:
    """One regex matching where any of the gitignore patterns matches (pathspec's own regexes, joined)."""
    regexes = [
        pattern.regex.pattern
        for pattern in _gitignore_spec(patterns).patterns
        if pattern.include is not None and getattr(pattern, "regex", None) is not None
    ]
    try:
        return re.compile("|".join(f"(?:{_NAMED_GROUP.sub('(?:', regex)})" for regex in regexes) or "(?!)")
    except re.error:
        return re.compile("")  # cannot tell: every path goes to pathspec


_NAMED_GROUP = lazy_re.compile(r"\(\?P<[A-Za-z_][A-Za-z0-9_]*>")


def _read_ignore_file(path: pathlib.Path) -> list[str]:
    try:
        found = path.stat()
        if found.st_size > MAX_IGNORE_FILE_BYTES or not stat_mode.S_ISREG(found.st_mode):
            return []  # (a named pipe would block the read)
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
        result = rule.check(local + "/" if is_dir else local)
        if result is not None:
            return result
    return False


def _inside(path: pathlib.Path, root: pathlib.Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError, RuntimeError):
        return False
    return True


class IgnoreList:
    """The configuration's ignored paths, each with its reason."""

    def __init__(self, entries: tuple[IgnoreEntry, ...]) -> None:
        self.rules = [
            (_gitignore_spec([entry.path]), entry.path, entry.reason)
            for entry in entries
            if entry.path
        ]

    def reason(self, relpath: str, is_dir: bool) -> str | None:
        target = relpath + "/" if is_dir else relpath
        for spec, pattern, reason in self.rules:
            if spec.match_file(target):
                return f"{pattern}: {reason}"
        return None


class Listings(Protocol):
    """Where the walker keeps each directory's classified listing between scans (the discovery cache)."""

    def listing(self, relpath: str, mtime_ns: int, stamp: str) -> list[list[Any]] | None:
        ...

    def keep_listing(self, relpath: str, mtime_ns: int, stamp: str, items: list[list[Any]]) -> None:
        ...


def walk(
    root: pathlib.Path,
    settings: DiscoverySettings,
    wants: Callable[[str], str | None],
    listings: Listings | None = None,
) -> Iterator[FileEntry | Skipped]:
    """Yield every file some source wants (with its size and time, not yet read), or a Skipped saying why not.

    `wants(name)` is TEXT, HEADER or None. Files no source wants are never opened; .gitignored and
    excluded files are not reported; ignored ones (the configuration's ignore list) are.

    With `listings`, a directory whose modification time and ignore rules are unchanged is not classified
    again: its remembered listing says which entries are wanted files, folders or skipped (files are still
    stat'ed, for the cache of their results).
    """
    real_root = root.resolve()
    # The user's excludes are checked apart from .gitignore so no '!' pattern can undo them.
    exclude = _gitignore_spec(list(settings.exclude)) if settings.exclude else None
    ignore_list = IgnoreList(settings.ignore)
    base_rules: list[_Rules] = []
    # .git/info/exclude is the repository's own, unshared ignore list.
    info_exclude_path = root / ".git" / "info" / "exclude"
    info_exclude = _read_ignore_file(info_exclude_path)
    if info_exclude:
        base_rules.append(_Rules("", info_exclude))
    # Whatever decides a listing besides the directory's own entries: the settings and the ignore files. (Only
    # with listings to look up: the stamp's hash loads OpenSSL, ~3 ms of a run that keeps no cache.)
    base_stamp = "" if listings is None else _stamp(repr((settings.exclude, settings.ignore)),
                                                    _file_stamp(str(info_exclude_path)))

    def skip(rules: list[_Rules], relpath: str, is_dir: bool) -> bool:
        if exclude is not None and exclude.match_file(relpath + "/" if is_dir else relpath):
            return True
        return _ignored(rules, relpath, is_dir)

    def classify(entries: list[os.DirEntry[str]], rel_dir: str, rules: list[_Rules]) -> list[list[Any]]:
        """[name, kind, detail...] per entry that matters: "d" folder to walk, "f" wanted file (with its read
        mode), "s" skipped (reason, detail)."""
        items: list[list[Any]] = []
        for entry in entries:
            name = entry.name
            relpath = f"{rel_dir}/{name}" if rel_dir else name
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if name in SILENT_DIRS or skip(rules, relpath, True):
                    continue
                reason = ignore_list.reason(relpath, True)
                if reason is not None:
                    items.append([name, "s", IGNORED, reason])
                elif name in REPORTED_DIRS:
                    items.append([name, "s", *REPORTED_DIRS[name]])
                elif os.path.exists(os.path.join(entry.path, "pyvenv.cfg")):
                    items.append([name, "s", "virtual-environment", "a virtual environment (pyvenv.cfg)"])
                else:
                    items.append([name, "d"])
                continue
            if skip(rules, relpath, False):
                continue
            mode = wants(name)
            if mode is None:
                continue
            reason = ignore_list.reason(relpath, False)
            if reason is not None:
                items.append([name, "s", IGNORED, reason])
                continue
            if is_link:
                # Linked directories are never followed (no loops, no double counting);
                # linked files are read only when they stay inside the project.
                if os.path.isdir(entry.path):
                    continue
                if not _inside(pathlib.Path(entry.path), real_root):
                    items.append([name, "s", "outside-root", "symbolic link to a file outside the project"])
                    continue
            items.append([name, "f", mode])
        return items

    stack: list[tuple[str, str, list[_Rules], str]] = [(str(root), "", base_rules, base_stamp)]
    while stack:
        directory, rel_dir, rules, stamp = stack.pop()
        try:
            if listings is None:
                # No listing to look up, so nothing to stamp: the directory is listed first, and its .gitignore
                # read only when the listing shows one (two stat calls fewer per directory).
                entries = _listed(directory)
                if any(entry.name.lower() == ".gitignore" for entry in entries):  # (as the file system finds it)
                    rules = _with_ignore_file(rules, directory, rel_dir)
                items = classify(entries, rel_dir, rules)
            else:
                ignore_stamp = _file_stamp(os.path.join(directory, ".gitignore"))
                if ignore_stamp != "-":
                    rules = _with_ignore_file(rules, directory, rel_dir)
                    stamp = _stamp(stamp, rel_dir, ignore_stamp)
                mtime_ns = os.stat(directory).st_mtime_ns
                items = listings.listing(rel_dir, mtime_ns, stamp)
                if items is None:
                    items = classify(_listed(directory), rel_dir, rules)
                    listings.keep_listing(rel_dir, mtime_ns, stamp, items)
        except OSError as exc:
            yield Skipped(shown_path(rel_dir) or ".", "unreadable", f"directory cannot be listed: {exc.strerror or exc}")
            continue
        subdirs: list[tuple[str, str, list[_Rules], str]] = []
        for item in items:
            name, kind = item[0], item[1]
            relpath = f"{rel_dir}/{name}" if rel_dir else name
            path = os.path.join(directory, name)
            if kind == "d":
                subdirs.append((path, relpath, rules, stamp))
            elif kind == "s":
                yield Skipped(shown_path(relpath), item[2], item[3])
            elif kind == "f":
                try:
                    stat = os.stat(path)
                except OSError as exc:
                    yield Skipped(shown_path(relpath), "unreadable", exc.strerror or str(exc))
                    continue
                # (The path is read by `path`; reports hold `relpath` as shown_path writes it.)
                relpath = shown_path(relpath)
                if not stat_mode.S_ISREG(stat.st_mode):
                    # A named pipe would block the read until something writes to it; a device or socket
                    # has no content to parse. Never opened.
                    yield Skipped(relpath, "not-a-file", f"a {_special_kind(stat.st_mode)}, not a regular file")
                    continue
                if item[2] == TEXT and stat.st_size > settings.max_file_bytes:
                    yield Skipped(relpath, "too-large",
                                  f"{stat.st_size} bytes, over the limit of {settings.max_file_bytes}")
                    continue
                yield FileEntry(relpath, path, stat.st_size, stat.st_mtime_ns, item[2])
        stack.extend(reversed(subdirs))


def _listed(directory: str) -> list[os.DirEntry[str]]:
    with os.scandir(directory) as iterator:
        return list(iterator)


def _with_ignore_file(rules: list[_Rules], directory: str, rel_dir: str) -> list[_Rules]:
    """The rules with those of the directory's .gitignore added (when it has any)."""
    lines = _read_ignore_file(pathlib.Path(directory, ".gitignore"))
    return [*rules, _Rules(rel_dir, lines)] if lines else rules


def _special_kind(mode: int) -> str:
    if stat_mode.S_ISFIFO(mode):
        return "named pipe"
    if stat_mode.S_ISSOCK(mode):
        return "socket"
    if stat_mode.S_ISCHR(mode) or stat_mode.S_ISBLK(mode):
        return "device"
    return "special file"


def _file_stamp(path: str) -> str:
    try:
        stat = os.stat(path)
    except OSError:
        return "-"
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _stamp(*parts: str) -> str:
    import hashlib  # (here: loading OpenSSL costs ~3 ms, and a pre-commit check stamps no listing)

    return hashlib.blake2b("\x00".join(parts).encode("utf-8"), digest_size=8).hexdigest()


def read(entry: FileEntry, root: pathlib.Path, settings: DiscoverySettings) -> ProjectFile | Skipped:
    """The file's bytes for the sources (or, for header-only files, its first bytes), or why not."""
    path = entry.abspath
    if entry.mode == HEADER:
        try:
            with open(path, "rb") as handle:
                data = handle.read(HEADER_BYTES)
        except OSError as exc:
            return Skipped(entry.relpath, "unreadable", exc.strerror or str(exc))
        return ProjectFile(relpath=entry.relpath, abspath=path, data=data, root=root, settings=settings)
    return _read(path, entry.relpath, entry.size, root, settings)


def _read(path: str, relpath: str, size: int, root: pathlib.Path, settings: DiscoverySettings) -> ProjectFile | Skipped:
    """The whole file, `size` bytes long when the walk looked at it."""
    limit = settings.max_file_bytes
    try:
        # os.open/os.read: a third cheaper than open().read() over thousands of small files.
        # O_NONBLOCK: a file swapped for a named pipe after the walk must not block the read (no effect on
        # regular files).
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0))
        try:
            # One read of the size the walk saw, plus a byte to notice a file that has grown since.
            data = os.read(descriptor, min(size, limit) + 1)
            if len(data) > size:
                chunks = [data]
                total = len(data)
                while total <= limit:
                    chunk = os.read(descriptor, limit + 1 - total)
                    if not chunk:
                        break
                    chunks.append(chunk)
                    total += len(chunk)
                data = b"".join(chunks)
        finally:
            os.close(descriptor)
    except OSError as exc:
        return Skipped(relpath, "unreadable", exc.strerror or str(exc))
    if len(data) > limit:
        return Skipped(relpath, "too-large", f"over the limit of {limit} bytes")
    if data.find(b"\x00", 0, BINARY_SNIFF_BYTES) >= 0:
        return Skipped(relpath, "binary", "contains NUL bytes")
    return ProjectFile(relpath=relpath, abspath=path, data=data, root=root, settings=settings)


def exclude_matcher(settings: DiscoverySettings) -> Callable[[str], bool]:
    """The user's excludes as a test on one relative path (for reading given files without a walk)."""
    if not settings.exclude:
        return lambda relpath: False
    spec = _gitignore_spec(list(settings.exclude))
    return lambda relpath: bool(spec.match_file(relpath))
