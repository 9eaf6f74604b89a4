"""The Markdown summary (reports/markdown/summary.md.j2), for pull-request comments and CI job summaries."""

from __future__ import annotations

import re
from pathlib import Path

from licscan.catalog import help_uri
from licscan.model import ScanResult, term_words
from licscan.reporting.templating import render_template

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def escape_markdown(value: object) -> str:
    """Neutralise Markdown and HTML in text that comes from model cards (it is untrusted)."""
    text = _CONTROL.sub("\ufffd", str(value).replace("\r", " ").replace("\n", " "))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def code_span(value: object) -> str:
    """Text for inside `backticks`: escapes do not work there, so backticks and newlines are replaced."""
    return _CONTROL.sub("\ufffd", str(value).replace("`", "'").replace("\r", " ").replace("\n", " "))


def rule_link(rule_id: str) -> str:
    """A rule id linked to its explanation, so a reviewer can read why it fails and what to do."""
    return f"[{rule_id}]({help_uri(rule_id)})"


# GitHub takes at most 65,536 characters in a pull-request comment (and 1 MiB in a job summary): a longer
# summary is cut to fit, each list saying how many it leaves out; the JSON and HTML reports have them all.
MAX_SUMMARY_CHARS = 60_000


class MarkdownFormat:
    name = "markdown"
    suffix = ".md"

    def __init__(self, templates: Path) -> None:
        self._templates = templates

    def render(self, result: ScanResult) -> str:
        failing = [finding for finding in result.findings if finding.fails]
        unresolved = [(report.key, item) for report in result.models for item in report.lineage.unresolved]
        unconfirmed = [(report.key, key, fields) for report in result.models for key, fields in report.effective.unconfirmed]
        # Every list whole if that fits; else each cut to the same length, halved until the summary fits.
        limit = max(len(result.models), len(failing), len(unresolved), len(unconfirmed))
        while True:
            text = render_template(
                self._templates, "markdown/summary.md.j2", html=False,
                filters={"md": escape_markdown, "code": code_span, "term_words": term_words,
                         "rule_link": rule_link},
                verdict=result.verdict.value, policy=result.policy, limit=limit,
                model_count=len(result.models), failing_count=len(failing),
                models=result.models, failing=failing, unresolved=unresolved, unconfirmed=unconfirmed,
            )
            if len(text) <= MAX_SUMMARY_CHARS or limit == 0:
                return text
            limit //= 2

