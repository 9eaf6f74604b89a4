"""The JSON report (schema licscan-report/1): every model, its lineage, effective terms and findings."""

from __future__ import annotations

import weakref
from typing import Any, Callable, Iterator, Mapping, Sequence

from licscan.json_text import dumps
from licscan.model import (
    Answers, Band, DeploymentContext, Finding, LicenseTerms, ModelRecord, ModelReport, NodeLicense, Origin,
    ProjectObligation, ScanResult, Skipped, Source, Waiver, WaiverUse,
)
from licscan.reporting.json_pieces import json_pieces

SCHEMA = "licscan-report/1"


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "rule_id": finding.rule_id,
        "kind": finding.kind.value,
        "severity": finding.severity.value,
        "model": finding.model,
        "ancestor": finding.ancestor,
        "message": finding.message,
        "evidence": dict(finding.evidence),
        "fails": finding.fails,
        "waiver": waiver_dict(finding.waiver) if finding.waiver is not None else None,
    }


def waiver_dict(waiver: Waiver) -> dict[str, Any]:
    """A waiver as the report shows it: what it covers, why, who approved it, until when, and where it is."""
    return {
        "rule": waiver.rule,
        "model": waiver.model,
        "reason": waiver.reason,
        "approved_by": waiver.approved_by,
        "expires": waiver.expires,
        "policy_file": waiver.policy_file,
    }


def _waiver_use(use: WaiverUse) -> dict[str, Any]:
    return {**waiver_dict(use.waiver), "status": use.status, "findings": use.findings}


def _evidence(pairs) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in pairs:
        out[key] = f"{out[key]}; {value}" if key in out else value
    return out


def _terms(key: str | None, records: Mapping[str, LicenseTerms]) -> dict[str, Any]:
    """How sure licscan's rules are of a licence's terms: unconfirmed facts are never reported as facts."""
    record = records.get(key) if key else None
    if record is None:
        return {"license_confidence": None, "license_unconfirmed": [], "license_secondary": []}
    return {"license_confidence": record.confidence, "license_unconfirmed": list(record.unconfirmed),
            "license_secondary": list(record.secondary)}


def _training(report: ModelReport) -> list[dict[str, Any]]:
    return [
        {
            "dataset": item.dataset,
            "named_by": item.named_by,
            "revision": item.revision,
            "source": item.source,
            "license": item.license.declared if item.license else None,
            "license_name": item.license.license_name if item.license else None,
            "license_key": item.license.key if item.license else None,
            "commercial_use": item.commercial_use.value,
            "unresolved": item.unresolved,
            "detail": item.detail,
        }
        for item in report.training_data
    ]


def _compute(report: ModelReport) -> list[dict[str, Any]]:
    return [
        {
            "model": item.model,
            "estimate_flop": item.flop,
            "method": f"{item.factor:g} x parameters x training tokens",
            "parameters": item.parameters,
            "parameters_source": item.parameters_source,
            "tokens": item.tokens,
            "tokens_source": item.tokens_source,
            "thresholds": [{"flop": flop, "meaning": meaning, "exceeded": above}
                           for flop, meaning, above in item.thresholds],
        }
        for item in report.compute
    ]


def _node(record: ModelRecord, node_license: NodeLicense, origin: Origin,
          records: Mapping[str, LicenseTerms]) -> dict[str, Any]:
    """One node of a lineage: its card's licence fields, the licence identified and its publisher."""
    return {
        "id": record.repo_id,
        "aliases": list(record.aliases),
        "revision": record.revision,
        "author": record.author,
        "source": record.source,
        "provenance": record.provenance,
        "gated": record.gated,
        "license": record.card.license,
        "license_name": record.card.license_name,
        "license_link": record.card.license_link,
        "license_key": node_license.key,
        "spdx_id": node_license.spdx_id,
        "license_method": node_license.method,
        "license_evidence": _evidence(node_license.evidence),
        "license_declared_key": node_license.declared_key,
        "license_file": record.license_file,
        "linked_license_from": record.linked_license_from,
        **_terms(node_license.key, records),
        "base_model": list(record.card.base_models),
        "base_model_relation": record.card.base_model_relation,
        "problems": list(record.card.problems),
        "origin": {
            "namespace": origin.namespace,
            "organization": origin.organization,
            "country": origin.country,
            "parent": origin.parent,
            "account": origin.account,
            "confidence": origin.confidence,
            "unconfirmed": list(origin.unconfirmed),
            "secondary": list(origin.secondary),
            "field_confidence": {name: origin.field_confidence(name) for name in ("organization", "country", "parent")},
            "reviewed": origin.reviewed,
            "entity_lists": [
                {
                    "list": listing.list_name,
                    "entity": listing.entity,
                    "date_added": listing.date_added,
                    "published": listing.published,
                    "citation": listing.citation,
                    "confidence": listing.confidence,
                    "source": ({"citation": listing.source.citation, "date": listing.source.date,
                                "type": listing.source.type} if listing.source else None),
                }
                for listing in origin.listings
            ],
        },
    }


