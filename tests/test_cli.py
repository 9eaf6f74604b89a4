"""End to end through the command line: the example project, the Hub stand-in, exit codes, bad input."""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from licscan.cli import app

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "assistant-app"
runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def example(tmp_path) -> Path:
    """A private copy of the example project, so a test can change it."""
    target = tmp_path / "assistant-app"
    shutil.copytree(EXAMPLE, target)
    return target


def scan_json(project: Path, tmp_path: Path, *extra: str, env=None):
    out = tmp_path / "report.json"
    result = run("scan", str(project), "--json", str(out), "--no-color", *extra, env=env)
    return result, json.loads(out.read_text()) if out.exists() else None


def model(report: dict, model_id: str) -> dict:
    return next(item for item in report["models"] if item["id"] == model_id)


def test_example_scan_fails_on_real_findings_and_shows_the_ancestry(example, tmp_path):
    result, report = scan_json(example, tmp_path)
    assert result.exit_code == 1, result.output
    assert report["schema"] == "licscan-report/1" and report["verdict"] == "fail"
    # The Llama 3.2 derivative that declares MIT: the relabel names the Llama ancestor.
    llama = model(report, "anon/AA-llama32-3b-c205633c")
    assert [n["id"] for n in llama["lineage"]["nodes"]] == ["anon/AA-llama32-3b-c205633c", "meta-llama/Llama-3.2-3B"]
    assert llama["lineage"]["edges"] == [
        {"child": "anon/AA-llama32-3b-c205633c", "parent": "meta-llama/Llama-3.2-3B", "relation": "finetune",
         "evidence": "inferred"}
    ]
    relabel = [f for f in llama["findings"] if f["kind"] == "license-relabel"]
    assert relabel and relabel[0]["ancestor"] == "meta-llama/Llama-3.2-3B" and relabel[0]["fails"]
    assert set(llama["effective"]["licenses"]) == {"mit", "llama3.2"}
    assert llama["effective"]["commercial_use"] == "conditional"
    root = llama["lineage"]["nodes"][1]
    assert root["origin"]["organization"].startswith("Meta Platforms") and root["origin"]["country"] == "US"
    assert llama["occurrences"][0]["path"] == "app/chat.py" and llama["occurrences"][0]["line"]
    # A pinned revision keeps its occurrence and its key.
    qwen = model(report, "Qwen/Qwen2.5-7B-Instruct@main")
    assert [(o["path"], o["revision"]) for o in qwen["occurrences"]] == [("app/chat.py", "main")]
    # Every occurrence discovery found is attached to a model: none lost between the stages.
    assert sum(len(m["occurrences"]) for m in report["models"]) == 12
    # Non-commercial: Codestral GGUF under MNPL, the Qwen research reranker.
    assert model(report, "bartowski/Codestral-22B-v0.1-GGUF")["effective"]["commercial_use"] == "non-commercial"
    assert model(report, "praxis/relevance-3b")["effective"]["commercial_use"] == "non-commercial"
    # The GLM quantization: the publisher of its base is on the BIS Entity List.
    glm = model(report, "ubergarm/GLM-4.6-GGUF")
    assert any(f["kind"] == "entity-list" and f["ancestor"] == "zai-org/GLM-4.6" for f in glm["findings"])
    assert "CN" in glm["effective"]["origin_countries"]
    # The local adapter is a lineage root with an adapter edge to its Qwen base.
    adapter = model(report, "local:models/support-lora")
    assert adapter["lineage"]["edges"][0]["relation"] == "adapter"
    assert adapter["lineage"]["edges"][0]["parent"] == "Qwen/Qwen2.5-0.5B-Instruct"
    # The merge names a parent that is not in the mirror: unresolved, shown, never clear.
    merge = model(report, "anon/A-llama31-8b-43c09106")
    assert [u["id"] for u in merge["lineage"]["unresolved"]] == ["Nos-PT/Llama-Carvalho-PT-GL"]
    assert merge["effective"]["commercial_use"] == "unknown"
    assert {e["relation"] for e in merge["lineage"]["edges"] if e["child"] == merge["id"]} == {"merge"}
    # The model declared in pyproject.toml for run-time selection is scanned too.
    assert model(report, "moonshotai/Kimi-K2-Instruct-0905")["occurrences"][0]["path"] == "pyproject.toml"
    # The terminal shows the tree and the verdict.
    assert "meta-llama/Llama-3.2-3B" in result.output and "FAIL" in result.output
    assert "Nos-PT/Llama-Carvalho-PT-GL" in result.output


