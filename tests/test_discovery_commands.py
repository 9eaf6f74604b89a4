"""Commands that fetch or serve models, in scripts, Dockerfiles, Makefiles, CI, compose files, Modelfiles and docs."""

from __future__ import annotations

import pytest

from licscan.model import ModelRef, RefKind

from project_files import discover_project as _project


def _found(result, path=None):
    return {
        (o.ref.repo_id, o.location.path, o.location.line, o.via)
        for o in result.occurrences
        if path is None or o.location.path == path
    }


def test_shell_script_downloads_clones_and_servers(tmp_path):
    result = _project(tmp_path, {"scripts/setup.sh": """
        #!/usr/bin/env bash
        set -euo pipefail
        huggingface-cli download meta-llama/Llama-3.1-8B-Instruct --include "*.safetensors" --local-dir models/llama
        hf download --repo-type dataset HuggingFaceH4/ultrachat_200k --revision v1.0
        hf download ./not/a/hub/id
        git clone https://huggingface.co/BAAI/bge-m3 models/bge
        git lfs clone git@hf.co:intfloat/e5-large-v2
        vllm serve Qwen/Qwen2.5-7B-Instruct --tokenizer Qwen/Qwen2.5-7B --port 8000
        python -m sglang.launch_server --model-path deepseek-ai/DeepSeek-R1-Distill-Qwen-7B
        llama-server -hf bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M
        MODEL_ID=mistralai/Mistral-7B-Instruct-v0.3 ./run.sh
        export TOKENIZER=$MODEL_ID
    """})
    refs = {o.ref for o in result.occurrences}
    assert refs == {
        ModelRef("meta-llama/Llama-3.1-8B-Instruct"),
        ModelRef("HuggingFaceH4/ultrachat_200k", "v1.0", RefKind.DATASET),
        ModelRef("BAAI/bge-m3"),
        ModelRef("intfloat/e5-large-v2"),
        ModelRef("Qwen/Qwen2.5-7B-Instruct"),
        ModelRef("Qwen/Qwen2.5-7B"),
        ModelRef("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"),
        ModelRef("bartowski/Llama-3.2-3B-Instruct-GGUF"),
        ModelRef("mistralai/Mistral-7B-Instruct-v0.3"),
    }
    lines = {o.ref.repo_id: o.location.line for o in result.occurrences if o.via == "command"}
    assert lines["meta-llama/Llama-3.1-8B-Instruct"] == 3 and lines["bartowski/Llama-3.2-3B-Instruct-GGUF"] == 10
    first = next(o for o in result.occurrences if o.ref.repo_id == "meta-llama/Llama-3.1-8B-Instruct")
    assert first.source == "command" and first.text.startswith("huggingface-cli download meta-llama/")


def test_dockerfile_makefile_and_modelfile(tmp_path):
    result = _project(tmp_path, {
        "Dockerfile": """
            FROM ghcr.io/huggingface/text-generation-inference:3.0
            ENV MODEL_ID=google/gemma-2-9b-it
            ARG DRAFT_MODEL_ID google/gemma-2-2b-it
            RUN huggingface-cli download google/gemma-2-9b-it
            CMD ["--model-id", "google/gemma-2-9b-it", "--port", "80"]
        """,
        "Makefile": """
            MODEL ?= microsoft/Phi-3-mini-4k-instruct
            serve:
            \tvllm serve $(MODEL)
        """,
        "ollama/Modelfile": """
            FROM hf.co/bartowski/Qwen2.5-Coder-7B-Instruct-GGUF:Q4_K_M
            PARAMETER temperature 0.2
        """,
    })
    assert _found(result) == {
        ("google/gemma-2-9b-it", "Dockerfile", 2, "command"),
        ("google/gemma-2-2b-it", "Dockerfile", 3, "command"),
        ("google/gemma-2-9b-it", "Dockerfile", 4, "command"),
        ("google/gemma-2-9b-it", "Dockerfile", 5, "command"),
        ("microsoft/Phi-3-mini-4k-instruct", "Makefile", 1, "command"),
        ("bartowski/Qwen2.5-Coder-7B-Instruct-GGUF", "ollama/Modelfile", 1, "url"),
    }


