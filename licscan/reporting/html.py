"""The self-contained HTML audit report (reports/html/report.html.j2): readable, printable, fileable."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from licscan.catalog import RULES
from licscan.model import ModelReport, ScanResult, term_words
from licscan.reporting.templating import render_template


@dataclass
class TreeNode:
    """One line of an ancestry tree as the template shows it."""

    repo_id: str
    relation: str | None
    evidence: str | None
    repeated: bool = False
    unresolved: str | None = None  # the reason, for a parent that could not be resolved
    children: list["TreeNode"] = field(default_factory=list)


def ancestry_tree(report: ModelReport) -> TreeNode | None:
    """The lineage DAG as a tree from the root; a node reached twice is shown once, then referred to."""
    lineage = report.lineage
    if not lineage.nodes:
        return None
    root = TreeNode(lineage.nodes[0].repo_id, None, None)
    expanded: set[str] = set()
    stack = [root]
    while stack:
        current = stack.pop()
        if current.repeated or current.unresolved:
            continue
        if current.repo_id in expanded:  # reached again through another branch already shown
            current.repeated = True
            continue
        expanded.add(current.repo_id)
        for edge in lineage.edges:
            if edge.child != current.repo_id:
                continue
            child = TreeNode(edge.parent, edge.relation.value, edge.evidence, repeated=edge.parent in expanded)
            current.children.append(child)
        for item in lineage.unresolved:
            if item.referenced_by == current.repo_id and lineage.node(item.repo_id) is None:
                current.children.append(TreeNode(item.repo_id, None, None, unresolved=item.reason.value))
        stack.extend(reversed([child for child in current.children if not child.repeated]))
    return root


class HtmlFormat:
    name = "html"
    suffix = ".html"

    def __init__(self, templates: Path) -> None:
        self._templates = templates

    def render(self, result: ScanResult) -> str:
        css = (self._templates / "html" / "report.css").read_text(encoding="utf-8")
        return render_template(
            self._templates, "html/report.html.j2", html=True,
            filters={"term_words": term_words},
            result=result,
            css=css,
            trees={report.key: ancestry_tree(report) for report in result.models},
            failing=[finding for finding in result.findings if finding.fails],
            rules=RULES,
        )
