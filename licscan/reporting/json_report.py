"""The JSON report (schema licscan-report/1): every model, its lineage, effective terms and findings."""

from __future__ import annotations

import json
from typing import Any

from licscan.model import Finding, ModelReport, Occurrence, ScanResult, Skipped

SCHEMA = "licscan-report/1"


def _occurrence(item: Occurrence) -> dict[str, Any]:
    data: dict[str, Any] = {
        "path": item.location.path,
        "line": item.location.line,
        "source": item.source,
        "via": item.via,
        "text": item.text,
    }
    if item.location.cell is not None:
        data["cell"] = item.location.cell
    if item.ref.revision:
        data["revision"] = item.ref.revision
    return data


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
    }


def _model(report: ModelReport) -> dict[str, Any]:
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
                "base_model": list(record.card.base_models),
                "base_model_relation": record.card.base_model_relation,
                "problems": list(record.card.problems),
                "origin": {
                    "namespace": origin.namespace,
                    "organization": origin.organization,
                    "country": origin.country,
                    "parent": origin.parent,
                    "confidence": origin.confidence,
                    "entity_lists": [
                        {
                            "list": listing.list_name,
                            "entity": listing.entity,
                            "date_added": listing.date_added,
                            "citation": listing.citation,
                            "confidence": listing.confidence,
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
        "occurrences": [_occurrence(item) for item in report.occurrences],
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
                {"kind": item.kind, "text": item.text, "license": item.license_key, "ancestor": item.ancestor}
                for item in effective.obligations
            ],
            "territory_exclusions": list(effective.territory_exclusions),
            "origin_countries": list(effective.origin_countries),
        },
        "findings": [finding_dict(finding) for finding in report.findings],
    }


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
            "by_kind": counts,
            "files_scanned": result.files_scanned,
        },
        "settings": dict(result.settings),
        "models": [_model(report) for report in result.models],
        "findings": [finding_dict(finding) for finding in result.findings],
        "skipped": [_skipped(item) for item in result.skipped],
    }


class JsonFormat:
    name = "json"
    suffix = ".json"

    def render(self, result: ScanResult) -> str:
        return json.dumps(report_dict(result), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
