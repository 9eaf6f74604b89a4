"""The terminal summary: a table of models, each model's ancestry tree, and the findings (rich)."""

from __future__ import annotations

import io

from rich.console import Console
from rich.markup import escape as _escape_markup
from rich.table import Table
from rich.tree import Tree

from licscan.model import CommercialUse, ModelReport, ScanResult, Severity, Verdict, term_words
from licscan.untrusted import visible



def escape(text: str) -> str:
    """Card text and file names are untrusted: no rich markup, no terminal control sequences (shown escaped)."""
    return _escape_markup(visible(text))


_CLASS_STYLE = {
    CommercialUse.ALLOWED: "green",
    CommercialUse.CONDITIONAL: "yellow",
    CommercialUse.UNKNOWN: "magenta",
    CommercialUse.NON_COMMERCIAL: "red",
}
_VERDICT_STYLE = {Verdict.PASS: "bold green", Verdict.FAIL: "bold red", Verdict.INCOMPLETE: "bold magenta"}
_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red", Severity.HIGH: "red", Severity.MEDIUM: "yellow", Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def _short(organization: str) -> str:
    """The organisation's name without the registry's parenthetical notes, to keep tree lines short."""
    return organization.split(" (")[0].split(";")[0].strip()


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
        declared = node_license.license_name or node_license.declared
        license_text = f"unidentified: {declared}"
    if origin.confidence == "local":
        origin_text = "this project"
    elif origin.known:
        listed = " [red]entity-listed[/red]" if origin.listings else ""
        origin_text = f"{escape(_short(origin.organization or ''))}, {origin.country or 'country unknown'}{listed}"
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
    lineage = report.lineage
    if not lineage.nodes:
        tree = Tree(f"[bold]{escape(report.key)}[/bold]")
        for item in lineage.unresolved:
            tree.add(f"[magenta]✗ {escape(item.repo_id)}: unresolved ({item.reason.value})[/magenta]")
        return tree
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
        for edge in lineage.edges:
            if edge.child != repo_id:
                continue
            unresolved = next((u for u in lineage.unresolved if u.repo_id == edge.parent), None)
            if unresolved is not None and lineage.node(edge.parent) is None:
                branch.add(
                    f"[magenta]✗ {escape(edge.parent)} ({edge.relation.value}): unresolved, "
                    f"{unresolved.reason.value}[/magenta]"
                )
                continue
            relation = edge.relation.value + (", from licscan's rules" if edge.evidence == "licscan-rules" else "")
            label = _node_label(report, edge.parent, relation)
            if edge.parent in expanded:
                branch.add(label + " [dim](shown above)[/dim]")
                continue
            children.append((edge.parent, branch.add(label)))
        for item in lineage.unresolved:
            if item.referenced_by == repo_id and not any(
                edge.child == repo_id and edge.parent == item.repo_id for edge in lineage.edges
            ):
                branch.add(f"[magenta]✗ {escape(item.repo_id)}: unresolved, {item.reason.value}[/magenta]")
        stack.extend(reversed(children))
    return tree


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def render(result: ScanResult, *, color: bool = False, width: int = 110, json_report: str | None = None) -> str:
    """The summary; `json_report` names the JSON report written with it (None: none was asked for), which is
    where the lines the summary leaves out can be read."""
    more = f"see {escape(json_report)}" if json_report else "listed with --json FILE"
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, color_system="standard" if color else None, force_terminal=color,
        no_color=not color, highlight=False, emoji=False, soft_wrap=False,
    )
    table = Table(title=f"licscan: {escape(result.project)}", title_justify="left")
    table.add_column("model", overflow="fold")
    table.add_column("commercial use")
    table.add_column("licences in ancestry", overflow="fold")
    table.add_column("origin", overflow="fold")
    table.add_column("failing", justify="right")
    for report in result.models:
        effective = report.effective
        style = _CLASS_STYLE[effective.commercial_use]
        table.add_row(
            escape(report.key),
            f"[{style}]{effective.commercial_use.value}[/{style}]",
            escape(", ".join(effective.licenses) or "-"),
            ", ".join(effective.origin_countries) or "-",
            str(sum(1 for finding in report.findings if finding.fails)),
        )
    console.print(table)
    for report in result.models:
        console.print()
        console.print(_tree(report))
        for key, fields in report.effective.unconfirmed:
            # Unconfirmed terms are shown as such wherever terms are shown, never as facts.
            console.print(f"  [dim]{escape(key)}: unconfirmed in licscan's rules: {escape(', '.join(term_words(field) for field in fields))}[/dim]")
        for item in report.training_data:
            if item.license is not None and item.license.key:
                console.print(f"  [dim]trained on {escape(item.dataset)} ({escape(item.license.key)}, "
                              f"{item.commercial_use.value}), named by {escape(item.named_by)}[/dim]")
    failing = [finding for finding in result.findings if finding.fails]
    other = [finding for finding in result.findings if not finding.fails and finding.severity is not Severity.INFO]
    if failing or other:
        console.print()
        console.print("[bold]Findings[/bold]")
    for finding in failing + other:
        style = _SEVERITY_STYLE[finding.severity]
        mark = "FAIL" if finding.fails else "note"
        console.print(
            f"  [{style}]{mark} {finding.rule_id} {finding.kind.value}[/{style}] "
            f"[bold]{escape(finding.model)}[/bold]: {escape(finding.message)}"
        )
    info = sum(1 for finding in result.findings if finding.severity is Severity.INFO and not finding.fails)
    if result.skipped:
        console.print()
        console.print(f"[bold]Skipped files[/bold] ({len(result.skipped)})")
        for item in result.skipped[:20]:
            detail = f": {item.detail}" if item.detail else ""
            console.print(f"  {escape(item.path)} ({item.reason}{escape(detail)})")
        if len(result.skipped) > 20:
            console.print(f"  ... and {len(result.skipped) - 20} more ({more})")
    unused = [use for use in result.waivers if use.status != "used"]
    if unused:
        console.print()
        console.print("[bold]Waivers[/bold]")
        for use in unused:
            waiver = use.waiver
            what = f"{waiver.rule or 'every rule'} for {waiver.model or 'every model'}"
            if use.status == "expired":
                console.print(f"  expired on {waiver.expires}: {escape(what)} ({escape(waiver.policy_file or '')}); "
                              "it waives nothing now")
            else:
                console.print(f"  stale: {escape(what)} ({escape(waiver.policy_file or '')}) matched no failing "
                              "finding; remove it or correct its rule or model")
    console.print()
    style = _VERDICT_STYLE[result.verdict]
    console.print(
        f"[{style}]{result.verdict.value.upper()}[/{style}]: {_count(len(result.models), 'model')}, "
        f"{_count(len(failing), 'failing finding')}, {_count(len(other), 'note')}"
        + (f", {info} informational ({more})" if info else "")
        + f"; policy {escape(result.policy)}",
        soft_wrap=True,  # one line, however long: `--quiet` prints it alone
    )
    return buffer.getvalue()


class TerminalFormat:
    name = "text"
    suffix = ".txt"

    def render(self, result: ScanResult) -> str:
        return render(result)
