"""Apply a policy to findings: which ones fail the scan, which are waived, and the verdict."""

from __future__ import annotations

import dataclasses
import json
import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Iterable, Sequence

from licscan.catalog import rule
from licscan.errors import ConfigError
from licscan.evaluation.knowledge import POLICY_SCHEMA, Knowledge, Policy, load_policy_file
from licscan.model import Finding, FindingKind, Verdict, Waiver, WaiverUse

EXPIRED_WAIVER = "LS150"
# Whatever a policy lists, these fail under fail_closed: an ancestor whose terms could not be read and a model
# the Hub says does not exist are never clear.
_FAIL_CLOSED = ("LS100", "LS103")


def select_policy(knowledge: Knowledge, name_or_path: str) -> Policy:
    if name_or_path in knowledge.policies:
        return knowledge.policies[name_or_path]
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return load_policy_file(path, knowledge.policies)
    known = ", ".join(sorted(knowledge.policies)) or "none"
    raise ConfigError(f"unknown policy {name_or_path!r} (known: {known}; or give a path to a policy file)")


def covers(waiver: Waiver, finding: Finding) -> bool:
    """Whether the waiver's rule (or kind) and model pattern match the finding (the model or its ancestor)."""
    if waiver.rule is not None and waiver.rule not in (finding.rule_id, finding.kind.value):
        return False
    if waiver.model is None:
        return True
    pattern = waiver.model.lower()  # Hub ids match regardless of letter case
    return fnmatchcase(finding.model.lower(), pattern) or fnmatchcase(finding.ancestor.lower(), pattern)


def expired(waiver: Waiver, today: str | None) -> bool:
    """A waiver is good through its `expires` date and lapses the day after (ISO dates compare as text)."""
    return waiver.expires is not None and today is not None and today > waiver.expires


def _expired_finding(waiver: Waiver, covered: Finding) -> Finding:
    entry = rule(EXPIRED_WAIVER)
    what = waiver.rule or "every rule"
    pattern = waiver.model or "every model"
    approved = f", approved by {waiver.approved_by}" if waiver.approved_by else ""
    return Finding(
        rule_id=entry.id,
        kind=entry.kind,
        severity=entry.severity,
        model=covered.model,
        ancestor=covered.ancestor,
        message=(f"the waiver of {what} for {pattern} in {waiver.policy_file or 'the policy'} expired on "
                 f"{waiver.expires}{approved} ('{waiver.reason}'); {covered.rule_id} fails again"),
        evidence=tuple((key, value) for key, value in (
            ("waiver.rule", waiver.rule), ("waiver.model", waiver.model), ("waiver.expires", waiver.expires),
            ("waiver.approved_by", waiver.approved_by), ("waiver.reason", waiver.reason),
            ("waiver.policy_file", waiver.policy_file), ("waived", covered.rule_id)) if value),
        fails=True,
    )


def apply_policy(findings: Iterable[Finding], policy: Policy, *, today: str | None = None,
                 counts: dict[int, int] | None = None) -> tuple[Finding, ...]:
    """Each finding with `fails` set by the policy; a waived one keeps its finding, gains the waiver and does
    not fail. A waiver past its `expires` date (against `today`, the scan's clock, ISO) waives nothing, and
    one finding says so per model it would have covered. `counts` (waiver index -> findings covered) is filled
    in for the scan's account of each waiver."""
    result: list[Finding] = []
    lapsed: dict[tuple[int, str], Finding] = {}
    for finding in findings:
        fails = finding.rule_id in policy.fail_on or finding.kind.value in policy.fail_on
        if policy.fail_closed and finding.rule_id in _FAIL_CLOSED:
            fails = True
        waiver = None
        gone: list[int] = []
        if fails:
            for index, candidate in enumerate(policy.waivers):
                if not covers(candidate, finding):
                    continue
                if counts is not None:
                    counts[index] = counts.get(index, 0) + 1
                if expired(candidate, today):
                    gone.append(index)
                    continue
                waiver = candidate
                break
        if waiver is None:
            for index in gone:
                lapsed.setdefault((index, finding.model), finding)
        result.append(dataclasses.replace(finding, fails=fails and waiver is None, waiver=waiver))
    result.extend(_expired_finding(policy.waivers[index], covered) for (index, _), covered in lapsed.items())
    return tuple(result)


