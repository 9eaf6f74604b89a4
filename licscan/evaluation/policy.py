"""Apply a policy to findings: which ones fail the scan, which are waived, and the verdict."""

from __future__ import annotations

import dataclasses
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Iterable

from licscan.errors import ConfigError
from licscan.evaluation.knowledge import Knowledge, Policy, load_policy_file
from licscan.model import Finding, FindingKind, Verdict


def select_policy(knowledge: Knowledge, name_or_path: str) -> Policy:
    if name_or_path in knowledge.policies:
        return knowledge.policies[name_or_path]
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return load_policy_file(path)
    known = ", ".join(sorted(knowledge.policies)) or "none"
    raise ConfigError(f"unknown policy {name_or_path!r} (known: {known}; or give a path to a policy file)")


def _waived(finding: Finding, policy: Policy) -> bool:
    for waiver in policy.waivers:
        rule_ok = "rule" not in waiver or waiver["rule"] in (finding.rule_id, finding.kind.value)
        model_ok = "model" not in waiver or fnmatchcase(finding.model, waiver["model"]) or fnmatchcase(
            finding.ancestor, waiver["model"]
        )
        if rule_ok and model_ok:
            return True
    return False


def apply_policy(findings: Iterable[Finding], policy: Policy) -> tuple[Finding, ...]:
    """Each finding with `fails` set by the policy."""
    result = []
    for finding in findings:
        fails = finding.rule_id in policy.fail_on or finding.kind.value in policy.fail_on
        if policy.fail_closed and finding.rule_id == "LS100":
            fails = True  # unknown is never clear
        if fails and _waived(finding, policy):
            fails = False
        result.append(dataclasses.replace(finding, fails=fails))
    return tuple(result)


def verdict(findings: Iterable[Finding]) -> Verdict:
    failing = [finding for finding in findings if finding.fails]
    if any(finding.kind is not FindingKind.UNRESOLVED for finding in failing):
        return Verdict.FAIL
    if failing:
        return Verdict.INCOMPLETE
    return Verdict.PASS
