"""The human-facing renderers of the answers: terminal (widths, grouping, quiet), Markdown (decisions first,
escaping), HTML (deep ancestries, waivers), and the decision in every summary table."""

from __future__ import annotations

import dataclasses
import datetime
import re
import shutil
from pathlib import Path

import pytest

from licscan.config import data_dir, load_config
from licscan.evaluation import evaluate, load
from licscan.model import (
    CardData, DecisionKind, Edge, EvaluationSettings, Lineage, ModelRecord, Relation, ScanResult, Waiver,
)
from licscan.reporting import get_format
from licscan.reporting.markdown import MarkdownFormat, escape_markdown
from licscan.reporting.terminal import render, render_quiet

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "assistant-app"
CLOCK = lambda: datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)  # noqa: E731


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> ScanResult:
    from licscan.scan import scan

    folder = tmp_path_factory.mktemp("answers")
    project = folder / "assistant-app"
    shutil.copytree(EXAMPLE, project)
    with pytest.MonkeyPatch.context() as patch:  # module-scoped: keep discovery's cache out of the real home
        patch.setenv("XDG_CACHE_HOME", str(folder / "cache"))
        patch.setenv("LICSCAN_DB_URL", f"sqlite:///{folder / 'licscan.db'}")
        return scan(load_config(project), clock=CLOCK, history=False, project_label="examples/assistant-app")


def scan_of(lineages: dict[str, Lineage], *, waive: str | None = None) -> ScanResult:
    """A scan result from hand-made lineages, evaluated with the shipped rules (optionally one rule waived)."""
    knowledge, policy = load(EvaluationSettings(rules_dirs=(str(data_dir("rules")),)))
    outcome = evaluate(lineages, {}, knowledge, policy)
    if waive:
        waiver = Waiver(reason="reviewed in LEGAL-7", rule=waive, approved_by="counsel@example.com",
                        expires="2027-03-31")
        models = tuple(dataclasses.replace(report, findings=tuple(
            dataclasses.replace(item, fails=False, waiver=waiver) if item.rule_id == waive else item
            for item in report.findings)) for report in outcome.models)
        from licscan.evaluation.answers import answer

        outcome = dataclasses.replace(outcome, models=models, answers=answer(models, knowledge, knowledge.answers, None))
    findings = tuple(item for report in outcome.models for item in report.findings)
    return ScanResult(project="p", generated_at="2026-01-01T00:00:00Z", tool_version="0", policy="default",
                      models=outcome.models, findings=findings, skipped=(), verdict=outcome.verdict,
                      answers=outcome.answers,
                      license_records={key: knowledge.licenses[key] for report in outcome.models
                                       for key in report.effective.licenses})


def node(repo_id: str, license: str | None = "mit") -> ModelRecord:
    return ModelRecord(repo_id=repo_id, revision="0" * 40, author=repo_id.split("/")[0],
                       card=CardData(license=license))


def chain(*records: ModelRecord) -> Lineage:
    edges = tuple(Edge(child.repo_id, parent.repo_id, Relation.FINETUNE) for child, parent in zip(records, records[1:]))
    return Lineage(root=records[0].repo_id, nodes=records, edges=edges)


# --- Terminal ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("width", [80, 120, 200])
def test_terminal_summary_fits_the_width_and_never_breaks_a_word_in_a_cell(example, width):
    for verbose in (False, True):
        text = render(example, width=width, verbose=verbose)
        lines = text.splitlines()
        assert max(len(line) for line in lines) <= width, (width, verbose)
    table = render(example, width=width).split("\n\n")[1]
    cells = " ".join(table.split())
    # Every model id and every word of every decision's reason reads whole in the table.
    for report in example.models:
        assert report.key in table, (width, report.key)
        for word in example.answers.decision(report.key).reason.split():
            assert re.search(rf"(^|\s){re.escape(word)}(\s|$)", cells), (width, word)


def test_terminal_below_80_columns_stacks_the_decisions(example):
    text = render(example, width=60)
    assert max(len(line) for line in text.splitlines()) <= 60
    assert "Blocked BAAI/bge-m3" in text and "─" not in text.split("\n\n")[1]


