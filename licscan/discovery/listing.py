"""`licscan discover` output: what discovery found, as a plain-text table or JSON (schema licscan-discovery/1)."""

from __future__ import annotations

from typing import Any

from licscan.json_text import dumps
from licscan.model import DiscoveryResult, Occurrence
from licscan.untrusted import visible

SCHEMA = "licscan-discovery/1"
UNRESOLVED = "unresolved-reference"
_TEXT_WIDTH = 72


def _place(occurrence: Occurrence) -> str:
    location = occurrence.location
    where = location.path
    if location.cell is not None:
        where += f" cell {location.cell}"
    if location.line is not None:
        where += f":{location.line}"
    return where


def result_dict(result: DiscoveryResult) -> dict[str, Any]:
    occurrences = []
    for item in result.occurrences:
        occurrences.append({"id": item.ref.repo_id, "kind": item.ref.kind.value, **item.as_dict()})
    local_models = [
        {
            "key": model.key,
            "path": model.location.path,
            "license": model.card.license,
            "license_name": model.card.license_name,
            "base_models": list(model.card.base_models),
            "parents": [
                {"id": link.repo_id, "relation": link.relation.value, "evidence": link.evidence} for link in model.parents
            ],
            "problems": list(model.card.problems),
        }
        for model in result.local_models
    ]
    return {
        "schema": SCHEMA,
        "files_scanned": result.files_scanned,
        "summary": {
            "models": len({o.ref.key for o in result.occurrences if o.ref.kind.value == "model"}),
            "datasets": len({o.ref.key for o in result.occurrences if o.ref.kind.value == "dataset"}),
            "occurrences": len(result.occurrences),
            "local_models": len(result.local_models),
            "unresolved_references": sum(1 for s in result.skipped if s.reason == UNRESOLVED),
            "skipped": sum(1 for s in result.skipped if s.reason != UNRESOLVED),
        },
        "occurrences": occurrences,
        "local_models": local_models,
        "skipped": [{"path": s.path, "reason": s.reason, "detail": s.detail} for s in result.skipped],
    }


def render_json(result: DiscoveryResult) -> str:
    return dumps(result_dict(result)) + "\n"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1] for row in rows]


def render_text(result: DiscoveryResult) -> str:
    lines: list[str] = []
    if result.occurrences:
        rows = [["ID", "KIND", "WHERE", "SOURCE", "VIA", "TEXT"]]
        for item in result.occurrences:
            text = item.text if len(item.text) <= _TEXT_WIDTH else item.text[: _TEXT_WIDTH - 1] + "\u2026"
            shown = item.ref.repo_id + (f"@{item.ref.revision}" if item.ref.revision else "")
            rows.append([visible(shown), item.ref.kind.value, visible(_place(item)), item.source, item.via, visible(text)])
        lines.extend(_table(rows))
    if result.local_models:
        lines.append("")
        lines.append(f"Local models ({len(result.local_models)})")
        for model in result.local_models:
            parents = ", ".join(f"{link.repo_id} ({link.relation.value}, {link.evidence})" for link in model.parents)
            licence = model.card.license or "no licence declared"
            lines.append(visible(f"  {model.key}  {licence}" + (f"  from {parents}" if parents else "")))
    unresolved = [s for s in result.skipped if s.reason == UNRESOLVED]
    if unresolved:
        lines.append("")
        lines.append(f"Unresolved references ({len(unresolved)}): a model chosen at run time; declare it under "
                     "[tool.licscan] models")
        lines.extend(visible(f"  {item.path} {item.detail}") for item in unresolved)
    skipped = [s for s in result.skipped if s.reason != UNRESOLVED]
    if skipped:
        lines.append("")
        lines.append(f"Skipped ({len(skipped)})")
        lines.extend(visible(f"  {item.path}  {item.reason}" + (f": {item.detail}" if item.detail else ""))
                     for item in skipped)
    summary = result_dict(result)["summary"]
    lines.append("")
    lines.append(
        f"{_counted(summary['occurrences'], 'occurrence')} of {_counted(summary['models'], 'model')} and "
        f"{_counted(summary['datasets'], 'dataset')}, {_counted(summary['local_models'], 'local model')}, "
        f"in {_counted(result.files_scanned, 'file')} read"
    )
    return "\n".join(lines).lstrip("\n") + "\n"


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
