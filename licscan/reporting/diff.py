"""What changed between two scans, from their licscan-report/1 data: licences upstream, ancestors, findings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

_LICENSE_FIELDS = ("license", "license_name", "license_link", "license_key", "spdx_id")


@dataclass(frozen=True, order=True)
class Change:
    model: str
    kind: str  # "model-added", "model-removed", "revision", "license", "ancestor-added", "ancestor-removed",
    #            "finding-added", "finding-removed", "unresolved-added", "unresolved-removed", "commercial-use",
    #            "new-model-finding" (a failing finding of a model that is new: sorts after its "model-added")
    text: str


def _models(report: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(item.get("id")): item for item in report.get("models") or () if isinstance(item, Mapping)}


def _nodes(model: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    lineage = model.get("lineage") or {}
    return {str(node.get("id")): node for node in lineage.get("nodes") or () if isinstance(node, Mapping)}


def _license(node: Mapping[str, Any]) -> str:
    shown = node.get("license_key") or node.get("license") or "none"
    name = node.get("license_name")
    return f"{shown} ({name})" if name and name != shown else str(shown)


def _finding_key(finding: Mapping[str, Any]) -> tuple[str, str, str]:
    return (str(finding.get("rule_id")), str(finding.get("ancestor")), str(finding.get("message")))


def _short(revision: Any) -> str:
    return str(revision)[:12] if revision else "unpinned"


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every change from the old report to the new one, sorted by model."""
    changes: list[Change] = []
    before, after = _models(old), _models(new)
    for key in sorted(set(after) - set(before)):
        changes.append(Change(key, "model-added", f"new model {key}"))
        for finding in after[key].get("findings") or ():
            if isinstance(finding, Mapping) and finding.get("fails"):
                changes.append(Change(key, "new-model-finding", f"  fails: {finding.get('rule_id')} "
                                                                f"{finding.get('kind')}: {finding.get('message')}"))
    for key in sorted(set(before) - set(after)):
        changes.append(Change(key, "model-removed", f"model {key} is no longer used"))
    for key in sorted(set(before) & set(after)):
        was, now = before[key], after[key]
        old_nodes, new_nodes = _nodes(was), _nodes(now)
        for node_id in sorted(set(new_nodes) - set(old_nodes)):
            if node_id != key:
                changes.append(Change(key, "ancestor-added",
                                      f"new ancestor {node_id} ({_license(new_nodes[node_id])})"))
        for node_id in sorted(set(old_nodes) - set(new_nodes)):
            if node_id != key:
                changes.append(Change(key, "ancestor-removed", f"{node_id} is no longer an ancestor"))
        for node_id in sorted(set(old_nodes) & set(new_nodes)):
            a, b = old_nodes[node_id], new_nodes[node_id]
            if any(a.get(name) != b.get(name) for name in _LICENSE_FIELDS):
                changes.append(Change(key, "license",
                                      f"licence of {node_id} changed: {_license(a)} -> {_license(b)} "
                                      f"(revision {_short(a.get('revision'))} -> {_short(b.get('revision'))})"))
            elif a.get("revision") != b.get("revision"):
                changes.append(Change(key, "revision", f"{node_id} moved: revision {_short(a.get('revision'))} -> "
                                                       f"{_short(b.get('revision'))}"))
        was_use = (was.get("effective") or {}).get("commercial_use")
        now_use = (now.get("effective") or {}).get("commercial_use")
        if was_use != now_use:
            changes.append(Change(key, "commercial-use", f"commercial use: {was_use} -> {now_use}"))
        old_findings = {_finding_key(f): f for f in was.get("findings") or ()}
        new_findings = {_finding_key(f): f for f in now.get("findings") or ()}
        for finding_key in sorted(set(new_findings) - set(old_findings)):
            finding = new_findings[finding_key]
            fails = " [fails]" if finding.get("fails") else ""
            changes.append(Change(key, "finding-added", f"new finding {finding_key[0]}{fails}: {finding_key[2]}"))
        for finding_key in sorted(set(old_findings) - set(new_findings)):
            changes.append(Change(key, "finding-removed", f"finding gone {finding_key[0]}: {finding_key[2]}"))
        gaps = lambda model: {(str(u.get("id")), str(u.get("reason"))) for u in (model.get("lineage") or {}).get(  # noqa: E731
            "unresolved") or ()}
        for repo_id, reason in sorted(gaps(now) - gaps(was)):
            changes.append(Change(key, "unresolved-added", f"{repo_id} is unresolved ({reason})"))
        for repo_id, reason in sorted(gaps(was) - gaps(now)):
            changes.append(Change(key, "unresolved-removed", f"{repo_id} is resolved again (was {reason})"))
    return sorted(changes)


_VERDICT_RANK = {"pass": 0, "incomplete": 1, "fail": 2}


def got_worse(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether the gate should stop on this change: the verdict got worse, or a failing finding is new (on a
    model that was there before, or on a new model)."""
    if _VERDICT_RANK.get(str(new.get("verdict")), 2) > _VERDICT_RANK.get(str(old.get("verdict")), 2):
        return True
    before, after = _models(old), _models(new)
    for key, model in after.items():
        seen = {_finding_key(f) for f in (before.get(key) or {}).get("findings") or () if isinstance(f, Mapping)}
        if any(isinstance(f, Mapping) and f.get("fails") and _finding_key(f) not in seen
               for f in model.get("findings") or ()):
            return True
    return False


def render(old_label: str, new_label: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    changes = compare(old, new)
    head = f"{old_label} -> {new_label}"
    if old.get("verdict") != new.get("verdict"):
        head += f": verdict {old.get('verdict')} -> {new.get('verdict')}"
    if not changes:
        return f"{head}\nno changes"
    lines = [head]
    current = None
    for change in changes:
        if change.model != current:
            lines.append(change.model)
            current = change.model
        lines.append(f"  {change.text}")
    return "\n".join(lines)
