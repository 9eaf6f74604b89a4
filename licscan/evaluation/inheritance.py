"""Effective terms of a model: its own licence plus every ancestor's, strictest commercial class wins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from licscan.evaluation.knowledge import Knowledge
from licscan.evaluation.licenses import spdx_expression
from licscan.evaluation.scope import narrowed
from licscan.model import (
    CommercialUse,
    EffectiveTerms,
    LicenseTerms,
    Lineage,
    NodeLicense,
    Obligation,
    Origin,
)


def _number(value: float) -> str:
    for factor, suffix in ((1e9, " billion"), (1e6, " million")):
        if value >= factor and value % (factor / 10) == 0:
            return f"{value / factor:g}{suffix}"
    return f"{value:,.0f}"


_METRIC_WORDS = {
    "mau": "monthly active users",
    "dau": "daily active users",
    "annual-revenue-usd": "USD annual revenue",
    "monthly-revenue-usd": "USD monthly revenue",
    "monthly-output-tokens": "output tokens a month",
}


def unconfirmed_mark(record: LicenseTerms, field: str) -> str:
    return " [unconfirmed]" if record.field_confidence(field) == "unconfirmed" else ""


def conditions_of(record: LicenseTerms) -> tuple[str, ...]:
    """The licence's limits on commercial use, in plain words."""
    conditions = []
    for threshold in record.thresholds:
        text = f"{_number(threshold.value)} {_METRIC_WORDS.get(threshold.metric, threshold.metric)}"
        consequence = f": {threshold.consequence}" if threshold.consequence else ""
        conditions.append(f"threshold {text}{consequence}{unconfirmed_mark(record, 'thresholds')}")
    if record.registration_required:
        conditions.append(f"registration or application required{unconfirmed_mark(record, 'registration_required')}")
    if record.territory_exclusions:
        conditions.append(
            f"not granted in {', '.join(record.territory_exclusions)}{unconfirmed_mark(record, 'territory_exclusions')}"
        )
    return tuple(conditions)


def obligations_of(record: LicenseTerms, ancestor: str) -> tuple[Obligation, ...]:
    """What a user of a model under this licence must do, each with the confidence of the fact behind it."""
    duties = []
    if record.attribution:
        duties.append(("attribution", record.attribution + unconfirmed_mark(record, "attribution"), "attribution"))
    if record.naming:
        duties.append(("naming", record.naming + unconfirmed_mark(record, "naming"), "naming"))
    if record.use_policy_flow_down:
        policy = f" ({record.use_policy})" if record.use_policy else ""
        duties.append(
            ("use-policy", f"pass the licence's use restrictions{policy} on to downstream users as an enforceable "
             "provision" + unconfirmed_mark(record, "use_policy_flow_down"), "use_policy_flow_down")
        )
    if record.derivatives_must_carry:
        duties.append(
            ("notice", f"redistribute derivatives with a copy of the licence text ({record.name})"
             + unconfirmed_mark(record, "derivatives_must_carry"), "derivatives_must_carry")
        )
    if record.output_training in ("prohibited", "restricted"):
        note = record.output_training_note or f"using outputs to train other models is {record.output_training}"
        duties.append(("output-training", note + unconfirmed_mark(record, "output_training"), "output_training"))
    return tuple(Obligation(kind, text, record.key, ancestor, record.field_confidence(field))
                 for kind, text, field in duties)


def commercial_class(record: LicenseTerms) -> CommercialUse:
    """The record's class, or unknown when the record itself says its commercial terms are unconfirmed."""
    return CommercialUse.UNKNOWN if "commercial_use" in record.unconfirmed else record.commercial_use


@dataclass(frozen=True)
class Binding:
    """A licence that binds the model and the nearest node it comes from.

    record is the licence as it governs this model: a term whose text names other models or another modality
    is left out (its field named in out_of_scope); a scoped term licscan cannot decide stays, named in undecided.
    """

    record: LicenseTerms
    ancestor: str
    out_of_scope: tuple[str, ...] = ()
    undecided: tuple[str, ...] = ()


