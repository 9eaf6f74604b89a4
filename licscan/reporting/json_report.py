"""The JSON report (schema licscan-report/1): every model, its lineage, effective terms and findings."""

from __future__ import annotations

import json
from typing import Any, Mapping

from licscan.model import (
    Answers, Band, DeploymentContext, Finding, LicenseTerms, ModelReport, ScanResult, Skipped, Source, Waiver,
    WaiverUse,
)

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


def _model(report: ModelReport, records: Mapping[str, LicenseTerms] | None = None,
           answers: Answers | None = None) -> dict[str, Any]:
    records = records or {}
    lineage = report.lineage
    nodes = []
    for record in lineage.nodes:
        node_license = report.licenses[record.repo_id]
        origin = report.origins[record.repo_id]
        nodes.append(
            {
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
                    "field_confidence": {name: origin.field_confidence(name)
                                         for name in ("organization", "country", "parent")},
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
        )
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
        "findings": [finding_dict(finding) for finding in report.findings],
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


def obligations_list(answers: Answers | None) -> list[dict[str, Any]]:
    return [
        {"kind": item.kind, "text": item.text, "notice_text": item.notice_text, "outcome": item.outcome.value,
         "reason": item.reason, "models": list(item.models), "licenses": list(item.licenses),
         "ancestors": list(item.ancestors), "source": _source(item.source), "confidence": item.confidence}
        for item in (answers.obligations if answers else ())
    ]


def _skipped(item: Skipped) -> dict[str, Any]:
    return {"path": item.path, "reason": item.reason, "detail": item.detail}


def report_dict(result: ScanResult) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for finding in result.findings:
        counts[finding.kind.value] = counts.get(finding.kind.value, 0) + 1
    return {
        "schema": SCHEMA,
        "tool": {"name": "licscan", "version": result.tool_version},
        "generated_at": result.generated_at,
        "project": result.project,
        "policy": result.policy,
        "verdict": result.verdict.value,
        "summary": {
            "models": len(result.models),
            "findings": len(result.findings),
            "failing": sum(1 for finding in result.findings if finding.fails),
            "waived": sum(1 for finding in result.findings if finding.waiver is not None),
            "by_kind": counts,
            "files_scanned": result.files_scanned,
        },
        "settings": dict(result.settings),
        "models": [_model(report, result.license_records, result.answers) for report in result.models],
        "context": context_dict(result.answers.context) if result.answers else None,
        "obligations": obligations_list(result.answers),
        "findings": [finding_dict(finding) for finding in result.findings],
        "skipped": [_skipped(item) for item in result.skipped],
        "waivers": [_waiver_use(use) for use in result.waivers],
    }


class JsonFormat:
    name = "json"
    suffix = ".json"

    def render(self, result: ScanResult) -> str:
        return json.dumps(report_dict(result), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
