"""The self-contained HTML legal report (reports/html/report.html.j2): the answer on page 1, then the details
per model, then appendices (publishers, licences, sources, glossary, audit data); readable, printable, fileable."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

from licscan.catalog import RULES
from licscan.model import Finding, ModelReport, Origin, ScanResult, Source
from licscan.reporting.plain import (
    CLASS_WORDS, FIELD_WORDS, OBLIGATION_WORDS, OUTCOME_WORDS, checklist, context_words, licence_link,
    reader_words, short_organization, verdict_sentence,
)
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


def tree_rows(root: TreeNode | None) -> list[tuple[int, TreeNode]]:
    """The tree as (depth, node) rows in reading order, walked with a stack: the template draws them flat, so
    an ancestry thousands of levels deep (`--max-depth`) renders without recursion."""
    if root is None:
        return []
    rows: list[tuple[int, TreeNode]] = []
    stack = [(0, root)]
    while stack:
        depth, node = stack.pop()
        rows.append((depth, node))
        stack.extend((depth + 1, child) for child in reversed(node.children))
    return rows


_RELATION_WORDS = {"finetune": "fine-tuned from", "adapter": "adapter on", "merge": "merged from",
                   "quantized": "quantized from", "unspecified": "derived from"}
_EVIDENCE_WORDS = {"licscan-rules": "per licscan's lineage records", "base_model": "per the model card",
                   "tag": "per the Hub's tags", "base_model_relation": "per the model card"}

GLOSSARY = (
    ("Blocked", "A finding fails under the policy; the model should not be used until it is resolved or waived."),
    ("Needs review", "A person must look: a condition cannot be judged from the context, an ancestor could not "
     "be read, a finding is waived, or a publisher is on a restricted-party list."),
    ("OK with obligations", "Nothing fails; the listed duties (notices, use policies, licence copies) apply."),
    ("OK", "Nothing fails and no condition or duty applies under the stated context."),
    ("Applies / does not apply / cannot tell", "How a licence term is judged against the deployment context; "
     "'cannot tell' names the piece of context that would decide it."),
    ("Allowed", "The licences in the ancestry allow commercial use without conditions."),
    ("Conditional", "Commercial use is allowed under conditions: thresholds, registration, territories or duties."),
    ("Non-commercial", "A licence in the ancestry allows only research or evaluation use."),
    ("Unknown", "A licence in the ancestry could not be identified, or an ancestor could not be read."),
    ("Ancestry", "The chain of base models a model was built from, as model cards and licscan's records state it."),
    ("Fine-tuned, adapter, merged, quantized", "How a model derives from its base: further training, a small "
     "add-on to the base, a combination of several models, or a compressed copy."),
    ("Relabelled", "A derivative declaring a licence more permissive than its base's; the base's terms still bind."),
    ("Primary, secondary, unconfirmed", "How sure a fact is: read in the primary text, taken from a named "
     "secondary source, or not verified."),
    ("Entity List", "The US Commerce Department's list of parties subject to export licence requirements."),
    ("Waiver", "A reviewed exception in the policy, with a reason, an approver and an expiry date."),
)

def _origins(result: ScanResult) -> list[Origin]:
    """Each known publisher of any ancestry once, listed ones first."""
    seen: dict[str, Origin] = {}
    for report in result.models:
        for origin in report.origins.values():
            if origin.known and origin.confidence != "local":
                seen.setdefault(origin.organization or origin.namespace, origin)
    return sorted(seen.values(), key=lambda item: (not item.listings, item.organization or ""))


def _sources(result: ScanResult) -> list[tuple[str, Source]]:
    """Every source the report rests on, once, with what it supports."""
    found: dict[tuple[str, str], tuple[str, Source]] = {}
    for key, record in result.license_records.items():
        for source in record.sources:
            found.setdefault((source.citation, source.date), (record.name, source))
    for origin in _origins(result):
        for source in origin.sources:
            found.setdefault((source.citation, source.date), (origin.organization or origin.namespace, source))
        for listing in origin.listings:
            if listing.source:
                found.setdefault((listing.source.citation, listing.source.date), (listing.list_name, listing.source))
    answers = result.answers
    for obligation in answers.obligations if answers else ():
        if obligation.source:
            found.setdefault((obligation.source.citation, obligation.source.date),
                             (f"the notice \u201c{obligation.notice_text}\u201d", obligation.source))
    for remedy in answers.remedies if answers else ():
        for source in remedy.sources:
            found.setdefault((source.citation, source.date), (f"what you can do about {remedy.rule_id}", source))
    # By what they support, so the appendix names each licence or publisher once above its sources.
    return sorted(found.values(), key=lambda item: (item[0].lower(), item[1].citation.lower(), item[1].date))


def _source_groups(sources: list[tuple[str, Source]]) -> list[tuple[str, list[tuple[int, Source]]]]:
    """The numbered sources under each subject they support (the list comes sorted by subject)."""
    numbered = [(number, subject, source) for number, (subject, source) in enumerate(sources, start=1)]
    return [(subject, [(number, source) for number, _, source in run])
            for subject, run in itertools.groupby(numbered, key=lambda item: item[1])]


def _waived(result: ScanResult) -> list[Finding]:
    return [finding for finding in result.findings if finding.waiver is not None]


class HtmlFormat:
    name = "html"
    suffix = ".html"

    def __init__(self, templates: Path) -> None:
        self._templates = templates

    def render(self, result: ScanResult) -> str:
        css = (self._templates / "html" / "report.css").read_text(encoding="utf-8")
        sources = _sources(result)
        return render_template(
            self._templates, "html/report.html.j2", html=True,
            result=result,
            css=css,
            rows={report.key: tree_rows(ancestry_tree(report)) for report in result.models},
            failing=[finding for finding in result.findings if finding.fails],
            waived=_waived(result),
            rules={item.id: item for item in RULES},
            sentence=verdict_sentence(result),
            origins=_origins(result),
            sources=sources,
            source_groups=_source_groups(sources),
            # A source cited in the body is printed as its number in Appendix C, where its full entry stands once.
            source_numbers={(source.citation, source.date): number
                            for number, (_, source) in enumerate(sources, start=1)},
            glossary=GLOSSARY,
            field_words=FIELD_WORDS,
            relation_words=_RELATION_WORDS,
            evidence_words=_EVIDENCE_WORDS,
            answers=result.answers,
            obligation_words=OBLIGATION_WORDS,
            checklist=checklist(result),
            outcome_words=OUTCOME_WORDS,
            class_words=CLASS_WORDS,
            context_words=context_words(result.answers.context if result.answers else None),
            licence_links={key: licence_link(record) for key, record in result.license_records.items()},
            filters={
                "licence_name": lambda key: result.license_records[key].name if key in result.license_records else key,
                "field_words": lambda name: FIELD_WORDS.get(name, name.replace("_", " ")),
                "capitalize_first": lambda text: text[:1].upper() + text[1:],
                "short_org": short_organization,
                "reader": reader_words,
            },
        )
