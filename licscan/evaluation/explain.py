"""Plain-words explanations of licscan's knowledge (a licence record, a publisher, a lineage fact), with sources."""

from __future__ import annotations

from licscan.evaluation.inheritance import conditions_of
from licscan.evaluation.knowledge import Knowledge, strongest_first
from licscan.model import LicenseTerms, Origin, Source

_CONFIDENCE_WORDS = {
    "primary": "read in the primary text",
    "secondary": "from a secondary source",
    "unconfirmed": "not confirmed by any source consulted",
}


def _source_lines(sources: tuple[Source, ...]) -> list[str]:
    """The sources a conclusion rests on first (primary, by source type); weaker ones after, as corroboration."""
    return [f"  - {s.citation}{f' <{s.url}>' if s.url else ''} (read {s.date}; {s.confidence}"
            f"{f', {s.type}' if s.type else ''})" for s in strongest_first(sources)]


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def explain_license(record: LicenseTerms, knowledge: Knowledge) -> str:
    """A licence record as a reviewer reads it: each term with how sure licscan's rules are of it."""

    def term(label: str, field: str, value: str) -> str:
        return f"  {label + ' ':.<28} {value} [{record.field_confidence(field)}]"

    title = f"{record.key}: {record.name}"
    dated = ", ".join(part for part in (f"version {record.version}" if record.version else "",
                                        f"dated {record.date}" if record.date else "") if part)
    lines = [title + (f" ({dated})" if dated else "")]
    ids = f"SPDX: {record.spdx_id}" + (f" · ScanCode: {record.scancode_key}" if record.scancode_key else "")
    lines.append(ids)
    slugs = [record.key, *record.aliases]
    lines.append(f"Hub id / license_name slugs: {', '.join(slugs)} [{record.field_confidence('aliases')}]")
    if record.publishers:
        lines.append(f"Publishers using this text: {', '.join(record.publishers)}")
    if record.families:
        lines.append(f"Families: {', '.join(record.families)} [{record.field_confidence('families')}]")
    if record.models:
        lines.append(f"The text of the releases {', '.join(record.models)}: among the texts sharing its slug, a model "
                     "of these releases (or derived from one) is read under this one.")
    if record.members:
        lines.append(f"A family id, not one text: a model declaring it is read as its nearest ancestor's text of the "
                     f"family ({', '.join(record.members)}); with none, the terms below apply: what every text of the family "
                     "shares, and what they do not share is marked unconfirmed (unknown, never clear).")
    lines.append(f"Facts below are {_CONFIDENCE_WORDS.get(record.confidence, record.confidence)} "
                 f"({record.confidence}) unless marked otherwise.")
    if record.summary:
        lines.append(f"\n{record.summary}")
    lines.append("\nTerms:")
    lines.append(term("commercial use", "commercial_use", record.commercial_use.value))
    thresholds = [text for text in conditions_of(record) if text.startswith("threshold")]
    lines.append(term("thresholds", "thresholds", "; ".join(thresholds) if thresholds else "none stated"))
    lines.append(term("registration/application", "registration_required", _yes(record.registration_required)))
    lines.append(term("attribution/notice", "attribution", record.attribution or "none stated"))
    lines.append(term("naming", "naming", record.naming or "none stated"))
    territory = ", ".join(record.territory_exclusions) or "none"
    lines.append(term("territory exclusions", "territory_exclusions", territory))
    if record.territory_note:
        lines.append(term("territory note", "territory_note", record.territory_note))
    flow = _yes(record.use_policy_flow_down) + (f" ({record.use_policy})" if record.use_policy else "")
    lines.append(term("use policy flows down", "use_policy_flow_down", flow))
    outputs = record.output_training + (f": {record.output_training_note}" if record.output_training_note else "")
    lines.append(term("outputs to train models", "output_training", outputs))
    lines.append(term("derivatives must carry it", "derivatives_must_carry", _yes(record.derivatives_must_carry)))
    if record.superseded_by:
        newer = knowledge.licenses.get(record.superseded_by)
        name = newer.name if newer else record.superseded_by
        lines.append(f"\nReplaced by its publisher with {name} ({record.superseded_by}) on {record.superseded_on}: "
                     "a repo's licence depends on the revision; licscan evaluates the pinned revision's.")
    for scope in record.scopes:
        governs = ", ".join(filter(None, [f"models {', '.join(scope.models)}" if scope.models else "",
                                          f"{scope.modality} models" if scope.modality else ""]))
        lines.append(f"\nScope of {scope.field}: governs {governs} only" + (f". {scope.note}" if scope.note else ""))
    if record.markers:
        lines.append("\nIdentified in a LICENSE file by: " + "; ".join(f'"{m}"' for m in record.markers))
    if record.links:
        lines.append("Published at: " + ", ".join(record.links))
    if record.unconfirmed:
        lines.append(f"\nUnconfirmed: {', '.join(record.unconfirmed)} (shown as unconfirmed in every report)")
    if record.secondary:
        lines.append(f"Secondary sources only: {', '.join(record.secondary)}")
    lines.append("\nSources:")
    lines.extend(_source_lines(record.sources))
    return "\n".join(lines) + "\n"


