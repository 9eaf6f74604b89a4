"""Load rules/ (licence terms, publisher origins, policies) into frozen, validated records."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from licscan import safeyaml
from licscan.cards import is_repo_id
from licscan.catalog import RULES
from licscan.errors import ParseError, RuleError
from licscan.providers import load_providers
from licscan.rule_entries import (confidence_level as _confidence, entry as _entry, iso_date as _date,
                                  listing as _listing, optional_text as _optional_text, sources as _sources,
                                  strings as _strings)
from licscan.evaluation.scope import SCOPABLE_FIELDS
from licscan.model.findings import PRIMARY_SOURCE_TYPES, SOURCE_TYPES  # noqa: F401 (PRIMARY_SOURCE_TYPES: kept importable here)
from licscan.model.providers import ProviderTable
from licscan.model import (
    CommercialUse,
    EntityListing,
    LicenseTerms,
    Origin,
    ParentLink,
    Relation,
    Source,
    TermScope,
    Threshold,
    Waiver,
)

LICENSE_SCHEMA = "licscan-license/1"
ORIGINS_SCHEMA = "licscan-origins/1"
POLICY_SCHEMA = "licscan-policy/1"
LINEAGE_SCHEMA = "licscan-lineage/1"
COMPUTE_SCHEMA = "licscan-compute/1"
RELEASES_SCHEMA = "licscan-releases/1"

_LICENSE_KEYS = {
    "schema", "key", "name", "version", "spdx_id", "scancode_key", "aliases", "publishers", "families",
    "commercial_use", "permissive", "thresholds", "registration_required", "attribution", "naming",
    "territory_exclusions", "territory_note", "use_policy_flow_down", "use_policy", "output_training",
    "output_training_note", "derivatives_must_carry", "markers", "summary", "sources", "unconfirmed",
    "date", "confidence", "secondary", "links", "superseded_by", "superseded_on", "scopes",
    "members", "standard", "models",
}
_REQUIRED_LICENSE_KEYS = {"schema", "key", "name", "spdx_id", "commercial_use", "sources"}
_ORIGINS_KEYS = {"schema", "last_reviewed", "note", "publishers", "unmapped_entities"}
_PUBLISHER_KEYS = {
    "namespaces", "organization", "country", "parent", "confidence", "unconfirmed", "sources", "listings", "notes",
    "account", "secondary",
}
# The facts of a publisher record that carry their own confidence (`unconfirmed:` and `secondary:` name them).
_PUBLISHER_FACTS = {"namespaces", "organization", "country", "parent", "account"}
_CONFIDENCE_RANK = {"primary": 0, "secondary": 1, "unconfirmed": 2}
# Who stands behind a namespace: a company or institution, one person, or a community of uploaders.
_ACCOUNTS = {"organisation", "individual", "community"}
_LINEAGE_KEYS = {"schema", "last_reviewed", "note", "edges"}
_EDGE_KEYS = {"child", "parent", "relation", "confidence", "unconfirmed", "sources", "notes"}
_COMPUTE_KEYS = {"schema", "last_reviewed", "note", "method", "thresholds"}
_RELEASES_KEYS = {"schema", "last_reviewed", "note", "releases"}
_RELEASE_KEYS = {"name", "models", "reported", "confidence", "sources", "notes"}
# A release is listed because no primary source confirms its licence: its confidence says how far it got.
_RELEASE_CONFIDENCE = {"secondary", "unconfirmed"}
_METHOD_KEYS = {"factor", "description", "confidence", "sources", "notes"}
_THRESHOLD_KEYS = {"flop", "meaning", "confidence", "sources", "notes"}
_POLICY_KEYS = {"schema", "name", "description", "extends", "fail_on", "reason", "fail_closed", "waivers",
                "require_context"}
_WAIVER_KEYS = {"rule", "model", "reason", "approved_by", "expires"}
_SCOPE_KEYS = {"models", "modality", "note"}
_MODALITIES = {"multimodal", "text"}
_OUTPUT_TRAINING = {"allowed", "restricted", "prohibited", "unknown"}
_METRICS = {"mau", "dau", "annual-revenue-usd", "monthly-revenue-usd", "monthly-output-tokens"}
_TERRITORY = re.compile(r"^(?:[A-Z]{2}|EU)$")


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    fail_on: frozenset[str]  # rule ids or finding kinds
    fail_closed: bool = True
    waivers: tuple[Waiver, ...] = ()
    file: str = ""
    extends: str | None = None  # the policy this one builds on (its fail_on and waivers are included)
    reason: str | None = None  # why the gate fails on nothing, when fail_on is empty on purpose
    require_context: bool = False  # a scan without a deployment context is incomplete, not clear


@dataclass(frozen=True)
class LineageFact:
    """A base model a card does not declare, recorded in rules/lineage.yaml with its sources."""

    child: str
    parent: str
    relation: Relation
    confidence: str
    sources: tuple[Source, ...]
    unconfirmed: tuple[str, ...] = ()
    notes: str | None = None
    file: str = ""


@dataclass(frozen=True)
class ReleaseFact:
    """A release whose licence licscan has not read in a primary source (rules/releases.yaml)."""

    name: str
    models: tuple[str, ...]  # repo id patterns of the release (any case, `*` wildcards)
    confidence: str  # "secondary" (only third parties report it) or "unconfirmed" (no source found)
    sources: tuple[Source, ...] = ()
    reported: str | None = None  # the licence third parties report, in plain words
    notes: str | None = None
    file: str = ""


@dataclass(frozen=True)
class ComputeThreshold:
    flop: float
    meaning: str
    confidence: str
    sources: tuple[Source, ...]
    notes: str | None = None


@dataclass(frozen=True)
class ComputeRules:
    """How licscan estimates training compute and the thresholds it compares the estimate with."""

    factor: float
    description: str
    confidence: str
    sources: tuple[Source, ...]
    thresholds: tuple[ComputeThreshold, ...]
    notes: str | None = None


@dataclass(frozen=True)
class Knowledge:
    """Everything licscan knows from rules/: licences by key and alias, origins by namespace."""

    licenses: Mapping[str, LicenseTerms]
    aliases: Mapping[str, tuple[str, ...]]  # lower-cased id/slug -> licence keys that use it
    publishers: Mapping[str, tuple[str, ...]]  # licence key -> namespaces that use the text (for ambiguous slugs)
    markers: Mapping[str, tuple[str, ...]]  # licence key -> marker phrases
    origins: Mapping[str, Origin]  # lower-cased namespace -> origin
    origins_reviewed: str | None
    policies: Mapping[str, Policy]
    files: tuple[str, ...] = field(default=())
    lineage: Mapping[str, tuple[LineageFact, ...]] = field(default_factory=dict)  # lower-cased child id -> facts
    lineage_reviewed: str | None = None
    compute: ComputeRules | None = None
    unmapped_entities: tuple[EntityListing, ...] = ()
    answers: Any = None  # AnswerRules from answers.yaml (notices, duties, remedies), set by evaluation.load
    providers: ProviderTable = field(default_factory=ProviderTable)  # providers.yaml: hosted APIs, runtime tags
    releases: tuple[ReleaseFact, ...] = ()  # releases.yaml: releases whose licence no primary source confirms

    @property
    def extra_parents(self) -> dict[str, tuple[ParentLink, ...]]:
        """The rules' base models for resolution to walk, by lower-cased child id."""
        return {
            child: tuple(ParentLink(fact.parent, fact.relation, "licscan-rules") for fact in facts)
            for child, facts in self.lineage.items()
        }

    def lineage_fact(self, child: str, parent: str) -> LineageFact | None:
        for fact in self.lineage.get(child.lower(), ()):
            if fact.parent.lower() == parent.lower():
                return fact
        return None


