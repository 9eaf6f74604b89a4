"""`licscan discover`: every occurrence as a table or JSON, from the files alone (no Hub, no resolution)."""

from __future__ import annotations

import json
import os
import textwrap
import time

import pytest
from pathlib import Path

from typer.testing import CliRunner

from licscan.cli import app

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "assistant-app"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def _project(root: Path) -> Path:
    files = {
        "app.py": 'from transformers import AutoModel\nAutoModel.from_pretrained(f"org/{SIZE}")\n'
                  'AutoModel.from_pretrained("org/app-model", revision="v1")\n',
        "nb.ipynb": json.dumps({"cells": [{"cell_type": "code", "source": ['from datasets import load_dataset\n',
                                                                           'load_dataset("org/data")']}]}),
        "pyproject.toml": textwrap.dedent("""
            [tool.licscan]
            models = ["org/declared"]
            mirror = "not-there-yet"
            ignore = [{model = "org/declared", reason = "chosen by the ops team"}]
        """),
        "models/lora/adapter_config.json": '{"base_model_name_or_path": "org/base"}',
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_table_lists_every_occurrence_with_place_source_and_via(tmp_path):
    result = run("discover", str(_project(tmp_path)), "--no-cache")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["ID", "KIND", "WHERE", "SOURCE", "VIA", "TEXT"]
    assert any(line.split()[:5] == ["org/app-model@v1", "model", "app.py:3", "python", "literal"] for line in lines)
    assert any(line.split()[:5] == ["org/data", "dataset", "nb.ipynb", "cell", "1:2"] for line in lines)
    assert "local:models/lora" in result.output and "org/base (adapter, adapter_config)" in result.output
    assert "Unresolved references (1)" in result.output and 'f"org/{SIZE}"' in result.output
    assert "ignored-by-config: model org/declared" in result.output
    assert lines[-1] == "2 occurrences of 1 model and 1 dataset, 1 local model, in 4 files read"


def test_json_output_and_the_example_project():
    result = run("discover", str(EXAMPLE), "--json", "--no-cache")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["schema"] == "licscan-discovery/1"
    assert data["summary"] == {
        "models": 9, "datasets": 0, "occurrences": 11, "local_models": 1, "unresolved_references": 0, "skipped": 0,
    }
    chat = [o for o in data["occurrences"] if o["path"] == "app/chat.py"]
    assert {(o["id"], o["line"], o["via"]) for o in chat} == {
        ("anon/AA-llama32-3b-c205633c", 10, "variable"),
        ("anon/AA-llama32-3b-c205633c", 11, "variable"),
        ("Qwen/Qwen2.5-7B-Instruct", 16, "literal"),
    }
    assert next(o for o in chat if o["line"] == 16)["revision"] == "main"
    # The recorded mirror inside the example is Hub metadata, not the project's code: not listed.
    assert not any(o["path"].startswith("licscan-mirror/") for o in data["occurrences"])


def test_a_second_run_reads_the_cache_and_prints_the_same(tmp_path, monkeypatch):
    project = _project(tmp_path / "p")
    past = time.time_ns() - 60_000_000_000  # what changed in the last seconds is never trusted to a cache
    for path in [*project.rglob("*"), project]:
        os.utime(path, ns=(past, past))
    first = run("discover", str(project), "--json")
    from licscan.discovery import runner as discovery_runner

    def no_reading(file):
        raise AssertionError(f"{file.relpath} was read again")

    monkeypatch.setattr(discovery_runner, "scan_file", no_reading)
    second = run("discover", str(project), "--json")
    assert second.exit_code == 0 and second.output == first.output


def test_bad_configuration_is_a_usage_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.licscan]\nignore = [{path = "x/"}]\n', encoding="utf-8")
    result = runner.invoke(app, ["discover", str(tmp_path)])
    assert result.exit_code == 2
    assert "pyproject.toml, key 'ignore[0].reason'" in result.output


def test_the_lean_entry_point_lists_the_same_as_the_typer_command(tmp_path, monkeypatch, capsys):
    import sys

    from licscan import entry

    project = _project(tmp_path)
    typer_result = run("discover", str(project), "--json", "--no-cache")
    monkeypatch.setattr(sys, "argv", ["licscan", "discover", "--no-cache", "--json", str(project)])
    with pytest.raises(SystemExit) as leaving:
        entry.main(fast_exit=False)
    assert leaving.value.code == typer_result.exit_code == 0
    assert capsys.readouterr().out == typer_result.output
    assert json.loads(typer_result.output)["occurrences"]


@pytest.mark.parametrize("leading, code", [((), 0), (("--debug",), 3)])
def test_a_reader_that_leaves_early_gets_no_traceback(tmp_path, leading, code):
    """`licscan discover | head`: the lean entry point keeps the command's exit code (its answer was complete
    before it was printed); through Typer the output was cut off mid-command, so the run did not complete."""
    import subprocess
    import sys

    (tmp_path / "app.py").write_text("from x import M\n" + "".join(
        f'M.from_pretrained("org/model-{index:05d}")\n' for index in range(3000)))
    command = [str(Path(sys.executable).parent / "licscan"), *leading, "discover", str(tmp_path)]
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert process.stdout.read(100).startswith(b"ID")
    process.stdout.close()  # the reader leaves with 3,000 rows unread
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == code
    assert "Traceback" not in stderr and "Exception ignored" not in stderr and "BrokenPipe" not in stderr
    assert ("closed before it was complete" in stderr) == (code == 3)