def explain_origin(origins: list[Origin], knowledge: Knowledge) -> str:
    """A publisher of the origin registry: organisation, country, parent, restricted-party listings."""
    origin = origins[0]
    namespaces = sorted({item.namespace for item in knowledge.origins.values()
                         if item.organization == origin.organization and item.sources == origin.sources})
    lines = [f"{', '.join(namespaces)}: {origin.organization} [{origin.field_confidence('organization')}]"]

    def mark(field: str) -> str:
        return f" [{origin.field_confidence(field)}]"

    if origin.account != "organisation":
        lines.append(f"Account: {'one person' if origin.account == 'individual' else 'a community of uploaders'}, "
                     "not an organisation")
    lines.append(f"Country: {origin.country or 'unknown'}{mark('country')}")
    lines.append(f"Parent: {origin.parent or 'none recorded'}{mark('parent')}")
    if origin.listings:
        lines.append("\nRestricted-party listings (facts; the policy decides what fails):")
        for listing in origin.listings:
            since = f" since {listing.date_added}" if listing.date_added else ""
            if listing.published and listing.published != listing.date_added:
                since += f" (published {listing.published})"
            source = f"; read in {listing.source.citation} ({listing.source.date})" if listing.source else ""
            lines.append(f"  - {listing.entity}: {listing.list_name}{since} ({listing.citation}) "
                         f"[{listing.confidence}]{source}")
            if listing.notes:
                lines.append(f"    {listing.notes}")
    else:
        lines.append("\nNo restricted-party listing is recorded. Absence of a listing is not evidence of absence: "
                     "screen against the official Consolidated Screening List.")
    if origin.notes:
        lines.append(f"\n{origin.notes}")
    lines.append("\nSources:")
    lines.extend(_source_lines(origin.sources))
    if origin.reviewed:
        lines.append(f"\nRegistry last reviewed: {origin.reviewed}")
    return "\n".join(lines) + "\n"


def explain_lineage(child: str, knowledge: Knowledge) -> str | None:
    facts = knowledge.lineage.get(child.lower())
    if not facts:
        return None
    lines = [f"{child}: base models from licscan's rules (not declared on its card)"]
    for fact in facts:
        marks = f"{fact.confidence}" + (f"; unconfirmed: {', '.join(fact.unconfirmed)}" if fact.unconfirmed else "")
        lines.append(f"  - {fact.parent} ({fact.relation.value}) [{marks}]")
        if fact.notes:
            lines.append(f"    {fact.notes}")
        lines.extend("  " + line for line in _source_lines(fact.sources))
    return "\n".join(lines) + "\n"


# Hub ids (and a template placeholder) that name no licence text: what licscan does with a card that says them.
_NON_ANSWERS = {
    "other": "other: the Hub's id for a licence that is not on its list. licscan reads the card's license_name, "
             "its license_link and the repo's LICENSE / LICENSE-MODEL file (and a NOTICE file in a local model "
             "folder) to identify the text. With none of them, the licence stays unknown (the uploader may have set terms of its own): the model "
             "is never treated as clear, and a strict policy fails it (LS111).",
    "unknown": "unknown: the Hub's id for 'the uploader does not know the licence'. licscan still reads the repo's "
               "licence file; with none, the licence stays unknown and the model is never treated as clear (LS111).",
    "license": "license: a card template's placeholder (TRL writes `licence: license`), not a licence. licscan "
               "reads it as 'no licence declared', notes the placeholder, and the model inherits its base models' "
               "terms (LS110); with no base model it is unknown (LS111).",
}
_NON_ANSWERS["licence"] = _NON_ANSWERS["license"]


