"""The discovery cache: one JSON file per project holding each file's results, valid by (path, size, mtime) or
else by content hash, and each directory's classified listing, valid by its mtime and ignore rules."""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import time
from typing import Any

from licscan.model import (
    CardData, DiscoverySettings, LocalModel, Location, ModelRef, Occurrence, ParentLink, RefKind, Relation, Skipped,
)

from .interface import SourceOutput

SCHEMA = "licscan-discovery-cache/2"
# A file or folder changed this recently may change again within the same timestamp tick, unseen: its entry
# is not kept (git's "racily clean" problem), so the next scan looks at it again.
RACY_NS = 2_000_000_000
_CARD_FIELDS = tuple(field.name for field in dataclasses.fields(CardData))
_TUPLE_CARD_FIELDS = frozenset(
    field.name for field in dataclasses.fields(CardData) if str(field.type).startswith("tuple")
)


def digest(data: bytes) -> str:
    import hashlib  # (here: loading OpenSSL costs ~3 ms; a pre-commit check keeps no cache and hashes nothing)

    return hashlib.sha256(data).hexdigest()[:32]


def fingerprint(settings: DiscoverySettings, source_names: list[str]) -> str:
    """What every cached result depends on besides the file: the discovery code and the settings that matter."""
    import hashlib

    hasher = hashlib.blake2b(digest_size=16)
    package = pathlib.Path(__file__).parent
    for module in sorted(package.glob("*.py")):
        hasher.update(module.name.encode())
        hasher.update(module.read_bytes())
    hasher.update(json.dumps([SCHEMA, list(settings.config_keys), settings.max_file_bytes, source_names]).encode())
    hasher.update(repr(settings.api).encode())  # what counts as a hosted API or a runtime tag (rules/providers.yaml)
    return hasher.hexdigest()


class ResultCache:
    """Results of earlier scans of this project's files, and the ones this scan adds."""

    def __init__(self, path: str | None, stamp: str) -> None:
        self.path = pathlib.Path(path) if path else None
        self.stamp = stamp
        self.trusted_before = time.time_ns() - RACY_NS
        self.old: dict[str, list[Any]] = {}
        self.new: dict[str, list[Any]] = {}
        self.old_dirs: dict[str, list[Any]] = {}
        self.new_dirs: dict[str, list[Any]] = {}
        self.changed = False
        if self.path is not None:
            self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_bytes())  # type: ignore[union-attr]
        except (OSError, ValueError):
            return  # no cache yet, or a damaged one: scan everything
        if isinstance(data, dict) and data.get("schema") == SCHEMA and data.get("fingerprint") == self.stamp:
            files, dirs = data.get("files"), data.get("dirs")
            if isinstance(files, dict) and isinstance(dirs, dict):
                self.old, self.old_dirs = files, dirs

    def fresh(self, relpath: str, size: int, mtime_ns: int) -> list[Any] | None:
        """The cached result of a file whose size and time are unchanged, or None."""
        entry = self.old.get(relpath)
        if entry is not None and len(entry) == 4 and entry[0] == size and entry[1] == mtime_ns:
            self.new[relpath] = entry
            return entry[3]
        return None

    def by_content(self, relpath: str, content_digest: str | None) -> list[Any] | None:
        """The cached result of a file whose time changed but whose bytes did not (a checkout, a touch)."""
        entry = self.old.get(relpath)
        if content_digest is not None and entry is not None and len(entry) == 4 and entry[2] == content_digest:
            return entry[3]
        return None

    def put(self, relpath: str, size: int, mtime_ns: int, content_digest: str | None, result: list[Any]) -> None:
        if self.path is not None and mtime_ns < self.trusted_before:  # (without a file, nothing is kept)
            self.new[relpath] = [size, mtime_ns, content_digest, result]
            self.changed = True

    def listing(self, relpath: str, mtime_ns: int, stamp: str) -> list[list[Any]] | None:
        """A directory's classified entries from the last walk, if neither it nor its ignore rules changed."""
        entry = self.old_dirs.get(relpath)
        if entry is not None and len(entry) == 3 and entry[0] == mtime_ns and entry[1] == stamp:
            self.new_dirs[relpath] = entry
            return entry[2]
        return None

    def keep_listing(self, relpath: str, mtime_ns: int, stamp: str, items: list[list[Any]]) -> None:
        if mtime_ns < self.trusted_before:
            self.new_dirs[relpath] = [mtime_ns, stamp, items]
            self.changed = True

    def save(self, *, whole_tree: bool = True) -> None:
        """Write what this scan saw, atomically. After a walk of the whole tree, files no longer there drop
        out; after a scan of some files only, the others' entries are kept. A cache that cannot be written
        costs speed, never results, so errors are not raised."""
        if self.path is None:
            return
        files = self.new if whole_tree else {**self.old, **self.new}
        dirs = self.new_dirs if whole_tree else {**self.old_dirs, **self.new_dirs}
        if not self.changed and set(files) == set(self.old) and set(dirs) == set(self.old_dirs):
            return
        # Sorted: the order results came back in depends on which process did which file.
        payload = json.dumps(
            {"schema": SCHEMA, "fingerprint": self.stamp, "files": files, "dirs": dirs},
            separators=(",", ":"),
            sort_keys=True,
        ).encode("utf-8")
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(payload)
            os.replace(temporary, self.path)
        except OSError:
            try:
                temporary.unlink()
            except OSError:
                pass


