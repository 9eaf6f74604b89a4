"""The checks that turn one model's lineage, licences and origins into findings."""

from __future__ import annotations

from typing import Mapping, Sequence

from licscan.catalog import rule
from licscan.evaluation.inheritance import bindings, commercial_class, conditions_of, obligations_of
from licscan.evaluation.knowledge import Knowledge
from licscan.evaluation.licenses import names_release, record_for
from licscan.cards import normalize_repo_id
from licscan.gguf_header import named_bases
from licscan.model import (
    CommercialUse,
    ComputeEstimate,
    DatasetLicense,
    EntityListing,
    Finding,
    LicenseTerms,
    Lineage,
    ModelRecord,
    NodeLicense,
    Origin,
    RefKind,
    UnresolvedReason,
    service_parts,
)


_NOT_THERE = (UnresolvedReason.NOT_FOUND, UnresolvedReason.INVALID_ID)
_SERVICE_SOURCES = (RefKind.HOSTED_API.value, RefKind.RUNTIME.value)


def _service_findings(model: str, record: ModelRecord, lineage: Lineage, knowledge: Knowledge) -> list[Finding]:
    """A hosted API's terms to review (no model licence binds it); a runtime tag's mapping to its Hub model."""
    service = service_parts(record.repo_id)
    if service is not None:
        provider = knowledge.providers.provider(service[0])
        named = _not_on_hub(model, record, service, provider.name if provider is not None else service[0])
        if provider is None:
            return [_finding("LS160", model, record.repo_id,
                             f"{service[1]} is used through the API of {service[0]}, which licscan's rules do not "
                             "record: its terms of service govern the use; review them", {"provider": service[0]}),
                    *named]
        terms = provider.terms
        link = terms.url or "no link on record"
        when = f"read {terms.read}" if terms.read else "not read in licscan's rules"
        return [_finding("LS160", model, record.repo_id,
                         f"{service[1]} is used through {provider.name}: the provider's terms of service govern this "
                         f"use, not a model licence; review them ({link}, {when})",
                         {"provider": provider.key, "terms": terms.url, "terms_read": terms.read or "not read",
                          "terms_title": terms.title, "terms_entity": terms.entity, "terms_law": terms.law,
                          "confidence": provider.confidence,
                          "source": "; ".join(f"{item.citation} ({item.date})" for item in provider.sources[:2])}),
                *named]
    findings = []
    for edge in lineage.edges:
        if edge.child != record.repo_id:
            continue
        runtime, _, tag = record.repo_id.partition(":")
        entry = knowledge.providers.runtime_tag(runtime, tag)
        marks = f" [{entry.confidence}]" if entry is not None and entry.confidence != "primary" else ""
        source = f"; source: {entry.sources[0].citation} ({entry.sources[0].date})" if entry and entry.sources else ""
        findings.append(_finding("LS161", model, record.repo_id,
                                 f"{record.repo_id} is the {runtime} tag of {edge.parent} (licscan's rules, "
                                 f"providers.yaml){marks}; that model's ancestry is evaluated{source}",
                                 {"runtime": runtime, "hub_model": edge.parent,
                                  "confidence": entry.confidence if entry else None}))
    return findings


def _not_on_hub(model: str, record: ModelRecord, service: tuple[str, str], provider: str) -> list[Finding]:
    """LS162: the project also wrote this API's model name where it reads as a Hub id, and the Hub answered that it
    has no repository of that name (scan.py folded those places into this dependency)."""
    if not record.not_on_hub:
        return []
    names = ", ".join(record.not_on_hub)
    return [_finding("LS162", model, record.repo_id,
                     f"{names} is a model name of {provider}, not a Hub repository: the Hub answered that it has "
                     "no repository of that name, so where the project writes that name it uses this hosted model; "
                     "no model licence was read",
                     {"provider": service[0], "hub_answer": "repository not found", "hub_ids": names})]


