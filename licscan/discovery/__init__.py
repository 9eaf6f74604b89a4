"""Discovery stage: find every Hugging Face model a project names, by parsing its files (never running them)."""

from __future__ import annotations

import fnmatch
import os
import pathlib
from stat import S_ISREG
from typing import Iterable, Iterator

from licscan.errors import ConfigError
from licscan.model import DiscoveryResult, DiscoverySettings, LocalModel, Occurrence, RefKind, Skipped
from licscan.untrusted import shown_path

from .cache import ResultCache, fingerprint
from .dataset_info import resolve as resolve_dataset_names
from .hosted_apis import may_use_an_api
from .interface import DiscoverySource, ProjectFile, ProjectSource, SourceOutput
from .model_dirs import merge_local_models
from .registry import PROJECT_SOURCES, SOURCES
from .runner import mode, scan_entries, scan_with
from .walk import IGNORED, TEXT, FileEntry, IgnoreList, exclude_matcher, read, walk

__all__ = [
    "DiscoverySource",
    "ProjectFile",
    "ProjectSource",
    "SourceOutput",
    "PROJECT_SOURCES",
    "SOURCES",
    "discover",
    "discover_files",
    "hosted_api_uses",
]

# Values that name a file-system path as readily as a Hub repo: a folder of that name wins (as in transformers).
_PATH_LIKE_VIAS = frozenset({"literal", "variable", "config", "env-default", "command"})
_PATH_LIKE_EVIDENCE = frozenset({"adapter_config", "config.json"})


def discover(root: pathlib.Path, settings: DiscoverySettings | None = None) -> DiscoveryResult:
    """Every model the project at `root` names, its local model folders, and what could not be read.

    Bad project content never raises: it becomes a Skipped entry.
    """
    settings = settings or DiscoverySettings()
    root = pathlib.Path(root)
    if not root.is_dir():
        raise ConfigError(f"project root {str(root)!r} is not a directory")
    cache = _cache(settings)
    skipped: list[Skipped] = []

    def entries() -> Iterator[FileEntry]:
        # Consumed by the scan as the walk goes: helper processes can start before it ends. Without a cache file
        # no folder's listing is looked up or kept, so the walk stamps none.
        for item in walk(root, settings, mode, cache if cache.path is not None else None):
            if isinstance(item, Skipped):
                skipped.append(item)
            else:
                yield item

    return _finish(root, settings, cache, entries(), skipped, declared=True, whole_tree=True)


def discover_files(root: pathlib.Path, paths: "list[str] | tuple[str, ...]",
                   settings: DiscoverySettings | None = None) -> DiscoveryResult:
    """What discover() finds, but only in the given files (paths relative to the current directory or absolute,
    inside root): the pre-commit path (`licscan check FILES`). The declared list counts when its file is given.
    Files outside the project, excluded, missing or wanted by no source are passed over."""
    settings = settings or DiscoverySettings()
    root = pathlib.Path(root)
    entries, skipped, seen = _given_entries(root, paths, settings)
    declared = settings.declared_in is not None and settings.declared_in in seen
    return _finish(root, settings, _cache(settings), entries, skipped, declared=declared, whole_tree=False)


def hosted_api_uses(root: pathlib.Path, paths: "list[str] | tuple[str, ...]",
                    settings: DiscoverySettings) -> tuple[Occurrence, ...]:
    """The hosted-API and runtime uses in the given files alone, read with `settings.api`: the pre-commit check's
    second look once the lockfile has handed it the providers' vocabulary (reading rules/providers.yaml would cost
    that path the YAML parser)."""
    source = next(item for item in SOURCES if item.name == "hosted-api")
    entries, _, _ = _given_entries(pathlib.Path(root), paths, settings)
    found: list[Occurrence] = []
    for entry in entries:
        if source.wants(entry.relpath):
            item = read(entry, pathlib.Path(root), settings)
            # (Runtime tags need no vocabulary: the first reading of the files found them.)
            if not isinstance(item, Skipped) and may_use_an_api(item.data, settings.api):
                found.extend(scan_with(source, item).occurrences)
    return _unique_sorted(found)


