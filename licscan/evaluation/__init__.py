"""Evaluation stage: identify licences, inherit terms through the ancestry, check origins, apply the policy."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from licscan.errors import LicscanError, RuleError
from licscan.evaluation import knowledge as _rules
from licscan.evaluation.answer_rules import AnswerRules, load_answers, parse_answers
from licscan.evaluation.answers import answer
from licscan.evaluation.checks import check_model
from licscan.evaluation.compute import estimate
from licscan.evaluation.datasets import training_data
from licscan.evaluation.inheritance import effective_terms
from licscan.evaluation.knowledge import Knowledge, Policy, load_knowledge
from licscan.evaluation.licenses import check_spdx_id, identify, through_family
from licscan.evaluation.origin import origin_for
from licscan.evaluation.policy import apply_policy, select_policy, verdict, waiver_uses
from licscan.providers import parse_providers
from licscan.model import (
    Answers, DeploymentContext, EvaluationSettings, Finding, Lineage, ModelReport, Occurrence, Verdict,
    WaiverUse,
)

__all__ = ["Evaluation", "evaluate", "load", "evaluate_lineage", "validate", "validate_policy_files", "Knowledge",
           "Policy"]


@dataclass(frozen=True)
class Evaluation:
    models: tuple[ModelReport, ...]
    findings: tuple[Finding, ...]
    verdict: Verdict
    policy: str
    waivers: tuple[WaiverUse, ...] = ()  # the policy's waivers and what each did
    answers: Answers | None = None


def load(settings: EvaluationSettings) -> tuple[Knowledge, Policy]:
    """Read and validate the rules directories and pick the policy (RuleError/ConfigError on bad rules)."""
    knowledge = dataclasses.replace(load_knowledge(settings.rules_dirs), answers=load_answers(settings.rules_dirs))
    for record in knowledge.licenses.values():
        check_spdx_id(record)
    return knowledge, select_policy(knowledge, settings.policy)


def evaluate_lineage(key: str, lineage: Lineage, occurrences: Sequence[Occurrence], knowledge: Knowledge,
                     identified: dict[tuple, Any] | None = None) -> ModelReport:
    """One model's report before the policy: licences and origin per node, effective terms, findings.

    identified, shared by the lineages of one scan, keeps each node's licence once: a foundation under a
    thousand models is identified once, not a thousand times (same node, same revision, same ancestors).
    """
    licenses = {}
    for record in lineage.nodes:
        ancestors = tuple(lineage.ancestors(record.repo_id))
        context = [ancestor.split("/", 1)[0] for ancestor in ancestors]
        memo_key = (record.repo_id, record.revision, record.source, record.license_file, record.linked_license_from,
                    ancestors) if identified is not None and record.revision else None
        if memo_key is not None and memo_key in identified:
            licenses[record.repo_id] = identified[memo_key]
            continue
        licenses[record.repo_id] = identify(
            record.repo_id, record.card, knowledge, context_namespaces=context,
            license_text=record.license_text, license_file=record.license_file,
            linked_text=record.linked_license_text, linked_from=record.linked_license_from,
            tags=(*record.card.tags, *record.tags), context_repos=ancestors,
        )
        if memo_key is not None:
            identified[memo_key] = licenses[record.repo_id]
    licenses = through_family(lineage, licenses, knowledge)
    origins = {record.repo_id: origin_for(record.repo_id, knowledge) for record in lineage.nodes}
    root = lineage.nodes[0] if lineage.nodes else None
    training = training_data(lineage, knowledge)
    compute = tuple(item for item in (estimate(record, knowledge.compute) for record in lineage.nodes) if item)
    return ModelReport(
        key=key,
        revision=root.revision if root else None,
        occurrences=tuple(sorted(occurrences)),
        lineage=lineage,
        licenses=licenses,
        origins=origins,
        effective=effective_terms(lineage, licenses, origins, knowledge),
        findings=check_model(key, lineage, licenses, origins, knowledge, training, compute),
        training_data=training,
        compute=compute,
    )


def evaluate(
    lineages: Mapping[str, Lineage],
    occurrences: Mapping[str, Sequence[Occurrence]],
    knowledge: Knowledge,
    policy: Policy,
    context: DeploymentContext | None = None,
    *,
    today: str | None = None,
) -> Evaluation:
    """Evaluate every lineage and apply the policy; `today` (ISO date, from the scan's clock) judges waivers'
    expiry (None: no waiver expires)."""
    reports = []
    counts: dict[int, int] = {}
    identified: dict[tuple, Any] = {}
    for key in sorted(lineages):
        report = evaluate_lineage(key, lineages[key], occurrences.get(key, ()), knowledge, identified)
        findings = apply_policy(report.findings, policy, today=today, counts=counts)
        reports.append(dataclasses.replace(report, findings=findings))
    all_findings = tuple(finding for report in reports for finding in report.findings)
    answers = answer(reports, knowledge, knowledge.answers or AnswerRules(), context,
                     context_required=policy.require_context)
    outcome = verdict(all_findings)
    if policy.require_context and not (context and context.given) and outcome is Verdict.PASS:
        # The policy's answers depend on facts the configuration does not give: not clear (fail closed).
        outcome = Verdict.INCOMPLETE
    return Evaluation(models=tuple(reports), findings=all_findings, verdict=outcome, policy=policy.name,
                      waivers=waiver_uses(policy, counts, today), answers=answers)


_PARSERS = {
    "origins.yaml": _rules.parse_origins,
    "providers.yaml": parse_providers,
    "lineage.yaml": _rules.parse_lineage,
    "compute.yaml": _rules.parse_compute,
    "releases.yaml": _rules.parse_releases,
    "answers.yaml": parse_answers,
}


def validate(rules_dirs: Iterable[str | Path], *,
             beneath: Sequence[str | Path] = ()) -> tuple[Knowledge | None, list[LicscanError]]:
    """Check every rules file on its own and then together, collecting every error (not only the first).

    Each error names its file and the rule or key. The Knowledge is returned when there are none. A policy
    may extend one of the policies in `beneath` (the shipped rules, which a scan reads first); those
    directories are not checked themselves.
    """
    errors: list[LicscanError] = []
    dirs = [Path(item) for item in rules_dirs]
    for root in dirs:
        if not root.is_dir():
            errors.append(RuleError("rules directory does not exist", file=str(root)))
            continue
        paths = [(path, "license") for path in sorted((root / "licenses").glob("*.yaml"))]
        paths += [(root / name, name) for name in _PARSERS if (root / name).exists()]
        paths += [(path, "policy") for path in sorted((root / "policies").glob("*.yaml"))]
        for path, kind in paths:
            try:
                data = _rules._load_yaml(path)
                if kind == "license":
                    record = _rules.parse_license(data, file=str(path))
                    check_spdx_id(record, file=str(path))
                    if path.stem != record.key:
                        raise RuleError(f"the file name must be the key ({record.key}.yaml)", file=str(path),
                                        rule=record.key)
                elif kind == "policy":
                    _rules.parse_policy(data, file=str(path))
                else:
                    _PARSERS[kind](data, file=str(path))
                    if kind == "origins.yaml":
                        _rules.parse_unmapped(data, file=str(path))
            except LicscanError as exc:
                errors.append(exc)
    if errors:
        return None, errors
    try:
        extendable = load_knowledge(beneath).policies if beneath else None
        knowledge = load_knowledge(dirs, extendable=extendable)
    except LicscanError as exc:
        return None, [exc]
    return knowledge, []


def validate_policy_files(paths: Iterable[str | Path], rules_dirs: Sequence[str | Path]) -> list[LicscanError]:
    """Check a project's policy files as a scan would load them (`extends` against the rules' policies)."""
    try:
        knowledge = load_knowledge(rules_dirs)
    except LicscanError as exc:
        return [exc]
    errors: list[LicscanError] = []
    for path in paths:
        try:
            _rules.load_policy_file(path, knowledge.policies)
        except LicscanError as exc:
            errors.append(exc)
    return errors
