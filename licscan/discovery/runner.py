"""Scanning the walked files: each through the sources that want it, from the cache where it can, on more cores when it pays."""

from __future__ import annotations

import functools
import pathlib
from typing import Any, Iterable

from licscan import forked, lazy_re, safeyaml
from licscan.model import DiscoverySettings, Skipped

from .cache import ResultCache, digest, dump_output, load_output
from .common import url_fallback
from .interface import DiscoverySource, ProjectFile, SourceOutput
from .needles import SearchedTogether
from .readings import FileReadings, searched_together
from .registry import SOURCES, sources_of_mask, wanted_by, wanted_mask
from .walk import HEADER, TEXT, FileEntry, read

# Helper processes start once the walk has found this many unread bytes: below it a second process costs
# more (fork, result transfer) than it saves (measured on parts of the discovery benchmark's corpus: 3.3 MB
# 0.16 -> 0.13 s with one helper, 5.9 MB 0.34 -> 0.24 s). An explicit `workers` setting starts them at once.
PARALLEL_MIN_BYTES = 2_000_000
_NOTHING = SourceOutput()
# Reasons after which the file's Hub URLs are still worth a plain text search.
FALLBACK_REASONS = frozenset({"parse-error", "not-utf8"})


@functools.lru_cache(maxsize=1 << 16)  # asked by the walk for every file name, most of them repeated
def mode(relpath: str) -> str | None:
    """How the walker should read a file: not at all, whole (TEXT), or only its header (HEADER)."""
    sources = wanted_by(relpath)
    if not sources:
        return None
    return HEADER if all(source.header_only for source in sources) else TEXT


def scan_file(file: ProjectFile, sources: tuple[DiscoverySource, ...] | None = None) -> SourceOutput:
    """Everything the sources that want the file find in it (`sources`: wanted_by(file.relpath), when the caller
    knows it already); a source that fails becomes a Skipped."""
    if sources is None:
        sources = wanted_by(file.relpath)
    if file.readings is None:
        passes = _passes_for(sources, file.settings)
        if passes or len(sources) > 1:
            # (Made field by field: _replace costs a few microseconds per file, for thousands of files.)
            file = ProjectFile(file.relpath, file.abspath, file.data, file.root, file.settings,
                               FileReadings(file.data, passes))
    found = []
    for source in sources:
        output = scan_with(source, file)
        if output.occurrences or output.local_models or output.skipped:
            found.append((source.name, output))
    if not found:
        return _NOTHING  # (most files name nothing)
    occurrences: list = []
    local_models: list = []
    skipped: list = []
    fallback_done = False
    for name, output in found:
        occurrences.extend(output.occurrences)
        local_models.extend(output.local_models)
        skipped.extend(output.skipped)
        if not fallback_done and any(item.reason in FALLBACK_REASONS for item in output.skipped):
            # A source that searched the unreadable parts itself (a notebook, by cell) needs no file-wide search.
            if not any(item.via == "fallback" for item in output.occurrences):
                occurrences.extend(url_fallback(file.data, file.relpath, name))
            fallback_done = True
    return SourceOutput(tuple(occurrences), tuple(local_models), tuple(skipped))


def _needle_sets(sources: tuple[DiscoverySource, ...], settings: DiscoverySettings) -> tuple:
    """The needle sets the sources search whole files for (interface.DiscoverySource), in registry order."""
    sets: list = []
    for source in sources:
        needles = getattr(source, "needles", None)
        if needles is not None:
            sets.extend(needles(settings))
    return tuple(sets)


# The needle sets compiled together, each set in one pass only: a one-pass database costs 1 to 20 ms to compile
# (the command source's patterns most), so one per kind of file (a database per combination of sources) compiled
# the same sets up to five times. The sets the sources of Python files search for are one pass: those files hold
# most of a project's bytes, and nothing else is searched over them. Every other source's sets are the other pass:
# configs, scripts and docs are small, and a few patterns more cost them less than another database. A file is
# searched by the passes that hold its sources' sets: one, or both for a kind that wants both (`env.py`); a kind
# that wants one set alone (notebooks, for the hosted-API source's words) searches it alone, for that set's
# own small database costs less than the other patterns of a pass over large files.
_PYTHON_FILE = "_.py"
# Per settings object (the one last asked with): the passes, and per combination of sources those it needs.
_PASSES: list[Any] = [None, (), {}]


