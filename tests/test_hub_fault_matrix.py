"""Every piece of evidence resolution reads, under every fault the Hub stand-in can serve: never a false pass.

Each case is a model whose evidence fails it (a LICENSE that contradicts its card, a config.json or a GGUF
header that names another base model, a non-commercial training dataset). When that evidence cannot be read,
the scan must end "fail" or "incomplete", never "pass"; when the fault is transient and goes away, the retry
reads the evidence and the scan fails as it should.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from typer.testing import CliRunner

from handmade import add_repo, stand_in_license
from hubstub import HubStub
from licscan.cli import app
from licscan.resolution import hub as hub_source

runner = CliRunner()

POLICY = """schema: licscan-policy/1
name: evidence-matrix
description: The default policy, also failing on base-model contradictions and non-commercial training data.
fail_on: [LS102, LS111, LS112, LS113, LS120, LS123]
fail_closed: true
waivers: []
"""


def _gguf(base: str) -> bytes:
    """A GGUF header prefix whose general.base_model names `base`."""
    def string(text: str) -> bytes:
        data = text.encode()
        return struct.pack("<Q", len(data)) + data

    pairs = [string("general.base_model.count") + struct.pack("<II", 4, 1),
             string("general.base_model.0.repo_url") + struct.pack("<I", 8) + string(f"https://huggingface.co/{base}")]
    return b"GGUF" + struct.pack("<IQQ", 3, 0, len(pairs)) + b"".join(pairs) + b"\0" * 64


# evidence -> (model id, the file whose loss must not clear it, the repo that holds it, the rule it fails)
EVIDENCE = {
    "README.md": ("someone/relabelled", "README.md", "someone/relabelled", "LS113"),
    "LICENSE": ("someone/relabelled", "LICENSE", "someone/relabelled", "LS113"),
    "config.json": ("someone/config-tune", "config.json", "someone/config-tune", "LS102"),
    "gguf": ("someone/gguf-quant", "model-Q4_K_M.gguf", "someone/gguf-quant", "LS102"),
    "dataset card": ("someone/data-tune", "README.md", "datasets/acme/nc-data", "LS123"),
}
FAULTS = [404, 429, 500, 502, 503, "reset", "truncated", "drip", "oversized", "drip-headers", "silent"]
TRANSIENT = [429, 500, 502, 503, "reset", "truncated", "drip", "drip-headers", "silent"]


def _repos(root: Path) -> None:
    add_repo(root, "acme/apache-base", {"license": "apache-2.0"})
    add_repo(root, "someone/relabelled", {"license": "apache-2.0"},
             files={"LICENSE": stand_in_license("Qwen RESEARCH LICENSE AGREEMENT")})
    add_repo(root, "someone/config-tune", {"license": "apache-2.0", "base_model": "acme/apache-base"},
             files={"config.json": json.dumps({"_name_or_path": "elsewhere/other-model"})})
    add_repo(root, "someone/gguf-quant", {"license": "apache-2.0", "base_model": "acme/apache-base"},
             files={"model-Q4_K_M.gguf": _gguf("elsewhere/other-model")})
    add_repo(root, "someone/data-tune", {"license": "apache-2.0", "datasets": ["acme/nc-data"]})
    add_repo(root, "acme/nc-data", {"license": "cc-by-nc-4.0"}, dataset=True, info={"cardData": {}})


@pytest.fixture(scope="module")
def stub(tmp_path_factory):
    root = tmp_path_factory.mktemp("hub")
    _repos(root)
    with HubStub(root) as running:
        yield running


@pytest.fixture(autouse=True)
def _fast_limits(stub, monkeypatch):
    """Small bounds so every fault is over in well under a second: no backoff, a short deadline."""
    monkeypatch.setattr(hub_source, "BACKOFF_START", 0.0)
    monkeypatch.setattr(hub_source, "REQUEST_DEADLINE", 0.5, raising=False)
    stub.retry_after = 0
    stub.drip_seconds = 0.1
    stub.file_faults.clear()
    stub.faults.clear()


def _scan(tmp_path: Path, stub: HubStub, model: str) -> tuple[int, dict]:
    project = tmp_path / "project"
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text(f'[tool.licscan]\nmodels = ["{model}"]\ntimeout = 2\n')
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    out = tmp_path / "report.json"
    env = {"LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'cache.db'}", "HF_ENDPOINT": stub.url}
    result = runner.invoke(app, ["scan", str(project), "--json", str(out), "--no-color", "--policy", str(policy)],
                           env=env, catch_exceptions=False)
    return result.exit_code, json.loads(out.read_text())


def _failing_rules(report: dict) -> set[str]:
    return {finding["rule_id"] for finding in report["findings"] if finding["fails"]}


def test_every_evidence_case_fails_when_nothing_goes_wrong(tmp_path, stub):
    for name, (model, _, _, rule) in EVIDENCE.items():
        code, report = _scan(tmp_path / name.replace(" ", "-"), stub, model)
        # LS102 is a lineage finding: failing it makes the verdict "incomplete" rather than "fail".
        assert rule in _failing_rules(report) and report["verdict"] != "pass" and code != 0, name


@pytest.mark.parametrize("fault", FAULTS, ids=str)
@pytest.mark.parametrize("evidence", sorted(EVIDENCE))
def test_evidence_that_cannot_be_read_never_passes(tmp_path, stub, evidence, fault):
    model, filename, repo, rule = EVIDENCE[evidence]
    stub.file_faults[(repo, filename)] = [fault] * 20
    code, report = _scan(tmp_path, stub, model)
    assert report["verdict"] != "pass" and code != 0, (evidence, fault)
    if rule not in _failing_rules(report):  # the report says which evidence is missing, and why
        assert report["verdict"] == "incomplete" and any(filename in finding["message"] and "evidence missing" in finding["message"]
                   for finding in report["findings"] if finding["rule_id"] == "LS100"), report["findings"]


@pytest.mark.parametrize("fault", TRANSIENT, ids=str)
@pytest.mark.parametrize("evidence", sorted(EVIDENCE))
def test_a_transient_fault_is_retried_and_the_evidence_still_fails_the_model(tmp_path, stub, evidence, fault):
    model, filename, repo, rule = EVIDENCE[evidence]
    stub.file_faults[(repo, filename)] = [fault]
    code, report = _scan(tmp_path, stub, model)
    assert rule in _failing_rules(report) and code != 0, (evidence, fault, _failing_rules(report))
    assert not any(finding["rule_id"] == "LS100" for finding in report["findings"])
