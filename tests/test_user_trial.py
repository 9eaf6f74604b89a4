"""What the three users saw on the example (CI reviewer, legal reader, command-line user), checked so it stays fixed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from licscan.cli import app

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "assistant-app"
runner = CliRunner()

# A licence record's field names, as the rules and the JSON report spell them: never shown to a reader.
FIELD_NAMES = ("registration_required", "use_policy_flow_down", "territory_exclusions", "output_training")


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """One scan of the example: the terminal output and the Markdown and HTML reports."""
    base = tmp_path_factory.mktemp("trial")
    project = base / "assistant-app"
    shutil.copytree(EXAMPLE, project)
    markdown, html = base / "summary.md", base / "report.html"
    # --verbose: the trees and terms (the default summary is short, with the decisions and failing findings).
    result = runner.invoke(app, ["scan", str(project), "--no-color", "--verbose", "--markdown", str(markdown),
                                 "--html", str(html)],
                           env={"SOURCE_DATE_EPOCH": "1767225600", "COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    return {"terminal": result.output, "markdown": markdown.read_text(), "html": html.read_text(), "html_path": html}


@pytest.mark.parametrize("output", ["terminal", "markdown", "html"])
def test_unconfirmed_terms_are_named_in_words_not_by_field_names(example, output):
    """The example's Codestral licence has unconfirmed terms: a reader sees 'registration or application', not
    'registration_required' (Markdown showed 'registration\\_required, use\\_policy\\_flow\\_down')."""
    text = example[output].replace("\\_", "_")
    assert "registration or application" in text
    assert "passing the use policy on" in text
    leaked = [name for name in FIELD_NAMES if name in text]
    assert leaked == []


def test_terminal_tree_says_when_a_publisher_country_is_unknown(example):
    """bartowski (an individual, no country on record) was shown as 'bartowski, ??'."""
    assert "bartowski, country unknown" in example["terminal"]
    assert "??" not in example["terminal"]


def test_markdown_puts_failing_findings_first_and_links_each_rule_to_its_explanation(example):
    markdown = example["markdown"]
    assert markdown.startswith("## licscan: FAIL")
    assert markdown.index("### Failing findings") < markdown.index("### Unconfirmed terms")
    failing = markdown.split("### Failing findings", 1)[1].split("###", 1)[0]
    rules = [rule.rstrip("*") for rule in re.findall(r"^- \*\*(\S+)", failing, flags=re.M)]  # **[LSnnn](url)**
    assert len(rules) == 7
    for rule in rules:
        assert re.fullmatch(r"\[LS\d{3}\]\(https://\S+#rule-ls\d{3}\)", rule), rule
        rule_id = rule[1:6]
        assert rule.endswith(f"#rule-{rule_id.lower()})")


def test_html_model_heading_says_a_model_fails_even_when_its_commercial_use_is_allowed(example):
    """BAAI/bge-m3 is MIT (commercial use allowed, in green) and fails on its entity-listed publisher: its heading
    said only 'allowed'."""
    html = example["html"]
    heading = re.search(r'<h3><span class="id">BAAI/bge-m3</span>(.*?)</h3>', html).group(1)
    assert '<span class="decision blocked">Blocked</span>' in heading  # the decision, never a green class
    passing = re.search(r'<h3><span class="id">Qwen/Qwen2.5-7B-Instruct@main</span>(.*?)</h3>', html).group(1)
    assert "blocked" not in passing and "OK with obligations" in passing


def test_printed_html_report_starts_its_summary_on_the_first_page(example, tmp_path):
    """Printed, the summary table (kept whole) moved to page 2 and left page 1 with the title alone."""
    pdf = tmp_path / "report.pdf"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}",
                    "--no-pdf-header-footer", f"--print-to-pdf={pdf}", example["html_path"].as_uri()],
                   check=True, capture_output=True, timeout=180)
    first_page = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], check=True, capture_output=True,
                                text=True).stdout
    assert "Decision per model" in first_page
    assert "BAAI/bge-m3" in first_page


def test_check_of_a_file_too_large_to_read_is_incomplete_not_a_pass(tmp_path, monkeypatch):
    """A pre-commit run handing over a Python file over max_file_bytes that names a model said
    'PASS: 0 models in 1 file checked': the file was never read."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text("print('no models yet')\n")
    (project / "pyproject.toml").write_text("[tool.licscan]\nmax_file_bytes = 1000\n")
    monkeypatch.chdir(project)
    assert runner.invoke(app, ["lock", ".", "--mirror", str(tmp_path)]).exit_code == 0
    (project / "big.py").write_text('from x import M\nM.from_pretrained("praxis/relevance-3b")\n' + "#" * 2000 + "\n")
    result = runner.invoke(app, ["check", "big.py", "app.py"])
    assert result.exit_code == 3, result.output
    assert "UNREAD big.py (too-large: " in result.output
    assert result.output.splitlines()[-1].startswith("INCOMPLETE: 0 models in 2 files")
    assert runner.invoke(app, ["check", "app.py"]).exit_code == 0  # a file it read still passes


