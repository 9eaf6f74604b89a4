"""The CI and audit formats: SARIF for code scanning, JUnit for test dashboards, the HTML report for legal teams."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from licscan.cli import app

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "assistant-app"
runner = CliRunner()


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """One scan of the example written in every file format, twice (for determinism)."""
    base = tmp_path_factory.mktemp("reports")
    project = base / "assistant-app"
    shutil.copytree(EXAMPLE, project)
    written = {}
    for run in ("a", "b"):
        files = {fmt: base / f"{run}.{fmt}" for fmt in ("json", "sarif", "junit", "html", "markdown", "cyclonedx", "spdx")}
        args = ["scan", str(project)]
        for fmt, path in files.items():
            args += [f"--{fmt}", str(path)]
        result = runner.invoke(app, args, env={"SOURCE_DATE_EPOCH": "1767225600"})
        assert result.exit_code == 1, result.output
        written[run] = files
    return written


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit", "html", "markdown", "cyclonedx", "spdx"])
def test_every_file_format_is_byte_identical_for_the_same_input(outputs, fmt):
    assert outputs["a"][fmt].read_bytes() == outputs["b"][fmt].read_bytes()


def test_sarif_links_each_result_to_its_rule_and_to_the_line_that_names_the_model(outputs):
    sarif = json.loads(outputs["a"]["sarif"].read_text())
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert all(rule["helpUri"].endswith(rule["id"].lower()) for rule in rules)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    relabel = next(r for r in run["results"]
                   if r["ruleId"] == "LS112" and r["properties"]["model"] == "anon/AA-llama32-3b-c205633c")
    assert relabel["level"] == "error"
    places = {(loc["physicalLocation"]["artifactLocation"]["uri"], loc["physicalLocation"]["region"]["startLine"])
              for loc in relabel["locations"]}
    assert ("app/chat.py", 10) in places
    notes = [r for r in run["results"] if not r["properties"]["fails"] and r["properties"]["severity"] == "low"]
    assert notes and {r["level"] for r in notes} == {"note"}


def test_sarif_points_at_a_file_whose_name_needs_escaping_in_a_uri(tmp_path):
    """SARIF locations are URI references: "my model #2.py" must not read as "my" with a fragment."""
    from urllib.parse import unquote

    project = tmp_path / "project"
    (project / "app dir").mkdir(parents=True)
    (project / "app dir" / "my model #2 100%.py").write_text('from x import M\nM.from_pretrained("org/a")\n')
    (tmp_path / "mirror").mkdir()
    out = tmp_path / "r.sarif"
    runner.invoke(app, ["scan", str(project), "--mirror", str(tmp_path / "mirror"), "--sarif", str(out)])
    results = json.loads(out.read_text())["runs"][0]["results"]
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for r in results for loc in r["locations"]}
    assert uris == {"app%20dir/my%20model%20%232%20100%25.py"}
    assert {unquote(uri) for uri in uris} == {"app dir/my model #2 100%.py"}


def test_junit_has_a_case_per_failing_finding_and_one_per_model_without(outputs):
    """The strict JUnit schema allows one failure per test case: a model with two failing findings is two cases."""
    suite = ET.parse(outputs["a"]["junit"]).getroot()
    cases = list(suite.iter("testcase"))
    report = json.loads(outputs["a"]["json"].read_text())
    assert int(suite.get("tests")) == len(cases)
    for model in report["models"]:
        own = [case for case in cases if case.get("name") == model["id"] or case.get("name").startswith(model["id"] + " ")]
        failing = [finding for finding in model["findings"] if finding["fails"]]
        assert len(own) == max(len(failing), 1), model["id"]
        assert sorted(f.get("type") for case in own for f in case.iter("failure")) == \
            sorted(f"{finding['rule_id']} {finding['kind']}" for finding in failing)
    assert all(len(list(case.iter("failure"))) <= 1 for case in cases)
    codestral = [case for case in cases if case.get("name").startswith("bartowski/Codestral-22B-v0.1-GGUF")]
    assert [f.get("type") for case in codestral for f in case.iter("failure")] == ["LS120 non-commercial"]
    assert int(suite.get("failures")) == sum(1 for case in cases if list(case.iter("failure")))


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.external, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            # Links a reader follows (licence texts, sources) are not loads; anything the page would load is.
            if name in ("src", "href") and value and not value.startswith("#") and not (
                    tag == "a" and name == "href" and value.startswith("https://")):
                self.external.append(value)

    def handle_data(self, data):
        self.text.append(data)


def test_html_report_is_self_contained_and_shows_ancestry_terms_and_sources(outputs):
    page = _Collector()
    page.feed(outputs["a"]["html"].read_text())
    text = " ".join("".join(page.text).split())
    assert "script" not in page.tags and "link" not in page.tags and page.external == []
    assert "Blocked" in text and "fails" in text and "anon/AA-llama32-3b-c205633c" in text
    assert "meta-llama/Llama-3.2-3B" in text and "Meta Platforms, Inc." in text
    assert "renamed from meta-llama/Meta-Llama-3.1-8B-Instruct" in text
    assert "Nos-PT/Llama-Carvalho-PT-GL: could not be read (offline)" in text
    # Legal readers get the licence records behind the verdict, with sources and dates.
    assert "Appendix B: licences" in text and "Appendix C: sources" in text
    assert "Qwen RESEARCH LICENSE AGREEMENT" in text and "read 2025-07-15; primary" in text


def test_html_escapes_hostile_card_text(tmp_path):
    mirror = tmp_path / "mirror" / "evil" / "model"
    mirror.mkdir(parents=True)
    (mirror / "README.md").write_text('---\nlicense: other\nlicense_name: "<img src=x onerror=alert(1)>"\n---\n')
    (mirror / "info.json").write_text(json.dumps({"id": "evil/model", "sha": "c" * 40, "author": "evil"}))
    project = tmp_path / "p"
    project.mkdir()
    (project / "app.py").write_text('from x import M\nM.from_pretrained("evil/model")\n')
    out = tmp_path / "r.html"
    runner.invoke(app, ["scan", str(project), "--mirror", str(tmp_path / "mirror"), "--html", str(out)])
    page = _Collector()
    page.feed(out.read_text())
    assert "img" not in page.tags and "&lt;img src=x onerror=alert(1)&gt;" in out.read_text()


def test_every_registered_format_renders_and_names_itself(tmp_path):
    from licscan.config import data_dir, load_config
    from licscan.reporting import REGISTRY, formats
    from licscan.scan import scan

    project = tmp_path / "assistant-app"
    shutil.copytree(EXAMPLE, project)
    result = scan(load_config(project))
    rendered = formats(data_dir("reports"))
    assert set(rendered) == set(REGISTRY)
    for name, fmt in rendered.items():
        assert fmt.name == name
        assert "AA-llama32-3b-c205633c" in fmt.render(result).replace("\\", ""), name


def test_sboms_carry_every_ancestor_and_the_lineage(outputs, tmp_path):
    project = outputs["a"]["json"].parent / "assistant-app"
    cdx_file, spdx_file = tmp_path / "bom.cdx.json", tmp_path / "bom.spdx.json"
    runner.invoke(app, ["scan", str(project), "--cyclonedx", str(cdx_file), "--spdx", str(spdx_file)],
                  env={"SOURCE_DATE_EPOCH": "1767225600"})
    cdx = json.loads(cdx_file.read_text())
    refs = {c["bom-ref"]: c for c in cdx["components"]}
    assert refs["meta-llama/Llama-3.2-3B"]["type"] == "machine-learning-model"
    assert refs["meta-llama/Llama-3.2-3B"]["licenses"][0]["license"]["name"] == "Llama 3.2 Community License Agreement"
    assert refs["BAAI/bge-m3"]["purl"].startswith("pkg:huggingface/BAAI/bge-m3@")
    deps = {d["ref"]: d.get("dependsOn", []) for d in cdx["dependencies"]}
    assert deps["anon/AA-llama32-3b-c205633c"] == ["meta-llama/Llama-3.2-3B"]
    spdx = json.loads(spdx_file.read_text())
    assert spdx["spdxVersion"] == "SPDX-2.3"
    names = {p["SPDXID"]: p["name"] for p in spdx["packages"]}
    assert "meta-llama/Llama-3.2-3B" in names.values()
    llama = next(p for p in spdx["packages"] if p["name"] == "meta-llama/Llama-3.2-3B")
    assert llama["licenseDeclared"] == "LicenseRef-licscan-llama3.2"
    assert any(info["licenseId"] == "LicenseRef-licscan-llama3.2" for info in spdx["hasExtractedLicensingInfos"])
    assert any(r["relationshipType"] == "DESCENDANT_OF" for r in spdx["relationships"])


def test_sboms_list_a_model_that_could_not_be_resolved_with_the_reason(outputs, tmp_path):
    """The example's merge names Nos-PT/Llama-Carvalho-PT-GL, which is not in its mirror: an inventory that
    left it out would hide a model the project ships."""
    project = outputs["a"]["json"].parent / "assistant-app"
    cdx_file, spdx_file = tmp_path / "bom.cdx.json", tmp_path / "bom.spdx.json"
    runner.invoke(app, ["scan", str(project), "--cyclonedx", str(cdx_file), "--spdx", str(spdx_file)],
                  env={"SOURCE_DATE_EPOCH": "1767225600"})
    missing, merge = "Nos-PT/Llama-Carvalho-PT-GL", "anon/A-llama31-8b-43c09106"
    cdx = json.loads(cdx_file.read_text())
    component = next(c for c in cdx["components"] if c["bom-ref"] == missing)
    properties = {p["name"]: p["value"] for p in component["properties"]}
    assert properties["licscan:unresolved"] == "offline" and "not in the mirror" in properties["licscan:unresolved-detail"]
    assert "licenses" not in component
    assert missing in {d["ref"]: d.get("dependsOn", []) for d in cdx["dependencies"]}[merge]
    spdx = json.loads(spdx_file.read_text())
    package = next(p for p in spdx["packages"] if p["name"] == missing)
    assert package["licenseDeclared"] == "NOASSERTION" and "unresolved (offline)" in package["comment"]
    ids = {p["name"]: p["SPDXID"] for p in spdx["packages"]}
    assert {"spdxElementId": ids[merge], "relatedSpdxElement": ids[missing], "relationshipType": "DESCENDANT_OF"} \
        in spdx["relationships"]


@pytest.mark.parametrize("code", ["", 'from x import M\nM.from_pretrained("nobody/not-in-the-mirror")\n'],
                         ids=["no-models", "only-unresolved"])
def test_every_format_is_written_for_a_project_without_a_resolved_model(tmp_path, code):
    """A project with no model (a CI gate on a plain repository) or whose only model is unresolved still gets
    every report: exit 0 or 3 with the files written, never an internal error."""
    from licscan.reporting import REGISTRY

    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(code)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    args = ["scan", str(project), "--mirror", str(mirror)]
    for fmt in REGISTRY:
        if fmt != "text":  # the terminal summary, printed
            args += [f"--{fmt}", str(tmp_path / f"report.{fmt}")]
    result = runner.invoke(app, args, env={"SOURCE_DATE_EPOCH": "1767225600"})
    assert result.exit_code == (3 if code else 0), result.output
    assert "internal error" not in result.output
    for fmt in REGISTRY:
        if fmt != "text":  # the terminal summary, printed
            written = (tmp_path / f"report.{fmt}").read_text()
            assert ("not-in-the-mirror" in written) == bool(code), fmt


def test_the_markdown_summary_fits_a_pull_request_comment_and_says_what_it_leaves_out(tmp_path):
    """A merge naming 800 bases missing from the mirror: 800 failing findings would make a summary GitHub refuses
    as a comment (65,536 characters); it is cut, with the counts and where the rest is."""
    from licscan.reporting.markdown import MAX_SUMMARY_CHARS

    mirror = tmp_path / "mirror"
    folder = mirror / "org" / "merge"
    folder.mkdir(parents=True)
    bases = "".join(f"  - org/missing-base-{number}\n" for number in range(800))
    (folder / "README.md").write_text(f"---\nlicense: mit\nbase_model:\n{bases}---\n")
    (folder / "info.json").write_text(json.dumps({"id": "org/merge", "sha": "a" * 40, "author": "org"}))
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text('from x import M\nM.from_pretrained("org/merge")\n')
    summary, report = tmp_path / "summary.md", tmp_path / "report.json"
    runner.invoke(app, ["scan", str(project), "--mirror", str(mirror), "--markdown", str(summary), "--json", str(report)])
    failing = sum(1 for finding in json.loads(report.read_text())["findings"] if finding["fails"])
    assert failing >= 800
    text = summary.read_text()
    assert len(text) <= MAX_SUMMARY_CHARS
    assert f"; {failing} failing findings." in text  # the counts are the whole scan's
    listed = text.count("- **[LS100](")
    assert 0 < listed < failing and f"- … and {failing - listed} more: see the JSON or HTML report" in text
    assert "org/missing-base-0`" in text
