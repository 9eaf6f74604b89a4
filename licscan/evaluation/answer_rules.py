"""Load rules/answers.yaml (regions, notices, duties, remedies, alternatives) into frozen, validated records."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from licscan.errors import RuleError
from licscan.rule_entries import entry as _entry, iso_date as _date, sources as _sources, strings as _strings
from licscan.evaluation.knowledge import _load_yaml
from licscan.model import Source, UseMode

ANSWERS_SCHEMA = "licscan-answers/1"
_TOP_KEYS = {"schema", "last_reviewed", "regions", "duties", "notices", "remedies", "commercial_paths", "alternatives",
             "territory_clauses"}
_ENTRY_KEYS = {
    "regions": {"code", "name", "members", "sources"},
    "duties": {"kind", "modes", "why"},
    "notices": {"license", "kind", "text", "how", "modes", "above_thresholds", "sources"},
    "remedies": {"rule", "text", "sources"},
    "commercial_paths": {"license", "text", "sources"},
    "alternatives": {"instead_of", "license", "models", "text", "sources"},
    "territory_clauses": {"license", "territories", "binds", "text", "sources"},
}
_BINDS = {"establishment", "establishment-or-users"}
_NOTICE_KINDS = {"display", "notice-file"}


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    members: frozenset[str]
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Duty:
    kind: str
    modes: frozenset[UseMode]
    why: str


@dataclass(frozen=True)
class Notice:
    """An exact text a licence requires, how to show it, and the uses that make it due."""

    license: str
    kind: str  # "display" or "notice-file"
    text: str
    how: str
    modes: frozenset[UseMode]
    sources: tuple[Source, ...]
    above_thresholds: bool = False  # due only above one of the licence's thresholds (Kimi K2)


@dataclass(frozen=True)
class Advice:
    """A remedy for a rule, a licensor's commercial path, or an alternative family member (a suggestion)."""

    key: str  # the rule id, the licence key, or the model pattern it is for
    text: str
    sources: tuple[Source, ...]
    license: str | None = None
    models: tuple[str, ...] = ()


@dataclass(frozen=True)
class TerritoryClause:
    """A territory clause in a licence's own words: the territories it names and whom it binds."""

    license: str
    territories: tuple[str, ...]
    establishment_only: bool  # binds the company where it is established, not where its users are
    text: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class AnswerRules:
    regions: Mapping[str, Region] = field(default_factory=dict)
    duties: Mapping[str, Duty] = field(default_factory=dict)
    notices: Mapping[str, Notice] = field(default_factory=dict)  # by licence key
    remedies: Mapping[str, Advice] = field(default_factory=dict)  # by rule id
    commercial_paths: Mapping[str, Advice] = field(default_factory=dict)  # by licence key
    alternatives: tuple[Advice, ...] = ()
    territory_clauses: Mapping[str, TerritoryClause] = field(default_factory=dict)  # by licence key
    reviewed: str | None = None

    def members(self, code: str) -> frozenset[str]:
        """The countries a territory code covers: a region's members, or the country itself."""
        region = self.regions.get(code)
        return region.members | {code} if region else frozenset({code})

    def alternatives_for(self, model: str, license_key: str) -> tuple[Advice, ...]:
        return tuple(item for item in self.alternatives
                     if item.license == license_key and fnmatch.fnmatchcase(model.lower(), item.key.lower()))