def _search_passes(settings: DiscoverySettings) -> tuple[SearchedTogether, ...]:
    if _PASSES[0] is not settings:
        python_sets = _needle_sets(wanted_by(_PYTHON_FILE), settings)
        other_sets = tuple(dict.fromkeys(item for item in _needle_sets(SOURCES, settings) if item not in python_sets))
        _PASSES[:] = [settings, tuple(searched_together(sets) for sets in (python_sets, other_sets) if sets), {}]
    return _PASSES[1]


def _passes_for(sources: tuple[DiscoverySource, ...], settings: DiscoverySettings) -> tuple[SearchedTogether, ...]:
    """The passes holding the sources' needle sets (asked for every file: remembered per combination)."""
    passes = _search_passes(settings)
    known = _PASSES[2].get(sources)
    if known is None:
        wanted = _needle_sets(sources, settings)
        known = _PASSES[2][sources] = () if len(wanted) < 2 else tuple(
            together for together in passes if any(item in wanted for item in together.sets))
    return known


def _use_one_pass(entries: list[FileEntry], settings: DiscoverySettings) -> None:
    """A job large enough for helper processes: the passes the kinds of files walked so far need load their
    one-pass engine now, before the fork (each process would otherwise start with re, then compile it)."""
    lazy_re.compile_pending()  # the same for the sources' regular expressions, else compiled in each process
    # And PyYAML, which config files need: a job this large holds some more often than not, found anywhere in the
    # walk, and each process would import it after the fork (~12 ms each; start-up no longer loads it).
    safeyaml.import_parser()
    for sources in {wanted_by(entry.relpath) for entry in entries}:
        for together in _passes_for(sources, settings):
            together.use_one_pass()


def scan_with(source: DiscoverySource, file: ProjectFile) -> SourceOutput:
    try:
        return source.scan(file)
    except Exception as exc:  # noqa: BLE001 - one file must not end the scan; the Skipped says why
        return SourceOutput(
            skipped=(Skipped(file.relpath, "parse-error", f"{source.name} source failed: {type(exc).__name__}: {exc}"[:300]),)
        )


def _process(entry: FileEntry, root: pathlib.Path, settings: DiscoverySettings, cache: ResultCache,
             portable: bool = True, sources: tuple[DiscoverySource, ...] | None = None) -> list[Any]:
    """[relpath, size, mtime_ns, digest, [was read, output]] for one file, as the cache stores it; with
    portable=False the output is the SourceOutput itself (kept by this process, with no cache to write: turned
    into the cache's lists and back, 3,700 occurrences cost ~15 ms). `sources`: see scan_file."""
    item = read(entry, root, settings)
    keep = dump_output if portable else _as_is
    if isinstance(item, Skipped):
        return [entry.relpath, entry.size, entry.mtime_ns, None, [False, keep(SourceOutput(skipped=(item,)))]]
    content_digest = None
    if entry.mode == TEXT and entry.relpath in cache.old:
        # Known file with a new time: unchanged bytes (a checkout, a touch) keep their result.
        content_digest = digest(item.data)
        known = cache.by_content(entry.relpath, content_digest)
        if known is not None:
            return [entry.relpath, entry.size, entry.mtime_ns, content_digest, known]
    output = scan_file(item, sources)
    if not (output.occurrences or output.local_models or output.skipped):
        # Most files name nothing: stored as such, and (unhashed) rescanned as fast as they would hash.
        return [entry.relpath, entry.size, entry.mtime_ns, content_digest, [True, None]]
    if entry.mode == TEXT and content_digest is None and cache.path is not None:
        content_digest = digest(item.data)  # (kept for the next scan: none without a cache)
    return [entry.relpath, entry.size, entry.mtime_ns, content_digest, [True, keep(output)]]


def _as_is(output: SourceOutput) -> SourceOutput:
    return output


