"""Discovery of constructs real applications use that no naming word marks: lists of ids bound to any name,
commands written as Python strings, notebook cells that write files, tools' positional arguments, and
`load_dataset` imported under another name."""

from __future__ import annotations

from licscan.model import RefKind

from project_files import discover_project as _project


def _ids(result, path=None):
    return {(o.ref.repo_id, o.ref.kind) for o in result.occurrences if path is None or o.location.path == path}


M, D = RefKind.MODEL, RefKind.DATASET


def test_a_list_of_ids_bound_to_a_name_without_a_naming_word_that_the_code_reads(tmp_path):
    result = _project(tmp_path, {"evals.py": """
        LLAMA_3_1_INSTRUCT_EVALS = [
            "acme/first-evals",
            "acme/second-evals",  # the larger one
        ]
        LLAMA_VERSIONS = ["acme/one-line", "acme/two-line", "fake_llama"]
        EXCLUDED_IDS = ["acme/excluded", "acme/excluded-too"]
        useful = ["acme/never-read", "acme/never-read-too"]  # 'useful' in a string is not a read
        single = ["acme/alone", "not-an-id"]
        mixed = ["acme/mixed", "acme/mixed-too", other_name]
        files = ["tests/report.pdf", "tests/sheet.xlsx"]

        def run():
            print("not useful", LLAMA_3_1_INSTRUCT_EVALS, LLAMA_VERSIONS, EXCLUDED_IDS, single, mixed, files)
    """})
    assert _ids(result) == {(f"acme/{name}", M) for name in ("first-evals", "second-evals", "one-line", "two-line")}


def test_load_dataset_under_another_name_in_scripts_and_notebooks(tmp_path):
    cell = lambda text: {"cell_type": "code", "metadata": {}, "outputs": [], "source": text}  # noqa: E731
    result = _project(tmp_path, {
        "train.py": """
            from datasets import load_dataset as ld, Dataset
            import datasets as ds

            train = ld("acme/function-alias", split="train")
            test = ds.load_dataset("acme/module-alias")
            other = ld(args.dataset_name)
            print(ld, "acme/not-a-loading-call")
        """,
        "explore.ipynb": {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
            cell("import datasets as hfds\n"), cell("data = hfds.load_dataset('acme/in-a-notebook')\n")]},
    })
    assert _ids(result) == {("acme/function-alias", D), ("acme/module-alias", D), ("acme/in-a-notebook", D)}
    assert [(s.path, s.detail.split(":")[0]) for s in result.skipped if s.reason == "unresolved-reference"] == [
        ("train.py", "line 6")]
