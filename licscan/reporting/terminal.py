"""The terminal summary (rich): the answer, a decision per model, findings grouped by model with the failing
first, notes folded into a count; fitted to the terminal's width, in time linear in the models and findings."""

from __future__ import annotations

import io
import re
from collections import defaultdict

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.markup import escape as _escape_markup
from rich.tree import Tree

from licscan.model import (
    DecisionKind, Finding, ModelReport, ScanResult, Severity, Verdict,
)
from licscan.reporting.plain import (
    FIELD_WORDS, checklist, short_organization, unconfirmed_releases, verdict_sentence,
)
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


Span = tuple[str, str]  # (text, style words such as "bold red"; "" for none)
_SGR = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "magenta": "35", "cyan": "36"}
_CUT = re.compile(r"\s*\S+\s*")  # a word with the spaces around it, as rich divides lines


def _cells(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


def _chop(word: str, width: int) -> list[str]:
    """A word longer than the width, in pieces of at most `width` cells."""
    pieces, piece, used = [], "", 0
    for char in word:
        size = _cells(char)
        if piece and used + size > width:
            pieces.append(piece)
            piece, used = "", 0
        piece += char
        used += size
    return [*pieces, piece] if piece else pieces


def _breaks(text: str, width: int, fold: bool) -> list[int]:
    """Where a line of text breaks to fit `width` cells: between words, a word longer than a line folded across
    lines (or left whole, fold=False). The same places rich breaks a line (its words-and-spaces rule)."""
    measure = len if text.isascii() else _cells  # one cell per character: most text, measured by len
    if measure(text) <= width:
        return []
    out: list[int] = []
    used = 0
    # Words are matched one after the other from the start (a search from every position would go over a run
    # of blanks again at each of its characters: quadratic).
    match = _CUT.match(text)
    while match is not None:
        start, word = match.start(), match.group()
        match = _CUT.match(text, match.end())
        length = measure(word.rstrip())
        if width - used >= length:
            used += measure(word)
        elif length > width:
            if not fold:
                if start:
                    out.append(start)
                used = measure(word)
                continue
            pieces = _chop(word, width)
            for index, piece in enumerate(pieces):
                if start:
                    out.append(start)
                if index == len(pieces) - 1:
                    used = measure(piece)
                else:
                    start += len(piece)
        elif used and start:
            out.append(start)
            used = measure(word)
    return out


def _fit(text: str, width: int, fold: bool = True) -> list[tuple[int, int]]:
    """The (start, end) of each line the text takes at `width` cells, trailing spaces left out."""
    edges = [0, *_breaks(text, width, fold), len(text)]
    return [(start, start + len(text[start:end].rstrip())) for start, end in zip(edges, edges[1:])]


class _Lines:
    """The summary's lines, laid out without rich's renderer (a few calls per line, not hundreds): paragraphs
    wrapped on words under their own indent, and the decision table; styles become SGR codes when in colour."""

    def __init__(self, width: int, color: bool) -> None:
        self.width = width
        self.color = color
        self.lines: list[str] = []

    def styled(self, spans: list[Span], start: int, end: int) -> str:
        """The characters start..end of the spans' text, each run in its style."""
        out, offset = [], 0
        for text, style in spans:
            low, high = max(start, offset), min(end, offset + len(text))
            if low < high:
                piece = text[low - offset:high - offset]
                out.append(f"\x1b[{';'.join(_SGR[word] for word in style.split())}m{piece}\x1b[0m"
                           if self.color and style else piece)
            offset += len(text)
        return "".join(out)

    def blank(self) -> None:
        self.lines.append("")

    def add(self, *spans: Span, indent: int = 0) -> None:
        """A paragraph: wrapped at the width, continuation lines under its own start."""
        parts = list(spans)
        text = "".join(part for part, _ in parts)
        for start, end in _fit(text, max(1, self.width - indent)):
            self.lines.append(" " * indent + self.styled(parts, start, end))

    def table(self, columns: list[tuple[str, int, bool]], rows: list[list[Span]]) -> None:
        """Columns (header, width, fold) side by side, three spaces apart, a rule under the headers; a cell
        wraps on words within its column (a word too long is folded, or cut with an ellipsis)."""
        self.row([(header, "bold") for header, _, _ in columns], columns)
        self.lines.append("─" * (sum(width for _, width, _ in columns) + 3 * (len(columns) - 1)))
        for row in rows:
            self.row(row, columns)

    def row(self, cells: list[Span], columns: list[tuple[str, int, bool]]) -> None:
        laid = []
        for (text, style), (_, width, fold) in zip(cells, columns):
            cell = []
            for start, end in _fit(text, width, fold):
                shown = text[start:end]
                if _cells(shown) > width:  # a word longer than the column, not folded: cut with an ellipsis
                    shown = set_cell_size(shown, width - 1) + "…"
                    cell.append((self.styled([(shown, style)], 0, len(shown)), _cells(shown)))
                else:
                    cell.append((self.styled([(text, style)], start, end), _cells(shown)))
            laid.append(cell)
        for index in range(max(len(cell) for cell in laid)):
            parts = []
            for cell, (_, width, _) in zip(laid, columns):
                shown, size = cell[index] if index < len(cell) else ("", 0)
                parts.append(shown + " " * (width - size))
            self.lines.append("   ".join(parts).rstrip())

    def text(self) -> str:
        return "".join(line.rstrip() + "\n" for line in self.lines)


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
    return f"see {visible(json_report)}" if json_report else "listed with --json FILE"


def verdict_line(result: ScanResult, json_report: str | None = None) -> list[Span]:
    failing = sum(1 for finding in result.findings if finding.fails)
    notes = sum(1 for finding in result.findings if _is_note(finding) and finding.severity is not Severity.INFO)
    info = sum(1 for finding in result.findings if _is_note(finding) and finding.severity is Severity.INFO)
    return [(result.verdict.value.upper(), _VERDICT_STYLE[result.verdict]),
            (f": {_count(len(result.models), 'model')}, {_count(failing, 'failing finding')}, "
             f"{_count(notes, 'note')}" + (f", {info} informational ({_more(json_report)})" if info else "")
             + f"; policy {visible(result.policy)}", "")]


def _console(buffer: io.StringIO, width: int, color: bool) -> Console:
    return Console(file=buffer, width=width, color_system="standard" if color else None, force_terminal=color,
                   no_color=not color, highlight=False, emoji=False, soft_wrap=False)


def _decisions(out: _Lines, result: ScanResult) -> None:
    answers = result.answers
    models = _ordered(result)
    width = out.width
    listed = answers is not None and any(item.listings for item in answers.decisions)
    if width >= TABLE_MIN_WIDTH:
        # Column widths are set here: every cell then wraps on words within its column.
        decision_width = max((len(item.kind.label) for item in answers.decisions), default=8) if answers else 8
        longest = max((len(visible(report.key)) for report in models), default=5)
        # A model id is one word: it gets its whole length while the reason keeps 20 columns to wrap in. The
        # listings never take from it: they get a column only where the reason keeps its 20 beside one of 14.
        model_width = max(12, min(longest, width - decision_width - 2 * 3 - 20))
        with_listing = listed and width - decision_width - model_width - 3 * 3 >= 20 + 14
        gaps = 3 * (3 if with_listing else 2)  # a padded space each side of each column divider
        rest = width - decision_width - model_width - gaps
        # The listing cell is a few words ("parent listed: DoD 1260H"): on one line where the reason can spare it.
        longest_listing = max((len(item.listing_words) for item in answers.decisions), default=0) if answers else 0
        listing_width = min(longest_listing, max(14, rest // 2 - 4)) if with_listing else 0
        columns = [("decision", decision_width, False), ("model", model_width, True),
                   ("why", rest - listing_width, False)]
        if with_listing:
            columns.append(("listing", listing_width, False))
        rows = []
        for report in models:
            decision = answers.decision(report.key) if answers else None
            reason = visible(decision.reason) if decision else ""
            if decision and decision.listings and not with_listing:
                reason += f" — {visible(decision.listing_words)}"  # no column for it: the reason says it
            row = [(decision.kind.label, _DECISION_STYLE[decision.kind]) if decision else ("-", ""),
                   (visible(report.key), ""), (reason, "")]
            if with_listing:
                row.append((visible(decision.listing_words) if decision else "-", ""))
            rows.append(row)
        out.table(columns, rows)
        return
    for report in models:
        decision = answers.decision(report.key) if answers else None
        out.add((decision.kind.label if decision else "-", _DECISION_STYLE[decision.kind] if decision else "bold"),
                (f" {visible(report.key)}", ""))
        if decision:
            out.add((visible(decision.reason), ""), indent=2)
            if decision.listings:
                out.add((visible(decision.listing_words), "red"), indent=2)


def render(result: ScanResult, *, color: bool = False, width: int | None = None, verbose: bool = False,
           json_report: str | None = None) -> str:
    """The summary at `width` columns (default DEFAULT_WIDTH); `verbose` adds ancestry trees, judged terms and
    every note; `json_report` names the JSON report written with it (None: none was asked for), which is where
    the lines the summary leaves out can be read."""
    width = max(20, width or DEFAULT_WIDTH)
    out = _Lines(width, color)
    out.add((f"licscan: {visible(result.project)}", "bold"))
    out.add((visible(verdict_sentence(result)), ""))
    if result.models:
        out.blank()
        _decisions(out, result)
    answers = result.answers
    trees = io.StringIO()
    tree_console = _console(trees, width, color) if verbose else None
    for report in _ordered(result):
        shown = [finding for finding in report.findings if not _is_note(finding)]
        notes = [finding for finding in report.findings if _is_note(finding)]
        if not shown and not verbose:
            continue
        decision = answers.decision(report.key) if answers else None
        out.blank()
        out.add((visible(report.key), "bold"), (" ", ""),
                (decision.kind.label if decision else "", _DECISION_STYLE[decision.kind] if decision else "bold"))
        if tree_console is not None:
            # Trees are rich's drawing; only --verbose shows them.
            tree_console.print(_tree(report))
            out.lines.extend(trees.getvalue().splitlines())
            trees.seek(0)
            trees.truncate()
            for key, fields in report.effective.unconfirmed:
                # Unconfirmed terms are shown as such wherever terms are shown, never as facts.
                out.add((f"{visible(key)}: not confirmed in licscan's rules: "
                         f"{visible(', '.join(FIELD_WORDS.get(name) for name in fields))}", "dim"), indent=2)
        for finding in sorted(shown, key=lambda item: not item.fails):
            if finding.fails:
                out.add((f"FAIL {finding.rule_id}", _SEVERITY_STYLE[finding.severity]),
                        (f" {visible(finding.message)}", ""), indent=2)
            else:
                waiver = finding.waiver
                out.add((f"WAIVED {finding.rule_id}", "yellow"), (f" {visible(finding.message)}", ""), indent=2)
                out.add((f"waiver: {visible(waiver.reason)}; approved by {visible(waiver.approved_by or 'not recorded')}; "
                         f"{'expires ' + waiver.expires if waiver.expires else 'no expiry'}", "dim"), indent=4)
        if answers is not None:
            advice = [item for item in answers.remedies_of(report.key) if item.command is None]
            for item in advice[: None if verbose else 1]:
                out.add((f"what you can do: {visible(item.text)}", "dim"), indent=2)
        if verbose:
            for item in (answers.judgements_of(report.key) if answers else ()):
                out.add((f"{item.outcome.value}: {visible(item.term)} ({visible(item.reason)})", "dim"), indent=2)
            for finding in notes:
                out.add((f"note {finding.rule_id} {visible(finding.message)}", "dim"), indent=2)
        elif notes:
            out.add((f"{len(notes)} note{'s' if len(notes) != 1 else ''} (--verbose lists them)", "dim"), indent=2)
    releases = unconfirmed_releases(result)
    if releases:
        # Informational, like the notes: one folded line; --verbose gives each release its finding's words.
        out.blank()
        names = ", ".join(dict.fromkeys(visible(item.release) for item in releases))
        out.add(("Release licences not confirmed", "bold"), (f" ({len(releases)})", ""),
                (": each model is evaluated under the licence its card declares" if verbose else
                 f": {names} (LS115; --verbose lists them)", ""))
        if verbose:
            for item in releases:
                models = ", ".join(visible(model) for model in item.models[:3]) + (
                    f" and {len(item.models) - 3} more" if len(item.models) > 3 else "")
                out.add((f"LS115 {visible(item.text)}; in the ancestry of {models}", "dim"), indent=2)
    duties = checklist(result)
    if duties:
        out.blank()
        out.add(("Obligations", "bold"), (f" ({len(duties)})" + ("" if verbose else
                ": the HTML and Markdown reports list them, --verbose here"), ""))
        if verbose:
            for item in duties:
                exact = f" “{visible(item.exact)}”" if item.exact else ""
                out.add((f"☐ {visible(item.title)}{exact}: {visible(item.detail)}", ""), indent=2)
    if result.skipped:
        out.blank()
        out.add(("Skipped files", "bold"), (f" ({len(result.skipped)})", ""))
        for item in result.skipped[: 20 if verbose else 3]:
            detail = f": {item.detail}" if item.detail else ""
            out.add((f"{visible(item.path)} ({item.reason}{visible(detail)})", ""), indent=2)
        if len(result.skipped) > (20 if verbose else 3):
            out.add((f"  ... and {len(result.skipped) - (20 if verbose else 3)} more ({_more(json_report)})", ""))
    unused = [use for use in result.waivers if use.status != "used"]
    if unused:
        out.blank()
        out.add(("Waivers", "bold"))
        for use in unused:
            waiver = use.waiver
            what = f"{waiver.rule or 'every rule'} for {waiver.model or 'every model'}"
            if use.status == "expired":
                out.add((f"expired on {waiver.expires}: {visible(what)} ({visible(waiver.policy_file or '')}); "
                         "it waives nothing now", ""), indent=2)
            else:
                out.add((f"stale: {visible(what)} ({visible(waiver.policy_file or '')}) matched no failing "
                         "finding; remove it or correct its rule or model", ""), indent=2)
    out.blank()
    out.add(*verdict_line(result, json_report))
    return out.text()


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
    out = _Lines(10_000, color)
    out.add(*verdict_line(result, json_report))
    return out.text()


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