def test_terminal_groups_findings_by_model_failing_first_and_folds_notes(example):
    text = render(example, width=120)
    blocks = text.split("\n\n")
    codestral = next(block for block in blocks if block.startswith("bartowski/Codestral-22B-v0.1-GGUF Blocked"))
    report = next(item for item in example.models if item.key == "bartowski/Codestral-22B-v0.1-GGUF")
    notes = sum(1 for finding in report.findings if not finding.fails and finding.waiver is None)
    assert notes and "FAIL LS120" in codestral
    assert f"{notes} note{'s' if notes != 1 else ''} (--verbose lists them)" in codestral
    assert "LS130" not in codestral
    order = [block.split()[0] for block in blocks if block.split() and "/" in block.split()[0]][1:]
    assert order.index("bartowski/Codestral-22B-v0.1-GGUF") < len(order)
    verbose = render(example, width=120, verbose=True)
    assert "note LS130" in verbose and "(--verbose lists them)" not in verbose


def test_quiet_is_one_line_per_model_with_its_failing_rules(example):
    lines = render_quiet(example).splitlines()
    assert lines[0] == "BLOCKED BAAI/bge-m3 LS141"
    assert "BLOCKED praxis/relevance-3b LS120" in lines and len(lines) == len(example.models) + 1
    assert lines[-1].startswith("FAIL: 10 models, 7 failing findings")


def test_terminal_shows_a_waived_finding_with_reason_approver_and_expiry():
    result = scan_of({"zai-org/GLM-4.6": chain(node("zai-org/GLM-4.6"))}, waive="LS141")
    text = render(result, width=120)
    assert "WAIVED LS141" in text
    assert "waiver: reviewed in LEGAL-7; approved by counsel@example.com; expires 2027-03-31" in text
    assert result.answers.decisions[0].kind is DecisionKind.NEEDS_REVIEW


def test_the_summary_of_many_models_renders_in_linear_time_shape():
    """Deep ancestries draw with a lookup per node (no scan of every edge per node): 400 levels render."""
    records = [node(f"org/level-{index}") for index in range(400)]
    result = scan_of({"org/level-0": chain(*records)})
    text = render(result, width=100, verbose=True)
    assert "org/level-399" in text


# --- Markdown ---------------------------------------------------------------------------------------------

def table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_markdown_puts_decisions_and_failing_findings_first_and_links_rule_ids(example):
    text = MarkdownFormat(data_dir("reports")).render(example)
    assert text.index("| model | decision | why | restricted-party listing |") < text.index("### Failing findings")
    assert text.index("### Failing findings") < text.index("### Obligations") < text.index("Notes (")
    assert "**[LS141](https://github.com/licscan/licscan/blob/main/README.md#rule-ls141)** `BAAI/bge-m3`" in text
    rows = table_rows(text)
    assert rows[0][:2] == ["model", "decision"] and all(len(row) == 5 for row in rows)
    decisions = [row[1] for row in rows[1:]]
    assert decisions == sorted(decisions, key=["Blocked", "Needs review", "OK with obligations", "OK"].index)
    bge = next(row for row in rows if row[0] == "`BAAI/bge-m3`")
    assert bge[1] == "Blocked" and "Beijing Academy of Artificial Intelligence" in bge[3]


def test_a_pipe_in_a_model_name_cannot_shift_the_markdown_table(tmp_path):
    """An 'unknown' model must never read as 'allowed' because its name carried a column separator."""
    name = "org/evil|Blocked|x"
    result = scan_of({name: chain(node(name, None)), "org/plain": chain(node("org/plain"))})
    rows = table_rows(MarkdownFormat(data_dir("reports")).render(result))
    assert all(len(row) == 5 for row in rows), rows
    evil = next(row for row in rows if "evil" in row[0])
    assert evil[0] == "`org/evil\\|Blocked\\|x`" and evil[1] in ("Blocked", "Needs review")


def test_markdown_neutralises_mentions_and_direction_controls():
    escaped = escape_markdown("ping @security-team and \u202eevil\u202c text")
    assert "@security-team" not in escaped and "@\u200bsecurity-team" in escaped
    assert "\u202e" not in escaped and "\\\\u202e" in escaped
    result = scan_of({"org/@admins": chain(node("org/@admins"))})
    text = MarkdownFormat(data_dir("reports")).render(result)
    assert re.search(r"(?<![`\w])@admins", text.replace("`org/@admins`", "")) is None


