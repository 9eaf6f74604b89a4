"""Discovery of what real applications do: ids bound to model-naming names, training-config datasets,
deployment keys, shell variables, lazy calls, run-time references listed, and what is not a use."""

from __future__ import annotations


from licscan.model import RefKind

from project_files import discover_project as _project


def _ids(result, path=None):
    return {(o.ref.repo_id, o.ref.kind) for o in result.occurrences if path is None or o.location.path == path}


def _unresolved(result):
    return sorted((s.path, s.detail) for s in result.skipped if s.reason == "unresolved-reference")


M, D = RefKind.MODEL, RefKind.DATASET


def test_python_ids_bound_to_model_naming_names_whatever_the_call(tmp_path):
    result = _project(tmp_path, {"app/rag.py": """
        import argparse
        import os
        from dataclasses import dataclass, field

        from langchain_huggingface import HuggingFaceEmbeddings
        from my_wrappers import Reranker

        embedder = HuggingFaceEmbeddings(model_name="sentence-transformers/all-MiniLM-L6-v2")
        reranker = Reranker(reranker="acme/rerank-base")
        hf_embedding_model = "acme/embed-large"
        CHAT_MODEL = os.environ.get("CHAT_MODEL", "acme/chat-7b")
        fallback_model = os.getenv("OTHER") or "acme/fallback-3b"
        SETTINGS = {"model": "acme/from-a-dict"}
        train_data_path = "acme/instructions"


        @dataclass
        class ModelArguments:
            model_name_or_path: str = field(default="acme/sft-base")


        def build(model_id: str = "acme/param-default"):
            return model_id


        parser = argparse.ArgumentParser()
        parser.add_argument(
            "--base_model",
            type=str,
            default="acme/cli-default",
        )
    """})
    assert _ids(result) == {
        ("sentence-transformers/all-MiniLM-L6-v2", M), ("acme/rerank-base", M), ("acme/embed-large", M),
        ("acme/chat-7b", M), ("acme/fallback-3b", M), ("acme/from-a-dict", M), ("acme/instructions", D),
        ("acme/sft-base", M), ("acme/param-default", M), ("acme/cli-default", M),
    }
    assert {o.via for o in result.occurrences} == {"named"}
    by_id = {o.ref.repo_id: o for o in result.occurrences}
    assert by_id["acme/cli-default"].location.line == 30  # the literal's own line
    assert by_id["acme/embed-large"].text == 'hf_embedding_model = "acme/embed-large"'


def test_python_strings_that_are_not_uses(tmp_path):
    result = _project(tmp_path, {"app/train.py": '''
        """Fine-tune, e.g. model = "acme/in-a-docstring"."""
        import kagglehub
        from transformers import AutoModel

        resumed = AutoModel.from_pretrained("checkpoints/step-100")  # a folder the project writes

        # model_name = "acme/in-a-comment"
        model_path = "models/Llama-2-7b"
        tokenizer_file = "acme/tokenizer.json"
        output_model = "outputs/run-1"
        push_model_repo = "acme/where-we-push"
        PUSH_MODEL_REPO = "acme/where-we-push-too"
        Model_Cache = {"Kaggle": "acme/from-kaggle"}
        dataset_dir = kagglehub.dataset_download("kaggler/steam-games")
        limiter_model = "30/second"
        example_model = "your-org/your-model"
        metrics = {"reward_model/score": 1.0}
        mime_model = "application/json"
        greeting = "acme/not-named-for-a-model"
        model_template = f"acme/{greeting}"
    '''})
    assert result.occurrences == ()


def test_a_keyword_argument_on_its_own_line_is_not_an_assignment(tmp_path):
    # xtuner / mmengine configs: the keyword of a call nothing recognises, one argument per line.
    result = _project(tmp_path, {"configs/sft.py": """
        from transformers import AutoTokenizer
        pretrained_model_name_or_path = "acme/base-7b"
        tokenizer = dict(
            type=AutoTokenizer.from_pretrained,
            pretrained_model_name_or_path=pretrained_model_name_or_path,
            trust_remote_code=True,
        )
    """})
    assert [(o.ref.repo_id, o.location.line, o.via) for o in result.occurrences] == [("acme/base-7b", 3, "variable")]


def test_lazy_calls_of_config_dicts_name_what_they_load(tmp_path):
    result = _project(tmp_path, {"configs/data.py": """
        from datasets import load_dataset
        alpaca_en_path = "acme/alpaca-style"
        train_dataset = dict(
            type=load_dataset,
            path=alpaca_en_path,
        )
        local = dict(type=load_dataset, path="json", data_files="train.json")
    """})
    assert [(o.ref.repo_id, o.ref.kind, o.location.line) for o in result.occurrences] == [("acme/alpaca-style", D, 3)]


