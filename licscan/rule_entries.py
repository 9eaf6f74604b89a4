"""Reading the sourced entries of rules/ files (dates, sources, restricted-party listings), shared by every loader."""

from __future__ import annotations

import datetime
import re
from typing import Any, Iterable, Mapping

from licscan.errors import RuleError
from licscan.model.findings import CONFIDENCE_LEVELS, PRIMARY_SOURCE_TYPES, SOURCE_TYPES, EntityListing, Source

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SOURCE_KEYS = ("citation", "url", "date", "confidence", "type")
_LISTING_KEYS = {"list", "entity", "date_added", "citation", "confidence", "source", "notes", "published"}
_LISTING_SOURCE_KEYS = {"citation", "url", "date", "type"}


def iso_date(value: Any, *, file: str, key: str, rule: str | None = None) -> str:
    """A real calendar date written YYYY-MM-DD (YAML may already have read it as a date)."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str) and _DATE.match(value):
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return value
    raise RuleError(f"{key!r} must be an ISO date YYYY-MM-DD, not {value!r}", file=file, rule=rule)


def strings(value: Any, *, file: str, key: str, rule: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise RuleError(f"{key!r} must be a list of strings", file=file, rule=rule)


def optional_text(value: Any, *, file: str, key: str, rule: str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise RuleError(f"{key!r} must be text", file=file, rule=rule)


def confidence_level(value: Any, *, file: str, key: str, rule: str | None, default: str | None = None) -> str:
    if value is None and default is not None:
        return default
    if value not in CONFIDENCE_LEVELS:
        raise RuleError(f"{key!r} must be one of {sorted(CONFIDENCE_LEVELS)}, not {value!r}", file=file, rule=rule)
    return str(value)


def entry(item: Any, allowed: Iterable[str], *, where: str, file: str, rule: str | None = None) -> Mapping[str, Any]:
    """One entry of a rule file: a mapping with no key outside `allowed` (errors name the file and the entry)."""
    if not isinstance(item, Mapping):
        raise RuleError(f"{where} must be a mapping", file=file, rule=rule)
    unknown = set(item) - set(allowed)
    if unknown:
        raise RuleError(f"{where} has unknown keys {sorted(unknown)}", file=file, rule=rule)
    return item


def source_type(value: Any, confidence: str, *, where: str, file: str, rule: str | None,
                required: bool = False) -> str | None:
    """A source's type; a press report or a blog cannot be the primary source of a fact."""
    if value is None and not required:
        return None
    if value not in SOURCE_TYPES:
        raise RuleError(f"{where}.type must be one of {list(SOURCE_TYPES)}, not {value!r}", file=file, rule=rule)
    if confidence == "primary" and value not in PRIMARY_SOURCE_TYPES:
        raise RuleError(f"{where} is a {value} source, which cannot be primary (use confidence: secondary)",
                        file=file, rule=rule)
    return str(value)


def sources(value: Any, *, file: str, rule: str | None, required: bool = True,
            typed: bool = False) -> tuple[Source, ...]:
    """A `sources:` list; `typed` makes each source say what kind of source it is."""
    if value is None and not required:
        return ()
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list) or (required and not value):
        raise RuleError("'sources' must list at least one source with citation and date", file=file, rule=rule)
    read = []
    for index, item in enumerate(value):
        where = f"sources[{index}]"
        entry(item, _SOURCE_KEYS, where=where, file=file, rule=rule)
        citation = item.get("citation")
        if not isinstance(citation, str) or not citation.strip():
            raise RuleError(f"{where} needs a 'citation'", file=file, rule=rule)
        confidence = item.get("confidence", "primary")
        if confidence not in CONFIDENCE_LEVELS:
            raise RuleError(f"{where}.confidence must be one of {sorted(CONFIDENCE_LEVELS)}", file=file, rule=rule)
        read.append(Source(
            citation=citation.strip(),
            date=iso_date(item.get("date"), file=file, key=f"{where}.date", rule=rule),
            confidence=confidence,
            url=optional_text(item.get("url"), file=file, key=f"{where}.url", rule=rule),
            type=source_type(item.get("type"), confidence, where=where, file=file, rule=rule, required=typed),
        ))
    return tuple(read)


def listing(value: Any, *, where: str, file: str, rule: str | None, default_entity: str) -> EntityListing:
    """A restricted-party listing: the list, its citation and dates, and where licscan read it."""
    entry(value, _LISTING_KEYS, where=where, file=file, rule=rule)
    if not value.get("list") or not value.get("citation"):
        raise RuleError(f"{where} needs 'list' and 'citation'", file=file, rule=rule)
    source = value.get("source")
    if not isinstance(source, Mapping) or not isinstance(source.get("citation"), str) or not source["citation"].strip():
        raise RuleError(f"{where}.source must give the 'citation' and 'date' licscan read the listing in",
                        file=file, rule=rule)
    entry(source, _LISTING_SOURCE_KEYS, where=f"{where}.source", file=file, rule=rule)
    confidence = confidence_level(value.get("confidence"), file=file, key=f"{where}.confidence", rule=rule,
                                  default="secondary")
    date_added = value.get("date_added")
    published = value.get("published")
    return EntityListing(
        list_name=str(value["list"]),
        entity=str(value.get("entity") or default_entity),
        date_added=None if date_added is None else iso_date(date_added, file=file, key=f"{where}.date_added",
                                                            rule=rule),
        citation=str(value["citation"]),
        confidence=confidence,
        source=Source(
            citation=source["citation"].strip(),
            date=iso_date(source.get("date"), file=file, key=f"{where}.source.date", rule=rule),
            confidence=confidence,
            url=optional_text(source.get("url"), file=file, key=f"{where}.source.url", rule=rule),
            type=source_type(source.get("type"), confidence, where=f"{where}.source", file=file, rule=rule),
        ),
        notes=optional_text(value.get("notes"), file=file, key=f"{where}.notes", rule=rule),
        published=None if published is None else iso_date(published, file=file, key=f"{where}.published", rule=rule),
    )