def _given_entries(root: pathlib.Path, paths: "list[str] | tuple[str, ...]",
                   settings: DiscoverySettings) -> tuple[list[FileEntry], list[Skipped], set[str]]:
    """The files of `paths` that discovery reads (see discover_files), those passed over on purpose, and the
    relative paths of all that are inside the project."""
    # os.path rather than pathlib: a hook passes many paths, and this runs on every commit.
    real_root = os.path.realpath(root)
    prefix = real_root.rstrip(os.sep) + os.sep
    excluded = exclude_matcher(settings)
    ignore_list = IgnoreList(settings.ignore)
    entries: list[FileEntry] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for given in paths:
        try:
            real = os.path.realpath(given)
        except (OSError, ValueError):
            continue
        if not real.startswith(prefix):
            continue  # outside the project (or the root itself)
        relpath = real[len(prefix):].replace(os.sep, "/")
        if relpath in seen or excluded(relpath):
            continue
        seen.add(relpath)
        how = mode(relpath)
        if how is None:
            continue
        path = os.path.join(root, relpath)
        try:
            stat = os.stat(path)
        except (OSError, ValueError):
            continue
        if not S_ISREG(stat.st_mode):
            continue
        reason = ignore_list.reason(relpath, False)
        relpath = shown_path(relpath)  # (read by `path`)
        if reason is not None:
            skipped.append(Skipped(relpath, IGNORED, reason))
            continue
        if how == TEXT and stat.st_size > settings.max_file_bytes:
            skipped.append(Skipped(relpath, "too-large", f"{stat.st_size} bytes, over the limit of {settings.max_file_bytes}"))
            continue
        entries.append(FileEntry(relpath, path, stat.st_size, stat.st_mtime_ns, how))
    return entries, skipped, seen


def _cache(settings: DiscoverySettings) -> ResultCache:
    if settings.cache_path is None:
        return ResultCache(None, "")  # no cache: nothing to fingerprint (that reads discovery's own code)
    return ResultCache(settings.cache_path, fingerprint(settings, [source.name for source in SOURCES]))


def _finish(
    root: pathlib.Path,
    settings: DiscoverySettings,
    cache: ResultCache,
    entries: Iterable[FileEntry],
    skipped: list[Skipped],
    *,
    declared: bool,
    whole_tree: bool,
) -> DiscoveryResult:
    occurrences: list[Occurrence] = []
    candidates: list[LocalModel] = []
    files_scanned = 0
    for was_read, output in scan_entries(entries, root, settings, cache):
        files_scanned += was_read
        occurrences.extend(output.occurrences)
        candidates.extend(output.local_models)
        skipped.extend(output.skipped)
    cache.save(whole_tree=whole_tree)
    named, skipped = resolve_dataset_names(root, skipped, settings.max_file_bytes)  # (reads other files: uncached)
    occurrences.extend(named)
    if declared:
        for project_source in PROJECT_SOURCES:
            output = _run(project_source, root, settings)
            occurrences.extend(output.occurrences)
            candidates.extend(output.local_models)
            skipped.extend(output.skipped)
    folders = _FolderCheck(root)
    occurrences = [item for item in occurrences if not folders.shadows_occurrence(item)]
    candidates = [folders.without_folder_parents(item) for item in candidates]
    occurrences = _without_claimed(occurrences)
    occurrences, ignored = _apply_model_ignores(occurrences, settings)
    return DiscoveryResult(
        occurrences=_unique_sorted(occurrences),
        local_models=merge_local_models(candidates),
        skipped=tuple(sorted(set(skipped) | set(ignored))),
        files_scanned=files_scanned,
    )


def _run(source: ProjectSource, root: pathlib.Path, settings: DiscoverySettings) -> SourceOutput:
    try:
        return source.run(root, settings)
    except Exception as exc:  # noqa: BLE001
        where = settings.declared_in or "."
        return SourceOutput(skipped=(Skipped(where, "parse-error", f"{source.name} failed: {type(exc).__name__}: {exc}"[:300]),))


