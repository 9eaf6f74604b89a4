"""Model families whose licence differs per release: each release gets the terms its own text states."""

from __future__ import annotations

import json

import pytest

from handmade import HUB_DATA, add_repo, copy_recorded, stand_in_license
from licscan.config import data_dir
from licscan.evaluation.knowledge import load_knowledge
from licscan.evaluation.licenses import identify
from licscan.model import CardData
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


# Generic family ids (openrail, bsd, gpl, lgpl): what every member text shares is read in those texts; what the
# id cannot tell (which OpenRAIL text, so whether commercial use is allowed) stays unknown, never clear.

def alone_under(tmp_path, license_id: str) -> tuple[dict, list[str]]:
    """The effective terms of a model declaring license_id with no ancestor, and the fields left unconfirmed."""
    mirror = tmp_path / "mirror"
    add_repo(mirror, "someone/alone", {"license": license_id})
    result, report = scan(project_with(tmp_path, "someone/alone"), tmp_path, mirror=mirror)
    effective = model(report, "someone/alone")["effective"]
    (terms,) = effective["terms_confidence"]
    return effective, terms["license_unconfirmed"]


def test_an_orphan_openrail_model_stays_unknown_but_its_shared_use_restrictions_are_read_in_the_member_texts(tmp_path):
    effective, unconfirmed = alone_under(tmp_path, "openrail")
    assert effective["commercial_use"] == "unknown"
    assert unconfirmed == ["commercial_use"]
    flow_down = [duty for duty in effective["obligations"] if duty["kind"] == "use-policy"]
    assert flow_down and all(duty["confidence"] == "primary" and "[unconfirmed]" not in duty["text"]
                             for duty in flow_down)


def test_a_bsd_family_model_keeps_the_notices_every_bsd_text_requires_as_a_primary_duty(tmp_path):
    effective, unconfirmed = alone_under(tmp_path, "bsd")
    assert effective["commercial_use"] == "allowed"
    assert unconfirmed == []
    assert any(duty["kind"] == "attribution" and "copyright" in duty["text"] and duty["confidence"] == "primary"
               for duty in effective["obligations"])


def test_a_stable_diffusion_3_5_fine_tune_passes_stabilitys_use_policy_on_as_its_text_says(tmp_path):
    mirror = tmp_path / "mirror"
    add_repo(mirror, "stabilityai/stable-diffusion-3.5-medium",
             {"license": "other", "license_name": "stabilityai-ai-community", "pipeline_tag": "text-to-image"})
    add_repo(mirror, "someone/sd35-anime", {"base_model": "stabilityai/stable-diffusion-3.5-medium"})
    result, report = scan(project_with(tmp_path, "someone/sd35-anime"), tmp_path, mirror=mirror)
    effective = model(report, "someone/sd35-anime")["effective"]
    assert "stabilityai-ai-community" in effective["licenses"]
    flow_down = [duty for duty in effective["obligations"] if duty["kind"] == "use-policy"]
    assert flow_down and flow_down[0]["confidence"] == "primary" and "Acceptable Use Policy" in flow_down[0]["text"]


# Each release under the licence its publisher's card declares, and the record that names the release.
# Recorded cards (tests/data/hub) ...
RECORDED_RELEASES = [
    ("google/gemma-2-9b", "Gemma 2", "gemma"),
    ("google/gemma-3-27b-pt", "Gemma 3", "gemma"),
    ("google/gemma-3n-E4B-it", "Gemma 3n", "gemma"),
    ("google/medgemma-27b-text-it", "MedGemma", "health-ai-developer-foundations"),
    ("meta-llama/Meta-Llama-3-8B", "Llama 3", "llama3"),
    ("meta-llama/Llama-3.1-8B", "Llama 3.1", "llama3.1"),
    ("meta-llama/Llama-3.2-3B", "Llama 3.2", "llama3.2"),
    ("meta-llama/Llama-3.3-70B-Instruct", "Llama 3.3", "llama3.3"),
    ("meta-llama/Llama-4-Scout-17B-16E", "Llama 4", "llama4"),
    ("mistralai/Mixtral-8x7B-v0.1", "Mixtral 8x7B", "apache-2.0"),
    ("mistralai/Mixtral-8x22B-v0.1", "Mixtral 8x22B", "apache-2.0"),
    ("mistralai/Devstral-Small-2507_gguf", "Devstral Small", "apache-2.0"),
]
# ... and the front matter of publishers' cards read in stored public copies (cited in the licence records).
READ_RELEASES = [
    ("mistralai/Mistral-Small-Instruct-2409", {"license": "other", "license_name": "mrl",
                                                "license_link": "https://mistral.ai/licenses/MRL-0.1.md"},
     "Mistral Small (2409)", "mrl"),
    ("stabilityai/stable-diffusion-3.5-large", {"license": "other", "license_name": "stabilityai-ai-community",
                                                 "license_link": "LICENSE.md"},
     "Stable Diffusion 3.5", "stabilityai-ai-community"),
    ("black-forest-labs/FLUX.1-Kontext-dev", {"license": "other", "license_name": "flux-1-dev-non-commercial-license",
                                               "license_link": "LICENSE.md"},
     "FLUX.1 Kontext [dev]", "flux-1-dev-non-commercial-license"),
    ("microsoft/Orca-2-13b", {"license": "other", "license_name": "microsoft-research-license", "license_link": "LICENSE"},
     "Orca 2", "microsoft-research-license"),
    # International publishers' releases (cards and licence texts cited in the records).
    ("google/gemma-4-E4B-it", {"license": "apache-2.0"}, "Gemma 4", "apache-2.0"),
    ("black-forest-labs/FLUX.1-schnell", {"license": "apache-2.0"}, "FLUX.1 [schnell]", "apache-2.0"),
    ("black-forest-labs/FLUX.2-klein-4B", {"license": "apache-2.0"}, "FLUX.2 [klein] 4B", "apache-2.0"),
    ("black-forest-labs/FLUX.2-klein-9B",
     {"license": "other", "license_link":
      "https://github.com/black-forest-labs/flux2/blob/main/model_licenses/LICENSE-FLUX-NON-COMMERICAL"},
     "FLUX.2 [klein] 9B", "flux-2-non-commercial-license"),
    ("black-forest-labs/FLUX.2-dev",
     {"license": "other",
      "license_link": "https://github.com/black-forest-labs/flux2/blob/main/model_licenses/LICENSE-FLUX-DEV"},
     "FLUX.2 [dev]", "flux-2-non-commercial-license"),
    ("mistralai/Mistral-Small-24B-Instruct-2501", {"license": "apache-2.0"}, "Mistral Small 3 (2501)", "apache-2.0"),
    ("playgroundai/playground-v2.5-1024px-aesthetic",
     {"license": "other", "license_name": "playground-v2dot5-community"}, "Playground v2.5",
     "playground-v2dot5-community"),
    ("playgroundai/playground-v2-1024px-aesthetic", {"license": "other", "license_name": "playground-v2-community"},
     "Playground v2", "playground-v2-community"),
    ("OpenVINO/Phi-3-mini-FastDraft-50M-int8-ov", {"license": "intel-research"}, "OpenVINO FastDraft",
     "intel-research"),
    ("ai21labs/AI21-Jamba-Mini-1.6", {"license": "other", "license_name": "jamba-open-model-license"}, "Jamba 1.6",
     "jamba-open-model-license"),
    ("yandex/YandexGPT-5-Lite-8B-pretrain", {"license": "other", "license_name": "yandexgpt-5-lite-8b-pretrain"},
     "YandexGPT 5 Lite 8B", "yandexgpt-5-lite-8b"),
    ("xai-org/grok-2", {"license": "other", "license_name": "grok2-community"}, "Grok 2", "grok2-community"),
]


