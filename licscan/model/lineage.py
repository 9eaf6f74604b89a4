"""Resolution's settings and records: each model's ancestry, its nodes and edges, and what could not be resolved."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Mapping

from licscan.model import NO_SUCH_REPO, CardData, ParentLink, Relation, UnresolvedReason


@dataclass(frozen=True)
class ResolutionSettings:
    """Resolution's settings: where the Hub or a mirror is, the cache, limits and the walk's pools."""

    endpoint: str | None = None  # HF_ENDPOINT, None for huggingface_hub's default
    offline: bool = False  # HF_HUB_OFFLINE
    mirror: str | None = None  # a directory of recorded metadata
    mirror_label: str | None = None  # how messages name the mirror (default: its path)
    db_url: str | None = None  # SQLAlchemy URL of the cache
    max_depth: int = 32
    timeout: float = 10.0
    max_retries: int = 3
    freshness_seconds: int = 0  # reuse cached repo heads younger than this without asking the Hub (config: a day)
    workers: int = 8  # concurrent requests per Hub bucket (API calls; file downloads)
    refresh: bool = False  # ask the Hub about every repo now, whatever the freshness window says
    db_pool_size: int = 2  # connections one licscan process keeps to a server database (PostgreSQL)
    # Base models licscan's rules record for cards that omit them (rules/lineage.yaml), by lower-cased child id;
    # the walk follows them like base_model links, with evidence "licscan-rules".
    extra_parents: Mapping[str, tuple[ParentLink, ...]] = field(default_factory=dict)
    resolve_datasets: bool = True  # resolve the datasets cards name (one API call and README each)
    # Told how the walk goes, for a progress display: ("resolve", done=, known=, requests=) and ("wait", seconds=).
    progress: Callable[..., None] | None = field(default=None, compare=False)
    project_root: str | None = None  # the scanned project, where local model folders' licence files are read
    # The Hub model each local runtime tag of the scan packages (rules/providers.yaml), by the tag's key
    # ("ollama:qwen2.5:7b"); a tag not here is unresolved, never clear.
    runtime_parents: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelRecord:
    """One resolved node of an ancestry, pinned to a revision."""

    repo_id: str  # the canonical id (after following renames)
    revision: str | None  # commit sha the metadata was read at
    author: str | None
    card: CardData
    parents: tuple[ParentLink, ...] = ()
    aliases: tuple[str, ...] = ()  # earlier ids that redirect here
    source: str = "hub"  # "hub", "mirror", "cache", "local"
    license_text: str | None = None  # LICENSE file text, when fetched (for evidence, never shipped)
    gated: str | None = None
    provenance: str | None = None  # e.g. "recorded" / "reconstructed" in a recorded mirror
    license_file: str | None = None  # the file license_text was read from (LICENSE, LICENSE.md, LICENSE-MODEL...)
    linked_license_text: str | None = None  # the text the card's license_link points to on another Hub repo
    linked_license_from: str | None = None  # "<repo>/<file>@<sha>" it was read from, or why it could not be
    tags: tuple[str, ...] = ()  # the Hub's tags for the repo (license:<id>, base_model:<id>, ...)
    config_name_or_path: str | None = None  # config.json's _name_or_path, when resolution read it
    parameters: int | None = None  # parameter count from the Hub's safetensors metadata
    parameters_source: str | None = None  # where parameters comes from, in words
    card_text: str | None = None  # the card's README text (for statements such as training tokens)
    gguf_file: str | None = None  # the repo's GGUF file whose header prefix resolution read
    gguf_header: Mapping[str, Any] | None = None  # that header's general.* keys (base models, source, licence)
    gguf_problem: str | None = None  # why that header could not be read, when it could not
    # A hosted API's node: the names the project also wrote as Hub ids that the Hub answered it has no repository
    # of (scan.py folds those places into this dependency; evaluation says so in LS162).
    not_on_hub: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatasetRecord:
    """A dataset a model card names under `datasets:`, resolved through the Hub (or why it could not be)."""

    repo_id: str
    revision: str | None = None
    card: "CardData | None" = None
    source: str = "hub"
    provenance: str | None = None
    license_text: str | None = None
    license_file: str | None = None
    unresolved: UnresolvedReason | None = None
    detail: str = ""


@dataclass(frozen=True, order=True)
class Edge:
    child: str
    parent: str
    relation: Relation
    evidence: str = "base_model"


@dataclass(frozen=True, order=True)
class Unresolved:
    repo_id: str
    reason: UnresolvedReason
    detail: str = ""
    referenced_by: str | None = None  # the child whose card names it

    @property
    def no_such_repo(self) -> bool:
        """Whether the Hub itself answered that it has no repository of this id (or none the caller may see):
        its repository-not-found answer, not a bare status (an auth failure, a proxy's 404) nor an outage."""
        return self.reason is UnresolvedReason.NOT_FOUND and self.detail == NO_SUCH_REPO


@dataclass(frozen=True)
class Lineage:
    """The ancestry DAG of one root model."""

    root: str
    nodes: tuple[ModelRecord, ...]  # root first, then breadth-first, each id once
    edges: tuple[Edge, ...] = ()
    unresolved: tuple[Unresolved, ...] = ()
    datasets: tuple[DatasetRecord, ...] = ()  # every dataset a node of the lineage names, each once

    def node(self, repo_id: str) -> ModelRecord | None:
        return self._by_id.get(repo_id)

    def ancestors(self, repo_id: str) -> tuple[str, ...]:
        """Every node reachable through parent edges, nearest first (computed once per node and lineage)."""
        known = self._ancestors.get(repo_id)
        if known is None:
            known = self._ancestors[repo_id] = self._walk_up(repo_id)
        return known

    # Indexes built on first use and kept on the instance (cached_property writes the instance's __dict__, so
    # the frozen fields, equality and hashing are untouched): evaluation asks for a node or the ancestors of
    # every node of a lineage, and a scan over the edges each time grows with the square of the lineage.
    @cached_property
    def _by_id(self) -> dict[str, ModelRecord]:
        index: dict[str, ModelRecord] = {}
        for record in self.nodes:
            index.setdefault(record.repo_id, record)
        for record in self.nodes:  # an alias never hides a node of that id, and the first alias wins
            for alias in record.aliases:
                index.setdefault(alias, record)
        return index

    @cached_property
    def _parents(self) -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        for edge in self.edges:
            index.setdefault(edge.child, []).append(edge.parent)
        return index

    @cached_property
    def _ancestors(self) -> dict[str, tuple[str, ...]]:
        return {}

    def _walk_up(self, repo_id: str) -> tuple[str, ...]:
        parents = self._parents
        seen: dict[str, None] = {}
        frontier = [repo_id]
        while frontier:
            nxt = []
            for child in frontier:
                for parent in parents.get(child, ()):
                    if parent not in seen and parent != repo_id:
                        seen[parent] = None
                        nxt.append(parent)
            frontier = nxt
        return tuple(seen)


@dataclass(frozen=True)
class ResolutionStats:
    api_calls: int = 0
    file_downloads: int = 0
    cache_hits: int = 0
    mirror_reads: int = 0
    revalidations: int = 0  # cheap freshness checks through the file resolver (no API call)


@dataclass(frozen=True)
class ResolutionResult:
    lineages: Mapping[str, Lineage]  # keyed by the root key as asked (repo id or local key)
    canonical: Mapping[str, str] = field(default_factory=dict)  # asked id -> canonical id
    stats: ResolutionStats = ResolutionStats()