def bindings(lineage: Lineage, licenses: Mapping[str, NodeLicense], knowledge: Knowledge) -> tuple[Binding, ...]:
    """Each identified licence in the ancestry once, attributed to the node nearest the root."""
    seen: dict[str, Binding] = {}
    for record in lineage.nodes:
        node_license = licenses.get(record.repo_id)
        if node_license and node_license.key and node_license.key not in seen:
            terms, left_out, undecided = narrowed(knowledge.licenses[node_license.key], lineage.nodes)
            seen[node_license.key] = Binding(terms, record.repo_id, left_out, undecided)
    return tuple(seen.values())


def unknown_nodes(lineage: Lineage, licenses: Mapping[str, NodeLicense]) -> tuple[str, ...]:
    """Nodes whose terms cannot be determined: an unidentified licence, or none and nothing to inherit."""
    unknown = []
    for record in lineage.nodes:
        node_license = licenses[record.repo_id]
        if node_license.key:
            continue
        if node_license.method == "missing" and any(edge.child == record.repo_id for edge in lineage.edges):
            continue  # inherits its parents' terms, which are evaluated in their own right
        unknown.append(record.repo_id)
    unknown.extend(item.repo_id for item in lineage.unresolved)
    return tuple(unknown)


def effective_terms(
    lineage: Lineage,
    licenses: Mapping[str, NodeLicense],
    origins: Mapping[str, Origin],
    knowledge: Knowledge,
) -> EffectiveTerms:
    bound = bindings(lineage, licenses, knowledge)
    classes: dict[str, CommercialUse] = {b.ancestor: commercial_class(b.record) for b in bound}
    # Every node carrying a licence counts, not just the first carrier of each key.
    for record in lineage.nodes:
        node_license = licenses[record.repo_id]
        if node_license.key:
            classes[record.repo_id] = commercial_class(knowledge.licenses[node_license.key])
    for repo_id in unknown_nodes(lineage, licenses):
        classes[repo_id] = CommercialUse.UNKNOWN
    if not classes:
        strictest = CommercialUse.UNKNOWN
        from_nodes: tuple[str, ...] = (lineage.root,)
    else:
        strictest = max(classes.values(), key=lambda item: item.strictness)
        from_nodes = tuple(node for node, value in classes.items() if value is strictest)
    conditions: list[str] = []
    obligations: list[Obligation] = []
    territories: set[str] = set()
    for binding in bound:
        record = binding.record
        if record.commercial_use is not CommercialUse.ALLOWED or record.thresholds or record.registration_required:
            conditions.extend(f"{record.name} (from {binding.ancestor}): {text}" for text in conditions_of(record))
        obligations.extend(obligations_of(record, binding.ancestor))
        territories.update(record.territory_exclusions)
    for record in lineage.nodes:
        if record.card.eu_disallowed:
            territories.add("EU")
            conditions.append(f"{record.repo_id} refuses access from the EU (extra_gated_eu_disallowed)")
    countries = sorted({origin.country for origin in origins.values() if origin.country})
    return EffectiveTerms(
        licenses=tuple(sorted(b.record.key for b in bound)),
        commercial_use=strictest,
        commercial_use_from=tuple(sorted(from_nodes)),
        conditions=tuple(conditions),
        obligations=tuple(sorted(set(obligations))),
        territory_exclusions=tuple(sorted(territories)),
        origin_countries=tuple(countries),
        spdx_expression=spdx_expression(b.record.spdx_id for b in bound),
        unconfirmed=tuple((b.record.key, b.record.unconfirmed) for b in sorted(bound, key=lambda b: b.record.key)
                          if b.record.unconfirmed),
        secondary=tuple((b.record.key, b.record.secondary) for b in sorted(bound, key=lambda b: b.record.key)
                        if b.record.secondary),
    )
