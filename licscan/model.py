"""The data that flows between licscan's stages: frozen dataclasses, standard library only."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Mapping


# ---------------------------------------------------------------------------
# Discovery: where a project names a model
# ---------------------------------------------------------------------------


class RefKind(str, enum.Enum):
    MODEL = "model"
    DATASET = "dataset"


@dataclass(frozen=True, order=True)
class ModelRef:
    """A Hub repository a project depends on, optionally pinned to a revision."""

    repo_id: str
    revision: str | None = None
    kind: RefKind = RefKind.MODEL

    @property
    def key(self) -> str:
        """The model's key in a scan: the id, with '@revision' when the project pins one."""
        return f"{self.repo_id}@{self.revision}" if self.revision else self.repo_id


@dataclass(frozen=True, order=True)
class Location:
    """A place in the scanned project, relative to its root, in POSIX form."""

    path: str
    line: int | None = None
    cell: int | None = None  # notebook cell, when the file is a notebook


@dataclass(frozen=True, order=True)
class Occurrence:
    """One place where a project names a model."""

    ref: ModelRef
    location: Location
    source: str  # the discovery source that found it, e.g. "python", "config-file"
    text: str = ""  # the matched text, cut to a readable length
    via: str = "literal"  # "literal", "variable" (followed through a name), "config", "declared"


@dataclass(frozen=True)
class LocalModel:
    """A model folder inside the project (config.json, adapter_config.json or a card).

    It is a lineage root of its own: its parents are Hub repos that resolution walks.
    """

    key: str  # "local:<relative path>", unique in a scan
    location: Location
    card: "CardData"
    parents: tuple["ParentLink", ...] = ()


@dataclass(frozen=True, order=True)
class Skipped:
    """A file discovery did not read fully, and why. Never silent."""

    path: str
    reason: str  # "binary", "too-large", "unreadable", "parse-error", "ignored-by-config", ...
    detail: str = ""


