"""Scan results built in memory, of any size, for the report writers' tests and benchmarks/bench_sbom.py."""

from __future__ import annotations

import hashlib

from licscan.model import (
    CardData, CommercialUse, Edge, EffectiveTerms, Finding, FindingKind, Lineage, Location, ModelRecord, ModelRef,
    ModelReport, NodeLicense, Occurrence, Origin, Relation, ScanResult, Severity, Unresolved, UnresolvedReason,
    Verdict, Waiver,
)

FOUNDATIONS = ("meta-llama/Llama-3.1-8B", "google/gemma-2-9b", "Qwen/Qwen2.5-7B", "mistralai/Mistral-7B-v0.3")
_LICENSES = {  # foundation -> (card licence, licscan key, SPDX id or LicenseRef)
    "meta-llama/Llama-3.1-8B": ("llama3.1", "llama3.1", "LicenseRef-licscan-llama3.1"),
    "google/gemma-2-9b": ("gemma", "gemma", "LicenseRef-licscan-gemma"),
    "Qwen/Qwen2.5-7B": ("apache-2.0", "apache-2.0", "Apache-2.0"),
    "mistralai/Mistral-7B-v0.3": ("apache-2.0", "apache-2.0", "Apache-2.0"),
}


def record(repo_id: str, parents: tuple[str, ...] = (), relation: Relation = Relation.FINETUNE) -> ModelRecord:
    from licscan.model import ParentLink

    return ModelRecord(repo_id=repo_id, revision=hashlib.sha1(repo_id.encode()).hexdigest(), author=repo_id.split("/")[0],
                       card=CardData(license="mit"),
                       parents=tuple(ParentLink(parent, relation) for parent in parents))


def node_license(repo_id: str, declared: str = "apache-2.0", key: str | None = "apache-2.0",
                 spdx: str | None = "Apache-2.0") -> NodeLicense:
    return NodeLicense(repo_id, declared, None, key, spdx, "license-id")


def model_report(key: str, nodes: list[ModelRecord], edges: list[Edge], licenses: dict[str, NodeLicense],
                 findings: tuple[Finding, ...] = (), occurrences: tuple[Occurrence, ...] = (),
                 unresolved: tuple[Unresolved, ...] = ()) -> ModelReport:
    origins = {node.repo_id: Origin(namespace=node.repo_id.split("/")[0], organization=node.repo_id.split("/")[0].title(),
                                    country="US") for node in nodes}
    return ModelReport(
        key=key, revision=None, occurrences=occurrences,
        lineage=Lineage(root=key, nodes=tuple(nodes), edges=tuple(edges), unresolved=unresolved),
        licenses=licenses, origins=origins,
        effective=EffectiveTerms(licenses=tuple(sorted({lic.key for lic in licenses.values() if lic.key})),
                                 commercial_use=CommercialUse.ALLOWED, commercial_use_from=()),
        findings=findings,
    )


def finding(model: str, rule: str = "LS120", *, fails: bool = True, waiver: Waiver | None = None,
            ancestor: str | None = None, message: str = "non-commercial terms") -> Finding:
    return Finding(rule_id=rule, kind=FindingKind.NON_COMMERCIAL, severity=Severity.HIGH, model=model,
                   ancestor=ancestor or model, message=message, fails=fails, waiver=waiver)


def occurrence(model: str, path: str, line: int) -> Occurrence:
    return Occurrence(ref=ModelRef(model), location=Location(path, line), source="python")


def result(reports: list[ModelReport], *, project_root: str | None = None) -> ScanResult:
    findings = tuple(f for report in reports for f in report.findings)
    return ScanResult(
        project="synthetic", generated_at="2026-01-01T00:00:00Z", tool_version="0.1.0", policy="default",
        models=tuple(reports), findings=findings, skipped=(),
        verdict=Verdict.FAIL if any(f.fails for f in findings) else Verdict.PASS, project_root=project_root,
    )


def synthetic_result(models: int, *, findings_per_model: int = 1, project_root: str | None = None) -> ScanResult:
    """`models` fine-tunes, each of a quantization of one of four shared foundations (three nodes a lineage),
    every tenth with a base the Hub does not know, each named in one file at one line."""
    reports = []
    for number in range(models):
        foundation = FOUNDATIONS[number % len(FOUNDATIONS)]
        quantized = f"quant-{number % 50}/{foundation.split('/')[1]}-GGUF"
        key = f"org-{number // 100}/model-{number}"
        nodes = [record(key, (quantized,)), record(quantized, (foundation,), Relation.QUANTIZED), record(foundation)]
        edges = [Edge(key, quantized, Relation.FINETUNE), Edge(quantized, foundation, Relation.QUANTIZED)]
        declared, license_key, spdx = _LICENSES[foundation]
        licenses = {key: node_license(key, "mit", "mit", "MIT"), quantized: node_license(quantized),
                    foundation: node_license(foundation, declared, license_key, spdx)}
        unresolved = (Unresolved(f"ghost/missing-{number}", UnresolvedReason.NOT_FOUND, "the Hub says 404", key),) \
            if number % 10 == 0 else ()
        findings = tuple(finding(key, message=f"finding {index} of {key}") for index in range(findings_per_model))
        reports.append(model_report(key, nodes, edges, licenses, findings,
                                    (occurrence(key, f"src/app_{number % 200}.py", 1 + number % 50),), unresolved))
    return result(reports, project_root=project_root)