def test_a_lockfile_or_report_nested_too_deeply_is_refused_with_a_message(tmp_path, monkeypatch):
    """Arrays nested 100,000 deep made `check` and `diff` end in 'internal error: RecursionError' (exit 3)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text("print('hello')\n")
    (tmp_path / "licscan.lock").write_text("[" * 100_000)
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 2, result.output
    assert "licscan.lock is not a valid licscan lockfile (nested too deeply to be one)" in result.output
    result = runner.invoke(app, ["diff", "licscan.lock", "licscan.lock"])
    assert result.exit_code == 2, result.output
    assert "licscan.lock is not a licscan JSON report: it is nested too deeply to be one" in result.output


def test_a_mirror_record_nested_too_deeply_is_malformed_metadata_without_a_traceback(tmp_path):
    """A mirror info.json nested 100,000 deep printed a Python traceback and reported the model unresolved with
    reason network-error ('trying again may help')."""
    folder = tmp_path / "mirror" / "org" / "deep"
    folder.mkdir(parents=True)
    (folder / "info.json").write_text("[" * 100_000)
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text('from x import M\nM.from_pretrained("org/deep")\n')
    report = tmp_path / "report.json"
    result = subprocess.run([str(Path(sys.executable).parent / "licscan"), "scan", str(project), "--mirror",
                             str(tmp_path / "mirror"), "--json", str(report)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stdout + result.stderr
    (unresolved,) = json.loads(report.read_text())["models"][0]["lineage"]["unresolved"]
    assert unresolved["reason"] == "malformed-metadata"
    assert "nests too deeply" in unresolved["detail"]


@pytest.mark.parametrize("command", [["scan"], ["tree"], ["discover"], ["lock"], ["check"], ["diff"], ["mirror", "pull"],
                                     ["db", "prune"], ["explain"], ["rules", "validate"], ["rules", "stats"], ["waive"]])
def test_every_option_in_help_says_what_it_takes_and_what_it_does(command):
    """`rules stats --help` showed '--rules-dir <list[Path]>' (a Python type) and `tree --help` an undescribed
    '--color / --no-color'."""
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "list[" not in result.output, "a Python type in --help (arguments or options)"
    options = result.output.split("Options:", 1)[1]
    for line in options.splitlines():
        if line.strip().startswith("--") and not line.strip().startswith("--help"):
            assert len(line.strip().split("  ", 1)) == 2, f"no help text: {line!r}"


def test_tree_titles_its_output_with_the_model_asked_for(tmp_path):
    """`licscan tree praxis/relevance-3b` was titled 'licscan: command line'."""
    result = runner.invoke(app, ["tree", "praxis/relevance-3b", "--no-color", "--mirror", str(EXAMPLE / "licscan-mirror")],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[0].strip() == "licscan: praxis/relevance-3b"