def _finding(rule_id: str, model: str, ancestor: str, message: str, evidence: dict[str, str | None]) -> Finding:
    entry = rule(rule_id)
    return Finding(
        rule_id=entry.id,
        kind=entry.kind,
        severity=entry.severity,
        model=model,
        ancestor=ancestor,
        message=message,
        evidence=tuple((key, value) for key, value in evidence.items() if value),
    )


def _evidence(record: ModelRecord | None, node_license: NodeLicense | None = None) -> dict[str, str | None]:
    evidence: dict[str, str | None] = {}
    if record is not None:
        evidence["revision"] = record.revision
        evidence["source"] = record.source
        if record.provenance:
            evidence["provenance"] = record.provenance
    if node_license is not None:
        evidence["card.license"] = node_license.declared
        evidence["card.license_name"] = node_license.license_name
    return evidence


def _confidence_evidence(record: LicenseTerms) -> dict[str, str | None]:
    """How sure the rules are of a licence's terms, for every finding that rests on them."""
    evidence: dict[str, str | None] = {"confidence": record.confidence}
    if record.unconfirmed:
        evidence["unconfirmed"] = ", ".join(record.unconfirmed)
    if record.secondary:
        evidence["secondary"] = ", ".join(record.secondary)
    return evidence


def _source_mark(record: LicenseTerms, field: str) -> str:
    """How a fact that is not from the licence text itself is marked where it is stated."""
    confidence = record.field_confidence(field)
    return {"unconfirmed": " [unconfirmed]", "secondary": " [secondary source]"}.get(confidence, "")


def _flop(value: float) -> str:
    return f"{value:.2e}".replace("e+", "e")


def _declared(node_license: NodeLicense) -> str:
    if node_license.declared in (None, "other") and node_license.license_name:
        return f"other ({node_license.license_name})"
    return node_license.declared or "nothing"


