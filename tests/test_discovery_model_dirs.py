"""Local model folders: adapters, config.json lineage, model cards, and how a folder's files combine."""

from __future__ import annotations


from licscan.discovery import discover
from licscan.model import CardData, DiscoverySettings, Location, ParentLink, Relation

from project_files import discover_project as _project


def test_adapter_folder_is_a_local_model_with_an_adapter_parent(tmp_path):
    result = _project(tmp_path, {"outputs/lora-out/adapter_config.json": {
        "peft_type": "LORA",
        "base_model_name_or_path": "meta-llama/Llama-3.1-8B",
        "r": 16,
        "target_modules": ["q_proj", "v_proj"],
    }})
    (model,) = result.local_models
    assert model.key == "local:outputs/lora-out"
    assert model.location == Location("outputs/lora-out/adapter_config.json")
    assert model.card == CardData()
    assert model.parents == (ParentLink("meta-llama/Llama-3.1-8B", Relation.ADAPTER, "adapter_config"),)
    # The folder is the occurrence: its parents are lineage, not separate uses.
    assert result.occurrences == ()


def test_config_json_name_or_path(tmp_path):
    result = _project(tmp_path, {
        "ckpt/config.json": {
            "_name_or_path": "mistralai/Mistral-7B-v0.1",
            "architectures": ["MistralForCausalLM"],
            "model_type": "mistral",
        },
        "ckpt-local/config.json": {"_name_or_path": "/home/me/run-3/checkpoint-500", "model_type": "llama"},
    })
    by_key = {m.key: m for m in result.local_models}
    assert set(by_key) == {"local:ckpt", "local:ckpt-local"}
    assert by_key["local:ckpt"].parents == (ParentLink("mistralai/Mistral-7B-v0.1", Relation.UNSPECIFIED, "config.json"),)
    assert by_key["local:ckpt-local"].parents == ()
    assert result.occurrences == ()  # a model's config.json is not a config file naming a model


def test_readme_front_matter_gives_card_and_relation(tmp_path):
    result = _project(tmp_path, {"models/quant/README.md": """
        ---
        license: apache-2.0
        base_model: Qwen/Qwen2.5-7B-Instruct
        base_model_relation: quantized
        tags: [gguf]
        ---
        # My quant
    """})
    (model,) = result.local_models
    assert model.key == "local:models/quant"
    assert model.card.license == "apache-2.0"
    assert model.card.tags == ("gguf",)
    assert model.parents == (ParentLink("Qwen/Qwen2.5-7B-Instruct", Relation.QUANTIZED, "base_model"),)


def test_one_folder_one_model_card_first_and_contradictions_kept(tmp_path):
    result = _project(tmp_path, {
        "release/README.md": """
            ---
            license: llama3.1
            base_model:
              - meta-llama/Llama-3.1-8B-Instruct
            ---
        """,
        "release/config.json": {"_name_or_path": "meta-llama/Llama-3.1-8B", "model_type": "llama"},
        "release/adapter_config.json": {"base_model_name_or_path": "meta-llama/Llama-3.1-8B-Instruct"},
    })
    (model,) = result.local_models
    assert model.key == "local:release"
    assert model.card.license == "llama3.1"
    assert model.parents == (
        ParentLink("meta-llama/Llama-3.1-8B-Instruct", Relation.ADAPTER, "base_model+adapter_config"),
        ParentLink("meta-llama/Llama-3.1-8B", Relation.UNSPECIFIED, "config.json"),
    )


def test_readmes_that_are_not_model_cards(tmp_path):
    result = _project(tmp_path, {
        "README.md": "# My project\n\nUses https://huggingface.co/org/linked-in-docs\n",
        "docs/README.md": "---\ntitle: Docs page\n---\ntext\n",
        "space/README.md": "---\ntitle: Demo\nsdk: gradio\nlicense: mit\n---\n",
        "app/config.json": {"port": 1},
    })
    assert result.local_models == ()
    assert result.occurrences == ()


def test_readme_without_lineage_still_becomes_the_card_of_a_config_folder(tmp_path):
    result = _project(tmp_path, {
        "m/README.md": "---\ntags: [text-generation]\n---\n",
        "m/config.json": {"model_type": "gpt2"},
    })
    (model,) = result.local_models
    assert model.card.tags == ("text-generation",)
    assert model.location.path == "m/config.json"


def test_broken_card_front_matter_is_kept_as_a_problem(tmp_path):
    result = _project(tmp_path, {
        "m/README.md": "---\nlicense: [unclosed\n---\n",
        "m/config.json": {"model_type": "bert"},
    })
    (model,) = result.local_models
    assert model.card.license is None
    assert any("not valid YAML" in problem for problem in model.card.problems)


def test_card_base_and_adapter_config_give_one_adapter_edge(tmp_path):
    folder = tmp_path / "models" / "lora"
    folder.mkdir(parents=True)
    (folder / "README.md").write_text("---\nlicense: apache-2.0\nbase_model: Qwen/Qwen2.5-0.5B-Instruct\n---\n")
    (folder / "adapter_config.json").write_text('{"base_model_name_or_path": "Qwen/Qwen2.5-0.5B-Instruct"}')
    from licscan.discovery import discover
    from licscan.model import DiscoverySettings, Relation

    (local,) = discover(tmp_path, DiscoverySettings()).local_models
    assert [(p.repo_id, p.relation) for p in local.parents] == [("Qwen/Qwen2.5-0.5B-Instruct", Relation.ADAPTER)]
