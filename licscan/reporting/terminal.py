"""The terminal summary (rich): the answer, a decision per model, findings grouped by model with the failing
first, notes folded into a count; fitted to the terminal's width, in time linear in the models and findings."""

from __future__ import annotations

import io
from collections import defaultdict

from rich import box
from rich.console import Console
from rich.markup import escape as _escape_markup
from rich.padding import Padding
from rich.table import Table
from rich.tree import Tree

from licscan.model import (
    DecisionKind, Finding, ModelReport, ScanResult, Severity, Verdict,
)
from licscan.reporting.plain import FIELD_WORDS, checklist, short_organization, verdict_sentence
from licscan.untrusted import visible

# Below this many columns the decision table is drawn as stacked lines instead.
TABLE_MIN_WIDTH = 80
DEFAULT_WIDTH = 100  # when the output is not a terminal (a file, a pipe, CI logs)


def escape(text: str) -> str:
    """Card text and file names are untrusted: no rich markup, no terminal control sequences (shown escaped)."""
    return _escape_markup(visible(text))


_DECISION_STYLE = {
    DecisionKind.BLOCKED: "bold red", DecisionKind.NEEDS_REVIEW: "bold yellow",
    DecisionKind.OK_WITH_OBLIGATIONS: "cyan", DecisionKind.OK: "green",
}
_VERDICT_STYLE = {Verdict.PASS: "bold green", Verdict.FAIL: "bold red", Verdict.INCOMPLETE: "bold magenta"}
_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red", Severity.HIGH: "red", Severity.MEDIUM: "yellow", Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
_ORDER = {kind: index for index, kind in enumerate(DecisionKind)}


def _node_label(report: ModelReport, repo_id: str, relation: str | None) -> str:
    record = report.lineage.node(repo_id)
    if record is None:
        return escape(repo_id)
    node_license = report.licenses[record.repo_id]
    origin = report.origins[record.repo_id]
    if node_license.key:
        license_text = node_license.key
    elif node_license.method == "missing":
        license_text = "no licence declared"
    else:
        license_text = f"unidentified: {node_license.license_name or node_license.declared}"
    if origin.confidence == "local":
        origin_text = "this project"
    elif origin.known:
        listed = " [red]entity-listed[/red]" if origin.listings else ""
        origin_text = f"{escape(short_organization(origin.organization or ''))}, {origin.country or 'country unknown'}{listed}"
    else:
        origin_text = "origin unknown"
    parts = [f"[bold]{escape(record.repo_id)}[/bold]"]
    if relation:
        parts.append(f"[dim]({relation})[/dim]")
    parts.append(f"· {escape(license_text)} · {origin_text}")
    if record.revision:
        parts.append(f"[dim]@ {record.revision[:10]}[/dim]")
    if record.aliases:
        parts.append(f"[dim](renamed from {escape(', '.join(record.aliases))})[/dim]")
    return " ".join(parts)


def _tree(report: ModelReport) -> Tree:
    """The ancestry as a tree; parents and unresolved links looked up by child once, so deep or wide lineages
    draw in time linear in their edges."""
    lineage = report.lineage
    if not lineage.nodes:
        tree = Tree(f"[bold]{escape(report.key)}[/bold]")
        for item in lineage.unresolved:
            tree.add(f"[magenta]✗ {escape(item.repo_id)}: unresolved ({item.reason.value})[/magenta]")
        return tree
    parents = defaultdict(list)
    for edge in lineage.edges:
        parents[edge.child].append(edge)
    unresolved = {item.repo_id: item for item in lineage.unresolved}
    unresolved_by = defaultdict(list)
    for item in lineage.unresolved:
        unresolved_by[item.referenced_by].append(item)
    nodes = {record.repo_id for record in lineage.nodes}
    root = lineage.nodes[0].repo_id
    tree = Tree(_node_label(report, root, None))
    expanded: set[str] = set()
    stack = [(root, tree)]
    while stack:
        repo_id, branch = stack.pop()
        if repo_id in expanded:
            continue
        expanded.add(repo_id)
        children = []
        linked = set()
        for edge in parents[repo_id]:
            linked.add(edge.parent)
            gap = unresolved.get(edge.parent)
            if gap is not None and edge.parent not in nodes:
                branch.add(f"[magenta]✗ {escape(edge.parent)} ({edge.relation.value}): unresolved, "
                           f"{gap.reason.value}[/magenta]")
                continue
            relation = edge.relation.value + (", from licscan's rules" if edge.evidence == "licscan-rules" else "")
            label = _node_label(report, edge.parent, relation)
            if edge.parent in expanded:
                branch.add(label + " [dim](shown above)[/dim]")
                continue
            children.append((edge.parent, branch.add(label)))
        for item in unresolved_by[repo_id]:
            if item.repo_id not in linked:
                branch.add(f"[magenta]✗ {escape(item.repo_id)}: unresolved, {item.reason.value}[/magenta]")
        stack.extend(reversed(children))
    return tree


