"""The parser defects hostile input found (issue #16), each pinned: a finding, a skip or exit 2, never a crash."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from licscan import safeyaml
from licscan.cards import parse_card
from licscan.cli import app
from licscan.errors import ParseError
from licscan.evaluation.licenses import spdx_normalize

runner = CliRunner()

# YAML that PyYAML parses but whose values its constructors cannot build.
UNCONSTRUCTIBLE = {
    "impossible date": "date: 2024-02-30\n",
    "int tag on a word": "n: !!int x\n",
    "bool tag on a word": "b: !!bool maybe\n",
    "timestamp tag on a word": "t: !!timestamp x\n",
    "integer past 4,300 digits": "n: " + "1" * 5000 + "\n",
}
DANGLING = ["mit OR", "apache-2.0 AND", "mit WITH", "(mit", "\ud800", "mit OR mit OR"]


def _scan(project: Path, tmp_path: Path, *extra: str, env: dict[str, str] | None = None):
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["scan", str(project), "--json", str(out), "--no-color", *extra], env=env,
                           catch_exceptions=False)
    return result, json.loads(out.read_text()) if out.exists() else None


def _project(tmp_path: Path, code: str) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(code)
    return project


def _mirror_repo(root: Path, repo_id: str, readme: str) -> None:
    folder = root / repo_id
    folder.mkdir(parents=True)
    (folder / "README.md").write_text(readme)
    (folder / "info.json").write_text(json.dumps({"id": repo_id, "sha": "e" * 40, "author": repo_id.split("/")[0],
                                                  "siblings": [{"rfilename": "README.md"}]}))


# -- 1. YAML that parses but cannot be constructed -------------------------------------------------------------

@pytest.mark.parametrize("text", UNCONSTRUCTIBLE.values(), ids=UNCONSTRUCTIBLE.keys())
def test_yaml_values_the_loader_cannot_build_are_a_parse_error(text):
    with pytest.raises(ParseError, match="cannot be read"):
        safeyaml.load(text, what="card")
    card = parse_card(f"---\nlicense: apache-2.0\n{text}---\n")
    assert card.license is None and "cannot be read" in card.problems[0]


@pytest.mark.parametrize("text", UNCONSTRUCTIBLE.values(), ids=UNCONSTRUCTIBLE.keys())
def test_a_card_the_loader_cannot_build_is_a_finding_through_the_mirror_never_a_pass(tmp_path, text):
    mirror = tmp_path / "mirror"
    _mirror_repo(mirror, "org/bad-card", f"---\nlicense: apache-2.0\n{text}---\n")
    project = _project(tmp_path, 'from x import M\nM.from_pretrained("org/bad-card")\n')
    result, report = _scan(project, tmp_path, "--mirror", str(mirror))
    assert "internal error" not in result.output and result.exit_code in (1, 3), result.output
    assert report["verdict"] != "pass"
    model = next(m for m in report["models"] if m["id"] == "org/bad-card")
    assert any(f["rule_id"] == "LS101" and "cannot be read" in f["message"] for f in model["findings"])


def test_a_card_the_loader_cannot_build_is_a_finding_through_the_hub(tmp_path):
    from handmade import add_repo
    from hubstub import HubStub

    root = tmp_path / "hub"
    add_repo(root, "org/bad-card", {"license": "apache-2.0"})
    (root / "org" / "bad-card" / "README.md").write_text("---\nlicense: apache-2.0\ndate: 2024-02-30\n---\n")
    info = json.loads((root / "org" / "bad-card" / "info.json").read_text())
    info.pop("cardData")  # nothing for the scan to fall back to: the card is all the evidence there is
    (root / "org" / "bad-card" / "info.json").write_text(json.dumps(info))
    project = _project(tmp_path, 'from x import M\nM.from_pretrained("org/bad-card")\n')
    with HubStub(root) as stub:
        result, report = _scan(project, tmp_path, env={"HF_ENDPOINT": stub.url})
    assert "internal error" not in result.output and result.exit_code in (1, 3), result.output
    assert report["verdict"] != "pass"
    model = next(m for m in report["models"] if m["id"] == "org/bad-card")
    assert any("cannot be read" in f["message"] for f in model["findings"])


@pytest.mark.parametrize("name, body", [
    (".licscan.yaml", "max_depth: !!int x\n"),
    (".licscan.yaml", "project: 2024-02-30\n"),
    ("pyproject.toml", "[tool.licscan]\nmax_depth = " + "9" * 5000 + "\n"),
])
def test_a_configuration_the_loader_cannot_build_is_exit_2_naming_the_file(tmp_path, name, body):
    project = tmp_path / "p"
    project.mkdir()
    (project / name).write_text(body)
    result = runner.invoke(app, ["scan", str(project)])
    assert result.exit_code == 2, result.output
    assert name in result.output and "internal error" not in result.output


# -- 2. Licence expressions license-expression cannot parse ----------------------------------------------------

@pytest.mark.parametrize("expression", DANGLING)
def test_an_expression_that_does_not_parse_is_unidentified(expression):
    assert spdx_normalize(expression) is None


def _safetensors(path: Path, metadata: dict) -> None:
    header = json.dumps({"__metadata__": metadata}).encode()
    path.write_bytes(len(header).to_bytes(8, "little") + header)


@pytest.mark.parametrize("expression", DANGLING)
def test_a_dangling_expression_in_safetensors_metadata_is_an_unknown_licence_finding(tmp_path, expression):
    project = tmp_path / "p"
    project.mkdir()
    _safetensors(project / "lora.safetensors", {"format": "pt", "license": expression})
    result, report = _scan(project, tmp_path, "--mirror", str(Path(__file__).parent / "data" / "hub"))
    assert "internal error" not in result.output and result.exit_code == 1, result.output
    (model,) = report["models"]
    assert any(f["rule_id"] == "LS111" and f["fails"] for f in model["findings"])


# -- 3. Settings the platform cannot hold -----------------------------------------------------------------------

@pytest.mark.parametrize("epoch, message", [
    ("99999999999999999999", "outside the dates"), ("-99999999999999", "outside the dates"),
    ("soon", "must be an integer"),
])
def test_a_source_date_epoch_the_platform_cannot_show_is_exit_2(tmp_path, epoch, message):
    project = _project(tmp_path, "x = 1\n")
    result = runner.invoke(app, ["scan", str(project)], env={"SOURCE_DATE_EPOCH": epoch})
    assert result.exit_code == 2 and message in result.output, result.output


@pytest.mark.parametrize("url", ["postgresql://user:secret@db.example:abc/licscan",
                                 "postgresql://user:secret@db.example:99999999/licscan",
                                 "postgresql://user:secret/licscan"])
def test_a_database_url_with_a_port_that_is_not_a_number_is_exit_2_without_the_password(tmp_path, url):
    project = _project(tmp_path, "x = 1\n")
    for args in (["scan", str(project)], ["db", "path"]):
        result = runner.invoke(app, args, env={"LICSCAN_DB_URL": url})
        assert result.exit_code == 2, result.output
        assert "port" in result.output and "secret" not in result.output and "internal error" not in result.output


# -- 4. Header counts and lengths checked before anything is allocated ------------------------------------------

def _string(text: str) -> bytes:
    return struct.pack("<Q", len(text.encode())) + text.encode()


# Run in a child with a memory ceiling and a time limit, so that a reader that trusts the header fails the test
# (MemoryError, a time-out) instead of taking the machine with it.
_BOUNDED_DISCOVERY = textwrap.dedent("""
    import json, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
    from licscan.discovery import discover
    from licscan.model import DiscoverySettings
    result = discover(__import__("pathlib").Path(sys.argv[1]), DiscoverySettings(cache_path=None, workers=1))
    print(json.dumps({"skipped": [[s.path, s.reason, s.detail] for s in result.skipped],
                      "models": [[m.key, m.card.license] for m in result.local_models]}))
