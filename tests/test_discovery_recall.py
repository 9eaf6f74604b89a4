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


def test_a_tools_positional_model_argument(tmp_path):
    cell = lambda text: {"cell_type": "code", "metadata": {}, "outputs": [], "source": text}  # noqa: E731
    result = _project(tmp_path, {
        "merge.sh": """
            xtuner convert merge acme/base-llm ./work_dirs/adapter ./work_dirs/merged --max-shard-size 2GB
            xtuner chat acme/chat-llm --adapter ./work_dirs/adapter
            xtuner convert pth_to_hf config.py ./epoch_1.pth ./hf
            tune download acme/tune-base --output-dir /tmp/model
            litgpt download acme/lit-base
            # xtuner chat acme/commented-out
            echo "fine-tune download acme/not-a-tool"
        """,
        "finetune.ipynb": {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
            cell("!xtuner convert merge acme/in-a-notebook work_dirs/hf work_dirs/merged\n")]},
    })
    assert _ids(result) == {(f"acme/{name}", M) for name in (
        "base-llm", "chat-llm", "tune-base", "lit-base", "in-a-notebook")}


def test_a_notebook_cell_that_writes_a_file_is_read_as_that_file(tmp_path):
    cell = lambda text: {"cell_type": "code", "metadata": {}, "outputs": [], "source": text}  # noqa: E731
    result = _project(tmp_path, {"train.ipynb": {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        cell("%%writefile config/train.yaml\nbase_model: acme/yaml-base\ndatasets:\n  - path: acme/yaml-data\n"),
        cell("%%writefile -a run.sh\nvllm serve acme/served --port 8000\n"),
        cell("%%writefile notes.txt\nWe tried acme/mentioned-in-notes once.\n"),
        cell("from transformers import AutoModel\nmodel = AutoModel.from_pretrained('acme/python-cell')\n"),
    ]}})
    assert _ids(result) == {("acme/yaml-base", M), ("acme/yaml-data", D), ("acme/served", M), ("acme/python-cell", M)}
    places = {o.ref.repo_id: (o.location.cell, o.location.line) for o in result.occurrences}
    assert places["acme/yaml-base"] == (1, 2) and places["acme/served"] == (2, 2) and places["acme/python-cell"] == (4, 2)
    assert not [s for s in result.skipped if s.reason == "parse-error"]  # the YAML cell no longer breaks the module


def test_an_f_string_that_is_a_command_line_is_read_as_a_command(tmp_path):
    result = _project(tmp_path, {"launch.py": '''
        def launch(model_path, port):
            cmd = f"python3 -m fastchat.serve.model_worker --model-path {model_path} --port {port} "
            if "llava" in model_path.lower():
                cmd += f"--tokenizer-path acme/llava-tokenizer"
            option = f"""--model_lock="[{{'inference_server': 'vllm:{port}', 'base_model': 'acme/in-a-model-lock'}}]"
        """
            log(f"example: torchrun finetune.py --base_model='acme/in-a-log-message' --port {port}")
            print(f"--model acme/printed --port {port}")
            return cmd, option
    '''})
    assert _ids(result) == {("acme/llava-tokenizer", M), ("acme/in-a-model-lock", M)}
    assert {o.location.line for o in result.occurrences} == {4, 5}


def test_a_notebook_whose_only_model_is_in_a_written_file_is_read(tmp_path):
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "source": "%%writefile axolotl.yml\nbase_model: acme/only-here\n"}
    result = _project(tmp_path, {"only.ipynb": {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]}})
    assert _ids(result) == {("acme/only-here", M)}


def test_a_positional_argument_of_a_function_the_file_defines_is_named_by_its_parameter(tmp_path):
    result = _project(tmp_path, {"rag.py": """
        def build_retriever(api_config, embedding_model_name, retrieved_docs_num=5):
            return api_config, embedding_model_name

        class Loader:
            def load(self, config, dataset_name: str = None):
                return config, dataset_name

        def plain(first, second):
            return first, second

        retriever = build_retriever(api_config,"acme/positional-embedder",api_config["rag_topk"])
        rows = Loader().load(cfg, "acme/method-dataset")
        pair = plain(x, "acme/no-naming-parameter")
        path = os.path.join(root, "acme/not-defined-here")
        other = build_retriever(make(config), "acme/after-a-call")
    """})
    assert _ids(result) == {("acme/positional-embedder", M), ("acme/method-dataset", D)}
