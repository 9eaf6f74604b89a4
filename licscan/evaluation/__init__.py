"""Evaluation stage: identify licences, inherit terms through the ancestry, check origins, apply the policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from licscan.evaluation.checks import check_model
from licscan.evaluation.inheritance import effective_terms
from licscan.evaluation.knowledge import Knowledge, Policy, load_knowledge
from licscan.evaluation.licenses import check_spdx_id, identify
from licscan.evaluation.origin import origin_for
from licscan.evaluation.policy import apply_policy, select_policy, verdict
from licscan.model import EvaluationSettings, Finding, Lineage, ModelReport, Occurrence, Verdict

__all__ = ["Evaluation", "evaluate", "load", "evaluate_lineage", "Knowledge", "Policy"]


@dataclass(frozen=True)
class Evaluation:
    models: tuple[ModelReport, ...]
    findings: tuple[Finding, ...]
    verdict: Verdict
    policy: str


def load(settings: EvaluationSettings) -> tuple[Knowledge, Policy]:
    """Read and validate the rules directories and pick the policy (RuleError/ConfigError on bad rules)."""
    knowledge = load_knowledge(settings.rules_dirs)
    for record in knowledge.licenses.values():
        check_spdx_id(record)
    return knowledge, select_policy(knowledge, settings.policy)


def evaluate_lineage(key: str, lineage: Lineage, occurrences: Sequence[Occurrence], knowledge: Knowledge) -> ModelReport:
    """One model's report before the policy: licences and origin per node, effective terms, findings."""
    licenses = {}
    for record in lineage.nodes:
        context = [ancestor.split("/", 1)[0] for ancestor in lineage.ancestors(record.repo_id)]
        licenses[record.repo_id] = identify(record.repo_id, record.card, knowledge, context_namespaces=context)
    origins = {record.repo_id: origin_for(record.repo_id, knowledge) for record in lineage.nodes}
    root = lineage.nodes[0] if lineage.nodes else None
    return ModelReport(
        key=key,
        revision=root.revision if root else None,
        occurrences=tuple(sorted(occurrences)),
        lineage=lineage,
        licenses=licenses,
        origins=origins,
        effective=effective_terms(lineage, licenses, origins, knowledge),
        findings=check_model(key, lineage, licenses, origins, knowledge),
    )


def evaluate(
    lineages: Mapping[str, Lineage],
    occurrences: Mapping[str, Sequence[Occurrence]],
    knowledge: Knowledge,
    policy: Policy,
) -> Evaluation:
    reports = []
    for key in sorted(lineages):
        report = evaluate_lineage(key, lineages[key], occurrences.get(key, ()), knowledge)
        findings = apply_policy(report.findings, policy)
        reports.append(
            ModelReport(
                key=report.key, revision=report.revision, occurrences=report.occurrences, lineage=report.lineage,
                licenses=report.licenses, origins=report.origins, effective=report.effective, findings=findings,
            )
        )
    all_findings = tuple(finding for report in reports for finding in report.findings)
    return Evaluation(models=tuple(reports), findings=all_findings, verdict=verdict(all_findings), policy=policy.name)