def test_json_report_is_byte_identical_for_the_same_input(example, tmp_path):
    env = {"SOURCE_DATE_EPOCH": "1767225600"}
    first = tmp_path / "a.json"
    second = tmp_path / "b.json"
    run("scan", str(example), "--json", str(first), env=env)
    run("scan", str(example), "--json", str(second), env=env)
    assert first.read_bytes() == second.read_bytes()
    assert json.loads(first.read_text())["generated_at"] == "2026-01-01T00:00:00Z"


def test_reports_do_not_depend_on_where_the_project_is_checked_out(tmp_path, monkeypatch):
    """Two clones in different folders, each scanned from its own root as CI does (`licscan scan .`): the same
    report bytes, and no folder of the machine in them (the example's mirror lies inside the project, and a
    repo missing from it is reported)."""
    env = {"SOURCE_DATE_EPOCH": "1767225600"}
    outputs = {}
    for place in ("first-workspace", "second/workspace"):
        project = tmp_path / place / "assistant-app"
        shutil.copytree(EXAMPLE, project)
        out = tmp_path / "reports" / place.replace("/", "-")
        out.mkdir(parents=True)
        monkeypatch.chdir(project)
        run("scan", ".", "--json", str(out / "r.json"), "--sarif", str(out / "r.sarif"),
            "--junit", str(out / "r.xml"), "--markdown", str(out / "r.md"), "--html", str(out / "r.html"), "--no-color", env=env)
        outputs[place] = {path.name: path.read_bytes() for path in sorted(out.iterdir())}
    first, second = outputs.values()
    assert first.keys() == {"r.json", "r.sarif", "r.xml", "r.md", "r.html"}
    assert first == second
    for data in first.values():
        assert str(tmp_path).encode() not in data
    assert b"is not in the mirror at licscan-mirror" in first["r.json"]


@pytest.mark.parametrize("target", ["a-file/report.json", "a-folder"])
def test_a_report_path_that_cannot_be_written_is_a_usage_error(example, tmp_path, target):
    (tmp_path / "a-file").write_text("")
    (tmp_path / "a-folder").mkdir()
    result = run("scan", str(example), "--json", str(tmp_path / target))
    assert result.exit_code == 2, result.output
    assert f"cannot write {tmp_path / target}" in result.output and "internal error" not in result.output
    assert not [path.name for path in tmp_path.rglob(".*.tmp")]  # no half-written file left behind


def test_a_cache_url_that_does_not_parse_is_a_configuration_error(example):
    result = run("scan", str(example), env={"LICSCAN_DB_URL": "postgres-at-db1"})
    assert result.exit_code == 2, result.output
    assert "is not a valid SQLAlchemy URL" in result.output and "sqlite:///" in result.output


def test_markdown_summary_lists_failing_findings(example, tmp_path):
    out = tmp_path / "summary.md"
    run("scan", str(example), "--markdown", str(out))
    text = out.read_text()
    assert text.startswith("## licscan: FAIL")
    assert "**[LS112](https://github.com/licscan/licscan/blob/main/README.md#rule-ls112)** " \
           "`anon/AA-llama32-3b-c205633c`" in text
    assert "`Nos-PT/Llama-Carvalho-PT-GL` (offline)" in text


