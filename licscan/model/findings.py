"""The records of evaluation: licences, terms, origins, findings, each model's report and the scan's result."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from licscan.model import Occurrence, Skipped
from licscan.model.lineage import Lineage, ResolutionStats

if TYPE_CHECKING:
    from licscan.model.answers import Answers


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
    NOT_FOUND = "not-found"  # the project names a model the Hub says does not exist
    WAIVER = "waiver"  # a policy waiver that no longer holds (expired)
    SERVICE_TERMS = "service-terms"  # a model used through a provider's API: its terms of service govern


@dataclass(frozen=True)
class Source:
    """Where a fact comes from, and when it was read."""

    citation: str
    date: str  # ISO date the source was read or published
    confidence: str = "primary"  # "primary", "secondary", "unconfirmed"
    url: str | None = None
    # What kind of source it is, one of SOURCE_TYPES (None for rules written before sources were typed).
    type: str | None = None


CONFIDENCE_LEVELS = ("primary", "secondary", "unconfirmed")
# Source types, strongest first: the first four can be a fact's primary source; press and blogs only corroborate.
SOURCE_TYPES = ("licence-text", "regulation", "registry-filing", "publisher-page", "reference-work", "press", "blog")
PRIMARY_SOURCE_TYPES = frozenset(SOURCE_TYPES[:4])


def fact_confidence(name: str, unconfirmed: tuple[str, ...], secondary: tuple[str, ...], confidence: str) -> str:
    """One fact of a rules record: unconfirmed if listed so, else secondary if listed so, else the record's."""
    if name in unconfirmed:
        return "unconfirmed"
    if name in secondary:
        return "secondary"
    return confidence


@dataclass(frozen=True)
class TermScope:
    """What one field of a licence record governs: the models or modality its text names, and nothing else."""

    field: str  # the LicenseTerms field the scope limits (naming, territory_note, ...)
    models: tuple[str, ...] = ()  # repo id patterns ("Qwen/Qwen-Image-2.1*"), any case; empty = any model
    modality: str | None = None  # "multimodal" or "text": the term governs only models of that modality
    note: str | None = None  # the words of the licence that set the scope, in plain words


@dataclass(frozen=True)
class Threshold:
    metric: str  # "mau", "dau", "annual-revenue-usd", "monthly-revenue-usd", "monthly-output-tokens"
    value: float
    consequence: str  # what happens above (or below) it, in the licence's words


# A licence record's fields as a report names them: readers see duties in words, not the records' field names
# (the JSON report keeps the field names, which are its schema).
_TERM_WORDS = {
    "commercial_use": "commercial use",
    "registration_required": "registration or application",
    "attribution": "attribution or notice",
    "naming": "naming duty",
    "territory_exclusions": "territory exclusions",
    "territory_note": "territory note",
    "use_policy_flow_down": "passing the use policy on",
    "use_policy": "use policy",
    "output_training": "training other models on outputs",
    "output_training_note": "training other models on outputs",
    "derivatives_must_carry": "derivatives carrying the licence",
    "aliases": "licence ids",
}


def term_words(field_name: str) -> str:
    """A licence record's field in the words a report shows it with."""
    return _TERM_WORDS.get(field_name, field_name.replace("_", " "))


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
    scopes: tuple[TermScope, ...] = ()  # fields that govern only some models (a model list, a modality)
    members: tuple[str, ...] = ()  # a generic family id (openrail, cc, bsd): the keys of the texts it stands for
    standard: bool = False  # a standard open licence (OSI, FSF, Creative Commons, open data): duties read in its text
    models: tuple[str, ...] = ()  # repo id patterns of the releases this text governs (decides a shared slug)

    def scope(self, name: str) -> TermScope | None:
        """The scope of one field, or None when the field governs every model under the licence."""
        return next((item for item in self.scopes if item.field == name), None)

    def field_confidence(self, name: str) -> str:
        """How sure licscan's rules are of one field: 'primary', 'secondary' or 'unconfirmed'."""
        return fact_confidence(name, self.unconfirmed, self.secondary, self.confidence)


@dataclass(frozen=True)
class EntityListing:
    list_name: str  # "BIS Entity List", "OFAC SDN", "DoD 1260H", ...
    entity: str
    date_added: str | None
    citation: str
    confidence: str = "secondary"
    source: Source | None = None  # where licscan read about the listing
    notes: str | None = None
    published: str | None = None  # publication date of the cited document, when it differs from its effect


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
    account: str = "organisation"  # who stands behind the namespace: "organisation", "individual", "community"
    secondary: tuple[str, ...] = ()  # fields known only from a secondary source

    @property
    def known(self) -> bool:
        return self.organization is not None

    def field_confidence(self, name: str) -> str:
        """How sure the registry is of one field: an unconfirmed country does not lower the organisation's name."""
        return fact_confidence(name, self.unconfirmed, self.secondary, self.confidence)


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
class Waiver:
    """A reviewed exception written in a policy: what it covers, why, who approved it, and until when."""

    reason: str
    rule: str | None = None  # a rule id (LS120) or a finding kind (non-commercial); None covers every rule
    model: str | None = None  # an fnmatch pattern over the model or the ancestor; None covers every model
    approved_by: str | None = None
    expires: str | None = None  # ISO date; judged against the scan's injected clock
    policy_file: str | None = None  # the policy file it is written in, as the user named it


@dataclass(frozen=True)
class WaiverUse:
    """What one waiver of the policy did in a scan: 'used' (it waived failing findings), 'expired' (its date
    has passed, so it waived nothing) or 'stale' (it matched no failing finding: the list is rotting)."""

    waiver: Waiver
    status: str  # "used" | "expired" | "stale"
    findings: int = 0  # the failing findings it covered (or, expired, would have covered)


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
    waiver: Waiver | None = None  # set by the policy when a waiver covers a finding that would otherwise fail


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
    waivers: tuple[WaiverUse, ...] = ()  # the policy's waivers and what each did in this scan
    # The scanned folder (absolute), for formats that point into its files (SARIF's line hashes and repository
    # paths); never written into a report, which must not depend on where the checkout lies.
    project_root: str | None = field(default=None, compare=False)
    answers: "Answers | None" = None  # judgements against the deployment context, decisions, obligations
    audit: Mapping[str, Any] = field(default_factory=dict)  # project commit, rules review dates (HTML appendix)


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