def test_run_time_arguments_of_loading_calls_are_listed_with_their_expression(tmp_path):
    result = _project(tmp_path, {"serve.py": """
        from transformers import AutoModel, pipeline

        class Server:
            def __init__(self, args, config, model_path):
                self.a = AutoModel.from_pretrained(args.model_name_or_path)
                self.b = AutoModel.from_pretrained(self.model_id)
                self.c = AutoModel.from_pretrained(config["model"])
                self.d = AutoModel.from_pretrained(model_path)
                self.e = pipeline("text-generation", model=self.a)
    """})
    assert result.occurrences == ()
    assert _unresolved(result) == [
        ("serve.py", "line 5: AutoModel.from_pretrained(args.model_name_or_path) (known only at run time: args.model_name_or_path)"),
        ("serve.py", "line 6: AutoModel.from_pretrained(self.model_id) (known only at run time: self.model_id)"),
        ("serve.py", 'line 7: AutoModel.from_pretrained(config["model"]) (known only at run time: config[\'model\'])'),
        ("serve.py", "line 8: AutoModel.from_pretrained(model_path) (known only at run time: model_path)"),
    ]


def test_training_config_datasets_and_deployment_keys(tmp_path):
    result = _project(tmp_path, {
        "axolotl.yml": """
            base_model: acme/base
            datasets:
              - path: acme/sft-data
                type: alpaca
            test_datasets:
              - path: acme/eval-data
            pretraining_dataset: acme/pretrain-corpus
            output_dir: ./outputs/lora
        """,
        "recipe.yaml": """
            model_name_or_path: acme/zephyr-base
            dataset_mixture:
              datasets:
                - id: acme/mixture-part
            dataset_mixer:
              acme/mixer-a: 0.5
              acme/mixer-b: 1.0
            dataset_name: acme/trl-data
        """,
        "deploy/values.yaml": """
            servingEngineSpec:
              modelSpec:
                - name: llama
                  modelURL: acme/served-by-helm
            env:
              - name: EMBEDDING_MODEL_ID
                value: acme/embedder
              - name: RERANK_MODEL_ID
                value: "${RERANK:-acme/reranker}"
            containers:
              - args: ["--model", "acme/from-container-args"]
            app:
              APP_LLM_MODELNAME: acme/from-app-config
              cached: ./cache/acme
        """,
    })
    assert _ids(result, "axolotl.yml") == {
        ("acme/base", M), ("acme/sft-data", D), ("acme/eval-data", D), ("acme/pretrain-corpus", D),
    }
    assert _ids(result, "recipe.yaml") == {
        ("acme/zephyr-base", M), ("acme/mixture-part", D), ("acme/mixer-a", D), ("acme/mixer-b", D),
        ("acme/trl-data", D),
    }
    assert {repo_id for repo_id, _ in _ids(result, "deploy/values.yaml")} == {
        "acme/served-by-helm", "acme/embedder", "acme/reranker", "acme/from-container-args", "acme/from-app-config",
    }


def test_shell_flags_keys_and_variables_of_any_name(tmp_path):
    result = _project(tmp_path, {
        "train.sh": """
            #!/bin/bash
            BASE=acme/actor-base
            REWARD=acme/reward-model
            # --model acme/commented-out
            deepspeed train_ppo.py \\
                --pretrain $BASE \\
                --reward_pretrain ${REWARD} \\
                --critic_pretrain ${CRITIC:-acme/critic-default} \\
                --dataset 'acme/prompts#500' \\
                          'acme/more-prompts' \\
                --model $CHOSEN_AT_RUN_TIME \\
                --cached_dataset cache/acme-tokenized \\
                --output_dir acme/not-a-model \\
                actor_rollout_ref.model.path=acme/hydra-actor
        """,
        "job.sbatch": """
            #!/bin/bash
            #SBATCH --nodes=1
            srun vllm serve --model acme/slurm-served
        """,
        "serve.env.example": "LLM_MODEL_ID=acme/from-env-example\n",
    })
    assert _ids(result, "train.sh") == {
        ("acme/actor-base", M), ("acme/reward-model", M), ("acme/critic-default", M), ("acme/prompts", D),
        ("acme/more-prompts", D), ("acme/hydra-actor", M),
    }
    assert _ids(result, "job.sbatch") == {("acme/slurm-served", M)}
    assert _ids(result, "serve.env.example") == {("acme/from-env-example", M)}
    assert _unresolved(result) == [
        ("train.sh", "line 11: --model $CHOSEN_AT_RUN_TIME \\ (shell variable CHOSEN_AT_RUN_TIME)"),
    ]
    vias = {o.ref.repo_id: o.via for o in result.occurrences}
    assert vias["acme/actor-base"] == "variable" and vias["acme/critic-default"] == "env-default"


