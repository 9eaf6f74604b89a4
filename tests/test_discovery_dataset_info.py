"""LLaMA-Factory training configs: `dataset: a,b` names resolved through the project's dataset_info.json
(`hf_hub_url` is a Hub dataset, `file_name` a local file, `ms_hub_url` alone not the Hub's); an unknown name is
listed with why, and a dataset_info.json outside the project is never read."""

from __future__ import annotations

import json
import os

from licscan.model import RefKind

from project_files import discover_project

_INFO = {
    "alpaca_en": {"hf_hub_url": "acme/alpaca-en"},
    "identity": {"file_name": "identity.json"},
    "modelscope_only": {"ms_hub_url": "acme/ms-only"},
    "both_hubs": {"hf_hub_url": "acme/both", "ms_hub_url": "acme-ms/both"},
}
_TRAIN = """
    model_name_or_path: ./local-model
    stage: sft
    finetuning_type: lora
    template: llama3
    dataset: alpaca_en,identity, both_hubs,modelscope_only,not_registered
    eval_dataset: [alpaca_en]
"""


def _datasets(result):
    # (dataset_info.json's own hf_hub_url values are the config source's reading of that file, as before)
    return {(o.ref.repo_id, o.location.path, o.location.line) for o in result.occurrences
            if o.ref.kind is RefKind.DATASET and o.location.path.endswith(".yaml")}


def _unknown(result):
    return sorted(s.detail for s in result.skipped if s.reason == "unknown-dataset-name")


def test_names_resolve_through_the_usual_data_folder_up_the_tree(tmp_path):
    result = discover_project(tmp_path, {"data/dataset_info.json": _INFO, "examples/train_lora/sft.yaml": _TRAIN})
    assert _datasets(result) == {("acme/alpaca-en", "examples/train_lora/sft.yaml", 5),
                                 ("acme/both", "examples/train_lora/sft.yaml", 5),
                                 ("acme/alpaca-en", "examples/train_lora/sft.yaml", 6)}
    assert _unknown(result) == [
        "line 5: dataset 'modelscope_only': data/dataset_info.json gives only a ModelScope or other hub's name",
        "line 5: dataset 'not_registered' is not in data/dataset_info.json"]
    assert not [s for s in result.skipped if s.reason == "dataset-name"]  # nothing left pending


def test_dataset_dir_is_looked_in_and_a_missing_table_is_said(tmp_path):
    result = discover_project(tmp_path, {
        "configs/my_data/dataset_info.json": _INFO,
        "configs/train.yaml": _TRAIN.replace("template: llama3", "template: llama3\n    dataset_dir: my_data"),
        "other/train.yaml": _TRAIN,
    })
    assert ("acme/alpaca-en", "configs/train.yaml", 7) in _datasets(result)
    assert not {path for _, path, _ in _datasets(result)} - {"configs/train.yaml"}
    assert "line 5: dataset 'alpaca_en': no dataset_info.json found (data/dataset_info.json up the tree)" in \
        _unknown(result)


def test_a_dataset_info_json_linked_from_outside_the_project_is_not_read(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "dataset_info.json").write_text(json.dumps(_INFO))
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    os.symlink(outside / "dataset_info.json", project / "data" / "dataset_info.json")
    result = discover_project(project, {"train.yaml": _TRAIN})
    assert _datasets(result) == set()
    assert all("leads outside the project" in detail for detail in _unknown(result)) and _unknown(result)
