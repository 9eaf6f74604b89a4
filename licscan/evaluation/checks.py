"""The checks that turn one model's lineage, licences and origins into findings."""

from __future__ import annotations

from typing import Mapping

from licscan.catalog import rule
from licscan.evaluation.inheritance import bindings, commercial_class, conditions_of, obligations_of
from licscan.evaluation.knowledge import Knowledge
from licscan.model import CommercialUse, Finding, Lineage, ModelRecord, NodeLicense, Origin


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
) -> tuple[Finding, ...]:
    findings: list[Finding] = []
    has_parents = {edge.child for edge in lineage.edges}

    for item in lineage.unresolved:
        via = f", named by {item.referenced_by}" if item.referenced_by else ""
        detail = f": {item.detail}" if item.detail else ""
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
        for problem in record.card.problems:
            findings.append(_finding("LS101", model, record.repo_id, f"{record.repo_id}: {problem}", evidence))
        if node_license.method == "missing":
            if record.repo_id in has_parents:
                findings.append(
                    _finding("LS110", model, record.repo_id,
                             f"{record.repo_id} declares no licence; it inherits the terms of its base models", evidence)
                )
            else:
                findings.append(
                    _finding("LS111", model, record.repo_id,
                             f"{record.repo_id} declares no licence and names no base model to inherit from", evidence)
                )
        elif node_license.key is None:
            why = "a slug different publishers use for different texts" if node_license.method == "ambiguous" else \
                "a licence licscan has no terms for"
            findings.append(
                _finding("LS111", model, record.repo_id,
                         f"{record.repo_id} declares {_declared(node_license)}, {why}; its terms are unknown", evidence)
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
                         f"{' [unconfirmed]' if 'commercial_use' in record.unconfirmed else ''}", evidence)
            )
        conditions = [text for text in conditions_of(record) if not text.startswith("not granted in")]
        if conditions and record.commercial_use is not CommercialUse.NON_COMMERCIAL:
            findings.append(
                _finding("LS121", model, binding.ancestor,
                         f"{record.name} (from {binding.ancestor}) allows commercial use only under conditions: "
                         + "; ".join(conditions), evidence)
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
            findings.append(
                _finding("LS122", model, binding.ancestor,
                         f"{record.name} (from {binding.ancestor}) has a territorial clause: {record.territory_note}",
                         evidence)
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
        if origin.namespace.lower() in listed:
            continue
        for listing in origin.listings:
            listed.add(origin.namespace.lower())
            since = f" since {listing.date_added}" if listing.date_added else ""
            unconfirmed = " [unconfirmed]" if listing.confidence == "unconfirmed" else ""
            namespace = "" if origin.namespace.lower() in listing.entity.lower() else f" ({origin.namespace})"
            findings.append(
                _finding("LS141", model, record.repo_id,
                         f"publisher {listing.entity}{namespace} is on the {listing.list_name}{since} "
                         f"({listing.citation}){unconfirmed}",
                         {"list": listing.list_name, "date_added": listing.date_added, "citation": listing.citation,
                          "confidence": listing.confidence})
            )
    return tuple(findings)