def test_markdown_lists_waived_findings_with_reason_approver_and_expiry():
    result = scan_of({"zai-org/GLM-4.6": chain(node("zai-org/GLM-4.6"))}, waive="LS141")
    text = MarkdownFormat(data_dir("reports")).render(result)
    assert "### Waived findings" in text
    assert "reviewed in LEGAL-7 (approved by counsel@\u200bexample.com; expires 2027-03-31)" in text


# --- HTML -------------------------------------------------------------------------------------------------

def test_html_renders_an_ancestry_deeper_than_the_recursion_limit():
    records = [node(f"org/level-{index}") for index in range(400)]
    html = get_format("html", data_dir("reports")).render(scan_of({"org/level-0": chain(*records)}))
    assert "org/level-399" in html and "level 399" in html


def test_html_lists_waivers_on_page_one_and_marks_the_finding_waived():
    result = scan_of({"zai-org/GLM-4.6": chain(node("zai-org/GLM-4.6"))}, waive="LS141")
    html = get_format("html", data_dir("reports")).render(result)
    summary = html.split('<section class="details">')[0]
    assert "reviewed in LEGAL-7" in summary and "counsel@example.com" in summary and "2027-03-31" in summary
    assert '<span class="maybe">waived</span>' in html
    assert '<span class="decision needs-review">Needs review</span>' in summary


def test_no_model_heading_shows_green_for_a_model_that_fails(example):
    html = get_format("html", data_dir("reports")).render(example)
    for report in example.models:
        if any(finding.fails for finding in report.findings):
            heading = re.search(rf'<h3><span class="id">{re.escape(report.key)}</span> (.*?)</h3>', html).group(1)
            assert 'decision blocked' in heading and "ok" not in heading.split('"')[1].split()[1:]


def test_html_uses_no_internal_field_names(example):
    html = get_format("html", data_dir("reports")).render(example)
    text = re.sub(r"<style>.*?</style>|<[^>]+>", " ", html, flags=re.S)
    for internal in ("derivatives_must_carry", "output_training", "use_policy_flow_down", "fact base",
                     "registration_required", "extra_gated", "license-relabel", "commercial-condition"):
        assert internal not in text, internal


@pytest.mark.parametrize("fmt", ["markdown", "html", "text"])
def test_every_human_format_shows_each_decision(example, fmt):
    text = get_format(fmt, data_dir("reports")).render(example)
    assert "Blocked" in text and "OK with obligations" in text


# --- Progress ---------------------------------------------------------------------------------------------

def test_a_scan_reports_its_progress_phase_by_phase(tmp_path, monkeypatch):
    from licscan.scan import scan

    monkeypatch.setenv("LICSCAN_DB_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    project = tmp_path / "assistant-app"
    shutil.copytree(EXAMPLE, project)
    events: list[tuple[str, dict]] = []
    scan(load_config(project), clock=CLOCK, history=False, progress=lambda event, **numbers: events.append((event, numbers)))
    names = [event for event, _ in events]
    assert names[0] == "discover" and names[-1] == "evaluate" and "resolve" in names
    last = [numbers for event, numbers in events if event == "resolve"][-1]
    assert last["done"] == last["known"] >= 10


def test_the_progress_display_says_what_the_walk_is_doing():
    import io

    from rich.console import Console

    from licscan.reporting.terminal import ScanProgress

    buffer = io.StringIO()
    with ScanProgress(Console(file=buffer, force_terminal=True, width=100)) as display:
        display("resolve", done=3, known=7, requests=12)
        assert display.last == "licscan: resolving ancestries: 3/7 repos, 12 requests"
        display("wait", seconds=42.0)
        assert display.last == "licscan: waiting 42 s (Hub rate limit or retry)"
    shown = buffer.getvalue()
    assert "waiting 42 s" in shown and shown.endswith("\x1b[2K")  # drawn, then cleared (transient)


def test_no_progress_is_drawn_where_no_terminal_shows_it(tmp_path):
    from typer.testing import CliRunner

    from licscan.cli import app

    project = tmp_path / "assistant-app"
    shutil.copytree(EXAMPLE, project)
    result = CliRunner().invoke(app, ["scan", str(project), "--json", "-"], env={"SOURCE_DATE_EPOCH": "1767225600"})
    assert "licscan: resolving" not in result.stderr and "discovering" not in result.stderr
    assert result.stderr.strip().startswith("FAIL") and result.stderr.strip().count("\n") == 0