# ---------------------------------------------------------------------------------------------
# SourceOutput <-> JSON-friendly lists (for the cache file and the worker's pipe)
# ---------------------------------------------------------------------------------------------


def dump_output(output: SourceOutput) -> list[Any]:
    return [
        [_dump_occurrence(item) for item in output.occurrences],
        [_dump_local(item) for item in output.local_models],
        [[item.path, item.reason, item.detail] for item in output.skipped],
    ]


def load_output(data: list[Any]) -> SourceOutput:
    occurrences, local_models, skipped = data
    return SourceOutput(
        occurrences=tuple(_load_occurrence(item) for item in occurrences),
        local_models=tuple(_load_local(item) for item in local_models),
        skipped=tuple(Skipped(*item) for item in skipped),
    )


def _dump_occurrence(item: Occurrence) -> list[Any]:
    ref, location = item.ref, item.location
    return [ref.repo_id, ref.revision, ref.kind._value_, location.path, location.line, location.cell,  # (.value: a property)
            item.source, item.text, item.via]


# A kind by its value: RefKind(value) is a Python-level enum lookup, ~1 us of the ~5 us an occurrence costs to load
# (a helper's results are all loaded so). A value that is no kind still goes to RefKind, which refuses it.
_KINDS = {kind.value: kind for kind in RefKind}


def _load_occurrence(item: list[Any]) -> Occurrence:
    repo_id, revision, kind, path, line, cell, source, text, via = item
    return Occurrence(ModelRef(repo_id, revision, _KINDS.get(kind) or RefKind(kind)), Location(path, line, cell),
                      source, text, via)


def _dump_local(item: LocalModel) -> dict[str, Any]:
    card = {name: getattr(item.card, name) for name in _CARD_FIELDS}
    return {
        "key": item.key,
        "location": [item.location.path, item.location.line, item.location.cell],
        "card": {name: list(value) if isinstance(value, tuple) else value for name, value in card.items()},
        "parents": [[link.repo_id, link.relation.value, link.evidence] for link in item.parents],
    }


def _load_local(item: dict[str, Any]) -> LocalModel:
    card = {
        name: tuple(value) if name in _TUPLE_CARD_FIELDS and isinstance(value, list) else value
        for name, value in item["card"].items()
        if name in _CARD_FIELDS
    }
    return LocalModel(
        key=item["key"],
        location=Location(*item["location"]),
        card=CardData(**card),
        parents=tuple(ParentLink(repo_id, Relation(relation), evidence) for repo_id, relation, evidence in item["parents"]),
    )