def _bool(value: Any, *, file: str, key: str, rule: str | None) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise RuleError(f"{key!r} must be true or false", file=file, rule=rule)


def _fields(value: Any, allowed: set[str], *, file: str, key: str, rule: str | None) -> tuple[str, ...]:
    names = _strings(value, file=file, key=key, rule=rule)
    for name in names:
        if name not in allowed:
            raise RuleError(f"{key!r} names {name!r}, which is not a field", file=file, rule=rule)
    return names


def strongest_first(sources: Iterable[Source]) -> tuple[Source, ...]:
    """Sources in the order a conclusion rests on them: primary before secondary, then by source type."""
    rank = {name: index for index, name in enumerate(SOURCE_TYPES)}
    order = {"primary": 0, "secondary": 1, "unconfirmed": 2}
    return tuple(sorted(sources, key=lambda s: (order.get(s.confidence, 3), rank.get(s.type or "", len(rank)))))


def _scopes(value: Any, *, file: str, rule: str) -> tuple[TermScope, ...]:
    """`scopes:` maps a field to the models or modality its text governs."""
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise RuleError("'scopes' must map a field to {models, modality, note}", file=file, rule=rule)
    scopes = []
    for name, item in value.items():
        where = f"scopes.{name}"
        if name not in SCOPABLE_FIELDS:
            raise RuleError(f"{where}: {name!r} is not a field a scope can limit (one of {sorted(SCOPABLE_FIELDS)})",
                            file=file, rule=rule)
        if not isinstance(item, Mapping) or not item:
            raise RuleError(f"{where} must give 'models' or 'modality'", file=file, rule=rule)
        unknown = set(item) - _SCOPE_KEYS
        if unknown:
            raise RuleError(f"{where} has unknown keys {sorted(unknown)}", file=file, rule=rule)
        models = _strings(item.get("models"), file=file, key=f"{where}.models", rule=rule)
        modality = item.get("modality")
        if modality is not None and modality not in _MODALITIES:
            raise RuleError(f"{where}.modality must be one of {sorted(_MODALITIES)}", file=file, rule=rule)
        if not models and modality is None:
            raise RuleError(f"{where} must give 'models' or 'modality'", file=file, rule=rule)
        scopes.append(TermScope(field=str(name), models=models, modality=modality,
                                note=_optional_text(item.get("note"), file=file, key=f"{where}.note", rule=rule)))
    return tuple(scopes)