@dataclass(frozen=True)
class DiscoveryResult:
    occurrences: tuple[Occurrence, ...] = ()
    local_models: tuple[LocalModel, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    files_scanned: int = 0


# ---------------------------------------------------------------------------
# Resolution: the base_model ancestry of each model
# ---------------------------------------------------------------------------


class Relation(str, enum.Enum):
    FINETUNE = "finetune"
    ADAPTER = "adapter"
    MERGE = "merge"
    QUANTIZED = "quantized"
    UNSPECIFIED = "unspecified"


class UnresolvedReason(str, enum.Enum):
    NOT_FOUND = "not-found"
    GATED = "gated"
    OFFLINE = "offline"  # no network allowed and nothing cached or mirrored
    RATE_LIMITED = "rate-limited"
    NETWORK = "network-error"  # connection refused, timeout, 5xx after retries
    INVALID_ID = "invalid-id"
    CYCLE = "cycle"
    DEPTH_LIMIT = "depth-limit"
    MALFORMED = "malformed-metadata"  # card or info that cannot be parsed

    @property
    def transient(self) -> bool:
        """Whether trying again later could resolve it (the scan 'could not complete')."""
        return self in (UnresolvedReason.OFFLINE, UnresolvedReason.RATE_LIMITED, UnresolvedReason.NETWORK)


@dataclass(frozen=True)
class ParentLink:
    """A declared base model of a card, with the relation and where the relation came from."""

    repo_id: str
    relation: Relation = Relation.UNSPECIFIED
    evidence: str = "base_model"  # "base_model_relation", "tag", "inferred", "adapter_config", "gguf", ...


@dataclass(frozen=True)
class CardData:
    """The licence and lineage fields of a model card, as the publisher wrote them."""

    license: str | None = None  # the Hub `license:` id, lower-cased as written
    license_name: str | None = None
    license_link: str | None = None
    base_models: tuple[str, ...] = ()
    base_model_relation: str | None = None
    tags: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    library_name: str | None = None
    pipeline_tag: str | None = None
    gated: str | None = None  # "auto", "manual" or None
    eu_disallowed: bool = False  # extra_gated_eu_disallowed
    problems: tuple[str, ...] = ()  # what was wrong with the card (malformed YAML, bad base_model type, ...)


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


@dataclass(frozen=True)
class Lineage:
    """The ancestry DAG of one root model."""

    root: str
    nodes: tuple[ModelRecord, ...]  # root first, then breadth-first, each id once
    edges: tuple[Edge, ...] = ()
    unresolved: tuple[Unresolved, ...] = ()

    def node(self, repo_id: str) -> ModelRecord | None:
        for record in self.nodes:
            if record.repo_id == repo_id or repo_id in record.aliases:
                return record
        return None

    def ancestors(self, repo_id: str) -> tuple[str, ...]:
        """Every node reachable through parent edges, nearest first."""
        seen: list[str] = []
        frontier = [repo_id]
        while frontier:
            nxt = []
            for child in frontier:
                for edge in self.edges:
                    if edge.child == child and edge.parent not in seen and edge.parent != repo_id:
                        seen.append(edge.parent)
                        nxt.append(edge.parent)
            frontier = nxt
        return tuple(seen)


@dataclass(frozen=True)
class ResolutionStats:
    api_calls: int = 0
    file_downloads: int = 0
    cache_hits: int = 0
    mirror_reads: int = 0


@dataclass(frozen=True)
class ResolutionResult:
    lineages: Mapping[str, Lineage]  # keyed by the root key as asked (repo id or local key)
    canonical: Mapping[str, str] = field(default_factory=dict)  # asked id -> canonical id
    stats: ResolutionStats = ResolutionStats()


# ---------------------------------------------------------------------------
# Evaluation: licences, terms, origin, findings
# ---------------------------------------------------------------------------


class CommercialUse(str, enum.Enum):
    ALLOWED = "allowed"
    CONDITIONAL = "conditional"
    UNKNOWN = "unknown"
    NON_COMMERCIAL = "non-commercial"

    @property
    def strictness(self) -> int:
        return _STRICTNESS[self]


_STRICTNESS = {
    CommercialUse.ALLOWED: 0,
    CommercialUse.CONDITIONAL: 1,
    CommercialUse.UNKNOWN: 2,
    CommercialUse.NON_COMMERCIAL: 3,
}


class Severity(str, enum.Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return ["info", "low", "medium", "high", "critical"].index(self.value)


class FindingKind(str, enum.Enum):
    LICENSE_RELABEL = "license-relabel"
    LICENSE_MISSING = "license-missing"
    LICENSE_UNKNOWN = "license-unknown"
    NON_COMMERCIAL = "non-commercial"
    COMMERCIAL_CONDITION = "commercial-condition"
    TERRITORY = "territory"
    OBLIGATION = "obligation"
    ORIGIN = "origin"
    ENTITY_LIST = "entity-list"
    UNRESOLVED = "unresolved"


@dataclass(frozen=True)
class Source:
    """Where a fact comes from, and when it was read."""

    citation: str
    date: str  # ISO date the source was read or published
    confidence: str = "primary"  # "primary", "secondary", "unconfirmed"
    url: str | None = None


@dataclass(frozen=True)
class Threshold:
    metric: str  # "mau", "dau", "annual-revenue-usd", "monthly-revenue-usd"
    value: float
    consequence: str  # what happens above (or below) it, in the licence's words


@dataclass(frozen=True)
class LicenseTerms:
    """One licence as a record of rules/licenses/*.yaml."""

    key: str
    name: str
    spdx_id: str  # SPDX id, or LicenseRef-licscan-<key>
    commercial_use: CommercialUse
    aliases: tuple[str, ...] = ()  # other Hub ids and license_name slugs
    version: str | None = None
    thresholds: tuple[Threshold, ...] = ()
    registration_required: bool = False
    attribution: str | None = None  # required notice or display text
    naming: str | None = None  # naming duty for derivatives
    territory_exclusions: tuple[str, ...] = ()  # ISO 3166-1 alpha-2, or "EU"
    territory_note: str | None = None
    use_policy_flow_down: bool = False
    output_training: str = "allowed"  # "allowed", "restricted", "prohibited", "unknown"
    output_training_note: str | None = None
    derivatives_must_carry: bool = False
    permissive: bool = False  # an OSI-style permissive licence that sets no model-specific limits
    summary: str = ""
    sources: tuple[Source, ...] = ()
    unconfirmed: tuple[str, ...] = ()  # names of fields whose value is unconfirmed


@dataclass(frozen=True)
class EntityListing:
    list_name: str  # "BIS Entity List", "OFAC SDN", "DoD 1260H", ...
    entity: str
    date_added: str | None
    citation: str
    confidence: str = "secondary"


@dataclass(frozen=True)
class Origin:
    namespace: str
    organization: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    parent: str | None = None
    listings: tuple[EntityListing, ...] = ()
    confidence: str = "unknown"  # "primary", "secondary", "unconfirmed", "unknown"
    sources: tuple[Source, ...] = ()

    @property
    def known(self) -> bool:
        return self.organization is not None


@dataclass(frozen=True)
class NodeLicense:
    """A node's licence as identified from its card."""

    repo_id: str
    declared: str | None  # the license field as written
    license_name: str | None
    key: str | None  # the matched rules/licenses key, None when unidentified
    spdx_id: str | None
    method: str  # "license-id", "license_name", "license_link", "tag", "missing", "unidentified"


@dataclass(frozen=True, order=True)
class Obligation:
    kind: str  # "attribution", "naming", "notice", "use-policy", "registration", "output-training"
    text: str
    license_key: str
    ancestor: str


@dataclass(frozen=True)
class EffectiveTerms:
    licenses: tuple[str, ...]  # every licence key binding the model
    commercial_use: CommercialUse
    commercial_use_from: tuple[str, ...]  # the nodes that set the strictest class
    conditions: tuple[str, ...] = ()
    obligations: tuple[Obligation, ...] = ()
    territory_exclusions: tuple[str, ...] = ()
    origin_countries: tuple[str, ...] = ()
    spdx_expression: str | None = None  # every identified licence, conjunctive


@dataclass(frozen=True)
class Finding:
    rule_id: str
    kind: FindingKind
    severity: Severity
    model: str  # the root model the finding is reported on
    ancestor: str  # the node it comes from (the model itself when it is its own)
    message: str
    evidence: tuple[tuple[str, str], ...] = ()  # (field, value) pairs: card field, revision, ...
    fails: bool = False  # set by the policy


@dataclass(frozen=True)
class ModelReport:
    key: str  # repo id, or "local:<path>"
    revision: str | None
    occurrences: tuple[Occurrence, ...]
    lineage: Lineage
    licenses: Mapping[str, NodeLicense]
    origins: Mapping[str, Origin]
    effective: EffectiveTerms
    findings: tuple[Finding, ...]


class Verdict(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True)
class ScanResult:
    project: str
    generated_at: str  # ISO 8601, from the injected clock
    tool_version: str
    policy: str
    models: tuple[ModelReport, ...]
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]
    verdict: Verdict
    stats: ResolutionStats = ResolutionStats()
    files_scanned: int = 0
    settings: Mapping[str, Any] = field(default_factory=dict)
    license_records: Mapping[str, LicenseTerms] = field(default_factory=dict)  # every licence that binds a model


# ---------------------------------------------------------------------------
# Settings each stage receives (built by config.py, so stages never read config)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DiscoverySettings:
    config_keys: tuple[str, ...] = (
        "model_name_or_path",
        "base_model",
        "model",
        "model_id",
        "pretrained_model_name_or_path",
        "model_name",
        "tokenizer_name_or_path",
        "tokenizer",
        "base_model_name_or_path",
        "repo_id",
    )
    exclude: tuple[str, ...] = ()  # gitignore-style patterns
    max_file_bytes: int = 2_000_000
    declared_models: tuple[str, ...] = ()  # from [tool.licscan] models
    declared_in: str | None = None  # the file the declared models come from


@dataclass(frozen=True)
class ResolutionSettings:
    endpoint: str | None = None  # HF_ENDPOINT, None for huggingface_hub's default
    offline: bool = False  # HF_HUB_OFFLINE
    mirror: str | None = None  # a directory of recorded metadata
    db_url: str | None = None  # SQLAlchemy URL of the cache
    max_depth: int = 32
    timeout: float = 10.0
    max_retries: int = 3
    freshness_seconds: int = 0  # reuse cached repo heads younger than this without asking the Hub
    workers: int = 8


@dataclass(frozen=True)
class EvaluationSettings:
    rules_dirs: tuple[str, ...]  # shipped rules first, then the user's (later ones override)
    policy: str = "default"  # a policy name in rules/policies, or a path to a policy file


@dataclass(frozen=True)
class Rule:
    """A check licscan reports findings under; ids are stable across releases."""

    id: str
    name: str
    kind: FindingKind
    severity: Severity
    title: str
    rationale: str
    help: str