def test_quiet_prints_one_line_per_model_and_the_verdict_line(example):
    result = run("scan", str(example), "--quiet", "--no-color")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 11 and lines[-1].startswith("FAIL")
    assert "BLOCKED BAAI/bge-m3 LS141" in lines and "OK-WITH-OBLIGATIONS local:models/support-lora" in lines


def write_project(tmp_path: Path, code: str, **files: str) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(textwrap.dedent(code))
    for name, body in files.items():
        (project / name).write_text(textwrap.dedent(body))
    return project


def test_a_clean_project_passes_against_the_hub_stand_in(tmp_path, hub_stub):
    project = write_project(tmp_path, 'from transformers import AutoModel\nAutoModel.from_pretrained("Qwen/Qwen2.5-7B-Instruct")\n')
    result, report = scan_json(project, tmp_path, env={"HF_ENDPOINT": hub_stub.url})
    assert result.exit_code == 0, result.output
    assert report["verdict"] == "pass"
    nodes = model(report, "Qwen/Qwen2.5-7B-Instruct")["lineage"]["nodes"]
    assert [n["id"] for n in nodes] == ["Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-7B"]
    assert all(len(n["revision"]) == 40 for n in nodes)
    assert ("GET", "/api/models/Qwen/Qwen2.5-7B") in [(m, p.split("?")[0]) for m, p in hub_stub.requests]


def test_a_renamed_base_is_followed_and_both_ids_are_kept(tmp_path, hub_stub):
    project = write_project(tmp_path, 'from x import M\nM.from_pretrained("unsloth/Meta-Llama-3.1-8B-Instruct")\n')
    result, report = scan_json(project, tmp_path, env={"HF_ENDPOINT": hub_stub.url})
    nodes = model(report, "unsloth/Meta-Llama-3.1-8B-Instruct")["lineage"]["nodes"]
    renamed = next(n for n in nodes if n["id"] == "meta-llama/Llama-3.1-8B-Instruct")
    assert renamed["aliases"] == ["meta-llama/Meta-Llama-3.1-8B-Instruct"]
    assert nodes[-1]["id"] == "meta-llama/Llama-3.1-8B"


def test_rate_limited_hub_makes_the_scan_incomplete_with_exit_3(tmp_path, hub_stub):
    hub_stub.faults["Qwen/Qwen2.5-7B"] = [429] * 20
    hub_stub.retry_after = 0
    project = write_project(tmp_path, 'from x import M\nM.from_pretrained("Qwen/Qwen2.5-7B-Instruct")\n')
    result, report = scan_json(project, tmp_path, env={"HF_ENDPOINT": hub_stub.url})
    assert result.exit_code == 3, result.output
    assert report["verdict"] == "incomplete"
    unresolved = model(report, "Qwen/Qwen2.5-7B-Instruct")["lineage"]["unresolved"]
    assert unresolved[0]["id"] == "Qwen/Qwen2.5-7B" and unresolved[0]["reason"] == "rate-limited"
    assert "rate-limited" in result.output


def test_a_missing_model_is_a_failing_finding_not_an_incomplete_scan(tmp_path, hub_stub):
    """The Hub's 404 is an answer: exit 1 with LS103, never 3 (which a CI retries as a network failure)."""
    project = write_project(tmp_path, 'from x import M\nM.from_pretrained("nobody/never-existed")\n')
    result, report = scan_json(project, tmp_path, env={"HF_ENDPOINT": hub_stub.url})
    assert result.exit_code == 1, result.output
    assert report["verdict"] == "fail"
    assert model(report, "nobody/never-existed")["lineage"]["unresolved"][0]["reason"] == "not-found"
    (finding,) = [f for f in report["findings"] if f["model"] == "nobody/never-existed"]
    assert finding["rule_id"] == "LS103" and finding["fails"] and "does not exist on the Hub" in finding["message"]