def _load_yaml(path: Path) -> Any:
    try:
        return safeyaml.load(path.read_bytes(), what=str(path), unique_keys=True)
    except OSError as exc:
        raise RuleError(f"cannot read: {exc.strerror}", file=str(path)) from None
    except ParseError as exc:
        raise RuleError(str(exc), file=str(path)) from None


def parse_license(data: Any, *, file: str) -> LicenseTerms:
    """One licence record, validated; RuleError names the file, the licence and the key."""
    if not isinstance(data, Mapping):
        raise RuleError("a licence record must be a mapping", file=file)
    rule = str(data.get("key")) if data.get("key") else None
    if data.get("schema") != LICENSE_SCHEMA:
        raise RuleError(f"'schema' must be {LICENSE_SCHEMA!r}", file=file, rule=rule)
    unknown = set(data) - _LICENSE_KEYS
    if unknown:
        raise RuleError(f"unknown keys {sorted(unknown)}", file=file, rule=rule)
    missing = _REQUIRED_LICENSE_KEYS - set(data)
    if missing:
        raise RuleError(f"missing keys {sorted(missing)}", file=file, rule=rule)
    key = data["key"]
    if not isinstance(key, str) or not re.match(r"^[a-z0-9][a-z0-9._+-]*$", key):
        raise RuleError("'key' must be a lower-case id", file=file, rule=rule)
    try:
        commercial = CommercialUse(data["commercial_use"])
    except ValueError:
        raise RuleError("'commercial_use' must be allowed, conditional or non-commercial", file=file, rule=key) from None
    if commercial is CommercialUse.UNKNOWN:
        raise RuleError("'commercial_use' cannot be 'unknown' in a licence record", file=file, rule=key)
    thresholds = []
    for index, item in enumerate(data.get("thresholds") or []):
        if not isinstance(item, Mapping) or item.get("metric") not in _METRICS:
            raise RuleError(f"thresholds[{index}].metric must be one of {sorted(_METRICS)}", file=file, rule=key)
        value = item.get("value")
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise RuleError(f"thresholds[{index}].value must be a number", file=file, rule=key)
        thresholds.append(Threshold(item["metric"], float(value), str(item.get("consequence") or "")))
    territories = _strings(data.get("territory_exclusions"), file=file, key="territory_exclusions", rule=key)
    for code in territories:
        if not _TERRITORY.match(code):
            raise RuleError(f"territory {code!r} is not an ISO 3166-1 alpha-2 code or EU", file=file, rule=key)
    output_training = data.get("output_training") or "unknown"
    if output_training not in _OUTPUT_TRAINING:
        raise RuleError(f"'output_training' must be one of {sorted(_OUTPUT_TRAINING)}", file=file, rule=key)
    unconfirmed = _fields(data.get("unconfirmed"), _LICENSE_KEYS, file=file, key="unconfirmed", rule=key)
    secondary = _fields(data.get("secondary"), _LICENSE_KEYS, file=file, key="secondary", rule=key)
    both = sorted(set(unconfirmed) & set(secondary))
    if both:
        raise RuleError(f"{both} cannot be both 'secondary' and 'unconfirmed'", file=file, rule=key)
    sources = _sources(data.get("sources"), file=file, rule=key)
    best = "primary" if any(s.confidence == "primary" for s in sources) else (
        "secondary" if any(s.confidence == "secondary" for s in sources) else "unconfirmed")
    confidence = _confidence(data.get("confidence"), file=file, key="confidence", rule=key, default=best)
    markers = _strings(data.get("markers"), file=file, key="markers", rule=key)
    for marker in markers:
        if len(marker.strip()) < 8:
            raise RuleError(f"marker {marker!r} is too short to identify a text", file=file, rule=key)
    links = _strings(data.get("links"), file=file, key="links", rule=key)
    for link in links:
        if not re.match(r"^https?://[^\s/]+\.[^\s]+$", link):
            raise RuleError(f"link {link!r} must be an http(s) URL", file=file, rule=key)
    superseded_by = _optional_text(data.get("superseded_by"), file=file, key="superseded_by", rule=key)
    superseded_on = data.get("superseded_on")
    if (superseded_by is None) != (superseded_on is None):
        raise RuleError("'superseded_by' and 'superseded_on' go together", file=file, rule=key)
    if superseded_on is not None:
        superseded_on = _date(superseded_on, file=file, key="superseded_on", rule=key)
    date = data.get("date")
    spdx_id = data["spdx_id"]
    if not isinstance(spdx_id, str) or not spdx_id:
        raise RuleError("'spdx_id' must be an SPDX id or LicenseRef-", file=file, rule=key)
    return LicenseTerms(
        key=key,
        name=str(data["name"]),
        spdx_id=spdx_id,
        commercial_use=commercial,
        aliases=tuple(alias.lower() for alias in _strings(data.get("aliases"), file=file, key="aliases", rule=key)),
        version=_optional_text(data.get("version"), file=file, key="version", rule=key),
        thresholds=tuple(thresholds),
        registration_required=_bool(data.get("registration_required"), file=file, key="registration_required", rule=key),
        attribution=_optional_text(data.get("attribution"), file=file, key="attribution", rule=key),
        naming=_optional_text(data.get("naming"), file=file, key="naming", rule=key),
        territory_exclusions=territories,
        territory_note=_optional_text(data.get("territory_note"), file=file, key="territory_note", rule=key),
        use_policy_flow_down=_bool(data.get("use_policy_flow_down"), file=file, key="use_policy_flow_down", rule=key),
        output_training=output_training,
        output_training_note=_optional_text(data.get("output_training_note"), file=file, key="output_training_note", rule=key),
        derivatives_must_carry=_bool(data.get("derivatives_must_carry"), file=file, key="derivatives_must_carry", rule=key),
        permissive=_bool(data.get("permissive"), file=file, key="permissive", rule=key),
        summary=str(data.get("summary") or "").strip(),
        sources=sources,
        unconfirmed=unconfirmed,
        date=None if date is None else _date(date, file=file, key="date", rule=key),
        confidence=confidence,
        secondary=secondary,
        families=_strings(data.get("families"), file=file, key="families", rule=key),
        publishers=_strings(data.get("publishers"), file=file, key="publishers", rule=key),
        markers=tuple(marker.strip() for marker in markers),
        links=links,
        scancode_key=_optional_text(data.get("scancode_key"), file=file, key="scancode_key", rule=key),
        use_policy=_optional_text(data.get("use_policy"), file=file, key="use_policy", rule=key),
        superseded_by=superseded_by,
        superseded_on=superseded_on,
        scopes=_scopes(data.get("scopes"), file=file, rule=key),
        members=_strings(data.get("members"), file=file, key="members", rule=key),
        standard=_bool(data.get("standard"), file=file, key="standard", rule=key),
        models=_release_patterns(data.get("models"), file=file, key="models", rule=key),
    )


