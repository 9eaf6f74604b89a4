"""The offline source: the latest snapshot of each repo in the metadata cache, never the network."""

from __future__ import annotations

import re

from licscan.model import UnresolvedReason
from licscan.resolution.interface import FetchFailure, RepoSnapshot, SourceCounters
from licscan.resolution.store import MetadataStore, StoreSession

_COMMIT = re.compile(r"[0-9a-f]{40}")


class CacheSource:
    """Answer from what earlier online scans stored; anything never seen is OFFLINE."""

    name = "cache"

    def __init__(self, store: MetadataStore | StoreSession | None) -> None:
        self._store = store
        self.counters = SourceCounters()

    def fetch(self, repo_id: str, revision: str | None) -> RepoSnapshot | FetchFailure:
        if self._store is None:
            return FetchFailure(repo_id, UnresolvedReason.OFFLINE, "offline, and no metadata cache is configured")
        canonical = self._store.canonical(repo_id) or repo_id
        if revision and _COMMIT.fullmatch(revision):
            snapshot = self._store.get_snapshot(canonical, revision)
        elif revision in (None, "main"):
            snapshot = self._store.latest_snapshot(canonical)
        else:
            # A branch or tag other than main moves; the cache cannot say where it points now.
            return FetchFailure(repo_id, UnresolvedReason.OFFLINE,
                                f"offline, and revision {revision!r} of {repo_id} cannot be resolved from the cache")
        if snapshot is None:
            at = f" at revision {revision}" if revision else ""
            return FetchFailure(repo_id, UnresolvedReason.OFFLINE,
                                f"offline, and {repo_id}{at} is not in the metadata cache ({self._store.where})")
        self.counters.add(cache_hits=1)
        return snapshot.with_request(repo_id)  # keeps the original source: reports must not depend on cache state

    def answer_from_cache(self, repo_id: str, revision: str | None) -> RepoSnapshot | FetchFailure:
        """The cache is all this source reads: every answer is one the walk can take without a thread."""
        return self.fetch(repo_id, revision)

    def close(self) -> None:
        pass