def scan_entries(
    entries: Iterable[FileEntry], root: pathlib.Path, settings: DiscoverySettings, cache: ResultCache
) -> list[tuple[bool, SourceOutput]]:
    """(was read, output) per entry, in the entries' order.

    `entries` may be a walk still under way: once the unread files are worth a second process, helpers
    start on them while the walk goes on, and what is left when it ends is split between all processes.
    """
    results: list[list[Any] | None] = []
    listed: list[FileEntry] = []
    pending: list[int] = []  # positions in `listed` of the files to read
    pending_bytes = 0
    helpers: list[forked.Helper] = []
    shares: list[list[int]] = []  # per helper, the positions in `pending` it was sent, in order
    unsent = 0  # pending[unsent:] are not dealt out yet
    may_share = _may_share(settings)
    threshold = 0 if settings.workers > 1 else PARALLEL_MIN_BYTES
    for entry in entries:
        cached = cache.fresh(entry.relpath, entry.size, entry.mtime_ns)
        results.append(cached)
        listed.append(entry)
        if cached is not None:
            continue
        pending.append(len(listed) - 1)
        pending_bytes += entry.size if entry.mode == TEXT else 0
        if may_share and not helpers and pending_bytes >= threshold:
            _use_one_pass([listed[index] for index in pending], settings)
            helpers = _start_helpers(settings, root, cache)
            shares = [[] for _ in helpers]
        if helpers and len(pending) - unsent >= _BATCH:
            unsent = _deal(helpers, shares, pending, listed, unsent)

    portable = cache.path is not None  # (this process's own results need the cache's form only for the cache)
    if not helpers:
        for index in pending:
            _keep(results, index, _process(listed[index], root, settings, cache, portable), cache)
    else:
        _deal(helpers, shares, pending, listed, unsent)
        _finish_shared(helpers, shares, pending, listed, results, root, settings, cache)
    return [
        (bool(result[0]), load_output(result[1]) if isinstance(result[1], list) else result[1] or _NOTHING)  # type: ignore[index]
        for result in results
    ]


# Files sent to a helper at a time while the walk goes on: small enough that it starts early.
_BATCH = 32


def _may_share(settings: DiscoverySettings) -> bool:
    if settings.workers == 1 or not forked.can_fork():
        return False
    return settings.workers > 1 or forked.cores() > 1


def _start_helpers(settings: DiscoverySettings, root: pathlib.Path, cache: ResultCache) -> list[forked.Helper]:
    # Files and results cross the helpers' pipes as orjson writes JSON: the standard library's encoder and decoder
    # cost the sdists' 2.5 MB each way ~120 M instructions, an eighth of what a helper added to the work. (Imported
    # here: orjson, with the uuid and platform modules it loads, costs a pre-commit check ~2 ms it never uses.)
    from licscan.json_text import packed, unpacked

    pipe = forked.Codec(packed, unpacked)
    count = (settings.workers if settings.workers > 0 else min(2, forked.cores())) - 1
    helpers = []
    for _ in range(max(count, 0)):
        # Each file comes with the sources the walk found for it (registry.wanted_mask: see there why).
        helper = forked.Helper.start(lambda item: _process(FileEntry(*item[:5]), root, settings, cache,
                                                           sources=sources_of_mask(item[5])), pipe)
        if helper is not None:
            helpers.append(helper)
    return helpers


def _deal(helpers: list[forked.Helper], shares: list[list[int]], pending: list[int], listed: list[FileEntry],
          unsent: int) -> int:
    """Send the helpers the pending files not sent yet, batch by batch in turn; returns the new `unsent`."""
    for start in range(unsent, len(pending), _BATCH):
        turn = (start // _BATCH) % len(helpers)
        positions = list(range(start, min(start + _BATCH, len(pending))))
        helpers[turn].send([(*listed[pending[position]], wanted_mask(listed[pending[position]].relpath))
                            for position in positions])
        shares[turn].extend(positions)
    return len(pending)


def _finish_shared(helpers: list[forked.Helper], shares: list[list[int]], pending: list[int],
                   listed: list[FileEntry], results: list[list[Any] | None], root: pathlib.Path,
                   settings: DiscoverySettings, cache: ResultCache) -> None:
    """The walk is over: this process takes files from the back of the helpers' lists (the longest first)
    until they meet, then keeps what the helpers did, and does itself whatever a helper did not hand back."""
    for helper in helpers:
        helper.end()
    portable = cache.path is not None
    done_here: set[tuple[int, int]] = set()
    while True:
        turn = 0 if len(helpers) == 1 else max(range(len(helpers)), key=lambda number: helpers[number].left())
        number = helpers[turn].take_last()
        if number is None:
            break
        index = pending[shares[turn][number]]
        _keep(results, index, _process(listed[index], root, settings, cache, portable), cache)
        done_here.add((turn, number))
    for turn, (helper, share) in enumerate(zip(helpers, shares)):
        theirs = helper.results()
        for number, position in enumerate(share):
            if (turn, number) in done_here:
                continue
            index = pending[position]
            row = theirs.get(number)
            if not (isinstance(row, list) and len(row) == 5 and row[0] == listed[index].relpath):
                row = _process(listed[index], root, settings, cache, portable)  # the helper died or said something odd
            _keep(results, index, row, cache)


def _keep(results: list[list[Any] | None], index: int, row: list[Any], cache: ResultCache) -> None:
    cache.put(*row)
    results[index] = row[4]
