"""How much of licscan's knowledge rests on a primary source, a secondary one or none: per licence and publisher."""

from __future__ import annotations

from dataclasses import dataclass

from licscan.evaluation.knowledge import Knowledge
from licscan.model import LicenseTerms, Origin

# The facts of a licence record a reviewer relies on (identity, terms, fingerprints).
LICENSE_FACT_FIELDS = (
    "name", "version", "spdx_id", "aliases", "families", "commercial_use", "permissive", "thresholds",
    "registration_required", "attribution", "naming", "territory_exclusions", "territory_note",
    "use_policy_flow_down", "use_policy", "output_training", "output_training_note", "derivatives_must_carry",
    "markers",
)
PUBLISHER_FACT_FIELDS = ("organization", "country", "parent")


@dataclass(frozen=True)
class SourceCount:
    """One licence or publisher: how many of its facts rest on a primary source, a secondary one, or none."""

    subject: str
    kind: str  # "standard licence", "AI licence", "licence family", "publisher"
    primary: int
    secondary: int
    none: int

    @property
    def share_primary(self) -> float:
        total = self.primary + self.secondary + self.none
        return self.primary / total if total else 0.0


@dataclass(frozen=True)
class ListingCitation:
    """A restricted-party listing and what it is cited to (a regulation or list, or only a report of one)."""

    publisher: str
    list_name: str
    date_added: str | None
    cited_to: str  # the source type of the copy licscan read, "untyped" when the rules do not say
    confidence: str


def license_kind(record: LicenseTerms) -> str:
    """A standard open licence, a generic family id (openrail, cc, bsd), or a custom AI licence."""
    if record.members:
        return "licence family"
    return "standard licence" if record.standard else "AI licence"


def _count(confidences: list[str]) -> tuple[int, int, int]:
    return (confidences.count("primary"), confidences.count("secondary"),
            sum(1 for item in confidences if item not in ("primary", "secondary")))


def license_counts(knowledge: Knowledge) -> tuple[SourceCount, ...]:
    rows = []
    for key in sorted(knowledge.licenses):
        record = knowledge.licenses[key]
        rows.append(SourceCount(key, license_kind(record),
                                *_count([record.field_confidence(name) for name in LICENSE_FACT_FIELDS])))
    return tuple(rows)


def _publishers(knowledge: Knowledge) -> list[tuple[str, Origin]]:
    """Each organisation once, with every namespace that maps to it (renamed namespaces share one record)."""
    groups: dict[tuple, list[Origin]] = {}
    for origin in knowledge.origins.values():
        groups.setdefault((origin.organization, origin.sources), []).append(origin)
    return sorted((", ".join(sorted(o.namespace for o in items)), items[0]) for items in groups.values())


def publisher_counts(knowledge: Knowledge) -> tuple[SourceCount, ...]:
    """Each field by its own confidence. One person's or a community's account has no country to record, so its
    empty country is not counted; an organisation's empty country rests on nothing."""
    rows = []
    for name, origin in _publishers(knowledge):
        confidences = []
        for field in PUBLISHER_FACT_FIELDS:
            value = getattr(origin, field)
            if field == "country" and value is None and origin.account != "organisation":
                continue
            unsourced = value is None and field != "parent"
            confidences.append("none" if unsourced else origin.field_confidence(field))
        rows.append(SourceCount(name, "publisher", *_count(confidences)))
    return tuple(rows)


def listing_citations(knowledge: Knowledge) -> tuple[ListingCitation, ...]:
    rows = []
    for name, origin in _publishers(knowledge):
        for listing in origin.listings:
            cited = listing.source.type if listing.source is not None and listing.source.type else "untyped"
            rows.append(ListingCitation(name, listing.list_name, listing.date_added, cited, listing.confidence))
    for listing in knowledge.unmapped_entities:
        cited = listing.source.type if listing.source is not None and listing.source.type else "untyped"
        rows.append(ListingCitation(f"{listing.entity} (no Hub namespace)", listing.list_name, listing.date_added,
                                    cited, listing.confidence))
    return tuple(rows)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    line = lambda row: "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip()  # noqa: E731
    return [line(header), line(tuple("-" * width for width in widths)), *(line(row) for row in rows)]


def render_stats(knowledge: Knowledge) -> str:
    """The tables `licscan rules stats` prints: a summary per kind, then every licence, publisher and listing."""
    counts = [*license_counts(knowledge), *publisher_counts(knowledge)]
    lines = ["Facts per licence and publisher by the strongest source they rest on "
             "(primary: the licence text, the regulation, a filing or the publisher's own page).", ""]
    summary = []
    for kind, plural in (("standard licence", "standard licences"), ("AI licence", "AI licences"),
                         ("licence family", "licence family ids"), ("publisher", "publishers")):
        rows = [row for row in counts if row.kind == kind]
        if not rows:
            continue
        full = sum(1 for row in rows if row.share_primary == 1.0)
        ninety = sum(1 for row in rows if row.share_primary >= 0.9)
        facts = [sum(getattr(row, part) for row in rows) for part in ("primary", "secondary", "none")]
        summary.append((plural, str(len(rows)), str(full), str(ninety), *map(str, facts)))
    lines += _table(("kind", "records", "100% primary", ">=90% primary", "primary", "secondary", "none"), summary)
    lines.append("")
    lines += _table(("licence or publisher", "kind", "primary", "secondary", "none", "% primary"),
                    [(row.subject, row.kind, str(row.primary), str(row.secondary), str(row.none),
                      f"{row.share_primary:.0%}") for row in counts])
    lines.append("")
    lines += _table(("restricted-party listing", "list", "since", "cited to", "confidence"),
                    [(row.publisher, row.list_name, row.date_added or "-", row.cited_to, row.confidence)
                     for row in listing_citations(knowledge)])
    return "\n".join(lines) + "\n"