class _FolderCheck:
    """Whether an "org/name" a file names is a folder next to it or under the root (then it is local).

    Done after the per-file sources (and so after the cache), since it depends on the tree, not the file;
    the namespace folder is looked up first, once, so most ids cost no file-system call at all.
    """

    def __init__(self, root: pathlib.Path) -> None:
        self.root = root
        self.namespaces: dict[tuple[str, str], bool] = {}

    def _is_folder(self, repo_id: str, relpath: str) -> bool:
        file_dir = os.path.dirname(relpath)
        namespace = repo_id.split("/", 1)[0]
        for base in {file_dir, ""}:
            key = (base, namespace)
            if key not in self.namespaces:
                self.namespaces[key] = os.path.isdir(os.path.join(self.root, base, namespace))
            if self.namespaces[key] and os.path.isdir(os.path.join(self.root, base, repo_id)):
                return True
        return False

    def shadows_occurrence(self, occurrence: Occurrence) -> bool:
        return occurrence.via in _PATH_LIKE_VIAS and self._is_folder(occurrence.ref.repo_id, occurrence.location.path)

    def without_folder_parents(self, model: LocalModel) -> LocalModel:
        kept = tuple(
            link for link in model.parents
            if link.evidence not in _PATH_LIKE_EVIDENCE or not self._is_folder(link.repo_id, model.location.path)
        )
        if len(kept) == len(model.parents):
            return model
        return LocalModel(model.key, model.location, model.card, kept)


def _without_claimed(occurrences: list[Occurrence]) -> list[Occurrence]:
    """A LiteLLM or OpenRouter string that looks like a Hub id ('deepseek/deepseek-chat', 'ollama/llama3.1') is the
    hosted API or runtime tag it names, not a Hub repo: other sources' reading of the same text there is dropped.
    (A provider's own name of an open model, NVIDIA's 'mistralai/mixtral-8x7b-instruct-v0.1', stays a Hub id too.)"""
    claimed = {(item.location, item.text.lower()) for item in occurrences
               if item.ref.kind in (RefKind.HOSTED_API, RefKind.RUNTIME) and item.via == "prefixed"}
    if not claimed:
        return occurrences
    return [item for item in occurrences if item.ref.kind in (RefKind.HOSTED_API, RefKind.RUNTIME)
            or (item.location, item.ref.repo_id.lower()) not in claimed]


def _apply_model_ignores(
    occurrences: list[Occurrence], settings: DiscoverySettings
) -> tuple[list[Occurrence], list[Skipped]]:
    """Drop the occurrences of ignored models, each reported as a Skipped with the configured reason."""
    patterns = [(entry.model.lower(), entry.reason) for entry in settings.ignore if entry.model]
    if not patterns:
        return occurrences, []
    kept: list[Occurrence] = []
    ignored: list[Skipped] = []
    for occurrence in occurrences:
        repo_id = occurrence.ref.repo_id
        reason = next((why for pattern, why in patterns if fnmatch.fnmatchcase(repo_id.lower(), pattern)), None)
        if reason is None:
            kept.append(occurrence)
            continue
        line = f" at line {occurrence.location.line}" if occurrence.location.line else ""
        ignored.append(Skipped(occurrence.location.path, IGNORED, f"{occurrence.ref.kind.value} {repo_id}{line}: {reason}"))
    return kept, ignored


# Sources that read the same lines of a doc (a command in a Python block is both): one occurrence per place.
_DOC_READERS = frozenset({"command", "doc-code"})


def _unique_sorted(occurrences: list[Occurrence]) -> tuple[Occurrence, ...]:
    """Sorted, one per (ref, location, source); a fallback find is dropped where any source read the place."""
    # Sorted by id, revision, kind, path, line, cell, source, via and text (an unpinned revision, an unknown line or
    # cell first); ties keep the input's order. A place is the ref's and the location's fields as a plain tuple:
    # it compares as the two records do but hashes in C (a frozen dataclass hashes in Python, and an enum's
    # `.value` is a Python property: `_value_` is the attribute under it). The first of each place and reader is
    # kept, so what is kept is already in order.
    rows = []
    for number, occurrence in enumerate(occurrences):
        ref, location = occurrence.ref, occurrence.location
        repo_id, revision, kind, path, line, cell = (
            ref.repo_id, ref.revision, ref.kind._value_, location.path, location.line, location.cell)
        order = (repo_id, revision or "", kind, path, line or 0, cell or 0,
                 occurrence.source, occurrence.via, occurrence.text)
        rows.append((order, number, (repo_id, revision, kind, path, line, cell), occurrence))
    read_places = {place for _, _, place, occurrence in rows if occurrence.via != "fallback"}
    rows.sort()
    chosen: dict[tuple, Occurrence] = {}
    for _, _, place, occurrence in rows:
        if occurrence.via == "fallback" and place in read_places:
            continue
        reader = "doc" if occurrence.source in _DOC_READERS else occurrence.source
        chosen.setdefault((place, reader), occurrence)
    return tuple(chosen.values())