def check_model(
    model: str,
    lineage: Lineage,
    licenses: Mapping[str, NodeLicense],
    origins: Mapping[str, Origin],
    knowledge: Knowledge,
    training: Sequence[DatasetLicense] = (),
    compute: Sequence[ComputeEstimate] = (),
) -> tuple[Finding, ...]:
    findings: list[Finding] = []
    has_parents = {edge.child for edge in lineage.edges}

    for item in lineage.unresolved:
        via = f", named by {item.referenced_by}" if item.referenced_by else ""
        detail = f": {item.detail}" if item.detail else ""
        if not lineage.nodes and item.referenced_by is None and item.reason in _NOT_THERE:
            # The Hub's answer about the id the project itself names: a lasting fact, not an outage.
            findings.append(
                _finding(
                    "LS103", model, item.repo_id,
                    f"the project names {item.repo_id}, which does not exist on the Hub "
                    f"({item.reason.value}){detail}",
                    {"reason": item.reason.value},
                )
            )
            continue
        findings.append(
            _finding(
                "LS100", model, item.repo_id,
                f"{item.repo_id} could not be resolved ({item.reason.value}{via}){detail}; its terms are unknown",
                {"reason": item.reason.value, "referenced_by": item.referenced_by},
            )
        )

    for record in lineage.nodes:
        node_license = licenses[record.repo_id]
        evidence = _evidence(record, node_license)
        if record.source in _SERVICE_SOURCES:
            findings.extend(_service_findings(model, record, lineage, knowledge))
            continue
        for problem in record.card.problems:
            findings.append(_finding("LS101", model, record.repo_id, f"{record.repo_id}: {problem}", evidence))
        if record.gguf_problem:
            findings.append(_finding("LS101", model, record.repo_id, f"{record.repo_id}: {record.gguf_problem}",
                                     {**evidence, "gguf.file": record.gguf_file}))
        placeholder = dict(node_license.evidence).get("placeholder")
        said = f" (its card's {placeholder})" if placeholder else ""
        if node_license.method == "missing":
            if record.repo_id in has_parents:
                findings.append(
                    _finding("LS110", model, record.repo_id,
                             f"{record.repo_id} declares no licence{said}; it inherits the terms of its base models",
                             evidence)
                )
            else:
                findings.append(
                    _finding("LS111", model, record.repo_id,
                             f"{record.repo_id} declares no licence{said} and names no base model to inherit from",
                             evidence)
                )
        elif node_license.key is None:
            if node_license.method == "ambiguous":
                why = "a slug different publishers use for different texts"
            elif node_license.declared in ("other", "unknown") and not node_license.license_name:
                # No name, link or licence file: the uploader may have set terms of its own, so never clear.
                why = "with no licence name, link or licence file to read (the uploader may have set terms of its own)"
            else:
                why = "a licence licscan has no terms for"
            findings.append(
                _finding("LS111", model, record.repo_id,
                         f"{record.repo_id} declares {_declared(node_license)}, {why}; its terms are unknown", evidence)
            )

    for record in lineage.nodes:
        node_license = licenses[record.repo_id]
        if node_license.declared_key is None or node_license.key is None:
            continue
        said = knowledge.licenses[node_license.declared_key]
        text = knowledge.licenses[node_license.key]
        evidence = _evidence(record, node_license)
        evidence.update({key: value for key, value in node_license.evidence if key != "note"})
        evidence["declared.license"] = said.key
        evidence["text.license"] = text.key
        where = dict(node_license.evidence).get("linked_text") or dict(node_license.evidence).get("license_file") \
            or dict(node_license.evidence).get("license_link") or "its licence text"
        at = f" at revision {record.revision}" if record.revision else ""
        findings.append(
            _finding("LS113", model, record.repo_id,
                     f"{record.repo_id}{at} declares {_declared(node_license)} ({said.name}) but its licence text "
                     f"({where}) is {text.name}; licscan evaluates the text", evidence)
        )

    # A GGUF file whose header's general.license names another licence than the one the card declares.
    for record in lineage.nodes:
        header = record.gguf_header or {}
        written = header.get("general.license")
        node_license = licenses[record.repo_id]
        if not isinstance(written, str) or node_license.key is None:
            continue
        in_header = record_for(knowledge, written, [record.repo_id.split("/", 1)[0]])
        if in_header is None or in_header.key == node_license.key:
            continue
        evidence = _evidence(record, node_license)
        evidence.update({"gguf.file": record.gguf_file, "gguf:general.license": written,
                         "declared.license": node_license.key, "gguf.license": in_header.key})
        findings.append(
            _finding("LS113", model, record.repo_id,
                     f"{record.repo_id}'s licence is {knowledge.licenses[node_license.key].name} but the GGUF header "
                     f"of {record.gguf_file or 'its GGUF file'} says general.license {written} ({in_header.name}); licscan "
                     "evaluates the card's licence: check which text the weights were released under", evidence)
        )

    # A node declaring a more permissive licence than an ancestor's: the ancestor's licence still binds.
    order = {record.repo_id: index for index, record in enumerate(lineage.nodes)}
    for record in lineage.nodes:
        own = licenses[record.repo_id]
        if own.key is None:
            continue
        own_terms = knowledge.licenses[own.key]
        reported: set[str] = set()
        for ancestor in sorted(lineage.ancestors(record.repo_id), key=lambda node: order.get(node, len(order))):
            theirs = licenses.get(ancestor)
            if theirs is None or theirs.key is None or theirs.key == own.key or theirs.key in reported:
                continue
            their_terms = knowledge.licenses[theirs.key]
            if their_terms.permissive:
                continue
            if own_terms.permissive or own_terms.commercial_use.strictness < their_terms.commercial_use.strictness:
                reported.add(theirs.key)
                evidence = _evidence(record, own)
                evidence["ancestor.license"] = theirs.key
                findings.append(
                    _finding(
                        "LS112", model, ancestor,
                        f"{record.repo_id} declares {_declared(own)} but its ancestor {ancestor} is under "
                        f"{their_terms.name}, which still binds it",
                        evidence,
                    )
                )

    for binding in bindings(lineage, licenses, knowledge):
        record = binding.record
        node = lineage.node(binding.ancestor)
        evidence = _evidence(node, licenses.get(binding.ancestor))
        evidence["license"] = record.key
        evidence.update(_confidence_evidence(record))
        if record.superseded_by:
            newer = knowledge.licenses[record.superseded_by]
            at = f" at revision {node.revision}" if node is not None and node.revision else ""
            findings.append(
                _finding("LS114", model, binding.ancestor,
                         f"{binding.ancestor}{at} is under {record.name}; its publisher replaced that licence with "
                         f"{newer.name} on {record.superseded_on}. The licence of this revision applies; a later "
                         f"revision may be under {newer.name}",
                         {**evidence, "superseded_by": newer.key, "superseded_on": record.superseded_on})
            )
        if commercial_class(record) is CommercialUse.UNKNOWN:
            findings.append(
                _finding("LS111", model, binding.ancestor,
                         f"{binding.ancestor} is under {record.name}, whose commercial terms are unconfirmed in "
                         "licscan's rules; treat them as unknown until a reviewer reads the licence text", evidence)
            )
            continue
        if record.commercial_use is CommercialUse.NON_COMMERCIAL:
            findings.append(
                _finding("LS120", model, binding.ancestor,
                         f"{record.name} (from {binding.ancestor}) does not allow commercial use"
                         f"{_source_mark(record, 'commercial_use')}", evidence)
            )
        conditions = [text for text in conditions_of(record) if not text.startswith("not granted in")]
        if conditions and record.commercial_use is not CommercialUse.NON_COMMERCIAL:
            findings.append(
                _finding("LS121", model, binding.ancestor,
                         f"{record.name} (from {binding.ancestor}) allows commercial use only under conditions"
                         f"{_source_mark(record, 'commercial_use')}: " + "; ".join(conditions), evidence)
            )
        if record.territory_exclusions:
            note = f" ({record.territory_note})" if record.territory_note else ""
            findings.append(
                _finding("LS122", model, binding.ancestor,
                         f"{record.name} (from {binding.ancestor}) is not granted in "
                         f"{', '.join(record.territory_exclusions)}{note}", evidence)
            )
        elif record.territory_note:
            # A conditional territorial clause (e.g. Llama 3.2's EU clause for multimodal models): the
            # reader must judge whether it applies, so it is reported but no territory is excluded.
            scope = record.scope("territory_note")
            undecided = ""
            if "territory_note" in binding.undecided and scope is not None:
                undecided = (f" It governs {scope.modality} models only, and no card in this model's lineage says "
                             "its modality (pipeline_tag or tags), so licscan cannot rule it out.")
            findings.append(
                _finding("LS122", model, binding.ancestor,
                         f"{record.name} (from {binding.ancestor}) has a territorial clause: {record.territory_note}"
                         f"{undecided}", evidence)
            )
        duties = obligations_of(record, binding.ancestor)
        if duties:
            findings.append(
                _finding("LS130", model, binding.ancestor,
                         f"{record.name} (from {binding.ancestor}) requires: "
                         + "; ".join(f"{duty.kind}: {duty.text}" for duty in duties), evidence)
            )

    for record in lineage.nodes:
        if record.card.eu_disallowed:
            findings.append(
                _finding("LS122", model, record.repo_id,
                         f"{record.repo_id} refuses access from the EU (its card sets extra_gated_eu_disallowed)",
                         _evidence(record))
            )

    findings.extend(_lineage_findings(model, lineage, knowledge))
    findings.extend(_release_findings(model, lineage, licenses, knowledge))
    findings.extend(_training_findings(model, lineage, training))
    findings.extend(_compute_findings(model, compute, knowledge))

    listed: set[str] = set()
    for record in lineage.nodes:
        origin = origins[record.repo_id]
        if origin.confidence == "local":
            continue
        if not origin.known:
            findings.append(
                _finding("LS140", model, record.repo_id,
                         f"{record.repo_id}: namespace {origin.namespace!r} is not in the origin registry; "
                         "origin unknown", _evidence(record))
            )
            continue
        organization = (origin.organization or origin.namespace).lower()
        if organization in listed:
            continue  # renamed namespaces (THUDM, zai-org) are one organisation, reported once
        for listing in origin.listings:
            listed.add(organization)
            namespace = "" if origin.namespace.lower() in listing.entity.lower() else f" ({origin.namespace})"
            on_list, evidence = _on_list(listing, origin)
            findings.append(
                _finding("LS141", model, record.repo_id, f"publisher {listing.entity}{namespace} is {on_list}",
                         evidence)
            )
        if not origin.listings and origin.parent:
            for listing in _parent_listings(origin.parent, knowledge):
                listed.add(organization)
                on_list, evidence = _on_list(listing, origin)
                findings.append(
                    _finding("LS144", model, record.repo_id,
                             f"the publisher {origin.organization or origin.namespace} is not listed itself, but its "
                             f"parent {listing.entity} is {on_list}", {"parent": origin.parent, **evidence})
                )
    return tuple(findings)