def test_prose_mentions_comments_and_reserved_hub_pages_are_not_uses(tmp_path):
    result = _project(tmp_path, {
        "README.md": """
            We fine-tune `--model acme/mentioned-in-a-sentence` for this guide.

            `hf download acme/bare-command`

            ```bash
            vllm serve --model acme/fenced-command
            ```
        """,
        "run.sh": """
            # hf download acme/commented-command
            curl https://huggingface.co/docs/transformers/index
            curl https://huggingface.co/blog/some-post
            curl https://huggingface.co/spaces/acme/demo
            curl https://huggingface.co/transformers/v4.2.2/model_doc
            python serve.py --model models/Llama-2-7b
        """,
        "cfg.yaml": "# base_model: acme/commented-key\nbase_model: outputs/run1\n",
    })
    assert _ids(result) == {("acme/bare-command", M), ("acme/fenced-command", M)}


def test_each_place_a_literal_stands_is_reported_once(tmp_path):
    # The literal a call follows is reported at the call; the same id written elsewhere in the file is a place too.
    result = _project(tmp_path, {"serve.py": """
        from transformers import AutoModel

        BASE_MODEL = "acme/base-7b"
        model = AutoModel.from_pretrained(BASE_MODEL)


        def check(base_model):
            if base_model == "acme/base-7b":
                return True
    """})
    assert sorted((o.location.line, o.via) for o in result.occurrences) == [(4, "variable"), (8, "named")]


def test_literals_compared_with_a_naming_name_and_elements_of_long_lists(tmp_path):
    result = _project(tmp_path, {"tests/test_models.py": """
        import pytest

        @pytest.mark.parametrize(
            "base_model",
            [
                "acme/first",
                "acme/second",
                "acme/third",
                "acme/fourth",
                "acme/fifth",
            ]
        )
        def test_load(base_model):
            if "acme/compared" == base_model or "acme/lowered".lower() in base_model.lower():
                pass

        DEFAULT_MODELS = [
            "acme/default-a",
            # "acme/commented-out",
            "acme/default-b",
            "acme/default-c",
            "acme/default-d",
        ]
        prompt_types = {
            "plain": [
                "acme/in-a-lookup-table",
                "acme/another-row",
                "acme/a-third-row",
                "acme/a-fourth-row",
            ],
        }
        exclude_ids = ["acme/excluded",
                       "acme/excluded-too",
                       "acme/excluded-three",
                       "acme/excluded-four"]
        status = "acme/compared-with-nothing" == other
    """})
    assert _ids(result) == {(f"acme/{name}", M) for name in (
        "first", "second", "third", "fourth", "fifth", "compared", "lowered",
        "default-a", "default-b", "default-c", "default-d")}


def test_hub_urls_in_comment_lines_of_scripts_and_configs_are_not_uses(tmp_path):
    result = _project(tmp_path, {
        "run.sh": "# download from https://huggingface.co/datasets/acme/in-a-comment\n"
                  "wget https://huggingface.co/acme/fetched/resolve/main/model.gguf\n",
        "config.yml": "# the list below is from https://huggingface.co/datasets/acme/yaml-comment\nfiles: [a, b]\n",
        "Dockerfile": "    # as e.g. https://huggingface.co/acme/docker-comment\nRUN echo\n",
    })
    assert _ids(result) == {("acme/fetched", M)}


def _invalid(result):
    return sorted((s.path, s.detail) for s in result.skipped if s.reason == "invalid-id")


def test_values_shaped_like_ids_that_are_not_ids_are_listed_not_dropped(tmp_path):
    result = _project(tmp_path, {
        "serve.py": """
            from transformers import AutoModel
            model = AutoModel.from_pretrained("acme/na--me")
            local = AutoModel.from_pretrained("checkpoints/step-100")
        """,
        "config.yaml": "model_worker: acme/chat-6b@localhost@20002\ndataset: acme/data:subset\noutput_model: models/x\n",
        "run.sh": "vllm serve --model acme/bad..name\n",
    })
    assert _ids(result) == {("acme/data", D)}
    assert _invalid(result) == [
        ("config.yaml", "line 1: model_worker: acme/chat-6b@localhost@20002 (not a Hub repo id)"),
        ("run.sh", "line 1: vllm serve --model acme/bad..name (acme/bad..name is not a Hub repo id)"),
        ("serve.py", 'line 2: AutoModel.from_pretrained("acme/na--me") (acme/na--me is not a Hub repo id)'),
    ]