def _release_patterns(value: Any, *, file: str, key: str, rule: str | None) -> tuple[str, ...]:
    """Repo id patterns (namespace/name, `*` wildcards): a pattern without a namespace would match any publisher."""
    patterns = _strings(value, file=file, key=key, rule=rule)
    for pattern in patterns:
        namespace, _, name = pattern.partition("/")
        if not namespace or not name or "*" in namespace or "/" in name:
            raise RuleError(f"{key}: {pattern!r} must be a repo id pattern (namespace/name, '*' in the name only)",
                            file=file, rule=rule)
    return patterns


def parse_unmapped(data: Any, *, file: str) -> tuple[EntityListing, ...]:
    """Listings of organisations with no Hub namespace (kept so no namespace has to be guessed)."""
    items = data.get("unmapped_entities") if isinstance(data, Mapping) else None
    if items is None:
        return ()
    if not isinstance(items, list):
        raise RuleError("'unmapped_entities' must be a list", file=file)
    return tuple(_listing(item, where=f"unmapped_entities[{index}]", file=file, rule=None, default_entity="?")
                 for index, item in enumerate(items))


def _check_source_strength(confidence: str, secondary: tuple[str, ...], sources: tuple[Source, ...], *, file: str,
                           rule: str) -> None:
    """A fact is never surer than the strongest source the record names for it."""
    best = min((_CONFIDENCE_RANK.get(source.confidence, 2) for source in sources), default=2)
    if _CONFIDENCE_RANK[confidence] < best:
        raise RuleError(f"'confidence' is {confidence}, but no source is {confidence}", file=file, rule=rule)
    if secondary and best > _CONFIDENCE_RANK["secondary"]:
        raise RuleError(f"{list(secondary)} are under 'secondary', but no source is secondary or better",
                        file=file, rule=rule)


