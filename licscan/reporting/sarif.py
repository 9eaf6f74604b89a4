"""SARIF 2.1.0 output for code scanning: one result per (finding, place the model is named), within GitHub's limits."""

from __future__ import annotations

import array
import hashlib
import os
import stat
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import quote

from licscan.catalog import RULES, help_uri
from licscan.json_text import dumps
from licscan.model import Finding, ModelReport, ScanResult, Severity
from licscan.reporting.json_pieces import json_pieces

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

# GitHub code scanning takes at most 25,000 results in a run and rejects the file beyond that ("SARIF support
# for code scanning", https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/
# sarif-support-for-code-scanning#validating-your-sarif-file). Every result here has one location, far below the
# 1,000 a result may carry (of which GitHub shows 100).
MAX_RESULTS_PER_RUN = 25_000
# The line hash reads the file a result points at; a larger file gets no hash of ours (the upload action
# computes the same one itself when it has the checkout).
MAX_HASHED_FILE_BYTES = 4 * 1024 * 1024

_SEVERITY_ORDER = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2}


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


def repository_top(folder: Path) -> Path | None:
    """The git top level holding `folder`: the nearest folder upwards with a `.git` entry (a directory, or the
    file a worktree or submodule has). Found without running git, which a scan never starts."""
    for candidate in (folder, *folder.parents):
        if os.path.lexists(candidate / ".git"):
            return candidate
    return None


def line_hashes(text: str, wanted: Iterable[int]) -> dict[int, str]:
    """GitHub's `primaryLocationLineHash` for the lines in `wanted` (1-based), as github/codeql-action computes it
    when it uploads SARIF (src/fingerprints.ts): a rolling hash (base 37, 64-bit wrap-around) over the first 100
    characters from each line's start, blanks and tabs skipped, CR and CRLF read as LF, in UTF-16 code units, an
    end-of-file mark (65535) and zeros after the last; ":n" tells apart the n-th line with the same hash."""
    wanted = set(wanted)
    if not wanted:
        return {}
    last = max(wanted)
    window = 100
    codes = array.array("H", text.encode("utf-16-le"))
    if sys.byteorder == "big":
        codes.byteswap()
    stream: list[int] = []  # the characters that count, as the hash reads them
    starts: list[int] = []  # where in `stream` each line starts
    line_start, previous_cr = True, False
    for code in (*codes, 65535):
        if code in (0x20, 0x09) or (previous_cr and code == 0x0A):
            previous_cr = False
            continue
        previous_cr = code == 0x0D
        if previous_cr:
            code = 0x0A
        if line_start:
            starts.append(len(stream))
            line_start = False
        line_start = code == 0x0A
        stream.append(code)
        if len(starts) >= last and len(stream) >= starts[last - 1] + window:
            break  # the last line asked for has its 100 characters: the rest of the file changes nothing
    stream.extend([0] * window)
    # The rolling hash at the moment it is read for a line equals this sum over the line's window.
    powers = [pow(37, window - 1 - offset, 1 << 64) for offset in range(window)]
    mask = (1 << 64) - 1
    seen: dict[str, int] = {}
    hashes: dict[int, str] = {}
    for number, start in enumerate(starts[:last], start=1):
        value = sum(code * power for code, power in zip(stream[start:start + window], powers)) & mask
        key = format(value, "x")
        seen[key] = seen.get(key, 0) + 1
        if number in wanted:
            hashes[number] = f"{key}:{seen[key]}"
    return hashes


def _read_inside(root: Path, relative: str) -> str | None:
    """The text of a project file, read only when it is a regular file inside `root` reached without a link."""
    path = root / relative
    try:
        if os.path.realpath(path) != os.path.join(os.path.realpath(root), relative):
            return None  # a symbolic link on the way: never followed out of the project
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError):
        return None
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_HASHED_FILE_BYTES:
            return None
        return handle.read(MAX_HASHED_FILE_BYTES + 1).decode("utf-8", errors="replace")


class _Places:
    """Where each model is named, as repository paths, with the line hashes of those places (each file read once)."""

    def __init__(self, result: ScanResult) -> None:
        root = Path(result.project_root) if result.project_root else None
        top = repository_top(root) if root else None
        self.root = root
        self.prefix = root.relative_to(top).as_posix() if top and root != top else ""
        self._hashes: dict[str, dict[int, str]] = {}
        self._wanted: dict[str, set[int]] = {}
        self.places: dict[str, list[tuple[str, int | None]]] = {}
        for report in result.models:
            self.places[report.key] = self._model_places(report)
        # GitHub refuses a whole upload in which one result has no location ("expected at least one location"):
        # a finding on a model no file names (given on the command line) points at the project's own
        # configuration, and is left out (and counted) when the project has none.
        self.fallback: tuple[str, int | None] | None = None
        for name in ("pyproject.toml", ".licscan.yaml", "licscan.lock"):
            if root is not None and _read_inside(root, name) is not None:
                self.fallback = (name, None)
                break

    def _model_places(self, report: ModelReport) -> list[tuple[str, int | None]]:
        places = set()
        for occurrence in report.occurrences:
            if occurrence.location.path.startswith("<"):
                continue  # named on the command line: no file to point at
            places.add((occurrence.location.path, occurrence.location.line))
            if occurrence.location.line:
                self._wanted.setdefault(occurrence.location.path, set()).add(occurrence.location.line)
        return sorted(places, key=lambda place: (place[0], place[1] or 0))

    def line_hash(self, path: str, line: int | None) -> str | None:
        if line is None or self.root is None:
            return None
        if path not in self._hashes:
            text = _read_inside(self.root, path)
            self._hashes[path] = line_hashes(text, self._wanted.get(path, ())) if text is not None else {}
        return self._hashes[path].get(line)

    def uri(self, path: str) -> str:
        # A URI reference, as SARIF requires: a space, "#" or "%" in a file name would otherwise point elsewhere.
        return quote(f"{self.prefix}/{path}" if self.prefix else path, safe="/")


