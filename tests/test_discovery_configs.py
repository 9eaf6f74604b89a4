"""Discovery in YAML, JSON and TOML configs: configured keys, line numbers, and what is left alone."""

from __future__ import annotations


from licscan.discovery import discover
from licscan.model import DiscoverySettings, RefKind

from project_files import discover_project as _project


def _found(result):
    return {(o.ref.repo_id, o.location.path, o.location.line) for o in result.occurrences}


def test_axolotl_yaml(tmp_path):
    result = _project(tmp_path, {"configs/lora.yml": """
        # axolotl fine-tune
        base_model: NousResearch/Meta-Llama-3-8B
        model_type: LlamaForCausalLM
        tokenizer_type: AutoTokenizer

        load_in_8bit: true
        datasets:
          - path: mhenrichsen/alpaca_2k_test
            type: alpaca
        output_dir: ./outputs/lora-out
    """})
    assert _found(result) == {
        ("NousResearch/Meta-Llama-3-8B", "configs/lora.yml", 2),
        ("mhenrichsen/alpaca_2k_test", "configs/lora.yml", 8),  # datasets[].path: a dataset
    }
    assert {o.ref.repo_id: o.ref.kind for o in result.occurrences}["mhenrichsen/alpaca_2k_test"] is RefKind.DATASET
    occurrence = result.occurrences[0]
    assert occurrence.source == "config-file"
    assert occurrence.via == "config"
    assert occurrence.text == "base_model: NousResearch/Meta-Llama-3-8B"


def test_nested_yaml_lists_urls_and_multiple_documents(tmp_path):
    result = _project(tmp_path, {"deploy/k8s.yaml": """
        apiVersion: v1
        kind: ConfigMap
        data:
          model_name: mistralai/Mistral-7B-Instruct-v0.3
        ---
        training:
          model:
            pretrained_model_name_or_path: "https://huggingface.co/google/flan-t5-base"
          tokenizer:
            - google/flan-t5-base
            - ./local-tokenizer
          model_name_or_path: gpt-4o
          base_model: 12
          model_id: https://huggingface.co/datasets/org/a-dataset
    """})
    assert _found(result) == {
        ("mistralai/Mistral-7B-Instruct-v0.3", "deploy/k8s.yaml", 4),
        ("google/flan-t5-base", "deploy/k8s.yaml", 8),
        ("google/flan-t5-base", "deploy/k8s.yaml", 10),
        ("org/a-dataset", "deploy/k8s.yaml", 14),
    }
    # A dataset URL is a dependency too, found as a URL and kept apart from the models.
    (dataset,) = [o for o in result.occurrences if o.ref.repo_id == "org/a-dataset"]
    assert (dataset.ref.kind.value, dataset.via) == ("dataset", "url")


def test_json_config_line_numbers(tmp_path):
    result = _project(tmp_path, {"settings/app.json": """
        {
          "service": "chat",
          "model": "gpt-4o",
          "fallback": {
            "model": "meta-llama/Llama-3.2-3B-Instruct",
            "temperature": 0.2
          },
          "embedder": {"model_id": "BAAI/bge-small-en-v1.5"}
        }
    """})
    assert _found(result) == {
        ("meta-llama/Llama-3.2-3B-Instruct", "settings/app.json", 5),
        ("BAAI/bge-small-en-v1.5", "settings/app.json", 8),
    }


def test_toml_config_line_numbers(tmp_path):
    result = _project(tmp_path, {"conf/train.toml": """
        [run]
        name = "sft"

        [model]
        model_name_or_path = "Qwen/Qwen2.5-1.5B"
        tokenizer = 'Qwen/Qwen2.5-1.5B-Instruct'

        [[eval]]
        model_id = "microsoft/Phi-3-mini-4k-instruct"
    """})
    assert _found(result) == {
        ("Qwen/Qwen2.5-1.5B", "conf/train.toml", 5),
        ("Qwen/Qwen2.5-1.5B-Instruct", "conf/train.toml", 6),
        ("microsoft/Phi-3-mini-4k-instruct", "conf/train.toml", 9),
    }


def test_configured_keys_add_to_the_tools_keys(tmp_path):
    files = {"c.yaml": "model: org/default-key\nmy_weights: org/custom-key\nnotes: org/not-a-key\n"}
    default = _project(tmp_path, files)
    assert {o.ref.repo_id for o in default.occurrences} == {"org/default-key"}
    custom = discover(tmp_path, DiscoverySettings(config_keys=("my_weights",)))
    assert {o.ref.repo_id for o in custom.occurrences} == {"org/default-key", "org/custom-key"}