def parse_origins(data: Any, *, file: str) -> tuple[dict[str, Origin], str | None]:
    if not isinstance(data, Mapping) or data.get("schema") != ORIGINS_SCHEMA:
        raise RuleError(f"'schema' must be {ORIGINS_SCHEMA!r}", file=file)
    unknown = set(data) - _ORIGINS_KEYS
    if unknown:
        raise RuleError(f"unknown keys {sorted(unknown)}", file=file)
    reviewed = _date(data.get("last_reviewed"), file=file, key="last_reviewed")
    publishers = data.get("publishers")
    if not isinstance(publishers, list):
        raise RuleError("'publishers' must be a list", file=file)
    origins: dict[str, Origin] = {}
    for index, item in enumerate(publishers):
        where = f"publishers[{index}]"
        if not isinstance(item, Mapping):
            raise RuleError(f"{where} must be a mapping", file=file)
        namespaces = _strings(item.get("namespaces"), file=file, key=f"{where}.namespaces", rule=None)
        rule = namespaces[0] if namespaces else where
        if not namespaces:
            raise RuleError("'namespaces' must list at least one Hub namespace", file=file, rule=rule)
        unknown = set(item) - _PUBLISHER_KEYS
        if unknown:
            raise RuleError(f"unknown keys {sorted(unknown)}", file=file, rule=rule)
        country = item.get("country")
        if country is not None and not (isinstance(country, str) and re.match(r"^[A-Z]{2}$", country)):
            raise RuleError(f"'country' {country!r} must be an ISO 3166-1 alpha-2 code", file=file, rule=rule)
        confidence = _confidence(item.get("confidence"), file=file, key="confidence", rule=rule, default="unconfirmed")
        account = item.get("account", "organisation")
        if account not in _ACCOUNTS:
            raise RuleError(f"'account' must be one of {sorted(_ACCOUNTS)}, not {account!r}", file=file, rule=rule)
        listings_value = item.get("listings") or []
        if not isinstance(listings_value, list):
            raise RuleError("'listings' must be a list", file=file, rule=rule)
        listings = [
            _listing(listing, where=f"listings[{lindex}]", file=file, rule=rule,
                     default_entity=str(item.get("organization") or rule))
            for lindex, listing in enumerate(listings_value)
        ]
        origin_sources = _sources(item.get("sources"), file=file, rule=rule)
        unconfirmed_fields = _fields(item.get("unconfirmed"), _PUBLISHER_FACTS, file=file, key="unconfirmed", rule=rule)
        secondary_fields = _fields(item.get("secondary"), _PUBLISHER_FACTS, file=file, key="secondary", rule=rule)
        both = sorted(set(unconfirmed_fields) & set(secondary_fields))
        if both:
            raise RuleError(f"{both} cannot be both 'secondary' and 'unconfirmed'", file=file, rule=rule)
        _check_source_strength(confidence, secondary_fields, origin_sources, file=file, rule=rule)
        for namespace in namespaces:
            origins[namespace.lower()] = Origin(
                namespace=namespace,
                organization=_optional_text(item.get("organization"), file=file, key="organization", rule=rule),
                country=country,
                parent=_optional_text(item.get("parent"), file=file, key="parent", rule=rule),
                listings=tuple(listings),
                # Per field: an unconfirmed country leaves an organisation read on its own page primary.
                confidence=confidence,
                sources=origin_sources,
                unconfirmed=unconfirmed_fields,
                notes=_optional_text(item.get("notes"), file=file, key="notes", rule=rule),
                reviewed=reviewed,
                account=account,
                secondary=secondary_fields,
            )
    return origins, reviewed


def parse_lineage(data: Any, *, file: str) -> tuple[list[LineageFact], str | None]:
    """rules/lineage.yaml: base models that cards omit but their publishers document, each with sources."""
    if not isinstance(data, Mapping) or data.get("schema") != LINEAGE_SCHEMA:
        raise RuleError(f"'schema' must be {LINEAGE_SCHEMA!r}", file=file)
    unknown = set(data) - _LINEAGE_KEYS
    if unknown:
        raise RuleError(f"unknown keys {sorted(unknown)}", file=file)
    reviewed = _date(data.get("last_reviewed"), file=file, key="last_reviewed")
    edges = data.get("edges")
    if not isinstance(edges, list):
        raise RuleError("'edges' must be a list", file=file)
    facts = []
    for index, item in enumerate(edges):
        where = f"edges[{index}]"
        _entry(item, _EDGE_KEYS, where=where, file=file)
        child, parent = item.get("child"), item.get("parent")
        for name, value in (("child", child), ("parent", parent)):
            if not isinstance(value, str) or not is_repo_id(value):
                raise RuleError(f"{where}.{name} must be a Hub repo id (namespace/name), not {value!r}", file=file)
        rule = f"{child} -> {parent}"
        try:
            relation = Relation(item.get("relation") or "unspecified")
        except ValueError:
            raise RuleError(f"{where}.relation must be one of {[r.value for r in Relation]}", file=file,
                            rule=rule) from None
        facts.append(
            LineageFact(
                child=child,
                parent=parent,
                relation=relation,
                confidence=_confidence(item.get("confidence"), file=file, key=f"{where}.confidence", rule=rule),
                sources=_sources(item.get("sources"), file=file, rule=rule),
                unconfirmed=_fields(item.get("unconfirmed"), _EDGE_KEYS, file=file, key=f"{where}.unconfirmed",
                                    rule=rule),
                notes=_optional_text(item.get("notes"), file=file, key=f"{where}.notes", rule=rule),
                file=file,
            )
        )
    return facts, reviewed