def _on_list(listing: EntityListing, origin: Origin) -> tuple[str, dict[str, str | None]]:
    """'on the LIST since DATE (CITATION)', marked when unconfirmed, and the listing's evidence."""
    since = f" since {listing.date_added}" if listing.date_added else ""
    unconfirmed = " [unconfirmed]" if listing.confidence == "unconfirmed" else ""
    evidence = {"list": listing.list_name, "date_added": listing.date_added, "citation": listing.citation,
                "confidence": listing.confidence}
    if listing.source is not None:
        evidence["source"] = f"{listing.source.citation} ({listing.source.date})"
    if origin.reviewed:
        evidence["registry_reviewed"] = origin.reviewed
    return f"on the {listing.list_name}{since} ({listing.citation}){unconfirmed}", evidence


def _name_key(name: str) -> str:
    """An organisation's name compared without case, punctuation or a bracketed short name."""
    return " ".join("".join(c if c.isalnum() else " " for c in name.split(" (")[0].lower()).split())


def _parent_listings(parent: str, knowledge: Knowledge) -> list[EntityListing]:
    """Listings whose entity is the named parent: organisations without a namespace, and listed publishers."""
    wanted = _name_key(parent)
    found = [listing for listing in knowledge.unmapped_entities if _name_key(listing.entity) == wanted]
    for origin in knowledge.origins.values():
        found.extend(listing for listing in origin.listings
                     if _name_key(listing.entity) == wanted and listing not in found)
    return found


