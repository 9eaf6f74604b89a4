"""Scanning the walked files: each through the sources that want it, from the cache where it can, on more cores when it pays."""

from __future__ import annotations

import pathlib
from typing import Any

from licscan import forked
from licscan.model import DiscoverySettings, Skipped

from .cache import ResultCache, digest, dump_output, load_output
from .common import url_fallback
from .interface import DiscoverySource, ProjectFile, SourceOutput
from .registry import wanted_by
from .walk import HEADER, TEXT, FileEntry, read

# Below this many unread bytes a second process costs more (fork, result transfer) than it saves.
PARALLEL_MIN_BYTES = 16_000_000
_NOTHING = SourceOutput()
# Reasons after which the file's Hub URLs are still worth a plain text search.
FALLBACK_REASONS = frozenset({"parse-error", "not-utf8"})


def mode(relpath: str) -> str | None:
    """How the walker should read a file: not at all, whole (TEXT), or only its header (HEADER)."""
    sources = wanted_by(relpath)
    if not sources:
        return None
    return HEADER if all(source.header_only for source in sources) else TEXT


def scan_file(file: ProjectFile) -> SourceOutput:
    """Everything the sources that want the file find in it; a source that fails becomes a Skipped."""
    occurrences: list = []
    local_models: list = []
    skipped: list = []
    fallback_done = False
    for source in wanted_by(file.relpath):
        output = _scan(source, file)
        occurrences.extend(output.occurrences)
        local_models.extend(output.local_models)
        skipped.extend(output.skipped)
        if not fallback_done and any(item.reason in FALLBACK_REASONS for item in output.skipped):
            # A source that searched the unreadable parts itself (a notebook, by cell) needs no file-wide search.
            if not any(item.via == "fallback" for item in output.occurrences):
                occurrences.extend(url_fallback(file.data, file.relpath, source.name))
            fallback_done = True
    return SourceOutput(tuple(occurrences), tuple(local_models), tuple(skipped))


def _scan(source: DiscoverySource, file: ProjectFile) -> SourceOutput:
    try:
        return source.scan(file)
    except Exception as exc:  # noqa: BLE001 - one file must not end the scan; the Skipped says why
        return SourceOutput(
            skipped=(Skipped(file.relpath, "parse-error", f"{source.name} source failed: {type(exc).__name__}: {exc}"[:300]),)
        )


def _process(entry: FileEntry, root: pathlib.Path, settings: DiscoverySettings, cache: ResultCache) -> list[Any]:
    """[relpath, size, mtime_ns, digest, [was read, output]] for one file, as the cache stores it."""
    item = read(entry, root, settings)
    if isinstance(item, Skipped):
        return [entry.relpath, entry.size, entry.mtime_ns, None, [False, dump_output(SourceOutput(skipped=(item,)))]]
    content_digest = None
    if entry.mode == TEXT and entry.relpath in cache.old:
        # Known file with a new time: unchanged bytes (a checkout, a touch) keep their result.
        content_digest = digest(item.data)
        known = cache.by_content(entry.relpath, content_digest)
        if known is not None:
            return [entry.relpath, entry.size, entry.mtime_ns, content_digest, known]
    output = scan_file(item)
    if not (output.occurrences or output.local_models or output.skipped):
        # Most files name nothing: stored as such, and (unhashed) rescanned as fast as they would hash.
        return [entry.relpath, entry.size, entry.mtime_ns, content_digest, [True, None]]
    if entry.mode == TEXT and content_digest is None:
        content_digest = digest(item.data)
    return [entry.relpath, entry.size, entry.mtime_ns, content_digest, [True, dump_output(output)]]


def scan_entries(
    entries: list[FileEntry], root: pathlib.Path, settings: DiscoverySettings, cache: ResultCache
) -> list[tuple[bool, SourceOutput]]:
    """(was read, output) per entry, in the entries' order."""
    results: list[list[Any] | None] = [None] * len(entries)
    pending: list[int] = []
    for index, entry in enumerate(entries):
        cached = cache.fresh(entry.relpath, entry.size, entry.mtime_ns)
        results[index] = cached
        if cached is None:
            pending.append(index)

    workers = _workers(settings, sum(entries[index].size for index in pending if entries[index].mode == TEXT), len(pending))
    shares = [pending[offset::workers] for offset in range(workers)]
    children = [_fork(share, entries, root, settings, cache) for share in shares[1:]]
    for index in shares[0] if shares else []:
        row = _process(entries[index], root, settings, cache)
        cache.put(*row)
        results[index] = row[4]
    for share, child in zip(shares[1:], children):
        rows = _collect(child)
        if rows is None or len(rows) != len(share):
            # The worker died or said something unreadable: do its share here.
            rows = [_process(entries[index], root, settings, cache) for index in share]
        for index, row in zip(share, rows):
            cache.put(*row)
            results[index] = row[4]
    return [
        (bool(result[0]), load_output(result[1]) if result[1] else _NOTHING)  # type: ignore[index]
        for result in results
    ]


def _workers(settings: DiscoverySettings, pending_bytes: int, pending_files: int) -> int:
    if pending_files < 2 or not forked.can_fork():
        return 1
    if settings.workers > 0:
        return min(settings.workers, pending_files)
    return min(2, forked.cores()) if pending_bytes >= PARALLEL_MIN_BYTES else 1


def _fork(
    share: list[int], entries: list[FileEntry], root: pathlib.Path, settings: DiscoverySettings, cache: ResultCache
) -> forked.Child | None:
    """Start a child that scans `share` and hands back its rows, or None."""
    return forked.start(lambda: [_process(entries[index], root, settings, cache) for index in share])


def _collect(child: forked.Child | None) -> list[Any] | None:
    rows = forked.collect(child)
    return rows if isinstance(rows, list) else None