def test_ci_workflow_and_docker_compose(tmp_path):
    result = _project(tmp_path, {
        ".github/workflows/eval.yml": """
            name: eval
            on: [push]
            jobs:
              eval:
                runs-on: ubuntu-latest
                env:
                  HF_HUB_ENABLE_HF_TRANSFER: "1"
                steps:
                  - run: |
                      pip install "huggingface_hub[cli]"
                      huggingface-cli download sentence-transformers/all-MiniLM-L6-v2
                      python eval.py --model_name_or_path FacebookAI/roberta-base
        """,
        "deploy/docker-compose.yml": """
            services:
              tgi:
                image: ghcr.io/huggingface/text-generation-inference:3.0
                command: --model-id HuggingFaceTB/SmolLM2-1.7B-Instruct --max-input-tokens 4096
                environment:
                  - MODEL_ID=HuggingFaceTB/SmolLM2-360M-Instruct
              tei:
                image: ghcr.io/huggingface/text-embeddings-inference:1.5
                environment:
                  MODEL_ID: BAAI/bge-reranker-v2-m3
              vllm:
                image: vllm/vllm-openai
                args:
                  - --model
                  - Qwen/Qwen2.5-14B-Instruct
        """,
    })
    assert _found(result) == {
        ("sentence-transformers/all-MiniLM-L6-v2", ".github/workflows/eval.yml", 11, "command"),
        ("FacebookAI/roberta-base", ".github/workflows/eval.yml", 12, "command"),
        ("HuggingFaceTB/SmolLM2-1.7B-Instruct", "deploy/docker-compose.yml", 4, "command"),
        ("HuggingFaceTB/SmolLM2-360M-Instruct", "deploy/docker-compose.yml", 6, "command"),
        ("BAAI/bge-reranker-v2-m3", "deploy/docker-compose.yml", 10, "config"),
        ("Qwen/Qwen2.5-14B-Instruct", "deploy/docker-compose.yml", 14, "command"),
    }


def test_docs_commands_count_but_links_in_prose_do_not(tmp_path):
    result = _project(tmp_path, {"README.md": """
        # Support assistant

        Built on [Llama 3.2](https://huggingface.co/meta-llama/Llama-3.2-3B-Instruct); compare with
        https://huggingface.co/mistralai/Mistral-7B-v0.1.

        ```sh
        huggingface-cli download org/assistant-weights --local-dir models/
        ```
    """})
    assert _found(result) == {("org/assistant-weights", "README.md", 7, "command")}


def test_urls_in_other_languages_and_configs(tmp_path):
    result = _project(tmp_path, {
        "web/src/api.ts": 'const ENDPOINT = "https://huggingface.co/org/web-model/resolve/main/onnx/model.onnx";\n',
        "conf/app.ini": "[model]\nurl = https://hf.co/org/ini-model\ndocs = https://huggingface.co/docs/hub\n",
        "config/serve.yaml": "checkpoint: https://huggingface.co/datasets/org/yaml-data\n",
    })
    assert {(o.ref.repo_id, o.ref.kind.value, o.location.path, o.via) for o in result.occurrences} == {
        ("org/web-model", "model", "web/src/api.ts", "url"),
        ("org/ini-model", "model", "conf/app.ini", "url"),
        ("org/yaml-data", "dataset", "config/serve.yaml", "url"),
    }


def test_a_command_on_a_very_long_line_is_shown_from_where_it_starts(tmp_path):
    # Generated scripts put many commands on one line: each is shown from its own start, not the line's.
    line = "".join(f"echo step-{number}; " for number in range(100)) + "huggingface-cli download org/far-along ; "
    line += "".join(f"hf download org/more-{number}; " for number in range(50))
    result = _project(tmp_path, {"fetch.sh": f"#!/bin/sh\n{line}\nhf download org/next-line\n"})
    by_id = {o.ref.repo_id: o for o in result.occurrences}
    assert len(by_id) == 52 and by_id["org/next-line"].location.line == 3
    assert by_id["org/far-along"].location.line == 2
    assert by_id["org/far-along"].text.startswith("download org/far-along ;")
    assert by_id["org/more-0"].text.startswith("download org/more-0;")
    assert by_id["org/next-line"].text == "hf download org/next-line"


@pytest.mark.parametrize("engine", ["re", "hyperscan"])
def test_tool_commands_read_where_a_tool_is_named_are_the_patterns_own_matches(engine, monkeypatch):
    """The fast reading of `xtuner chat ID` / `tune download ID` / `litgpt download ID` (found by the tools' names,
    at the places either needle engine puts them) gives the matches the pattern's own scan gives, over overlapping
    names, names in words, several tools on one line and random text made of those pieces."""
    import random

    from licscan.discovery import commands
    from licscan.discovery.needles import NeedleSet

    if engine == "hyperscan":
        pytest.importorskip("hyperscan")
    monkeypatch.setattr(commands, "_PRESENCE", NeedleSet(commands._PRESENCE.needles, engine=engine))

    pieces = [b"xtuner", b"tune", b"litgpt", b" ", b"\t", b"chat", b"download", b"acme/m", b"fine-", b"./", b"x",
              b"\n", b";", b"#", b"|", b"xtune", b"-", b"."]
    rng = random.Random(7)
    samples = [b"xtuner chat a/b; tune download c/d\nlitgpt download e/f", b"fine-tune download a/b", b"tune",
               b"xtuner tune litgpt  x", b"./tune a"]
    samples += [b"".join(rng.choice(pieces) for _ in range(rng.randint(1, 60))) for _ in range(3000)]
    for data in samples:
        fast = [(m.start(), m.end()) for m in commands._tool_commands(data)]
        assert fast == [(m.start(), m.end()) for m in commands._TOOL_COMMAND.finditer(data)], data
