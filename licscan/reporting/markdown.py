"""The Markdown summary (reports/markdown/summary.md.j2), for pull-request comments and CI job summaries:
decisions and failing findings first, rule ids linked to their explanation, notes last."""

from __future__ import annotations

import re
from pathlib import Path

from licscan.catalog import help_uri
from licscan.model import DecisionKind, ScanResult, Severity
from licscan.reporting.plain import FIELD_WORDS, checklist, unconfirmed_releases, verdict_sentence
from licscan.untrusted import visible

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")
_DECISION_ORDER = {kind: index for index, kind in enumerate(DecisionKind)}


def _flat(value: object) -> str:
    """One line of text with every control and direction character shown as an escape (as on the terminal)."""
    return visible(str(value).replace("\r", " ").replace("\n", " "))


def escape_markdown(value: object) -> str:
    """Neutralise Markdown, HTML, table pipes and @mentions in text that comes from model cards or the
    project (it is untrusted): it reads as written and pings no one."""
    # A zero-width space after "@" keeps the text readable and stops GitHub from notifying a user or team.
    return _MENTION.sub("@\u200b", _MARKDOWN_SPECIAL.sub(r"\\\1", _flat(value)))


def code_span(value: object) -> str:
    """Text for inside `backticks` outside a table: escapes do not work there, so backticks are replaced."""
    return _flat(value).replace("`", "'")


def cell_code(value: object) -> str:
    """Text for `backticks` inside a table cell: a pipe would end the cell (GitHub reads \\| as a pipe there)."""
    return code_span(value).replace("|", "\\|")


# GitHub takes at most 65,536 characters in a pull-request comment (and 1 MiB in a job summary): a longer
# summary is cut to fit, each list saying how many it leaves out; the JSON and HTML reports have them all.
MAX_SUMMARY_CHARS = 60_000


class MarkdownFormat:
    name = "markdown"
    suffix = ".md"

    def __init__(self, templates: Path) -> None:
        self._templates = templates

    def render(self, result: ScanResult) -> str:
        from licscan.reporting.templating import render_template

        answers = result.answers
        decisions = {report.key: answers.decision(report.key) if answers else None for report in result.models}
        models = sorted(result.models, key=lambda report: (
            _DECISION_ORDER[decisions[report.key].kind] if decisions[report.key] else 0, report.key))
        failing = [finding for finding in result.findings if finding.fails]
        waived = [finding for finding in result.findings if finding.waiver is not None]
        notes = [finding for finding in result.findings if not finding.fails and finding.waiver is None
                 and finding.severity is not Severity.INFO]
        unresolved = [(report.key, item) for report in result.models for item in report.lineage.unresolved]
        unconfirmed = [(report.key, key, [FIELD_WORDS.get(name, name.replace("_", " ")) for name in fields])
                       for report in result.models for key, fields in report.effective.unconfirmed]
        duties = checklist(result)
        releases = unconfirmed_releases(result)
        # Every list whole if that fits; else each cut to the same length, halved until the summary fits.
        limit = max(len(result.models), len(failing), len(unresolved), len(unconfirmed), len(notes), len(waived),
                    len(duties), len(releases), 1)
        while True:
            text = render_template(
                self._templates, "markdown/summary.md.j2", html=False,
                filters={"md": escape_markdown, "code": code_span, "cell": cell_code, "help": help_uri},
                verdict=result.verdict.value, policy=result.policy, limit=limit, sentence=verdict_sentence(result),
                model_count=len(result.models), failing_count=len(failing),
                models=models, decisions=decisions, failing=failing, waived=waived, notes=notes,
                duties=duties, unresolved=unresolved, unconfirmed=unconfirmed, releases=releases,
                context_given=bool(answers and answers.context.given),
            )
            if len(text) <= MAX_SUMMARY_CHARS or limit == 0:
                return text
            limit //= 2