def _release_findings(model: str, lineage: Lineage, licenses: Mapping[str, NodeLicense],
                      knowledge: Knowledge) -> list[Finding]:
    """LS115, once per release in the ancestry whose licence licscan's rules have not confirmed."""
    findings = []
    for release in knowledge.releases:
        record = next((node for node in lineage.nodes
                       if any(names_release(release.models, name) for name in (node.repo_id, *node.aliases))), None)
        if record is None:
            continue
        node_license = licenses.get(record.repo_id)
        declared = _declared(node_license) if node_license is not None else "nothing"
        if release.reported is None:
            reported = "no source consulted states it"
        elif release.confidence == "secondary":
            reported = f"third-party sources report {release.reported}"
        else:  # what the publisher's card or repository says, short of the text itself
            reported = release.reported
        evidence = _evidence(record, node_license)
        evidence.update({"release": release.name, "confidence": release.confidence, "reported": release.reported,
                         "source": "; ".join(f"{s.citation} ({s.date}, {s.confidence})" for s in release.sources)})
        findings.append(
            _finding("LS115", model, record.repo_id,
                     f"licscan has not confirmed the licence of {release.name} ({record.repo_id}) in the publisher's "
                     f"own card, repository or licence text ({reported}); its card declares {declared}, which is "
                     "what this report evaluates", evidence)
        )
    return findings