def _fingerprint(finding: Finding, path: str | None) -> str:
    key = "\0".join((finding.rule_id, finding.model, finding.ancestor, finding.message, path or ""))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _suppressions(finding: Finding) -> list[dict[str, Any]]:
    """A waived finding is suppressed outside the code (in a policy file), with who approved it and until when."""
    waiver = finding.waiver
    if waiver is None:
        return []
    justification = (f"{waiver.reason} (approved by {waiver.approved_by or 'nobody named'}; "
                     f"expires {waiver.expires or 'never'})")
    properties = {key: value for key, value in (
        ("approvedBy", waiver.approved_by), ("expires", waiver.expires), ("policyFile", waiver.policy_file),
        ("rule", waiver.rule), ("model", waiver.model)) if value}
    return [{"kind": "external", "status": "accepted", "justification": justification, "properties": properties}]


def _result(finding: Finding, rule_index: int, places: _Places, place: tuple[str, int | None]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": sarif_level(finding.severity, finding.fails),
        "message": {"text": f"{finding.model}: {finding.message}"},
        "partialFingerprints": {"licscanFinding/v2": _fingerprint(finding, place[0])},
        "properties": {
            "model": finding.model,
            "ancestor": finding.ancestor,
            "kind": finding.kind.value,
            "severity": finding.severity.value,
            "fails": finding.fails,
            "evidence": dict(finding.evidence),
        },
    }
    path, line = place
    physical: dict[str, Any] = {"artifactLocation": {"uri": places.uri(path), "uriBaseId": "%SRCROOT%"}}
    if line:
        physical["region"] = {"startLine": line}
    result["locations"] = [{"physicalLocation": physical}]
    line_hash = places.line_hash(path, line)
    if line_hash:
        result["partialFingerprints"]["primaryLocationLineHash"] = line_hash
    suppressions = _suppressions(finding)
    if suppressions:
        result["suppressions"] = suppressions
    return result


def _priority(finding: Finding) -> tuple[int, int, int]:
    """Failing findings first, then by severity: when the cap cuts, it cuts notes before errors."""
    return (0 if finding.fails else 1, 1 if finding.waiver else 0, _SEVERITY_ORDER.get(finding.severity, 3))


def sarif_dict(result: ScanResult) -> dict[str, Any]:
    places = _Places(result)
    rule_index = {rule.id: index for index, rule in enumerate(RULES)}
    results: list[dict[str, Any]] = []
    omitted = 0
    unlocated = 0
    for finding in sorted(result.findings, key=_priority):  # a stable sort: the scan's order within a class
        finding_places = list(places.places.get(finding.model, ())) or ([places.fallback] if places.fallback else [])
        if not finding_places:
            unlocated += 1
            continue
        room = MAX_RESULTS_PER_RUN - len(results)
        if room < len(finding_places):
            omitted += len(finding_places) - max(room, 0)
            finding_places = finding_places[:max(room, 0)]
        results.extend(_result(finding, rule_index[finding.rule_id], places, place) for place in finding_places)
    properties: dict[str, Any] = {"verdict": result.verdict.value, "policy": result.policy,
                                  "findings": len(result.findings), "projectPath": places.prefix or "."}
    if result.waivers:  # the audit trail: what each waiver of the policy did (used, expired, stale)
        properties["waivers"] = [
            {key: value for key, value in (
                ("status", use.status), ("findings", use.findings), ("reason", use.waiver.reason),
                ("rule", use.waiver.rule), ("model", use.waiver.model), ("approvedBy", use.waiver.approved_by),
                ("expires", use.waiver.expires), ("policyFile", use.waiver.policy_file)) if value is not None}
            for use in result.waivers]
    if unlocated:
        properties["unlocatedFindings"] = unlocated
        properties["unlocatedNote"] = (
            f"{unlocated} findings are on models no file of the project names; GitHub takes no result without a "
            "location, so they are in the JSON and HTML reports only.")
    if omitted:
        properties["omittedResults"] = omitted
        properties["omittedNote"] = (
            f"{omitted} results (one per finding and place the model is named) were left out to stay within GitHub's "
            f"{MAX_RESULTS_PER_RUN:,} results per run; failing findings come first. The JSON report (--json) and "
            "the HTML report (--html) list every finding.")
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
                # No absolute "uri": the report must not depend on where the checkout lies; GitHub resolves
                # relative paths against the repository root, which is what %SRCROOT% stands for here.
                "originalUriBaseIds": {"%SRCROOT%": {"description": {
                    "text": "the root of the git repository holding the scanned project (the scanned folder when "
                            "it is in none)"}}},
                "results": results,
                "properties": properties,
            }
        ],
    }


class SarifFormat:
    name = "sarif"
    suffix = ".sarif"

    def render(self, result: ScanResult) -> str:
        return dumps(sarif_dict(result)) + "\n"

    def render_parts(self, result: ScanResult) -> Iterator[str]:
        """The log one result at a time (runs -> run -> results -> each result whole), to a file."""
        return json_pieces(sarif_dict(result), depth=4)
