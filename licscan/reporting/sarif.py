"""SARIF 2.1.0 output for code-scanning dashboards: one result per finding, at the places the model is named."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import quote

from licscan.catalog import RULES, help_uri
from licscan.model import Finding, ModelReport, ScanResult, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def sarif_level(severity: Severity, fails: bool) -> str:
    """The one place severity becomes a SARIF level: a failing finding is always an error."""
    if fails:
        return "error"
    return {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning"}.get(severity, "note")


def _rules() -> list[dict[str, Any]]:
    return [
        {
            "id": rule.id,
            "name": rule.name,
            "shortDescription": {"text": rule.title},
            "fullDescription": {"text": rule.rationale},
            "help": {"text": rule.help, "markdown": f"**{rule.title}**\n\n{rule.rationale}\n\n{rule.help}"},
            "helpUri": help_uri(rule.id),
            "defaultConfiguration": {"level": sarif_level(rule.severity, False)},
            "properties": {"kind": rule.kind.value, "tags": ["licence", rule.kind.value]},
        }
        for rule in RULES
    ]


def _locations(report: ModelReport | None) -> list[dict[str, Any]]:
    if report is None:
        return []
    locations = []
    for occurrence in report.occurrences:
        if occurrence.location.path.startswith("<"):
            continue  # named on the command line: no file to point at
        # A URI reference, as SARIF requires: a space, "#" or "%" in a file name would otherwise point elsewhere.
        uri = quote(occurrence.location.path, safe="/")
        physical: dict[str, Any] = {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}}
        if occurrence.location.line:
            physical["region"] = {"startLine": occurrence.location.line}
        locations.append({"physicalLocation": physical})
    return locations


def _fingerprint(finding: Finding) -> str:
    key = "\0".join((finding.rule_id, finding.model, finding.ancestor, finding.message))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def sarif_dict(result: ScanResult) -> dict[str, Any]:
    reports = {report.key: report for report in result.models}
    rule_index = {rule.id: index for index, rule in enumerate(RULES)}
    results = []
    for finding in result.findings:
        results.append(
            {
                "ruleId": finding.rule_id,
                "ruleIndex": rule_index[finding.rule_id],
                "level": sarif_level(finding.severity, finding.fails),
                "message": {"text": f"{finding.model}: {finding.message}"},
                "locations": _locations(reports.get(finding.model)),
                "partialFingerprints": {"licscanFinding/v1": _fingerprint(finding)},
                "properties": {
                    "model": finding.model,
                    "ancestor": finding.ancestor,
                    "kind": finding.kind.value,
                    "severity": finding.severity.value,
                    "fails": finding.fails,
                    "evidence": dict(finding.evidence),
                },
            }
        )
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "licscan",
                        "version": result.tool_version,
                        "informationUri": "https://github.com/licscan/licscan",
                        "rules": _rules(),
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the scanned project"}}},
                "results": results,
                "properties": {"verdict": result.verdict.value, "policy": result.policy},
            }
        ],
    }


class SarifFormat:
    name = "sarif"
    suffix = ".sarif"

    def render(self, result: ScanResult) -> str:
        return json.dumps(sarif_dict(result), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
