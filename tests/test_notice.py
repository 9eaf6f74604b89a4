"""`licscan notice` and `scan --notice`: the attribution file, checked line by line against rules/."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from licscan.cli import app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "assistant-app"
RULES = ROOT / "rules"
ENV = {"SOURCE_DATE_EPOCH": "1767225600"}
runner = CliRunner()
EU_SAAS = """
[tool.licscan.context]
established_in = ["DE"]
user_regions = ["EU"]
monthly_active_users = 50000
use = ["saas"]
commercial = true
"""


@pytest.fixture()
def project(tmp_path):
    target = tmp_path / "assistant-app"
    shutil.copytree(EXAMPLE, target)
    return target


def sections(text: str) -> dict[str, list[str]]:
    """The notice file's lines under each model heading."""
    found: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        heading = re.match(r"^## `(.+)`$", line)
        if heading:
            current = found.setdefault(heading.group(1), [])
        elif current is not None and line:
            current.append(line)
    return found


def expected_from_rules(report: dict, modes: set[str] | None) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """From the rules files themselves (not licscan's loader): each binding licence's name, and the notices
    (text, first source's citation) due under the given uses (None: not said, so every one may be due)."""
    notices = {item["license"]: item for item in yaml.safe_load((RULES / "answers.yaml").read_text())["notices"]}
    names, due = {}, []
    for node in report["lineage"]["nodes"]:
        key = node["license_key"]
        if not key or key in names:
            continue
        names[key] = yaml.safe_load((RULES / "licenses" / f"{key}.yaml").read_text())["name"]
        notice = notices.get(key)
        if notice and (modes is None or modes & set(notice["modes"])) and not notice.get("above_thresholds"):
            due.append((notice["text"], notice["sources"][0]["citation"]))
    return names, due


@pytest.mark.parametrize("context", [None, EU_SAAS], ids=["no-context", "eu-saas"])
def test_the_notice_file_of_the_example_matches_rules_line_by_line(project, tmp_path, context):
    if context:
        (project / "pyproject.toml").write_text((project / "pyproject.toml").read_text() + context)
    out, report_file = tmp_path / "THIRD-PARTY-MODELS.md", tmp_path / "report.json"
    result = runner.invoke(app, ["notice", str(project), "--output", str(out)], env=ENV)
    assert result.exit_code == 0, result.output
    runner.invoke(app, ["scan", str(project), "--json", str(report_file)], env=ENV)
    report = json.loads(report_file.read_text())
    found = sections(out.read_text())
    assert list(found) == [model["id"] for model in report["models"]]
    for model in report["models"]:
        lines = found[model["id"]]
        names, due = expected_from_rules(model, {"saas"} if context else None)
        licence_lines = [line for line in lines if line.startswith("- ") and "could not be read" not in line]
        assert len(licence_lines) == len(names), (model["id"], lines)
        for line, (key, name) in zip(licence_lines, names.items()):
            assert line.startswith(f"- {name} ({key}), "), line
        quoted = [line[2:] for line in lines if line.startswith("> ")]
        sources = [line for line in lines if line.startswith("Source: ")]
        # Kimi K2's display duty is due only above its thresholds; 50,000 users is below one, and the context
        # gives no revenue, so it may be due and says what would decide it.
        if model["id"].startswith("moonshotai/"):
            assert quoted == ["Kimi K2"], quoted
            if context:
                assert any("may be due: the context does not give USD monthly revenue" in line for line in lines)
            continue
        assert quoted == [text for text, _ in due], model["id"]
        assert [line.rsplit(", read ", 1)[0] for line in sources] == [f"Source: {citation}" for _, citation in due]
    text = out.read_text()
    if context:
        assert "Gemma is provided under" not in text and "> Built with Llama" in text
    else:
        assert "> Gemma is provided under and subject to the Gemma Terms of Use found at ai.google.dev/gemma/terms" in text


def test_the_notice_names_an_ancestor_it_could_not_read(project, tmp_path):
    out = tmp_path / "n.md"
    runner.invoke(app, ["notice", str(project), "--output", str(out)], env=ENV)
    lines = sections(out.read_text())["anon/A-llama31-8b-43c09106"]
    assert "- `Nos-PT/Llama-Carvalho-PT-GL` could not be read (offline): its licence and any notice it requires " \
           "are not known." in lines
    assert "- Llama 3.1 Community License Agreement (llama3.1), through `unsloth/Meta-Llama-3.1-8B-Instruct`; " \
           "text: <https://github.com/meta-llama/llama-models>" in lines


def test_notice_is_deterministic_and_scan_notice_writes_the_same_file(project, tmp_path):
    first, second, from_scan = tmp_path / "1.md", tmp_path / "2.md", tmp_path / "3.md"
    runner.invoke(app, ["notice", str(project), "-o", str(first)], env=ENV)
    runner.invoke(app, ["notice", str(project), "-o", str(second)], env=ENV)
    runner.invoke(app, ["scan", str(project), "--notice", str(from_scan)], env=ENV)
    assert first.read_bytes() == second.read_bytes() == from_scan.read_bytes()


def test_a_model_name_cannot_inject_markup_into_the_notice(tmp_path):
    mirror = tmp_path / "mirror" / "evil" / "model"
    mirror.mkdir(parents=True)
    (mirror / "README.md").write_text("---\nlicense: mit\n---\n")
    (mirror / "info.json").write_text(json.dumps({"id": "evil/model", "sha": "c" * 40, "author": "evil"}))
    project = tmp_path / "p"
    project.mkdir()
    (project / "app.py").write_text('from x import M\nM.from_pretrained("evil/model")\n')
    result = runner.invoke(app, ["notice", str(project), "--mirror", str(tmp_path / "mirror")], env=ENV)
    assert result.exit_code == 0
    assert "- MIT (mit), its own licence; text: <https://spdx.org/licenses/MIT.html>" in result.output
