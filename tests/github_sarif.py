"""A checker for GitHub code scanning's documented limits on an uploaded SARIF file.

The limits, from GitHub's documentation "SARIF support for code scanning" (section "Validating your SARIF file"),
https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning,
and "SARIF results exceed one or more limits",
https://docs.github.com/en/code-security/code-scanning/troubleshooting-sarif-uploads/results-exceed-limit
(both read 2026-12-07):

| SARIF data                      | maximum (the upload is rejected above) | shown                 |
|---------------------------------|----------------------------------------|-----------------------|
| runs per file                   | 20                                     |                       |
| results per run                 | 25,000                                 | the top 5,000         |
| rules per run                   | 25,000                                 |                       |
| tool extensions per run         | 100                                    |                       |
| thread flow locations per result| 10,000                                 | the top 1,000         |
| locations per result            | 1,000                                  | 100                   |
| tags per rule                   | 20                                     | 10                    |

and a file of at most 10 MB gzip-compressed ("SARIF file is too large",
https://docs.github.com/en/code-security/code-scanning/troubleshooting-sarif-uploads/file-too-large).
A result without a location makes the upload fail ("locationFromSarifResult: expected at least one location",
github/codeql-action issue #2459). GitHub also resolves a relative `uri` against the repository root, and tracks alerts across commits by
`partialFingerprints.primaryLocationLineHash` ("<hex>:<n>", as github/codeql-action's src/fingerprints.ts writes it).
"""

from __future__ import annotations

import gzip
import json
import re
from typing import Any

MAX_RUNS = 20
MAX_RESULTS = 25_000
MAX_RULES = 25_000
MAX_EXTENSIONS = 100
MAX_THREAD_FLOW_LOCATIONS = 10_000
MAX_LOCATIONS = 1_000
MAX_TAGS = 20
MAX_GZIP_BYTES = 10 * 1024 * 1024
_LINE_HASH = re.compile(r"^[0-9a-f]{1,16}:[1-9][0-9]*$")


def problems(text: str) -> list[str]:
    """Every way `text` breaks one of GitHub's documented limits; [] when GitHub would take it."""
    found: list[str] = []
    if len(gzip.compress(text.encode("utf-8"))) > MAX_GZIP_BYTES:
        found.append("larger than 10 MB gzip-compressed")
    document: dict[str, Any] = json.loads(text)
    runs = document.get("runs", [])
    if len(runs) > MAX_RUNS:
        found.append(f"{len(runs)} runs > {MAX_RUNS}")
    for number, run in enumerate(runs):
        driver = run["tool"]["driver"]
        rules = driver.get("rules", [])
        rule_ids = {rule["id"] for rule in rules}
        if len(rules) > MAX_RULES:
            found.append(f"run {number}: {len(rules)} rules > {MAX_RULES}")
        for rule in rules:
            tags = rule.get("properties", {}).get("tags", [])
            if len(tags) > MAX_TAGS:
                found.append(f"rule {rule['id']}: {len(tags)} tags > {MAX_TAGS}")
        if len(run["tool"].get("extensions", [])) > MAX_EXTENSIONS:
            found.append(f"run {number}: more than {MAX_EXTENSIONS} tool extensions")
        results = run.get("results", [])
        if len(results) > MAX_RESULTS:
            found.append(f"run {number}: {len(results)} results > {MAX_RESULTS}")
        for index, result in enumerate(results):
            where = f"run {number} result {index}"
            if result.get("ruleId") not in rule_ids:
                found.append(f"{where}: ruleId {result.get('ruleId')!r} is not among the run's rules")
            locations = result.get("locations", [])
            if not locations:
                found.append(f"{where}: no location (GitHub refuses the whole upload)")
            if len(locations) > MAX_LOCATIONS:
                found.append(f"{where}: {len(locations)} locations > {MAX_LOCATIONS}")
            for location in locations:
                uri = location["physicalLocation"]["artifactLocation"]["uri"]
                if uri.startswith("/") or "://" in uri or uri.startswith("file:"):
                    found.append(f"{where}: uri {uri!r} is not relative to the repository root")
            flows = sum(len(flow.get("locations", [])) for code_flow in result.get("codeFlows", [])
                        for flow in code_flow.get("threadFlows", []))
            if flows > MAX_THREAD_FLOW_LOCATIONS:
                found.append(f"{where}: {flows} thread flow locations > {MAX_THREAD_FLOW_LOCATIONS}")
            line_hash = result.get("partialFingerprints", {}).get("primaryLocationLineHash")
            if line_hash is not None and not _LINE_HASH.match(line_hash):
                found.append(f"{where}: primaryLocationLineHash {line_hash!r} is not '<hex>:<n>'")
    return found