def _lineage_findings(model: str, lineage: Lineage, knowledge: Knowledge) -> list[Finding]:
    """Edges taken from licscan's rules (LS143), and cards whose own files name another base (LS102)."""
    findings = []
    for edge in lineage.edges:
        if edge.evidence != "licscan-rules":
            continue
        fact = knowledge.lineage_fact(edge.child, edge.parent)
        child = lineage.node(edge.child)
        if fact is None and child is not None:
            fact = next((knowledge.lineage_fact(alias, edge.parent) for alias in child.aliases
                         if knowledge.lineage_fact(alias, edge.parent)), None)
        evidence: dict[str, str | None] = {"edge": f"{edge.child} -> {edge.parent}", "relation": edge.relation.value,
                                           "evidence": edge.evidence}
        detail = ""
        if fact is not None:
            evidence["confidence"] = fact.confidence
            if fact.unconfirmed:
                evidence["unconfirmed"] = ", ".join(fact.unconfirmed)
            evidence["source"] = "; ".join(f"{s.citation} ({s.date}, {s.confidence})" for s in fact.sources)
            evidence["rules_file"] = fact.file.replace("\\", "/").split("/rules/")[-1] if "/rules/" in fact.file \
                else fact.file
            marks = f" [{fact.confidence}" + (f": {', '.join(fact.unconfirmed)}" if fact.unconfirmed else "") + "]"
            detail = f"{marks}; source: {fact.sources[0].citation} ({fact.sources[0].date})"
        declared = "names no base model" if child is not None and not child.card.base_models else \
            "does not name this base model"
        findings.append(
            _finding("LS143", model, edge.child,
                     f"{edge.child} {declared} on its card; licscan's rules record {edge.parent} as its base "
                     f"({edge.relation.value}){detail}", evidence)
        )
    known = {record.repo_id.lower() for record in lineage.nodes}
    for record in lineage.nodes:
        known.update(alias.lower() for alias in record.aliases)
    known.update(item.repo_id.lower() for item in lineage.unresolved)
    for record in lineage.nodes:
        named = normalize_repo_id(record.config_name_or_path or "")
        if named is None or not record.card.base_models:
            continue
        if named.lower() in known or named.lower() in {b.lower() for b in record.card.base_models}:
            continue
        evidence = _evidence(record)
        evidence["card.base_model"] = ", ".join(record.card.base_models)
        evidence["config.json._name_or_path"] = record.config_name_or_path
        findings.append(
            _finding("LS102", model, record.repo_id,
                     f"{record.repo_id}'s card declares base_model {', '.join(record.card.base_models)} but its "
                     f"config.json _name_or_path names {named}, which is not in its declared ancestry", evidence)
        )
    # A Hub GGUF quantization: the header of its GGUF file names the model it was converted from and its bases.
    for record in lineage.nodes:
        if not record.gguf_header or not record.card.base_models:
            continue
        declared = {b.lower() for b in record.card.base_models}
        for key, text in named_bases(dict(record.gguf_header)):
            named = normalize_repo_id(text)
            if named is None or named.lower() in known or named.lower() in declared:
                continue
            evidence = _evidence(record)
            evidence["card.base_model"] = ", ".join(record.card.base_models)
            evidence["gguf.file"] = record.gguf_file
            evidence[f"gguf:{key}"] = text
            gguf_license = record.gguf_header.get("general.license")
            if isinstance(gguf_license, str):
                evidence["gguf:general.license"] = gguf_license
            findings.append(
                _finding("LS102", model, record.repo_id,
                         f"{record.repo_id}'s card says base_model {', '.join(record.card.base_models)}, but the "
                         f"GGUF header of {record.gguf_file} says {named} ({key}), which is not in its declared "
                         "ancestry", evidence)
            )
    # A local model folder: discovery keeps the parents its files name (config.json, a GGUF header) beside
    # the card's, so that a disagreement is weighed here rather than silently resolved.
    for record in lineage.nodes:
        declared = {link.repo_id.lower() for link in record.parents if link.evidence.startswith("base_model")}
        if not declared:
            continue
        for link in record.parents:
            source = next((name for name in _FILE_EVIDENCE if link.evidence == name), None)
            if source is None or link.repo_id.lower() in declared:
                continue
            evidence = _evidence(record)
            evidence["card.base_model"] = ", ".join(record.card.base_models)
            evidence[source] = link.repo_id
            findings.append(
                _finding("LS102", model, record.repo_id,
                         f"{record.repo_id}'s card declares base_model {', '.join(record.card.base_models)} but its "
                         f"{source} names {link.repo_id}; both are walked", evidence)
            )
    return findings