def parse_releases(data: Any, *, file: str) -> list[ReleaseFact]:
    """rules/releases.yaml: releases whose licence licscan has not confirmed, with what third parties report."""
    if not isinstance(data, Mapping) or data.get("schema") != RELEASES_SCHEMA:
        raise RuleError(f"'schema' must be {RELEASES_SCHEMA!r}", file=file)
    unknown = set(data) - _RELEASES_KEYS
    if unknown:
        raise RuleError(f"unknown keys {sorted(unknown)}", file=file)
    _date(data.get("last_reviewed"), file=file, key="last_reviewed")
    items = data.get("releases")
    if not isinstance(items, list):
        raise RuleError("'releases' must be a list", file=file)
    facts, names = [], set()
    for index, item in enumerate(items):
        where = f"releases[{index}]"
        _entry(item, _RELEASE_KEYS, where=where, file=file)
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise RuleError(f"{where}.name must be the release's name", file=file)
        if name.lower() in names:
            raise RuleError(f"{where}: release {name!r} is listed twice", file=file, rule=name)
        names.add(name.lower())
        models = _release_patterns(item.get("models"), file=file, key=f"{where}.models", rule=name)
        if not models:
            raise RuleError(f"{where}.models must name the release's repo ids", file=file, rule=name)
        confidence = item.get("confidence")
        if confidence not in _RELEASE_CONFIDENCE:
            raise RuleError(f"{where}.confidence must be one of {sorted(_RELEASE_CONFIDENCE)}: a release whose "
                            "licence a primary source confirms belongs in its licence record's families",
                            file=file, rule=name)
        sources = _sources(item.get("sources"), file=file, rule=name, required=confidence == "secondary",
                           typed=True)
        if any(source.confidence == "primary" for source in sources):
            raise RuleError(f"{where}: a primary source confirms the licence; record the release in its licence "
                            "record's families instead", file=file, rule=name)
        facts.append(ReleaseFact(
            name=name.strip(), models=models, confidence=confidence, sources=sources,
            reported=_optional_text(item.get("reported"), file=file, key=f"{where}.reported", rule=name),
            notes=_optional_text(item.get("notes"), file=file, key=f"{where}.notes", rule=name), file=file))
    return facts