def test_lock_files_and_model_folder_files_are_not_configs(tmp_path):
    result = _project(tmp_path, {
        "package-lock.json": '{"packages": {"": {"model": "org/from-lock"}}}',
        "web/pnpm-lock.yaml": "model: org/from-pnpm-lock\n",
        "weights/tokenizer_config.json": '{"tokenizer": "org/from-tokenizer-config"}',
        "weights/tokenizer_2.json": '{"tokenizer": "org/from-second-tokenizer"}',
        "weights/model.safetensors.index.json": '{"model": "org/from-index"}',
    })
    assert result.occurrences == ()
    assert result.skipped == ()


def test_a_local_folder_named_like_an_id_is_not_a_hub_model(tmp_path):
    (tmp_path / "models" / "my-finetune").mkdir(parents=True)
    result = _project(tmp_path, {"run.yaml": "base_model: models/my-finetune\nmodel: org/hub-model\n"})
    assert {o.ref.repo_id for o in result.occurrences} == {"org/hub-model"}


def test_an_app_config_json_is_read_as_config(tmp_path):
    result = _project(tmp_path, {"service/config.json": '{\n  "port": 8080,\n  "model": "org/app-model"\n}\n'})
    assert _found(result) == {("org/app-model", "service/config.json", 3)}
    assert result.local_models == ()


def test_training_and_serving_tool_keys(tmp_path):
    result = _project(tmp_path, {
        "axolotl/qlora.yml": """
            base_model: NousResearch/Meta-Llama-3.1-8B
            base_model_config: NousResearch/Meta-Llama-3.1-8B
            lora_model_dir: org/previous-lora
        """,
        "mergekit/merge.yaml": """
            merge_method: ties
            base_model: mistralai/Mistral-7B-v0.1
            models:
              - model: teknium/OpenHermes-2.5-Mistral-7B
                parameters: {density: 0.5, weight: 0.5}
              - model: Intel/neural-chat-7b-v3-3
        """,
        "llamafactory/dpo.yaml": """
            model_name_or_path: Qwen/Qwen2.5-7B-Instruct
            adapter_name_or_path: org/sft-lora,org/dpo-lora
            ref_model: Qwen/Qwen2.5-7B-Instruct
        """,
        "serving/vllm.yaml": """
            model: meta-llama/Llama-3.3-70B-Instruct
            tokenizer: meta-llama/Llama-3.3-70B-Instruct
            speculative_model: meta-llama/Llama-3.2-1B-Instruct
        """,
        "serving/tgi.json": '{"model-id": "google/gemma-2-27b-it", "max-input-tokens": 4096}',
    })
    assert {(o.ref.repo_id, o.location.path) for o in result.occurrences} == {
        ("NousResearch/Meta-Llama-3.1-8B", "axolotl/qlora.yml"),
        ("org/previous-lora", "axolotl/qlora.yml"),
        ("mistralai/Mistral-7B-v0.1", "mergekit/merge.yaml"),
        ("teknium/OpenHermes-2.5-Mistral-7B", "mergekit/merge.yaml"),
        ("Intel/neural-chat-7b-v3-3", "mergekit/merge.yaml"),
        ("Qwen/Qwen2.5-7B-Instruct", "llamafactory/dpo.yaml"),
        ("org/sft-lora", "llamafactory/dpo.yaml"),
        ("org/dpo-lora", "llamafactory/dpo.yaml"),
        ("meta-llama/Llama-3.3-70B-Instruct", "serving/vllm.yaml"),
        ("meta-llama/Llama-3.2-1B-Instruct", "serving/vllm.yaml"),
        ("google/gemma-2-27b-it", "serving/tgi.json"),
    }
    lines = sorted(o.location.line for o in result.occurrences if o.location.path == "axolotl/qlora.yml")
    assert lines == [1, 2, 3]


def test_json_values_far_from_their_key_are_kept_at_the_key_line(tmp_path):
    # A value is looked for within 64 KB after its key; further away (or written with escapes the raw text
    # does not hold as such) it is reported at its key's line, never dropped.
    far = '{\n  "model":' + "\n" * 70_000 + '  "org/far-away",\n  "base_model": "org\\/escaped"\n}\n'
    result = _project(tmp_path, {"app.json": far})
    assert _found(result) == {("org/far-away", "app.json", 2), ("org/escaped", "app.json", 70_003)}
