"""Discovery stage: find every Hugging Face model a project names, by parsing its files (never running them)."""

from __future__ import annotations

import pathlib

from licscan.errors import ConfigError
from licscan.model import DiscoveryResult, DiscoverySettings, LocalModel, Occurrence, Skipped

from .common import url_fallback
from .interface import DiscoverySource, ProjectFile, ProjectSource, SourceOutput
from .model_dirs import merge_local_models
from .registry import PROJECT_SOURCES, SOURCES, wanted_by
from .walk import walk

__all__ = [
    "DiscoverySource",
    "ProjectFile",
    "ProjectSource",
    "SourceOutput",
    "PROJECT_SOURCES",
    "SOURCES",
    "discover",
]

# Reasons after which the file's Hub URLs are still worth a plain text search.
_FALLBACK_REASONS = frozenset({"parse-error", "not-utf8"})


def discover(root: pathlib.Path, settings: DiscoverySettings | None = None) -> DiscoveryResult:
    """Every model the project at `root` names, its local model folders, and what could not be read.

    Bad project content never raises: it becomes a Skipped entry.
    """
    settings = settings or DiscoverySettings()
    root = pathlib.Path(root)
    if not root.is_dir():
        raise ConfigError(f"project root {str(root)!r} is not a directory")

    occurrences: list[Occurrence] = []
    candidates: list[LocalModel] = []
    skipped: set[Skipped] = set()
    files_scanned = 0

    def take(output: SourceOutput) -> None:
        occurrences.extend(output.occurrences)
        candidates.extend(output.local_models)
        skipped.update(output.skipped)

    for item in walk(root, settings, lambda relpath: bool(wanted_by(relpath))):
        if isinstance(item, Skipped):
            skipped.add(item)
            continue
        files_scanned += 1
        fallback_done = False
        for source in wanted_by(item.relpath):
            output = _scan(source, item)
            take(output)
            if not fallback_done and any(s.reason in _FALLBACK_REASONS for s in output.skipped):
                occurrences.extend(url_fallback(item.data, item.relpath, source.name))
                fallback_done = True

    for project_source in PROJECT_SOURCES:
        take(_run(project_source, root, settings))

    return DiscoveryResult(
        occurrences=_unique_sorted(occurrences),
        local_models=merge_local_models(candidates),
        skipped=tuple(sorted(skipped)),
        files_scanned=files_scanned,
    )


def _scan(source: DiscoverySource, file: ProjectFile) -> SourceOutput:
    try:
        return source.scan(file)
    except Exception as exc:  # noqa: BLE001 - one file must not end the scan; the Skipped says why
        return SourceOutput(
            skipped=(Skipped(file.relpath, "parse-error", f"{source.name} source failed: {type(exc).__name__}: {exc}"[:300]),)
        )


def _run(source: ProjectSource, root: pathlib.Path, settings: DiscoverySettings) -> SourceOutput:
    try:
        return source.run(root, settings)
    except Exception as exc:  # noqa: BLE001
        where = settings.declared_in or "."
        return SourceOutput(skipped=(Skipped(where, "parse-error", f"{source.name} failed: {type(exc).__name__}: {exc}"[:300]),))


def _sort_key(occurrence: Occurrence) -> tuple:
    # Occurrence's own ordering compares None with int (unpinned revisions, unknown lines).
    ref, location = occurrence.ref, occurrence.location
    return (
        ref.repo_id, ref.revision or "", ref.kind.value,
        location.path, location.line or 0, location.cell or 0,
        occurrence.source, occurrence.via, occurrence.text,
    )


def _unique_sorted(occurrences: list[Occurrence]) -> tuple[Occurrence, ...]:
    """Sorted, one per (ref, location, source); a literal find wins over a fallback one."""
    chosen: dict[tuple, Occurrence] = {}
    for occurrence in sorted(occurrences, key=lambda o: (o.via == "fallback", _sort_key(o))):
        chosen.setdefault((occurrence.ref, occurrence.location, occurrence.source), occurrence)
    return tuple(sorted(chosen.values(), key=_sort_key))