def test_the_hub_token_never_reaches_the_report_or_the_output(tmp_path, hub_stub):
    token = "hf_SecretTokenValue1234567890"
    hub_stub.faults["Qwen/Qwen2.5-7B"] = ["echo-token"] * 20
    project = write_project(tmp_path, 'from x import M\nM.from_pretrained("Qwen/Qwen2.5-7B-Instruct")\n')
    out = tmp_path / "r.json"
    result = run("scan", str(project), "--json", str(out), env={"HF_ENDPOINT": hub_stub.url, "HF_TOKEN": token})
    assert result.exit_code == 3
    assert token not in out.read_text() and token not in result.output
    assert "SecretToken" not in out.read_text()


def test_bad_input_in_the_project_is_reported_not_a_traceback(tmp_path):
    project = write_project(
        tmp_path,
        'from x import M\nM.from_pretrained("Qwen/Qwen2.5-7B-Instruct"\n',  # syntax error
        **{
            "train.yaml": "base_model: [unclosed\n",
            # "billion laughs": each level repeats the one before nine times
            "bomb.yaml": "model: org/name\nl0: &l0 [lol]\n"
            + "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 12)),
        },
    )
    (project / "weights.py").write_bytes(b"\x00\x01from_pretrained\x00")
    mirror = ROOT / "tests" / "data" / "hub"
    result, report = scan_json(project, tmp_path, "--mirror", str(mirror))
    assert "Traceback" not in result.output
    reasons = {item["path"]: item["reason"] for item in report["skipped"]}
    assert reasons["app.py"] == "parse-error" and reasons["train.yaml"] == "parse-error"
    assert reasons["bomb.yaml"] == "parse-error" and reasons["weights.py"] == "binary"


def test_a_cycle_and_a_malformed_card_in_the_ancestry_are_findings(tmp_path):
    mirror = tmp_path / "mirror"
    for repo, card in {
        "org/a": "---\nlicense: apache-2.0\nbase_model: org/b\n---\n",
        "org/b": "---\nlicense: apache-2.0\nbase_model: org/a\n---\n",
        "org/c": "---\nlicense: [apache-2.0\nbase_model: org/a\n---\n",
    }.items():
        folder = mirror / repo
        folder.mkdir(parents=True)
        (folder / "README.md").write_text(card)
        (folder / "info.json").write_text(json.dumps({"id": repo, "sha": "a" * 40, "author": "org"}))
    project = write_project(tmp_path, 'from x import M\nM.from_pretrained("org/a")\nM.from_pretrained("org/c")\n')
    result, report = scan_json(project, tmp_path, "--mirror", str(mirror))
    assert result.exit_code == 1, result.output  # org/c's licence cannot be read: unknown fails
    assert model(report, "org/a")["lineage"]["unresolved"][0]["reason"] == "cycle"
    problems = [f for f in model(report, "org/c")["findings"] if f["rule_id"] == "LS101"]
    assert problems and "not valid YAML" in problems[0]["message"]


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda p: None, "does not exist"),
        (lambda p: (p.mkdir(), (p / ".licscan.yaml").write_text("models: [unclosed\n")), ".licscan.yaml"),
        (lambda p: (p.mkdir(), (p / ".licscan.yaml").write_text("colour: red\n")), "unknown settings"),
        (lambda p: (p.mkdir(), (p / ".licscan.yaml").write_text("policy: nope\n")), "unknown policy"),
    ],
)
def test_configuration_errors_exit_2_with_a_message(tmp_path, setup, message):
    project = tmp_path / "p"
    setup(project)
    result = runner.invoke(app, ["scan", str(project)])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_explain_a_rule_and_a_licence_and_refuse_nonsense():
    rule = run("explain", "LS120")
    assert rule.exit_code == 0 and "non-commercial" in rule.output and "What to do" in rule.output
    licence = run("explain", "qwen-research")
    assert licence.exit_code == 0 and "non-commercial" in licence.output and "Sources:" in licence.output
    assert run("explain", "no-such-thing").exit_code == 2