def _text(item: Mapping[str, Any], key: str, *, file: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RuleError(f"{where}.{key} must be non-empty text", file=file)
    return value.strip()


def _modes(item: Mapping[str, Any], *, file: str, where: str) -> frozenset[UseMode]:
    try:
        return frozenset(UseMode(mode) for mode in _strings(item.get("modes"), file=file, key=f"{where}.modes",
                                                            rule=None))
    except ValueError:
        raise RuleError(f"{where}.modes must list use modes ({', '.join(m.value for m in UseMode)})",
                        file=file) from None


def parse_answers(data: Any, *, file: str) -> AnswerRules:
    if not isinstance(data, Mapping) or data.get("schema") != ANSWERS_SCHEMA:
        raise RuleError(f"'schema' must be {ANSWERS_SCHEMA!r}", file=file)
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise RuleError(f"unknown keys {sorted(unknown)}", file=file)
    entries: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
    for section, allowed in _ENTRY_KEYS.items():
        items = data.get(section) or []
        if not isinstance(items, list):
            raise RuleError(f"'{section}' must be a list", file=file)
        for index, item in enumerate(items):
            where = f"{section}[{index}]"
            entries.setdefault(section, []).append((where, _entry(item, allowed, where=where, file=file)))
    regions = {}
    for where, item in entries.get("regions", []):
        code = _text(item, "code", file=file, where=where)
        members = _strings(item.get("members"), file=file, key=f"{where}.members", rule=code)
        regions[code] = Region(code, _text(item, "name", file=file, where=where), frozenset(members),
                               _sources(item.get("sources"), file=file, rule=code))
    duties = {}
    for where, item in entries.get("duties", []):
        kind = _text(item, "kind", file=file, where=where)
        duties[kind] = Duty(kind, _modes(item, file=file, where=where), _text(item, "why", file=file, where=where))
    notices = {}
    for where, item in entries.get("notices", []):
        key = _text(item, "license", file=file, where=where)
        kind = _text(item, "kind", file=file, where=where)
        if kind not in _NOTICE_KINDS:
            raise RuleError(f"{where}.kind must be one of {sorted(_NOTICE_KINDS)}", file=file, rule=key)
        above = item.get("above_thresholds", False)
        if not isinstance(above, bool):
            raise RuleError(f"{where}.above_thresholds must be true or false", file=file, rule=key)
        notices[key] = Notice(key, kind, _text(item, "text", file=file, where=where),
                              _text(item, "how", file=file, where=where), _modes(item, file=file, where=where),
                              _sources(item.get("sources"), file=file, rule=key), above)

    clauses = {}
    for where, item in entries.get("territory_clauses", []):
        key = _text(item, "license", file=file, where=where)
        binds = item.get("binds")
        if binds not in _BINDS:
            raise RuleError(f"{where}.binds must be one of {sorted(_BINDS)}", file=file, rule=key)
        territories = _strings(item.get("territories"), file=file, key=f"{where}.territories", rule=key)
        if not territories:
            raise RuleError(f"{where}.territories must name at least one territory", file=file, rule=key)
        clauses[key] = TerritoryClause(key, territories, binds == "establishment",
                                       _text(item, "text", file=file, where=where),
                                       _sources(item.get("sources"), file=file, rule=key))

    def advice(section: str, key_name: str) -> list[Advice]:
        found = []
        for where, item in entries.get(section, []):
            key = _text(item, key_name, file=file, where=where)
            found.append(Advice(
                key, _text(item, "text", file=file, where=where), _sources(item.get("sources"), file=file, rule=key),
                license=item.get("license") if section == "alternatives" else None,
                models=_strings(item.get("models"), file=file, key=f"{where}.models", rule=key),
            ))
        return found

    return AnswerRules(
        regions=regions, duties=duties, notices=notices,
        remedies={item.key: item for item in advice("remedies", "rule")},
        commercial_paths={item.key: item for item in advice("commercial_paths", "license")},
        alternatives=tuple(advice("alternatives", "instead_of")),
        territory_clauses=clauses,
        reviewed=_date(data.get("last_reviewed"), file=file, key="last_reviewed"),
    )


def load_answers(rules_dirs: Iterable[str | Path]) -> AnswerRules:
    """answers.yaml of every rules directory; a later one replaces entries with the same key."""
    merged = AnswerRules()
    for directory in rules_dirs:
        path = Path(directory) / "answers.yaml"
        if not path.is_file():
            continue
        found = parse_answers(_load_yaml(path), file=str(path))
        merged = AnswerRules(
            regions={**merged.regions, **found.regions},
            duties={**merged.duties, **found.duties},
            notices={**merged.notices, **found.notices},
            remedies={**merged.remedies, **found.remedies},
            commercial_paths={**merged.commercial_paths, **found.commercial_paths},
            alternatives=(*found.alternatives, *merged.alternatives),
            territory_clauses={**merged.territory_clauses, **found.territory_clauses},
            reviewed=found.reviewed or merged.reviewed,
        )
    return merged