def test_the_discover_summary_counts_in_words(tmp_path):
    from licscan.discovery.listing import render_text

    result = _project(tmp_path, {"app.py": 'from transformers import AutoModel\nAutoModel.from_pretrained("acme/one")\n'})
    assert render_text(result).splitlines()[-1] == "1 occurrence of 1 model and 0 datasets, 0 local models, in 1 file read"


def test_key_value_arguments_of_a_model_flag(tmp_path):
    result = _project(tmp_path, {"eval.sh": """
        lm_eval --model hf --model_args pretrained=acme/evaluated,dtype=bfloat16,peft=../peft_output --tasks x
        lm_eval --model vllm --model_args pretrained=acme/served,tensor_parallel_size=1
        python generate.py --model_path_llama=https://huggingface.co/acme/gguf/resolve/main/w.gguf?download=true
    """})
    assert _ids(result) == {("acme/evaluated", M), ("acme/served", M), ("acme/gguf", M)}
    assert _invalid(result) == []


def test_dicts_quoted_into_commands_and_several_ids_after_a_model_flag(tmp_path):
    result = _project(tmp_path, {
        "docs/serving.md": """
            ```bash
            python generate.py --model_lock="[{'inference_server': 'vllm:10.0.0.1:5000', 'base_model': 'acme/locked'}]"
            export MODEL_LOCK="{\\"base_model\\": \\"acme/double-quoted\\", \\"prompt_type\\": \\"plain\\"}"
            ```
        """,
        "train.sh": "swift rlhf --reward_model acme/reward-a acme/reward-b --output_model_dir out serve.py\n",
        "job.yaml": "env:\n  - name: MODEL_ID\n    value: acme/k8s-env-model\n"
                    "  - name: LORA_ADAPTERS\n    value: acme/lora-a,acme/lora-b\n",
    })
    assert _ids(result) == {
        ("acme/locked", M), ("acme/double-quoted", M), ("acme/reward-a", M), ("acme/reward-b", M),
        ("acme/k8s-env-model", M), ("acme/lora-a", M), ("acme/lora-b", M),
    }


def test_hub_urls_fetched_by_a_notebooks_shell_lines(tmp_path):
    import json

    cells = [{"cell_type": "code", "source": [
        "# !wget https://huggingface.co/acme/commented/resolve/main/x.bin\n",
        "!wget https://huggingface.co/datasets/acme/fetched/resolve/main/train.jsonl\n",
    ]}]
    result = _project(tmp_path, {"nb.ipynb": json.dumps({"cells": cells})})
    assert _ids(result) == {("acme/fetched", D)}


def test_json_output_shown_in_prose_is_not_a_command(tmp_path):
    result = _project(tmp_path, {"README.md": """
        ```bash
        curl localhost:8080/v1/chat/completions -d '{"model": "acme/requested", "messages": []}'
        ```

        ```
        {"object":"chat.completion","model":"acme/shown-in-the-output","choices":[]}
        ```
    """})
    assert _ids(result) == {("acme/requested", M)}


def test_a_dataset_folder_is_local(tmp_path):
    result = _project(tmp_path, {"prep.py": 'data_source = "dataset/Polaris-Hard"\ndataset_name = "acme/real"\n'
                                            'data_file = "acme/data-file"\n'})
    assert _ids(result) == {("acme/real", D), ("acme/data-file", D)}


def test_python_blocks_of_markdown_docs_are_read_as_python(tmp_path):
    result = _project(tmp_path, {"docs/usage.md": """
        Load the model with `AutoModel.from_pretrained("acme/in-inline-code")` as shown:

        ```python
        from transformers import AutoModel, AutoTokenizer
        model_id = "acme/doc-model"
        model = AutoModel.from_pretrained(model_id)
        >>> tok = AutoTokenizer.from_pretrained("acme/doc-tokenizer")
        ```

        ```json
        {"model": "acme/in-a-json-block"}
        ```

        ```bash
        vllm serve --model acme/doc-served
        ```
    """})
    assert {(o.ref.repo_id, o.location.line) for o in result.occurrences} == {
        ("acme/doc-model", 6), ("acme/doc-tokenizer", 7), ("acme/doc-served", 15),
    }


def test_the_first_argument_of_a_wrapper_class(tmp_path):
    result = _project(tmp_path, {"infer.py": """
        from my_project import TransformersEngine, TOGETHER
        from gradio_client import Client

        engine = TransformersEngine('acme/wrapped', max_batch_size=2)
        second = TransformersEngine(
            'acme/wrapped-on-its-own-line', task_type='embedding')
        hosted = TOGETHER("acme/all-capitals", "key")
        space = Client("acme/a-space")
        path = os.path.join("acme/not-a-class")
    """})
    assert _ids(result) == {("acme/wrapped", M), ("acme/wrapped-on-its-own-line", M), ("acme/all-capitals", M)}