""")


def _discover_bounded(folder: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", _BOUNDED_DISCOVERY, str(folder)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_a_gguf_header_claiming_2_to_the_40_array_items_is_skipped_with_the_reason(tmp_path):
    bomb = b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + _string("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, 2**40)
    (tmp_path / "bomb.gguf").write_bytes(bomb.ljust(69, b"\x00"))
    assert len((tmp_path / "bomb.gguf").read_bytes()) == 69
    found = _discover_bounded(tmp_path)
    ((path, reason, detail),) = found["skipped"]
    assert (path, reason) == ("bomb.gguf", "parse-error") and "1099511627776 items" in detail


def test_a_gguf_array_longer_than_the_file_is_skipped_as_truncated(tmp_path):
    claim = b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + _string("general.tags") + struct.pack("<IIQ", 9, 8, 1_000_000)
    (tmp_path / "short.gguf").write_bytes(claim + _string("a") * 10)
    found = _discover_bounded(tmp_path)
    ((path, reason, detail),) = found["skipped"]
    assert reason == "parse-error" and "truncated" in detail and "1000000 items" in detail


def test_two_million_empty_strings_are_walked_over_in_bounded_memory(tmp_path):
    count = 2_000_000
    data = (b"GGUF" + struct.pack("<IQQ", 3, 0, 2) + _string("general.license") + struct.pack("<I", 8) + _string("mit")
            + _string("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, count) + b"\x00" * (8 * count))
    (tmp_path / "vocab.gguf").write_bytes(data)
    found = _discover_bounded(tmp_path)
    assert found == {"skipped": [], "models": [["local:vocab.gguf", "mit"]]}


def test_a_safetensors_header_longer_than_the_file_or_of_millions_of_values_is_skipped(tmp_path):
    (tmp_path / "claims.safetensors").write_bytes((5_000_000).to_bytes(8, "little") + b"{" + b" " * 70_000)
    values = b"{" + b",".join(b'"%d":0' % i for i in range(1_100_000)) + b"}"
    (tmp_path / "values.safetensors").write_bytes(len(values).to_bytes(8, "little") + values)
    found = _discover_bounded(tmp_path)
    skipped = {path: (reason, detail) for path, reason, detail in found["skipped"]}
    assert skipped["claims.safetensors"][0] == "parse-error" and "claims 5000000 bytes" in skipped["claims.safetensors"][1]
    assert skipped["values.safetensors"][0] == "too-large" and "JSON values" in skipped["values.safetensors"][1]
