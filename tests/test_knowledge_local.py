"""Local model folders read like Hub repos: their LICENSE / LICENSE-MODEL / NOTICE file identified by marker phrases."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from handmade import HUB_DATA, stand_in_license
from knowledge_scan import messages, model, scan_report
from licscan.resolution.local import read_local_license


def folder(tmp_path: Path, card: str, files: dict[str, str]) -> Path:
    project = tmp_path / "project"
    target = project / "models" / "mine"
    target.mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.licscan]\n")
    (target / "README.md").write_text(f"---\n{card}---\n# mine\n")
    (target / "config.json").write_text(json.dumps({"model_type": "llama"}))
    for name, text in files.items():
        (target / name).write_text(text)
    return project


def test_a_folder_whose_card_declares_nothing_is_under_the_deepseek_licence_its_license_file_holds(tmp_path):
    project = folder(tmp_path, "library_name: transformers\n",
                     {"LICENSE": stand_in_license("DEEPSEEK LICENSE AGREEMENT", "Version 1.0, 23 October 2023")})
    item = model(scan_report(tmp_path, HUB_DATA, project=project), "local:models/mine")
    assert item["effective"]["licenses"] == ["deepseek"]
    node = item["lineage"]["nodes"][0]
    assert node["license_key"] == "deepseek"
    assert not any("declares no licence" in text for text in messages(item, "LS111"))


def test_a_folder_whose_card_says_mit_beside_a_llama_license_is_the_declared_versus_text_finding(tmp_path):
    project = folder(tmp_path, "license: mit\n", {"LICENSE": stand_in_license("LLAMA 3.1 COMMUNITY LICENSE AGREEMENT")})
    item = model(scan_report(tmp_path, HUB_DATA, project=project), "local:models/mine")
    (message,) = messages(item, "LS113")
    assert "declares mit" in message and "Llama 3.1" in message and "LICENSE" in message
    assert "llama3.1" in item["effective"]["licenses"]


def test_a_license_model_file_is_read_before_the_code_licence(tmp_path):
    project = folder(tmp_path, "library_name: transformers\n",
                     {"LICENSE": stand_in_license("Apache License", "Version 2.0, January 2004"),
                      "LICENSE-MODEL": stand_in_license("DEEPSEEK LICENSE AGREEMENT", "Version 1.0, 23 October 2023")})
    assert read_local_license(str(project), "models/mine/config.json")[0] == "LICENSE-MODEL"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks on this platform")
def test_a_licence_file_that_is_a_symlink_out_of_the_folder_is_never_read(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text(stand_in_license("DEEPSEEK LICENSE AGREEMENT", "Version 1.0, 23 October 2023"))
    project = folder(tmp_path, "library_name: transformers\n", {})
    (project / "models" / "mine" / "LICENSE").symlink_to(outside)
    assert read_local_license(str(project), "models/mine/config.json") == (None, None)
    # A folder reached through a symlink is not read either.
    (project / "linked").symlink_to(project / "models" / "mine", target_is_directory=True)
    (project / "models" / "mine" / "LICENSE").unlink()
    (project / "models" / "mine" / "LICENSE.md").write_text("text")
    assert read_local_license(str(project), "linked/config.json") == (None, None)
    assert read_local_license(str(project), "../outside/config.json") == (None, None)


def test_a_gguf_header_whose_general_license_differs_from_the_card_is_the_declared_versus_text_finding(tmp_path):
    from handmade import add_repo

    mirror = tmp_path / "mirror"
    add_repo(mirror, "meta-llama/Llama-3.1-8B", {"license": "llama3.1"})
    header = {"file": "model-Q4_K_M.gguf", "general": {"general.license": "llama3.1",
                                                      "general.base_model.0.repo_url":
                                                          "https://huggingface.co/meta-llama/Llama-3.1-8B"}}
    add_repo(mirror, "someone/tune-GGUF", {"license": "apache-2.0", "base_model": "meta-llama/Llama-3.1-8B"},
             files={"gguf-header.json": json.dumps(header)})
    add_repo(mirror, "someone/same-GGUF", {"license": "llama3.1", "base_model": "meta-llama/Llama-3.1-8B"},
             files={"gguf-header.json": json.dumps(header)})
    report = scan_report(tmp_path, mirror, "someone/tune-GGUF", "someone/same-GGUF")
    (message,) = [text for text in messages(model(report, "someone/tune-GGUF"), "LS113") if "GGUF" in text]
    assert "general.license llama3.1" in message and "Apache" in message
    assert [t for t in messages(model(report, "someone/same-GGUF"), "LS113") if "GGUF" in t] == []