def _indented(console: Console, markup: str, indent: int = 2) -> None:
    """A line that wraps under its own start, not at the margin."""
    console.print(Padding(markup, (0, 0, 0, indent)))


def _is_note(finding: Finding) -> bool:
    return not finding.fails and finding.waiver is None


def _ordered(result: ScanResult) -> list[ModelReport]:
    """Models by decision, blocked first; the scan's order within each."""
    answers = result.answers

    def rank(report: ModelReport) -> int:
        decision = answers.decision(report.key) if answers else None
        return _ORDER[decision.kind] if decision else 0

    return sorted(result.models, key=rank)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _more(json_report: str | None) -> str:
    """Where the lines the summary leaves out can be read."""
    return f"see {escape(json_report)}" if json_report else "listed with --json FILE"


def verdict_line(result: ScanResult, json_report: str | None = None) -> str:
    failing = sum(1 for finding in result.findings if finding.fails)
    notes = sum(1 for finding in result.findings if _is_note(finding) and finding.severity is not Severity.INFO)
    info = sum(1 for finding in result.findings if _is_note(finding) and finding.severity is Severity.INFO)
    style = _VERDICT_STYLE[result.verdict]
    return (f"[{style}]{result.verdict.value.upper()}[/{style}]: {_count(len(result.models), 'model')}, "
            f"{_count(failing, 'failing finding')}, {_count(notes, 'note')}"
            + (f", {info} informational ({_more(json_report)})" if info else "")
            + f"; policy {escape(result.policy)}")


def _console(buffer: io.StringIO, width: int, color: bool) -> Console:
    return Console(file=buffer, width=width, color_system="standard" if color else None, force_terminal=color,
                   no_color=not color, highlight=False, emoji=False, soft_wrap=False)


def _decisions(console: Console, result: ScanResult, width: int) -> None:
    answers = result.answers
    models = _ordered(result)
    listed = answers is not None and any(item.entity_listed for item in answers.decisions)
    if width >= TABLE_MIN_WIDTH:
        # Column widths are set here, not by rich's ratios: every cell then wraps on words within its column.
        with_listing = listed and width >= 100
        decision_width = max((len(item.kind.label) for item in answers.decisions), default=8) if answers else 8
        longest = max((len(visible(report.key)) for report in models), default=5)
        gaps = 3 * (3 if with_listing else 2)  # a padded space each side of each column divider
        # A model id is one word: it gets its whole length while the reason keeps 20 columns to wrap in.
        model_width = max(12, min(longest, width - decision_width - gaps - 20 - (16 if with_listing else 0)))
        rest = width - decision_width - model_width - gaps
        listing_width = rest // 3 if with_listing else 0
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, expand=False)
        table.add_column("decision", no_wrap=True, width=decision_width)
        table.add_column("model", width=model_width, overflow="fold")
        table.add_column("why", width=rest - listing_width)
        if with_listing:
            table.add_column("entity list", width=listing_width)
        for report in models:
            decision = answers.decision(report.key) if answers else None
            label = decision.kind.label if decision else "-"
            style = _DECISION_STYLE[decision.kind] if decision else ""
            row = [f"[{style}]{label}[/{style}]" if style else label, escape(report.key),
                   escape(decision.reason) if decision else ""]
            if with_listing:
                row.append(escape("; ".join(decision.entity_listed)) if decision and decision.entity_listed else "-")
            table.add_row(*row)
        console.print(table)
        return
    for report in models:
        decision = answers.decision(report.key) if answers else None
        style = _DECISION_STYLE[decision.kind] if decision else "bold"
        console.print(f"[{style}]{decision.kind.label if decision else '-'}[/{style}] {escape(report.key)}")
        if decision:
            _indented(console, f"{escape(decision.reason)}")
            if decision.entity_listed:
                _indented(console, f"[red]entity list: {escape('; '.join(decision.entity_listed))}[/red]")


