"""Model families whose licence differs per release: each release gets the terms its own text states."""

from __future__ import annotations

import pytest

from handmade import add_repo, copy_recorded, stand_in_license
from licscan.config import data_dir
from licscan.evaluation.knowledge import load_knowledge
from test_knowledge_resolution import model, node, project_with, scan

KNOWLEDGE = load_knowledge([data_dir("rules")])


def test_minimax_m2_ties_its_display_duty_to_thresholds_and_m2_5_to_every_commercial_product(tmp_path):
    mirror = tmp_path / "mirror"
    slug = {"license": "other", "license_name": "modified-mit"}
    add_repo(mirror, "MiniMaxAI/MiniMax-M2", slug)
    add_repo(mirror, "MiniMaxAI/MiniMax-M2.5", slug)
    add_repo(mirror, "someone/m2-tune", {"license": "mit", "base_model": "MiniMaxAI/MiniMax-M2"})
    add_repo(mirror, "someone/m2.5-tune", {"license": "mit", "base_model": "MiniMaxAI/MiniMax-M2.5"})
    models = ("MiniMaxAI/MiniMax-M2", "MiniMaxAI/MiniMax-M2.5", "someone/m2-tune", "someone/m2.5-tune")
    result, report = scan(project_with(tmp_path, *models), tmp_path, mirror=mirror)
    for model_id in models:
        effective = model(report, model_id)["effective"]
        assert "modified-mit-minimax" in effective["licenses"], model_id
        assert effective["commercial_use"] == "conditional"
        duty = next(item for item in effective["obligations"] if item["license"] == "modified-mit-minimax"
                    and item["kind"] == "attribution")
        assert '"MiniMax M2.5" in every commercial product' in duty["text"] and duty["confidence"] == "primary"
    # M2's text: the display duty starts above 100 million MAU or USD 30 million annual recurring revenue ...
    for model_id in ("MiniMaxAI/MiniMax-M2", "someone/m2-tune"):
        conditions = " ".join(model(report, model_id)["effective"]["conditions"])
        assert "100 million monthly active users" in conditions and "USD 30 million" in conditions
    # ... M2.5's text has no threshold, so none is reported for it or what derives from it.
    for model_id in ("MiniMaxAI/MiniMax-M2.5", "someone/m2.5-tune"):
        assert not any("MiniMax" in text for text in model(report, model_id)["effective"]["conditions"])
    assert node(report, "MiniMaxAI/MiniMax-M2.5")["license_key"] == "modified-mit-minimax"


def test_deepseek_v3_is_under_the_deepseek_licence_at_its_release_revision_and_mit_at_a_later_one(tmp_path):
    # The December 2024 revision: no licence in the card, the DeepSeek agreement in LICENSE-MODEL; a later revision
    # declares MIT (as DeepSeek's later V3 releases do). Each revision gets the licence it carries.
    old, new = tmp_path / "old-mirror", tmp_path / "new-mirror"
    agreement = stand_in_license(*KNOWLEDGE.licenses["deepseek"].markers)
    old_sha = add_repo(old, "deepseek-ai/DeepSeek-V3", {"library_name": "transformers"},
                       files={"LICENSE-MODEL": agreement})
    new_sha = add_repo(new, "deepseek-ai/DeepSeek-V3", {"license": "mit", "library_name": "transformers"})
    pinning = f'from transformers import AutoModel\nAutoModel.from_pretrained("deepseek-ai/DeepSeek-V3", revision="{old_sha}")\n'
    result, report = scan(project_with(tmp_path, code=pinning), tmp_path, mirror=old)
    pinned = model(report, f"deepseek-ai/DeepSeek-V3@{old_sha}")
    (v3,) = pinned["lineage"]["nodes"]
    assert (v3["revision"], v3["license_key"], v3["license_method"]) == (old_sha, "deepseek", "license-file")
    assert pinned["effective"]["commercial_use"] == "conditional"
    assert any(duty["kind"] == "use-policy" for duty in pinned["effective"]["obligations"])
    result, report = scan(project_with(tmp_path, "deepseek-ai/DeepSeek-V3", name="current"), tmp_path, mirror=new)
    current = node(report, "deepseek-ai/DeepSeek-V3")
    assert (current["revision"], current["license_key"]) == (new_sha, "mit")
    assert model(report, "deepseek-ai/DeepSeek-V3")["effective"]["commercial_use"] == "allowed"