def test_tree_prints_one_models_ancestry_from_a_mirror():
    result = run("tree", "unsloth/Meta-Llama-3.1-8B-Instruct", "--mirror", str(ROOT / "tests" / "data" / "hub"),
                 "--no-color")
    text = " ".join(result.output.split())
    assert "meta-llama/Llama-3.1-8B-Instruct" in text and "meta-llama/Llama-3.1-8B " in text
    assert "renamed from meta-llama/Meta-Llama-3.1-8B-Instruct" in text


def test_cache_in_the_user_cache_directory_serves_a_second_scan_without_file_downloads(tmp_path, hub_stub, monkeypatch):
    cache_home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    project = write_project(tmp_path, 'from x import M\nM.from_pretrained("Qwen/Qwen2.5-7B-Instruct")\n')
    env = {"HF_ENDPOINT": hub_stub.url}
    first, report_one = scan_json(project, tmp_path, env=env)
    assert first.exit_code == 0
    assert list(cache_home.rglob("licscan.db")), "the default cache is a SQLite file in the user cache directory"
    downloads = [p for m, p in hub_stub.requests if "/resolve/" in p]
    assert downloads
    hub_stub.clear()
    second, report_two = scan_json(project, tmp_path, env=env)
    assert [p for m, p in hub_stub.requests if "/resolve/" in p] == []  # README served from the cache by sha
    assert report_two["models"] == report_one["models"]


def test_licscan_db_url_points_the_cache_elsewhere(tmp_path, hub_stub):
    database = tmp_path / "team.db"
    project = write_project(tmp_path, 'from x import M\nM.from_pretrained("Qwen/Qwen2.5-7B-Instruct")\n')
    scan_json(project, tmp_path, env={"HF_ENDPOINT": hub_stub.url, "LICSCAN_DB_URL": f"sqlite:///{database}"})
    assert database.stat().st_size > 0


def test_hf_hub_offline_never_calls_the_hub_and_fails_closed(tmp_path, hub_stub):
    project = write_project(tmp_path, 'from x import M\nM.from_pretrained("Qwen/Qwen2.5-7B-Instruct")\n')
    result, report = scan_json(project, tmp_path, env={"HF_ENDPOINT": hub_stub.url, "HF_HUB_OFFLINE": "1"})
    assert hub_stub.requests == []
    assert result.exit_code == 3
    assert model(report, "Qwen/Qwen2.5-7B-Instruct")["lineage"]["unresolved"][0]["reason"] == "offline"


def test_an_interrupted_scan_exits_130(example, monkeypatch):
    import licscan.scan

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(licscan.scan, "scan", interrupted)
    result = runner.invoke(app, ["scan", str(example)])
    assert result.exit_code == 130 and "interrupted" in result.output


def test_an_unexpected_error_is_one_line_without_debug_and_a_traceback_with_it(example, monkeypatch):
    import licscan.scan

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(licscan.scan, "scan", broken)
    plain = runner.invoke(app, ["scan", str(example)])
    assert plain.exit_code == 3 and "internal error: RuntimeError: boom" in plain.output
    assert "Traceback" not in plain.output
    debug = runner.invoke(app, ["--debug", "scan", str(example)])
    assert debug.exit_code == 3 and "Traceback" in debug.output


def test_hostile_strings_in_a_card_do_not_reach_the_terminal_or_break_reports(tmp_path):
    mirror = tmp_path / "mirror"
    folder = mirror / "evil" / "model"
    folder.mkdir(parents=True)
    (folder / "README.md").write_text(
        '---\nlicense: other\nlicense_name: "\\e[2J\\e[31m[bold]pwned[/bold] <script>alert(1)</script> | `x`"\n---\n'
    )
    (folder / "info.json").write_text(json.dumps({"id": "evil/model", "sha": "b" * 40, "author": "evil"}))
    project = write_project(tmp_path, 'from x import M\nM.from_pretrained("evil/model")\n')
    md = tmp_path / "summary.md"
    result, report = scan_json(project, tmp_path, "--mirror", str(mirror), "--markdown", str(md))
    assert result.exit_code == 1  # an unidentified licence fails closed
    assert "\x1b" not in result.output and "[bold]pwned[/bold]" in result.output  # shown literally, not styled
    assert "\x1b[2J" in model(report, "evil/model")["lineage"]["nodes"][0]["license_name"]  # JSON keeps the data
    assert "<script>" not in md.read_text() and "\x1b" not in md.read_text()