def waiver_uses(policy: Policy, counts: dict[int, int], today: str | None) -> tuple[WaiverUse, ...]:
    """Every waiver of the policy with what it did: used, expired, or stale (it matched no failing finding)."""
    uses = []
    for index, waiver in enumerate(policy.waivers):
        covered = counts.get(index, 0)
        status = "expired" if expired(waiver, today) else ("used" if covered else "stale")
        uses.append(WaiverUse(waiver=waiver, status=status, findings=covered))
    return tuple(uses)


def verdict(findings: Sequence[Finding] | Iterable[Finding]) -> Verdict:
    failing = [finding for finding in findings if finding.fails]
    if any(finding.kind is not FindingKind.UNRESOLVED for finding in failing):
        return Verdict.FAIL
    if failing:
        return Verdict.INCOMPLETE
    return Verdict.PASS


# ---------------------------------------------------------------------------------------------------------
# `licscan waive`: a new entry appended to a policy file's text, the rest of the file left as it was
# ---------------------------------------------------------------------------------------------------------

_TOP_KEY = re.compile(r"^[^\s#-][^:]*:")
# The value is taken greedily and its trailing blanks stripped after: a lazy value followed by [ \t]* re-read
# every run of blanks once per character (40,000 blanks took a minute).
_WAIVERS_LINE = re.compile(r"^waivers:[ \t]*(?P<value>[^#\n]*)(?P<comment>#.*)?$")


def _quoted(value: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's): any text, read back as the same string."""
    return json.dumps(value, ensure_ascii=False)


def waiver_entry(waiver: Waiver, indent: str = "  ") -> str:
    """The YAML lines of one waivers item, rule first, as a reviewer reads it."""
    lines = [f"rule: {waiver.rule}" if waiver.rule else None,
             f"model: {_quoted(waiver.model)}" if waiver.model else None,
             f"reason: {_quoted(waiver.reason)}",
             f"approved_by: {_quoted(waiver.approved_by)}" if waiver.approved_by else None,
             f"expires: {waiver.expires}" if waiver.expires else None]
    kept = [line for line in lines if line]
    return "".join(f"{indent}{'- ' if index == 0 else '  '}{line}\n" for index, line in enumerate(kept))


def new_policy_text(waiver: Waiver, *, name: str, extends: str = "default") -> str:
    return (f"# licscan policy: the {extends} policy and this project's reviewed exceptions (`licscan waive`).\n"
            f"schema: {POLICY_SCHEMA}\nname: {_quoted(name)}\nextends: {extends}\nwaivers:\n"
            + waiver_entry(waiver))


def append_waiver(text: str, waiver: Waiver, *, file: str) -> str:
    """The policy text with the waiver added as the last item of its `waivers:` list (made when there is
    none); every other line, comments included, is kept as it is."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    start = next((index for index, line in enumerate(lines) if _WAIVERS_LINE.match(line.rstrip("\n"))), None)
    if start is None:
        return "".join(lines) + "waivers:\n" + waiver_entry(waiver)
    found = _WAIVERS_LINE.match(lines[start].rstrip("\n"))
    value = found.group("value").rstrip(" \t") if found else ""
    if value and value not in ("[]", "null", "~"):
        raise ConfigError("'waivers' is written inline ([...]); write it as a list of '- ' items for "
                          "`licscan waive` to add to it", file=file, key="waivers")
    if value:
        comment = f"  {found.group('comment')}" if found and found.group("comment") else ""
        lines[start] = f"waivers:{comment}\n"
    end = start + 1
    last_item = start  # the last line that belongs to the list
    indent = None
    while end < len(lines):
        line = lines[end]
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and _TOP_KEY.match(line):
            break  # the next top-level key
        if stripped and not stripped.startswith("#"):
            last_item = end
            if indent is None and stripped.startswith("-"):
                indent = line[: len(line) - len(line.lstrip())]
        end += 1
    entry = waiver_entry(waiver, indent if indent is not None else "  ")
    return "".join(lines[: last_item + 1]) + entry + "".join(lines[last_item + 1:])