def test_qwen_image_is_apache_up_to_2512_and_qwen_image_2_1_is_research_only(tmp_path):
    mirror = copy_recorded(tmp_path / "mirror")
    add_repo(mirror, "Qwen/Qwen-Image-2.1", {"license": "other", "license_name": "qwen-research",
                                             "license_link": "LICENSE", "pipeline_tag": "text-to-image"})
    result, report = scan(project_with(tmp_path, "Qwen/Qwen-Image-2512", "Qwen/Qwen-Image-2.1"), tmp_path,
                          mirror=mirror)
    assert node(report, "Qwen/Qwen-Image-2512")["license_key"] == "apache-2.0"
    assert model(report, "Qwen/Qwen-Image-2512")["effective"]["commercial_use"] == "allowed"
    research = model(report, "Qwen/Qwen-Image-2.1")["effective"]
    assert research["commercial_use"] == "non-commercial"
    assert any(duty["kind"] == "naming" for duty in research["obligations"])
    assert any(name.startswith("Qwen-Image (") for name in KNOWLEDGE.licenses["apache-2.0"].families)
    assert any(name.startswith("Qwen-Image-2.1") for name in KNOWLEDGE.licenses["qwen-research"].families)


@pytest.mark.parametrize("key, other", [("qwen-community-1.0", "qwen3.8-max"), ("qwen3.8-max", "qwen-community-1.0")])
def test_the_two_2026_qwen_texts_are_told_apart_by_their_licence_files(tmp_path, key, other):
    # Both texts share the Model-as-a-Service clause; only the title and the revenue gate decide which one a file is.
    mirror = tmp_path / "mirror"
    add_repo(mirror, "someone/qwen38-tune", {"license": "other"},
             files={"LICENSE": stand_in_license(*KNOWLEDGE.licenses[key].markers)})
    result, report = scan(project_with(tmp_path, "someone/qwen38-tune"), tmp_path, mirror=mirror)
    assert node(report, "someone/qwen38-tune")["license_key"] == key != other


def test_each_2026_qwen_release_gets_its_own_texts_terms(tmp_path):
    mirror = tmp_path / "mirror"
    add_repo(mirror, "Qwen/Qwen3.8-27B", {"license": "apache-2.0"})
    add_repo(mirror, "Qwen/Qwen3.8-Flash-Next", {"license": "other", "license_name": "qwen-community-1.0"})
    add_repo(mirror, "Qwen/Qwen3.8-2.4T-A95B", {"license": "other", "license_name": "qwen3.8-max"})
    models = ("Qwen/Qwen3.8-27B", "Qwen/Qwen3.8-Flash-Next", "Qwen/Qwen3.8-2.4T-A95B")
    result, report = scan(project_with(tmp_path, *models), tmp_path, mirror=mirror)
    dense, community, largest = (model(report, name)["effective"] for name in models)
    assert dense["commercial_use"] == "allowed" and dense["conditions"] == []
    # Qwen Community 1.0: a separate licence for any Model-as-a-Service or AI Work Assistant business.
    assert community["commercial_use"] == "conditional"
    assert any("registration or application required" in text for text in community["conditions"])
    assert any("100 million monthly active users" in text for text in community["conditions"])
    # Qwen3.8-Max: the same business needs one only above USD 50 million of revenue in twelve months.
    assert not any("registration" in text for text in largest["conditions"])
    assert any("50 million USD annual revenue" in text and "AI Work Assistant" in text for text in largest["conditions"])
    for effective in (community, largest):
        (terms,) = effective["terms_confidence"]
        assert terms["license_confidence"] == "primary" and terms["license_unconfirmed"] == []


def test_a_hunyuan_model_must_ship_the_notice_file_and_is_only_encouraged_to_say_powered_by(tmp_path):
    mirror = tmp_path / "mirror"
    add_repo(mirror, "tencent/Hunyuan3D-2", {"license": "other", "license_name": "tencent-hunyuan-community",
                                              "pipeline_tag": "image-to-3d"})
    result, report = scan(project_with(tmp_path, "tencent/Hunyuan3D-2"), tmp_path, mirror=mirror)
    (duty,) = [item for item in model(report, "tencent/Hunyuan3D-2")["effective"]["obligations"]
               if item["kind"] == "attribution"]
    assert '"Notice" file' in duty["text"] and "section 3.d" in duty["text"]
    assert '"Powered by Tencent Hunyuan" is encouraged, not required' in duty["text"]
    assert duty["confidence"] == "primary"