def recorded_card(repo: str) -> dict:
    return json.loads((HUB_DATA / repo / "info.json").read_text())["cardData"]


@pytest.mark.parametrize("repo, fields, family, key",
                         [(repo, None, family, key) for repo, family, key in RECORDED_RELEASES] + READ_RELEASES)
def test_each_release_is_read_under_the_licence_its_card_declares_and_its_record_names_the_release(
        repo, fields, family, key):
    fields = fields or recorded_card(repo)
    card = CardData(license=fields.get("license"), license_name=fields.get("license_name"),
                    license_link=fields.get("license_link"))
    assert identify(repo, card, KNOWLEDGE).key == key
    record = KNOWLEDGE.licenses[key]
    assert any(name.startswith(family) for name in record.families), record.families
    assert record.field_confidence("families") == "primary"



def test_explain_cc_says_which_member_texts_disagree_and_that_those_terms_stay_unknown():
    from licscan.evaluation.explain import explain

    text = explain("cc", KNOWLEDGE)
    assert "NonCommercial" in text and "ShareAlike" in text and "CC0" in text
    (commercial,) = [line for line in text.splitlines() if line.strip().startswith("commercial use")]
    assert commercial.endswith("[unconfirmed]")


# A repo whose licence changed between revisions: NVIDIA moved Nemotron 3 Super from the NVIDIA Open Model License
# to the NVIDIA Nemotron Open Model License in March 2026 (its card's license_name changed). Each revision is read
# under its own licence: a project pinned to the earlier revision keeps the older terms.

def test_nemotron_3_super_is_read_under_the_licence_of_each_revision(tmp_path):
    repo = "nvidia/NVIDIA-Nemotron-3-Super-120B-A12B-BF16"
    old, new = tmp_path / "old-mirror", tmp_path / "new-mirror"
    card = {"license": "other", "pipeline_tag": "text-generation"}
    old_sha = add_repo(old, repo, {**card, "license_name": "nvidia-open-model-license"})
    new_sha = add_repo(new, repo, {**card, "license_name": "nvidia-nemotron-open-model-license"})
    assert old_sha != new_sha
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(f'from transformers import AutoModel\nAutoModel.from_pretrained("{repo}", '
                                    f'revision="{old_sha}")\n')
    result, report = scan(project, tmp_path, mirror=old)
    pinned = model(report, f"{repo}@{old_sha}")
    assert (pinned["lineage"]["nodes"][0]["revision"], pinned["lineage"]["nodes"][0]["license_key"]) == \
        (old_sha, "nvidia-open-model-license")
    duties = " ".join(duty["text"] for duty in pinned["effective"]["obligations"])
    assert "Licensed by NVIDIA Corporation under the NVIDIA Open Model License" in duties
    # The current revision: the Nemotron licence, identified by its slug, its terms known only at second hand.
    result, report = scan(project_with(tmp_path, repo, name="current"), tmp_path, mirror=new)
    current = node(report, repo)
    assert (current["revision"], current["license_key"]) == (new_sha, "nvidia-nemotron-open-model-license")
    effective = model(report, repo)["effective"]
    assert effective["commercial_use"] == "conditional"
    (terms,) = effective["terms_confidence"]
    assert terms["license_confidence"] == "secondary"
    assert "NVIDIA Open Model License" not in " ".join(duty["text"] for duty in effective["obligations"])
