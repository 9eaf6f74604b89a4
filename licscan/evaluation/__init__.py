"""Evaluation stage: identify licences, inherit terms through the ancestry, check origins, apply the policy."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from licscan.errors import LicscanError, RuleError
from licscan.evaluation import knowledge as _rules
from licscan.evaluation.answer_rules import AnswerRules, load_answers, parse_answers
from licscan.evaluation.answers import answer, model_answers
from licscan.evaluation.checks import check_model
from licscan.evaluation.compute import estimate
from licscan.evaluation.datasets import training_data
from licscan.evaluation.inheritance import effective_terms
from licscan.evaluation.kept import KeptModel, LineageDigests, Unusable, decode, encode, rules_digest, scan_digest
from licscan.evaluation.knowledge import Knowledge, Policy, load_knowledge
from licscan.evaluation.licenses import check_spdx_id, identify, through_family
from licscan.evaluation.origin import origin_for
from licscan.evaluation.policy import apply_policy, select_policy, verdict, waiver_uses
from licscan.providers import parse_providers
from licscan.model import (
    Answers, DeploymentContext, EvaluationSettings, Finding, Lineage, ModelReport, Occurrence, Verdict,
    WaiverUse,
)

__all__ = ["Evaluation", "KeptEvaluations", "evaluate", "load", "evaluate_lineage", "validate", "validate_policy_files", "Knowledge",
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
    kept: KeptEvaluations | None = None,
) -> Evaluation:
    """Evaluate every lineage and apply the policy; `today` (ISO date, from the scan's clock) judges waivers'
    expiry (None: no waiver expires). With `kept`, a lineage whose results an earlier scan kept under the same
    digest (same facts, rules, policy, context, licscan) is not evaluated again, and new results are added."""
    reports = []
    per_model = []
    counts: dict[int, int] = {}
    identified: dict[tuple, Any] = {}
    rules = knowledge.answers or AnswerRules()
    shown_context = context or DeploymentContext()
    for key in sorted(lineages):
        lineage, found = lineages[key], occurrences.get(key, ())
        held = kept.get(key, lineage) if kept is not None else None
        if held is not None:
            report = _report_from(key, lineage, found, held, knowledge)
            answers_of = (held.judgements, held.decision, held.remedies)
            model_counts = dict(held.waiver_counts)
        else:
            report = evaluate_lineage(key, lineage, found, knowledge, identified)
            model_counts = {}
            report = dataclasses.replace(report, findings=apply_policy(report.findings, policy, today=today,
                                                                       counts=model_counts))
            answers_of = model_answers(report, knowledge, rules, shown_context,
                                       context_required=policy.require_context)
            if kept is not None:
                kept.add(key, KeptModel(report.licenses, report.effective, report.findings, report.training_data,
                                        report.compute, tuple(sorted(model_counts.items())), *answers_of))
        for index, count in model_counts.items():
            counts[index] = counts.get(index, 0) + count
        reports.append(report)
        per_model.append(answers_of)
    all_findings = tuple(finding for report in reports for finding in report.findings)
    answers = answer(reports, knowledge, rules, context, context_required=policy.require_context,
                     per_model=per_model)
    outcome = verdict(all_findings)
    if policy.require_context and not (context and context.given) and outcome is Verdict.PASS:
        # The policy's answers depend on facts the configuration does not give: not clear (fail closed).
        outcome = Verdict.INCOMPLETE
    return Evaluation(models=tuple(reports), findings=all_findings, verdict=outcome, policy=policy.name,
                      waivers=waiver_uses(policy, counts, today), answers=answers)


def _report_from(key: str, lineage: Lineage, occurrences: Sequence[Occurrence], held: KeptModel,
                 knowledge: Knowledge) -> ModelReport:
    """A model's report from kept results; its inputs (occurrences, lineage) and origins are this scan's."""
    root = lineage.nodes[0] if lineage.nodes else None
    return ModelReport(
        key=key,
        revision=root.revision if root else None,
        occurrences=tuple(sorted(occurrences)),
        lineage=lineage,
        licenses=held.licenses,
        origins={record.repo_id: origin_for(record.repo_id, knowledge) for record in lineage.nodes},
        effective=held.effective,
        findings=held.findings,
        training_data=held.training_data,
        compute=held.compute,
    )


class KeptEvaluations:
    """The evaluation results an earlier scan kept, for one scan: digests are computed for the scan's
    lineages, the kept rows read in one go by the caller (scan.py, which holds the store), and what this scan
    evaluated anew is gathered for the caller to keep. A row that does not decode is a miss, never trusted."""

    def __init__(self, *, rules_dirs: Sequence[str | Path], policy: Policy, context: DeploymentContext | None,
                 today: str | None) -> None:
        self._digests = LineageDigests(scan_digest(rules=rules_digest(rules_dirs), policy=policy, context=context,
                                                   today=today))
        self._by_key: dict[str, str] = {}
        self.rows: dict[str, bytes] = {}  # digest -> kept result (compressed JSON), as read from the store
        self.new: dict[str, bytes] = {}  # digest -> results evaluated in this scan, to keep
        self.reused = 0
        self.unusable = 0
        self.part_keys: dict[str, str | None] = {}
        self.list_keys: dict[str, str] = {}

    def digests(self, lineages: Mapping[str, Lineage]) -> list[str]:
        """The digest of each lineage's evaluation (what to read from the store)."""
        for key, lineage in lineages.items():
            self._by_key[key] = self._digests.digest(key, lineage)
        return sorted(set(self._by_key.values()))

    def part_key(self, key: str, occurrences: Sequence[Occurrence], secrets: Sequence[str]) -> str | None:
        """Where the history's digest of this model's report part is kept: the part is the same whenever the
        evaluation's digest, the model's occurrences and the tokens scrubbed from it are (only a digest of
        those tokens enters the key)."""
        digest = self._by_key.get(key)
        if digest is None:
            return None
        tokens = hashlib.sha256("\0".join(sorted(secrets)).encode("utf-8")).hexdigest()
        return hashlib.sha256(f"part\0{digest}\0{tokens}\0{tuple(sorted(occurrences))!r}".encode("utf-8",
                                                                                              "replace")).hexdigest()

    def plan(self, lineages: Mapping[str, Lineage], occurrences: Mapping[str, Sequence[Occurrence]],
             secrets: Sequence[str]) -> list[str]:
        """Every key to read from the store for this scan: each lineage's evaluation digest, each model's
        report part key, and the keys of the report's lists that follow from all the models together (its
        findings and project obligations are the same whenever every model's part is)."""
        digests = self.digests(lineages)
        self.part_keys = {key: self.part_key(key, occurrences.get(key, ()), secrets) for key in sorted(lineages)}
        every = "\0".join(str(self.part_keys[key]) for key in sorted(lineages))
        self.list_keys = {name: hashlib.sha256(f"list\0{name}\0{every}".encode("utf-8", "replace")).hexdigest()
                          for name in self.LISTS}
        return digests + [key for key in self.part_keys.values() if key] + list(self.list_keys.values())

    LISTS = ("findings", "obligations")  # report lists that depend on the models' parts alone

    def part_digest(self, part_key: str) -> str | None:
        """The history's digest of a model part kept under part_key, when it looks like one."""
        data = self.rows.get(part_key)
        text = data.decode("ascii", "replace") if data is not None and len(data) == 32 else ""
        return text if len(text) == 32 and all(char in "0123456789abcdef" for char in text) else None

    def get(self, key: str, lineage: Lineage) -> KeptModel | None:
        digest = self._by_key.get(key) or self._by_key.setdefault(key, self._digests.digest(key, lineage))
        data = self.rows.get(digest)
        if data is None:
            return None
        try:
            held = decode(data, digest)
        except Unusable:
            self.unusable += 1
            return None
        if set(held.licenses) != {record.repo_id for record in lineage.nodes}:
            self.unusable += 1  # results of another lineage under this digest: not ours
            return None
        self.reused += 1
        return held

    def add(self, key: str, results: KeptModel) -> None:
        digest = self._by_key.get(key)
        if digest is None:
            return
        try:
            self.new[digest] = encode(results, digest)
        except (TypeError, ValueError):
            pass  # a value JSON cannot hold exactly (NaN, a type not kept): evaluated again next time


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