def explain(name: str, knowledge: Knowledge) -> str | None:
    """What licscan knows under a name: a licence id or slug, a Hub namespace, or a model with rules lineage."""
    wanted = name.strip()
    parts: list[str] = []
    if wanted.lower() in _NON_ANSWERS and wanted.lower() not in knowledge.aliases:
        parts.append(_NON_ANSWERS[wanted.lower()] + "\n")
    for key in knowledge.aliases.get(wanted.lower(), ()):
        parts.append(explain_license(knowledge.licenses[key], knowledge))
    origin = knowledge.origins.get(wanted.lower())
    if origin is not None:
        parts.append(explain_origin([origin], knowledge))
    lineage = explain_lineage(wanted, knowledge)
    if lineage is not None:
        parts.append(lineage)
    provider = knowledge.providers.provider(wanted.removeprefix("api:").split("/", 1)[0])
    if provider is not None:
        parts.append(explain_provider(provider, knowledge))
    return "\n".join(parts) if parts else None


def explain_provider(provider, knowledge: Knowledge) -> str:
    """A hosted model API as a reviewer reads it: who serves it, from where, under which terms, with sources."""
    from licscan.evaluation.origin import provider_origin

    origin = provider_origin(provider.key, knowledge)
    marked = set(provider.unconfirmed)

    def mark(field: str) -> str:
        return " [unconfirmed]" if field in marked else ""

    terms = provider.terms
    lines = [f"{provider.key}: {provider.name} (a hosted model API)",
             f"Facts below are {_CONFIDENCE_WORDS.get(provider.confidence, provider.confidence)} "
             f"({provider.confidence}) unless marked otherwise.",
             f"  {'organisation ':.<28} {origin.organization or 'not on record'}{mark('organization')}",
             f"  {'country ':.<28} {origin.country or 'not on record'}{mark('country')}"]
    if origin.parent:
        lines.append(f"  {'parent ':.<28} {origin.parent}")
    if provider.publisher:
        lines.append(f"  {'publisher record ':.<28} {provider.publisher} (see `licscan explain {provider.publisher}`)")
    listed = "; ".join(f"{item.list_name}: {item.entity} (added {item.date_added or 'date unknown'}; {item.citation})"
                       for item in origin.listings)
    lines.append(f"  {'restricted-party lists ':.<28} {listed or 'none on record (not a clearance)'}")
    lines.append(f"  {'API hosts ':.<28} {', '.join(provider.hosts) or 'none on record'}{mark('hosts')}")
    if provider.sdk_packages:
        lines.append(f"  {'SDK packages ':.<28} {', '.join(provider.sdk_packages)}{mark('sdk_packages')}")
    if provider.prefixes:
        lines.append(f"  {'LiteLLM/OpenRouter prefixes ':.<28} {', '.join(provider.prefixes)}{mark('prefixes')}")
    lines.append(f"  {'model names ':.<28} {', '.join(provider.models)}{mark('models')}")
    read = f"read {terms.read}" if terms.read else "not read in licscan's rules: read them at the provider"
    lines.append(f"  {'terms of service ':.<28} {terms.title or terms.url or 'no link on record'}"
                 f"{f' <{terms.url}>' if terms.url and terms.title else ''} ({read})")
    if terms.read:
        lines.append(f"  {'contracting entity ':.<28} {terms.entity or 'not named in the part of the terms read'}")
        lines.append(f"  {'governing law ':.<28} {terms.law or 'not stated in the part of the terms read'}")
    if provider.notes:
        lines.append(f"\n{provider.notes}")
    lines.append("\nSources:")
    lines.extend(_source_lines(provider.sources))
    return "\n".join(lines) + "\n"