def render(result: ScanResult, *, color: bool = False, width: int | None = None, verbose: bool = False,
           json_report: str | None = None) -> str:
    """The summary at `width` columns (default DEFAULT_WIDTH); `verbose` adds ancestry trees, judged terms and
    every note; `json_report` names the JSON report written with it (None: none was asked for), which is where
    the lines the summary leaves out can be read."""
    width = max(20, width or DEFAULT_WIDTH)
    buffer = io.StringIO()
    console = _console(buffer, width, color)
    console.print(f"[bold]licscan: {escape(result.project)}[/bold]")
    console.print(escape(verdict_sentence(result)))
    if result.models:
        console.print()
        _decisions(console, result, width)
    answers = result.answers
    for report in _ordered(result):
        shown = [finding for finding in report.findings if not _is_note(finding)]
        notes = [finding for finding in report.findings if _is_note(finding)]
        if not shown and not verbose:
            continue
        decision = answers.decision(report.key) if answers else None
        console.print()
        style = _DECISION_STYLE[decision.kind] if decision else "bold"
        console.print(f"[bold]{escape(report.key)}[/bold] [{style}]{decision.kind.label if decision else ''}[/{style}]")
        if verbose:
            console.print(_tree(report))
            for key, fields in report.effective.unconfirmed:
                # Unconfirmed terms are shown as such wherever terms are shown, never as facts.
                _indented(console, f"[dim]{escape(key)}: not confirmed in licscan's rules: "
                          f"{escape(', '.join(FIELD_WORDS.get(name) for name in fields))}[/dim]")
        for finding in sorted(shown, key=lambda item: not item.fails):
            if finding.fails:
                mark = f"[{_SEVERITY_STYLE[finding.severity]}]FAIL {finding.rule_id}[/{_SEVERITY_STYLE[finding.severity]}]"
                _indented(console, f"{mark} {escape(finding.message)}")
            else:
                waiver = finding.waiver
                _indented(console, f"[yellow]WAIVED {finding.rule_id}[/yellow] {escape(finding.message)}")
                _indented(console, f"[dim]waiver: {escape(waiver.reason)}; approved by "
                              f"{escape(waiver.approved_by or 'not recorded')}; "
                              f"{'expires ' + waiver.expires if waiver.expires else 'no expiry'}[/dim]", 4)
        if answers is not None:
            advice = [item for item in answers.remedies_of(report.key) if item.command is None]
            for item in advice[: None if verbose else 1]:
                _indented(console, f"[dim]what you can do: {escape(item.text)}[/dim]")
        if verbose:
            for item in (answers.judgements_of(report.key) if answers else ()):
                _indented(console, f"[dim]{item.outcome.value}: {escape(item.term)} ({escape(item.reason)})[/dim]")
            for finding in notes:
                _indented(console, f"[dim]note {finding.rule_id} {escape(finding.message)}[/dim]")
        elif notes:
            _indented(console, f"[dim]{len(notes)} note{'s' if len(notes) != 1 else ''} (--verbose lists them)[/dim]")
    duties = checklist(result)
    if duties:
        console.print()
        console.print(f"[bold]Obligations[/bold] ({len(duties)})" + ("" if verbose else
                      ": the HTML and Markdown reports list them, --verbose here"))
        if verbose:
            for item in duties:
                exact = f" “{escape(item.exact)}”" if item.exact else ""
                _indented(console, f"☐ {escape(item.title)}{exact}: {escape(item.detail)}")
    if result.skipped:
        console.print()
        console.print(f"[bold]Skipped files[/bold] ({len(result.skipped)})")
        for item in result.skipped[: 20 if verbose else 3]:
            detail = f": {item.detail}" if item.detail else ""
            _indented(console, f"{escape(item.path)} ({item.reason}{escape(detail)})")
        if len(result.skipped) > (20 if verbose else 3):
            console.print(f"  ... and {len(result.skipped) - (20 if verbose else 3)} more ({_more(json_report)})")
    unused = [use for use in result.waivers if use.status != "used"]
    if unused:
        console.print()
        console.print("[bold]Waivers[/bold]")
        for use in unused:
            waiver = use.waiver
            what = f"{waiver.rule or 'every rule'} for {waiver.model or 'every model'}"
            if use.status == "expired":
                _indented(console, f"expired on {waiver.expires}: {escape(what)} ({escape(waiver.policy_file or '')}); "
                          "it waives nothing now")
            else:
                _indented(console, f"stale: {escape(what)} ({escape(waiver.policy_file or '')}) matched no failing "
                          "finding; remove it or correct its rule or model")
    console.print()
    console.print(verdict_line(result, json_report))
    # Padding fills lines to the width; the spaces at their ends carry nothing.
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())