_FILE_EVIDENCE = ("config.json", "gguf")


def _training_findings(model: str, lineage: Lineage, training: Sequence[DatasetLicense]) -> list[Finding]:
    findings = []
    for item in training:
        node = lineage.node(item.named_by)
        evidence = _evidence(node)
        evidence["dataset"] = item.dataset
        if item.revision:
            evidence["dataset.revision"] = item.revision
        if item.license is None:
            findings.append(
                _finding("LS124", model, item.named_by,
                         f"{item.named_by} names training dataset {item.dataset}, which could not be resolved "
                         f"({item.unresolved}{': ' + item.detail if item.detail else ''}); its licence is unknown",
                         {**evidence, "reason": item.unresolved})
            )
            continue
        evidence["dataset.license"] = item.license.declared
        evidence["dataset.license_name"] = item.license.license_name
        if item.license.key is None:
            declared = item.license.license_name or item.license.declared or "no licence"
            findings.append(
                _finding("LS124", model, item.named_by,
                         f"{item.named_by} names training dataset {item.dataset}, whose card declares {declared}; "
                         "its licence is unknown to licscan", evidence)
            )
        elif item.commercial_use is CommercialUse.NON_COMMERCIAL:
            findings.append(
                _finding("LS123", model, item.named_by,
                         f"{item.named_by} was trained on dataset {item.dataset}, whose card declares "
                         f"{item.license.key} (non-commercial); this is the training data's licence, separate "
                         "from the model's", {**evidence, "dataset.license_key": item.license.key})
            )
    return findings


def _compute_findings(model: str, compute: Sequence[ComputeEstimate], knowledge: Knowledge) -> list[Finding]:
    findings = []
    rules = knowledge.compute
    for item in compute:
        comparisons = "; ".join(
            f"{'above' if above else 'below'} {_flop(flop)} ({meaning})" for flop, meaning, above in item.thresholds)
        evidence: dict[str, str | None] = {
            "estimate_flop": _flop(item.flop),
            "method": f"{item.factor:g} x N x D",
            "parameters": str(item.parameters),
            "parameters_source": item.parameters_source,
            "tokens": f"{item.tokens:.4g}",
            "tokens_source": item.tokens_source,
        }
        if rules is not None:
            evidence["method_source"] = f"{rules.sources[0].citation} ({rules.confidence})"
            evidence["threshold_sources"] = "; ".join(
                f"{t.sources[0].citation} ({t.sources[0].date}, {t.confidence})" for t in rules.thresholds)
        findings.append(
            _finding("LS142", model, item.model,
                     f"{item.model}: estimated training compute {_flop(item.flop)} FLOP = {item.factor:g} x "
                     f"{item.parameters:,} parameters ({item.parameters_source}) x {item.tokens:.3g} tokens "
                     f"({item.tokens_source}); an estimate, {comparisons}", evidence)
        )
    return findings