def _number_value(value: Any, *, file: str, key: str, rule: str | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise RuleError(f"{key!r} must be a positive number, not {value!r}", file=file, rule=rule)
    return float(value)


def parse_compute(data: Any, *, file: str) -> ComputeRules:
    """rules/compute.yaml: the training-compute estimate (factor x N x D) and the thresholds it is compared with."""
    if not isinstance(data, Mapping) or data.get("schema") != COMPUTE_SCHEMA:
        raise RuleError(f"'schema' must be {COMPUTE_SCHEMA!r}", file=file)
    unknown = set(data) - _COMPUTE_KEYS
    if unknown:
        raise RuleError(f"unknown keys {sorted(unknown)}", file=file)
    if data.get("last_reviewed") is not None:
        _date(data.get("last_reviewed"), file=file, key="last_reviewed")
    method = data.get("method")
    if not isinstance(method, Mapping):
        raise RuleError("'method' must be a mapping", file=file)
    unknown = set(method) - _METHOD_KEYS
    if unknown:
        raise RuleError(f"method has unknown keys {sorted(unknown)}", file=file)
    thresholds = []
    items = data.get("thresholds")
    if not isinstance(items, list) or not items:
        raise RuleError("'thresholds' must list at least one threshold", file=file)
    for index, item in enumerate(items):
        where = f"thresholds[{index}]"
        _entry(item, _THRESHOLD_KEYS, where=where, file=file)
        thresholds.append(
            ComputeThreshold(
                flop=_number_value(item.get("flop"), file=file, key=f"{where}.flop"),
                meaning=str(item.get("meaning") or ""),
                confidence=_confidence(item.get("confidence"), file=file, key=f"{where}.confidence", rule=where),
                sources=_sources(item.get("sources"), file=file, rule=where),
                notes=_optional_text(item.get("notes"), file=file, key=f"{where}.notes", rule=where),
            )
        )
    return ComputeRules(
        factor=_number_value(method.get("factor"), file=file, key="method.factor"),
        description=str(method.get("description") or ""),
        confidence=_confidence(method.get("confidence"), file=file, key="method.confidence", rule="method"),
        sources=_sources(method.get("sources"), file=file, rule="method"),
        thresholds=tuple(sorted(thresholds, key=lambda t: t.flop)),
        notes=_optional_text(method.get("notes"), file=file, key="method.notes", rule="method"),
    )


def _gate_terms() -> dict[str, str]:
    """Every name a policy may fail on or waive: rule ids (LS120) and finding kinds (non-commercial)."""
    from licscan.model import FindingKind

    terms = {rule.id: rule.id for rule in RULES}
    terms.update({kind.value: kind.value for kind in FindingKind})
    return terms


def _gate_term(value: Any, *, file: str, key: str, rule: str | None) -> str:
    """A rule id or a finding kind, exactly as licscan knows it; a typo is an error, never a silent no-op."""
    terms = _gate_terms()
    if isinstance(value, str):
        if value in terms:
            return value
        if value.upper() in terms:
            return value.upper()
    close = difflib.get_close_matches(str(value), sorted(terms), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else " (see `licscan explain` for rule ids and kinds)"
    raise RuleError(f"{key!r} names {value!r}, which is neither a rule id nor a finding kind{hint}",
                    file=file, rule=rule)


def _waiver(item: Any, *, file: str, index: int, rule: str | None) -> Waiver:
    where = f"waivers[{index}]"
    if not isinstance(item, Mapping):
        raise RuleError(f"{where!r} must be a mapping with rule, model, reason, approved_by and expires",
                        file=file, rule=rule)
    unknown = set(item) - _WAIVER_KEYS
    if unknown:
        raise RuleError(f"{where!r} has unknown keys {sorted(map(str, unknown))} (known: {sorted(_WAIVER_KEYS)})",
                        file=file, rule=rule)
    reason = _optional_text(item.get("reason"), file=file, key=f"{where}.reason", rule=rule)
    if not reason or not reason.strip():
        raise RuleError(f"{where + '.reason'!r} is required: say why the exception is acceptable",
                        file=file, rule=rule)
    if item.get("rule") is None and item.get("model") is None:
        raise RuleError(f"{where!r} needs 'rule' or 'model' (or both): a waiver of everything is not a waiver",
                        file=file, rule=rule)
    covered = None if item.get("rule") is None else _gate_term(item.get("rule"), file=file, key=f"{where}.rule",
                                                              rule=rule)
    model = _optional_text(item.get("model"), file=file, key=f"{where}.model", rule=rule)
    if model is not None and not model.strip():
        raise RuleError(f"{where + '.model'!r} must be a model id or pattern (namespace/*)", file=file, rule=rule)
    expires = None if item.get("expires") is None else _date(item.get("expires"), file=file,
                                                              key=f"{where}.expires", rule=rule)
    return Waiver(
        reason=reason.strip(),
        rule=covered,
        model=model,
        approved_by=_optional_text(item.get("approved_by"), file=file, key=f"{where}.approved_by", rule=rule),
        expires=expires,
        policy_file=file,
    )


def parse_policy(data: Any, *, file: str, bases: Mapping[str, Policy] | None = None) -> Policy:
    """One policy file, validated; RuleError names the file and the key.

    A policy states what fails (`fail_on`) or builds on another (`extends: default`); a gate that fails on
    nothing must say so (`fail_on: []` with a `reason:`). With `bases`, an `extends` is resolved against them
    (its fail_on and waivers are included); without, only the file itself is checked."""
    if not isinstance(data, Mapping) or data.get("schema") != POLICY_SCHEMA:
        raise RuleError(f"'schema' must be {POLICY_SCHEMA!r}", file=file)
    unknown = set(data) - _POLICY_KEYS
    if unknown:
        raise RuleError(f"unknown keys {sorted(map(str, unknown))} (known: {sorted(_POLICY_KEYS)})", file=file)
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise RuleError("'name' is required", file=file)
    extends = data.get("extends")
    if extends is not None and (not isinstance(extends, str) or not extends.strip()):
        raise RuleError("'extends' must name a policy (default, strict)", file=file, rule=name)
    if "fail_on" not in data or data.get("fail_on") is None:
        if extends is None:
            raise RuleError("states neither 'fail_on' nor 'extends': say what fails (fail_on: [LS120, ...]) or "
                            "build on a shipped policy (extends: default)", file=file, rule=name)
        own: tuple[str, ...] = ()
    else:
        own = tuple(_gate_term(item, file=file, key="fail_on", rule=name)
                    for item in _strings(data.get("fail_on"), file=file, key="fail_on", rule=name))
    reason = _optional_text(data.get("reason"), file=file, key="reason", rule=name)
    if extends is None and not own and not (reason and reason.strip()):
        raise RuleError("'fail_on' is empty, so the gate would pass everything: if that is meant, say why with "
                        "'reason:'", file=file, rule=name)
    fail_closed = data.get("fail_closed")
    if fail_closed is not None and not isinstance(fail_closed, bool):
        raise RuleError("'fail_closed' must be true or false", file=file, rule=name)
    raw_waivers = data.get("waivers")
    if raw_waivers is not None and not isinstance(raw_waivers, list):
        raise RuleError("'waivers' must be a list", file=file, rule=name)
    waivers = tuple(_waiver(item, file=file, index=index, rule=name) for index, item in enumerate(raw_waivers or []))
    fail_on = frozenset(own)
    if extends is not None and bases is not None:
        base = bases.get(extends)
        if base is None:
            known = ", ".join(sorted(bases)) or "none"
            raise RuleError(f"'extends' names {extends!r}, which is not a policy (known: {known})", file=file,
                            rule=name)
        fail_on = base.fail_on | fail_on  # building on a policy adds to what fails, never removes
        waivers = base.waivers + waivers
        fail_closed = base.fail_closed if fail_closed is None else fail_closed
    return Policy(
        name=name,
        description=str(data.get("description") or ""),
        fail_on=fail_on,
        fail_closed=fail_closed is not False,
        waivers=waivers,
        file=file,
        extends=extends,
        reason=reason,
        require_context=_bool(data.get("require_context"), file=file, key="require_context", rule=name),
    )


def _resolve_policies(found: list[tuple[str, Any]], policies: dict[str, Policy],
                      extendable: Mapping[str, Policy] | None = None) -> None:
    """Parse policy files whose bases may come later in the list, from an earlier rules directory, or from
    `extendable` (policies they may extend without being part of what is loaded)."""
    pending = list(found)
    while pending:
        waiting = []
        for file, data in pending:
            extends = data.get("extends") if isinstance(data, Mapping) else None
            if isinstance(extends, str) and extends not in policies and any(
                    isinstance(other, Mapping) and other.get("name") == extends for _, other in pending):
                waiting.append((file, data))
                continue
            policy = parse_policy(data, file=file, bases={**(extendable or {}), **policies})
            policies[policy.name] = policy
        if len(waiting) == len(pending):
            file, data = waiting[0]
            raise RuleError(f"'extends' goes round in a circle ({data.get('extends')!r})", file=file,
                            rule=str(data.get("name")))
        pending = waiting


def load_knowledge(rules_dirs: Iterable[str | Path], *, extendable: Mapping[str, Policy] | None = None) -> Knowledge:
    """Read every rules directory in order; a later directory's records override earlier ones by key.
    `extendable`: policies the directories' policies may extend (the shipped ones, when checking others)."""
    rules_dirs = list(rules_dirs)  # read twice: the records, then providers.yaml
    licenses: dict[str, LicenseTerms] = {}
    markers: dict[str, tuple[str, ...]] = {}
    publishers: dict[str, tuple[str, ...]] = {}
    origins: dict[str, Origin] = {}
    policies: dict[str, Policy] = {}
    reviewed: str | None = None
    lineage: dict[str, tuple[LineageFact, ...]] = {}
    lineage_reviewed: str | None = None
    compute: ComputeRules | None = None
    releases: dict[str, ReleaseFact] = {}
    unmapped: list[EntityListing] = []
    files: list[str] = []
    for directory in rules_dirs:
        root = Path(directory)
        if not root.is_dir():
            raise RuleError("rules directory does not exist", file=str(root))
        for path in sorted((root / "licenses").glob("*.yaml")):
            data = _load_yaml(path)
            record = parse_license(data, file=str(path))
            licenses[record.key] = record
            markers[record.key] = record.markers
            publishers[record.key] = record.publishers
            files.append(str(path))
        origins_file = root / "origins.yaml"
        if origins_file.exists():
            data = _load_yaml(origins_file)
            found, reviewed = parse_origins(data, file=str(origins_file))
            origins.update(found)
            unmapped.extend(parse_unmapped(data, file=str(origins_file)))
            files.append(str(origins_file))
        lineage_file = root / "lineage.yaml"
        if lineage_file.exists():
            facts, lineage_reviewed = parse_lineage(_load_yaml(lineage_file), file=str(lineage_file))
            # A later directory that speaks about a child replaces what earlier ones said about it.
            grouped: dict[str, list[LineageFact]] = {}
            for fact in facts:
                grouped.setdefault(fact.child.lower(), []).append(fact)
            lineage.update({child: tuple(items) for child, items in grouped.items()})
            files.append(str(lineage_file))
        releases_file = root / "releases.yaml"
        if releases_file.exists():
            # A later directory that names a release replaces what earlier ones said about it.
            releases.update((fact.name.lower(), fact)
                            for fact in parse_releases(_load_yaml(releases_file), file=str(releases_file)))
            files.append(str(releases_file))
        compute_file = root / "compute.yaml"
        if compute_file.exists():
            compute = parse_compute(_load_yaml(compute_file), file=str(compute_file))
            files.append(str(compute_file))
        found = [(str(path), _load_yaml(path)) for path in sorted((root / "policies").glob("*.yaml"))]
        _resolve_policies(found, policies, extendable)
        files.extend(file for file, _ in found)
    for record in licenses.values():
        if record.superseded_by is not None and record.superseded_by not in licenses:
            raise RuleError(f"'superseded_by' names {record.superseded_by!r}, which has no licence record",
                            file=next((f for f in reversed(files) if f.endswith(f"{record.key}.yaml")), "rules/licenses"),
                            rule=record.key)
    for record in licenses.values():
        missing = [member for member in record.members if member not in licenses]
        if missing:
            raise RuleError(f"'members' names {missing}, which have no licence record",
                            file=next((f for f in reversed(files) if f.endswith(f"{record.key}.yaml")), "rules/licenses"),
                            rule=record.key)
    aliases: dict[str, list[str]] = {}
    for record in licenses.values():
        for name in (record.key, *record.aliases):
            keys = aliases.setdefault(name.lower(), [])
            if record.key not in keys:
                keys.append(record.key)
    providers = load_providers(rules_dirs)
    for provider in providers.providers:
        if provider.publisher is not None and provider.publisher.lower() not in origins:
            raise RuleError(f"'publisher' names {provider.publisher!r}, which has no record in origins.yaml",
                            file=providers.file, rule=provider.key)
    return Knowledge(
        providers=providers,
        licenses=licenses,
        aliases={name: tuple(sorted(keys)) for name, keys in aliases.items()},
        publishers=publishers,
        markers=markers,
        origins=origins,
        origins_reviewed=reviewed,
        policies=policies,
        files=tuple(files),
        lineage=lineage,
        lineage_reviewed=lineage_reviewed,
        compute=compute,
        unmapped_entities=tuple(unmapped),
        releases=tuple(releases.values()),
    )


def load_policy_file(path: str | Path, bases: Mapping[str, Policy] | None = None) -> Policy:
    """A policy file outside the rules directories (a project's own); `extends` names one of `bases`."""
    return parse_policy(_load_yaml(Path(path)), file=str(path), bases=bases or {})
