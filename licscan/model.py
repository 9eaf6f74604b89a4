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

    def as_dict(self) -> dict[str, Any]:
        """Where and how the model is named, as reports and listings show it."""
        data: dict[str, Any] = {
            "path": self.location.path,
            "line": self.location.line,
            "source": self.source,
            "via": self.via,
            "text": self.text,
        }
        if self.location.cell is not None:
            data["cell"] = self.location.cell
        if self.ref.revision:
            data["revision"] = self.ref.revision
        return data


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


@dataclass(frozen=True)
class Lineage:
    """The ancestry DAG of one root model."""

    root: str
    nodes: tuple[ModelRecord, ...]  # root first, then breadth-first, each id once
    edges: tuple[Edge, ...] = ()
    unresolved: tuple[Unresolved, ...] = ()
    datasets: tuple[DatasetRecord, ...] = ()  # every dataset a node of the lineage names, each once

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
    revalidations: int = 0  # cheap freshness checks through the file resolver (no API call)


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
    date: str | None = None  # the text's release, effective or last-modified date (ISO)
    confidence: str = "primary"  # confidence of every fact not listed under secondary or unconfirmed
    secondary: tuple[str, ...] = ()  # names of fields known only from secondary sources
    families: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()  # Hub namespaces that use the text (set when a slug is ambiguous)
    markers: tuple[str, ...] = ()  # phrases of the text that identify a LICENSE file
    links: tuple[str, ...] = ()  # URLs where the text is published (a card's license_link is matched against them)
    scancode_key: str | None = None
    use_policy: str | None = None
    superseded_by: str | None = None  # the licence key the publisher moved to
    superseded_on: str | None = None  # ISO date of that change

    def field_confidence(self, name: str) -> str:
        """How sure licscan's rules are of one field: 'primary', 'secondary' or 'unconfirmed'."""
        if name in self.unconfirmed:
            return "unconfirmed"
        if name in self.secondary:
            return "secondary"
        return self.confidence


@dataclass(frozen=True)
class EntityListing:
    list_name: str  # "BIS Entity List", "OFAC SDN", "DoD 1260H", ...
    entity: str
    date_added: str | None
    citation: str
    confidence: str = "secondary"
    source: Source | None = None  # where licscan read about the listing
    notes: str | None = None


@dataclass(frozen=True)
class Origin:
    namespace: str
    organization: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    parent: str | None = None
    listings: tuple[EntityListing, ...] = ()
    confidence: str = "unknown"  # "primary", "secondary", "unconfirmed", "unknown"
    sources: tuple[Source, ...] = ()
    unconfirmed: tuple[str, ...] = ()  # fields the registry does not confirm
    notes: str | None = None
    reviewed: str | None = None  # the registry's last_reviewed date

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
    method: str  # "license-id", "license_name", "license_link", "license-file", "tag", "missing", "unidentified", "ambiguous"
    evidence: tuple[tuple[str, str], ...] = ()  # what the identification rests on: (what, value) pairs
    declared_key: str | None = None  # the licence the card's id or slug names, when its text says another


@dataclass(frozen=True, order=True)
class Obligation:
    kind: str  # "attribution", "naming", "notice", "use-policy", "registration", "output-training"
    text: str
    license_key: str
    ancestor: str
    confidence: str = "primary"  # of the licence record's field the duty comes from


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
    unconfirmed: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (licence key, its unconfirmed fields)
    secondary: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (licence key, fields from secondary sources only)


@dataclass(frozen=True)
class DatasetLicense:
    """The licence of a dataset a node of the lineage names as training data."""

    dataset: str
    named_by: str  # the node whose card lists it
    license: NodeLicense | None  # None when the dataset could not be resolved
    revision: str | None = None
    commercial_use: CommercialUse = CommercialUse.UNKNOWN
    source: str | None = None
    unresolved: str | None = None  # the reason, when it could not be resolved
    detail: str = ""


@dataclass(frozen=True)
class ComputeEstimate:
    """Training compute estimated as 6 x parameters x training tokens, with where each number comes from."""

    model: str  # the node the numbers belong to
    flop: float
    parameters: int
    parameters_source: str
    tokens: float
    tokens_source: str
    factor: float = 6.0
    thresholds: tuple[tuple[float, str, bool], ...] = ()  # (FLOP, what it means, whether the estimate exceeds it)


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
    training_data: tuple[DatasetLicense, ...] = ()
    compute: tuple[ComputeEstimate, ...] = ()


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
class IgnoreEntry:
    """One entry of the configuration's ignore list: a path pattern or a model id pattern, with the reason."""

    reason: str
    path: str | None = None  # gitignore-style pattern, relative to the project root
    model: str | None = None  # a Hub id, or a glob such as "org/*"


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
    ignore: tuple[IgnoreEntry, ...] = ()  # skipped on purpose, and reported as such
    cache_path: str | None = None  # the per-file result cache (a JSON file); None for no cache
    workers: int = 0  # processes that scan files; 0 chooses by the amount of unread bytes


@dataclass(frozen=True)
class ResolutionSettings:
    endpoint: str | None = None  # HF_ENDPOINT, None for huggingface_hub's default
    offline: bool = False  # HF_HUB_OFFLINE
    mirror: str | None = None  # a directory of recorded metadata
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
    extra_parents: Mapping[str, tuple["ParentLink", ...]] = field(default_factory=dict)
    resolve_datasets: bool = True  # resolve the datasets cards name (one API call and README each)


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