class _Shared:
    """The parts many models of one report have in common, built once: a foundation's node (under a thousand
    models at 2,000) and each finding (listed under its model and in the report's list). Equal parts are the
    same dict; the report is only read and written, never changed."""

    def __init__(self) -> None:
        self.nodes: dict[Any, dict[str, Any]] = {}
        self.findings: dict[int, tuple[Finding, dict[str, Any]]] = {}

    def node(self, record: ModelRecord, node_license: NodeLicense, origin: Origin,
             records: Mapping[str, LicenseTerms]) -> dict[str, Any]:
        try:
            key = (record, node_license, origin)
            found = self.nodes.get(key)
        except TypeError:  # a value that cannot be hashed (a GGUF header's mapping): built for itself
            return _node(record, node_license, origin, records)
        if found is None:
            found = self.nodes[key] = _node(record, node_license, origin, records)
        return found

    def finding(self, finding: Finding) -> dict[str, Any]:
        held = self.findings.get(id(finding))
        if held is None or held[0] is not finding:
            held = self.findings[id(finding)] = (finding, finding_dict(finding))
        return held[1]


def _model(report: ModelReport, records: Mapping[str, LicenseTerms] | None = None,
           answers: Answers | None = None, shared: _Shared | None = None) -> dict[str, Any]:
    records = records or {}
    shared = shared if shared is not None else _Shared()
    lineage = report.lineage
    nodes = []
    for record in lineage.nodes:
        nodes.append(shared.node(record, report.licenses[record.repo_id], report.origins[record.repo_id], records))
    effective = report.effective
    return {
        "id": report.key,
        "revision": report.revision,
        "occurrences": [item.as_dict() for item in report.occurrences],
        "lineage": {
            "nodes": nodes,
            "edges": [
                {"child": edge.child, "parent": edge.parent, "relation": edge.relation.value, "evidence": edge.evidence}
                for edge in lineage.edges
            ],
            "unresolved": [
                {"id": item.repo_id, "reason": item.reason.value, "detail": item.detail, "referenced_by": item.referenced_by}
                for item in lineage.unresolved
            ],
        },
        "effective": {
            "licenses": list(effective.licenses),
            "spdx_expression": effective.spdx_expression,
            "commercial_use": effective.commercial_use.value,
            "commercial_use_from": list(effective.commercial_use_from),
            "conditions": list(effective.conditions),
            "obligations": [
                {"kind": item.kind, "text": item.text, "license": item.license_key, "ancestor": item.ancestor,
                 "confidence": item.confidence}
                for item in effective.obligations
            ],
            "terms_confidence": [{"license": key, **_terms(key, records)} for key in effective.licenses],
            "territory_exclusions": list(effective.territory_exclusions),
            "origin_countries": list(effective.origin_countries),
        },
        "training_data": _training(report),
        "training_compute": _compute(report),
        "findings": [shared.finding(finding) for finding in report.findings],
        **_answers_of(report, answers),
    }


def _source(source: Source | None) -> dict[str, Any] | None:
    if source is None:
        return None
    return {"citation": source.citation, "date": source.date, "confidence": source.confidence, "url": source.url}


def context_dict(context: DeploymentContext) -> dict[str, Any]:
    """The deployment context as the configuration gave it; null or [] where it says nothing."""

    def band(value: Band | None) -> dict[str, Any] | None:
        return None if value is None else {"low": value.low, "high": value.high}

    return {
        "given": context.given,
        "declared_in": context.declared_in,
        "established_in": list(context.established_in),
        "user_regions": list(context.user_regions),
        "monthly_active_users": band(context.monthly_active_users),
        "annual_revenue_usd": band(context.annual_revenue_usd),
        "monthly_revenue_usd": band(context.monthly_revenue_usd),
        "use": None if context.use_modes is None else [mode.value for mode in context.use_modes],
        "commercial": context.commercial,
    }


def _answers_of(report: ModelReport, answers: Answers | None) -> dict[str, Any]:
    if answers is None:
        return {}
    decision = answers.decision(report.key)
    return {
        "decision": None if decision is None else {
            "decision": decision.kind.value, "reason": decision.reason, "rules": list(decision.rules),
            "entity_listed": list(decision.entity_listed),
            "listings": [
                {"organization": item.organization, "list": item.list_name, "short_list": item.short_list,
                 "via_parent_of": item.via_parent_of}
                for item in decision.listings
            ],
        },
        "judgements": [
            {"license": item.license_key or None, "ancestor": item.ancestor, "kind": item.kind, "term": item.term,
             "outcome": item.outcome.value, "reason": item.reason, "deciding_keys": list(item.deciding_keys),
             "restricts": item.restricts, "confidence": item.confidence}
            for item in answers.judgements_of(report.key)
        ],
        "remedies": [
            {"rule_id": item.rule_id, "ancestor": item.ancestor, "text": item.text, "suggestion": item.suggestion,
             "command": item.command, "sources": [_source(source) for source in item.sources]}
            for item in answers.remedies_of(report.key)
        ],
    }