def render_quiet(result: ScanResult, *, color: bool = False, json_report: str | None = None) -> str:
    """`-q`: one line per model (its decision and the rules it fails), then the verdict line. Plain strings,
    not rich's layout: a hook runs it on every commit."""
    answers = result.answers
    lines = []
    for report in _ordered(result):
        decision = answers.decision(report.key) if answers else None
        failing = ",".join(dict.fromkeys(finding.rule_id for finding in report.findings if finding.fails))
        label = decision.kind.value.upper() if decision else "-"
        if color and decision:
            code = {"bold red": "1;31", "bold yellow": "1;33", "cyan": "36", "green": "32"}[_DECISION_STYLE[decision.kind]]
            label = f"\x1b[{code}m{label}\x1b[0m"
        lines.append(f"{label} {visible(report.key)}" + (f" {failing}" if failing else ""))
    return "\n".join(lines) + ("\n" if lines else "") + render_verdict(result, color=color, json_report=json_report)


def render_verdict(result: ScanResult, *, color: bool = False, json_report: str | None = None) -> str:
    """Only the verdict line (when a report owns standard output, nothing shows a summary)."""
    buffer = io.StringIO()
    _console(buffer, 10_000, color).print(verdict_line(result, json_report))
    return buffer.getvalue()


class ScanProgress:
    """A one-line progress display on standard error while a scan runs (discovery, then the ancestry walk:
    repos done of those known, requests, rate-limit or retry waits). The caller shows it only on a terminal."""

    def __init__(self, console: Console | None = None) -> None:
        from rich.live import Live
        from rich.text import Text

        self._text = Text
        self._live = Live(Text("starting"), console=console or Console(stderr=True), transient=True,
                          refresh_per_second=8)
        self.last = ""

    def __enter__(self) -> "ScanProgress":
        self._live.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._live.stop()

    def __call__(self, event: str, **numbers: float) -> None:
        if event == "discover":
            line = "licscan: discovering the models the project names ..."
        elif event == "resolve":
            line = (f"licscan: resolving ancestries: {int(numbers['done'])}/{int(numbers['known'])} repos, "
                    f"{int(numbers['requests'])} requests")
        elif event == "wait":
            line = f"licscan: waiting {numbers['seconds']:.0f} s (Hub rate limit or retry)"
        elif event == "evaluate":
            line = "licscan: evaluating licences and origins ..."
        else:
            return
        self.last = line
        self._live.update(self._text(line))


class TerminalFormat:
    name = "text"
    suffix = ".txt"

    def render(self, result: ScanResult) -> str:
        return render(result)