def test_hostile_file_names_are_shown_escaped_and_never_break_a_report(tmp_path):
    """File names come from the scanned project: one that is not UTF-8, one with a terminal escape sequence,
    one with a newline that would fake a row of the table, one that reverses the text after it."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    project = write_project(tmp_path, "")
    load = b'from x import M\nM.from_pretrained("org/%s")\n'
    names = {b"bad\xffname.py": "a", b"esc\x1b[2Jred.py": "b", b"two\nlines.py": "c",
             "rlo\u202exyp.py".encode(): "d"}
    for name, model_name in names.items():
        with open(os.path.join(bytes(project), name), "wb") as handle:
            handle.write(load % model_name.encode())
    shown = ["bad\\xffname.py", "esc\\x1b[2Jred.py", "two\\nlines.py", "rlo\\u202exyp.py"]

    discovered = run("discover", str(project), "--no-cache")
    assert discovered.exit_code == 0, discovered.output
    scanned, report = scan_json(project, tmp_path, "--mirror", str(mirror))
    assert scanned.exit_code == 3 and "internal error" not in scanned.output  # org/* are not in the mirror
    for output in (discovered.output, scanned.output):
        assert not set(output) & {"\x1b", "\u202e"} and not any(0xD800 <= ord(c) <= 0xDFFF for c in output)
    assert all(name in discovered.output for name in shown), discovered.output
    assert "two\nlines.py" not in discovered.output  # no row split in two
    paths = {o["path"] for m in report["models"] for o in m["occurrences"]}
    assert paths == {"bad\\xffname.py", "esc\x1b[2Jred.py", "two\nlines.py", "rlo\u202exyp.py"}


def test_a_non_utf8_card_is_a_finding_not_a_crash(tmp_path):
    mirror = tmp_path / "mirror" / "org" / "latin1-card"
    mirror.mkdir(parents=True)
    (mirror / "README.md").write_bytes(b"---\nlicense: apache-2.0\nbase_model: caf\xe9/model\n---\n")
    (mirror / "info.json").write_text(json.dumps({"id": "org/latin1-card", "sha": "d" * 40, "author": "org"}))
    project = write_project(tmp_path, 'from x import M\nM.from_pretrained("org/latin1-card")\n')
    result, report = scan_json(project, tmp_path, "--mirror", str(tmp_path / "mirror"))
    assert "Traceback" not in result.output
    problems = [f["message"] for f in model(report, "org/latin1-card")["findings"] if f["rule_id"] == "LS101"]
    assert problems and "not UTF-8" in problems[0]


def test_a_report_to_standard_output_leaves_it_to_the_report(example, tmp_path, monkeypatch):
    """`licscan scan --json - | jq ...`: the report alone on standard output, the summary on standard error,
    byte-identical to the file; two reports cannot share standard output (exit 2, nothing written)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.chdir(tmp_path)
    piped = run("scan", str(example), "--sarif", "-", "--json", str(tmp_path / "report.json"))
    written = run("scan", str(example), "--sarif", str(tmp_path / "report.sarif"))
    assert piped.exit_code == written.exit_code == 1
    assert piped.stdout == (tmp_path / "report.sarif").read_text()
    assert json.loads(piped.stdout)["version"] == "2.1.0" and (tmp_path / "report.json").is_file()
    assert piped.stderr.rstrip().endswith("policy default") and "FAIL" in piped.stderr
    both = run("scan", str(example), "--json", "-", "--sarif", "-")
    assert both.exit_code == 2 and "only one report can go to standard output" in both.stderr
    assert both.stdout == "" and not (tmp_path / "-").exists()
