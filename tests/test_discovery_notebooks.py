"""Notebooks: code cells read as one Python module, each find placed by cell and line; shell lines as commands."""

from __future__ import annotations

import json

from licscan.discovery import discover
from licscan.model import DiscoverySettings, Location, ModelRef, RefKind


def _notebook(root, name, cells, nbformat=4):
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    body = [
        {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True),
         **({"outputs": [], "execution_count": None} if kind == "code" else {})}
        for kind, source in cells
    ]
    path.write_text(json.dumps({"cells": body, "metadata": {}, "nbformat": nbformat, "nbformat_minor": 5}), "utf-8")
    return path


def test_cells_share_names_and_finds_carry_cell_and_line(tmp_path):
    _notebook(tmp_path, "notebooks/finetune.ipynb", [
        ("markdown", "# Fine-tune\nWe start from https://huggingface.co/org/in-markdown\n"),
        ("code", '%pip install transformers peft\nBASE = "meta-llama/Llama-3.2-1B"\n'),
        ("code", "from transformers import AutoModelForCausalLM\n\nmodel = AutoModelForCausalLM.from_pretrained(BASE)\n"),
        ("code", '!huggingface-cli download --repo-type dataset org/notebook-data --local-dir data\n'
                 'for step in range(3):\n    !echo {step}\nds = load_dataset("org/eval-set")\n'),
    ])
    result = discover(tmp_path, DiscoverySettings())
    found = {(o.ref, o.location, o.source, o.via) for o in result.occurrences}
    assert found == {
        (ModelRef("meta-llama/Llama-3.2-1B"), Location("notebooks/finetune.ipynb", 3, 3), "notebook", "variable"),
        (ModelRef("org/notebook-data", None, RefKind.DATASET), Location("notebooks/finetune.ipynb", 1, 4),
         "notebook", "command"),
        (ModelRef("org/eval-set", None, RefKind.DATASET), Location("notebooks/finetune.ipynb", 4, 4),
         "notebook", "literal"),
    }
    assert result.skipped == ()


def test_a_cell_that_is_not_python_is_reported_and_the_others_still_read(tmp_path):
    _notebook(tmp_path, "demo.ipynb", [
        ("code", 'from transformers import pipeline\npipe = pipeline("summarization", model="org/good-cell")\n'),
        ("code", "print 'python 2 cell'\n# weights: https://huggingface.co/org/from-bad-cell\n"
                 "AutoModel.from_pretrained('org/unclosed'\n"),
    ])
    result = discover(tmp_path, DiscoverySettings())
    found = {(o.ref.repo_id, o.location.cell, o.location.line, o.via) for o in result.occurrences}
    assert found == {("org/good-cell", 1, 2, "literal"), ("org/from-bad-cell", 2, 2, "fallback")}
    (skipped,) = result.skipped
    assert (skipped.path, skipped.reason) == ("demo.ipynb", "parse-error") and skipped.detail.startswith("cell 2:")


def test_broken_notebook_json_falls_back_to_urls(tmp_path):
    (tmp_path / "bad.ipynb").write_text('{"cells": [ "https://huggingface.co/org/in-broken-json" ', "utf-8")
    result = discover(tmp_path, DiscoverySettings())
    assert [(s.path, s.reason) for s in result.skipped] == [("bad.ipynb", "parse-error")]
    assert [(o.ref.repo_id, o.via) for o in result.occurrences] == [("org/in-broken-json", "fallback")]


def test_old_notebook_format_and_outputs_are_not_code(tmp_path):
    path = tmp_path / "v3.ipynb"
    path.write_text(json.dumps({
        "nbformat": 3,
        "worksheets": [{"cells": [
            {"cell_type": "code", "input": ["from transformers import AutoModel\n", 'AutoModel.from_pretrained("org/v3")'],
             "outputs": [{"text": 'AutoModel.from_pretrained("org/in-output")'}]},
        ]}],
    }), "utf-8")
    result = discover(tmp_path, DiscoverySettings())
    assert [(o.ref.repo_id, o.location.cell, o.location.line) for o in result.occurrences] == [("org/v3", 1, 2)]