def _obligation(item: ProjectObligation) -> dict[str, Any]:
    return {"kind": item.kind, "text": item.text, "notice_text": item.notice_text, "outcome": item.outcome.value,
            "reason": item.reason, "models": list(item.models), "licenses": list(item.licenses),
            "ancestors": list(item.ancestors), "source": _source(item.source), "confidence": item.confidence}


def _skipped(item: Skipped) -> dict[str, Any]:
    return {"path": item.path, "reason": item.reason, "detail": item.detail}


class _Deferred(Sequence):
    """A list of the report whose items are built when first read, each once: the history reads only the parts
    an earlier scan did not store (none, on a warm re-scan of an unchanged project), --json reads them all."""

    __slots__ = ("_items", "_build")

    def __init__(self, count: int, build: Callable[[int], Any]) -> None:
        self._items: list[Any] = [_UNBUILT] * count
        self._build = build

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[position] for position in range(*index.indices(len(self._items)))]
        item = self._items[index]
        if item is _UNBUILT:
            item = self._items[index] = self._build(index)
        return item

    def built(self) -> list[Any]:
        """Every item, as a plain list."""
        return [self[index] for index in range(len(self._items))]


_UNBUILT = object()
_last_built: list[Any] = [None, None]  # (weak reference to a ScanResult, its report: lazy and built forms)


def report_dict(result: ScanResult) -> dict[str, Any]:
    """The JSON report as data. A scan's report is built once: the history keeps it and --json writes it, and
    at 2,000 models building it takes seconds. The dict is shared: callers read it and never change it."""
    held = _held(result)
    if held[1] is None:
        held[1] = {key: value.built() if isinstance(value, _Deferred) else value for key, value in held[0].items()}
    return held[1]


def report_view(result: ScanResult) -> Mapping[str, Any]:
    """The report of report_dict() with its long lists (models, obligations, findings, skipped, waivers) as
    sequences whose items are built when read: what the history reads, so an unchanged re-scan builds none
    of the parts it stores by reference. Items are built once per scan, shared with report_dict()."""
    return _held(result)[0]


def _held(result: ScanResult) -> list[Any]:
    held, built = _last_built
    if held is not None and held() is result:
        return built
    built = [_report_dict(result), None]
    _last_built[:] = [weakref.ref(result, _forget), built]
    return built


def _forget(held: weakref.ref) -> None:
    """The scan result is gone: so goes its report (hundreds of MB at 2,000 models)."""
    if _last_built[0] is held:
        _last_built[:] = [None, None]


def _report_dict(result: ScanResult) -> dict[str, Any]:
    shared = _Shared()
    counts: dict[str, int] = {}
    for finding in result.findings:
        counts[finding.kind.value] = counts.get(finding.kind.value, 0) + 1
    # The lazy lists hold the result's parts, never the result: the report goes when the result does.
    models, records, answers = result.models, result.license_records, result.answers
    findings, skipped, waivers = result.findings, result.skipped, result.waivers
    obligations = answers.obligations if answers else ()
    return {
        "schema": SCHEMA,
        "tool": {"name": "licscan", "version": result.tool_version},
        "generated_at": result.generated_at,
        "project": result.project,
        "policy": result.policy,
        "verdict": result.verdict.value,
        "summary": {
            "models": len(models),
            "findings": len(findings),
            "failing": sum(1 for finding in findings if finding.fails),
            "waived": sum(1 for finding in findings if finding.waiver is not None),
            "by_kind": counts,
            "files_scanned": result.files_scanned,
        },
        "settings": dict(result.settings),
        "models": _Deferred(len(models), lambda index: _model(models[index], records, answers, shared)),
        "context": context_dict(answers.context) if answers else None,
        "obligations": _Deferred(len(obligations), lambda index: _obligation(obligations[index])),
        "findings": _Deferred(len(findings), lambda index: shared.finding(findings[index])),
        "skipped": _Deferred(len(skipped), lambda index: _skipped(skipped[index])),
        "waivers": _Deferred(len(waivers), lambda index: _waiver_use(waivers[index])),
    }


class JsonFormat:
    name = "json"
    suffix = ".json"

    def render(self, result: ScanResult) -> str:
        return dumps(report_dict(result)) + "\n"

    def render_parts(self, result: ScanResult) -> Iterator[str]:
        """The report one model and one finding at a time, to a file: the same text, never held whole."""
        return json_pieces(report_dict(result), depth=2)
