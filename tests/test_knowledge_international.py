"""International publishers' licence texts (Playground, Intel, xAI, TII, Krea, Yandex, AI21) and releases per licence.

Each licence is read where its text was found, each release under the licence its publisher names, and each fact is
checked on a model it governs and on a neighbour it does not.
"""

from __future__ import annotations

import pytest

from handmade import add_repo, stand_in_license
from licscan.config import data_dir
from licscan.evaluation.knowledge import load_knowledge
from test_knowledge_resolution import model, node, project_with, scan

KNOWLEDGE = load_knowledge([data_dir("rules")])


def scan_cards(tmp_path, cards: dict[str, dict], files: dict[str, dict[str, str]] | None = None) -> dict:
    """The report of one scan over hand-made repos (repo id -> card front matter, optional files per repo)."""
    mirror = tmp_path / "mirror"
    for repo, fields in cards.items():
        add_repo(mirror, repo, fields, files=(files or {}).get(repo))
    result, report = scan(project_with(tmp_path, *cards), tmp_path, mirror=mirror)
    return report


def duties_of(effective: dict, key: str) -> dict[str, dict]:
    return {duty["kind"]: duty for duty in effective["obligations"] if duty["license"] == key}


# ---------------------------------------------------------------------------------------------------------
# Playground v2 and v2.5: read in the v2 text, which Playground says v2.5's is the same as
# ---------------------------------------------------------------------------------------------------------

def test_playground_v2_5_needs_a_licence_past_1_million_monthly_users_and_bars_improving_other_image_models(tmp_path):
    repo = "playgroundai/playground-v2.5-1024px-aesthetic"
    report = scan_cards(tmp_path, {repo: {
        "license": "other", "license_name": "playground-v2dot5-community", "pipeline_tag": "text-to-image",
        "license_link": "https://huggingface.co/playgroundai/playground-v2.5-1024px-aesthetic/blob/main/LICENSE.md"}})
    effective = model(report, repo)["effective"]
    assert effective["commercial_use"] == "conditional"
    assert any("1 million" in text and "monthly unique users" in text and "section 2" in text
               for text in effective["conditions"])
    duties = duties_of(effective, "playground-v2dot5-community")
    assert "improve any other text-to-image generative model" in duties["output-training"]["text"]
    assert '"Playground v2.5 is licensed under the Playground v2.5 Community License."' in duties["attribution"]["text"]
    assert "Attachment A" in duties["use-policy"]["text"]
    assert all(duty["confidence"] == "primary" and "[unconfirmed]" not in duty["text"] for duty in duties.values())
    (terms,) = effective["terms_confidence"]
    assert (terms["license_confidence"], terms["license_unconfirmed"]) == ("primary", [])


@pytest.mark.parametrize("version, other", [("playground-v2dot5-community", "playground-v2-community"),
                                            ("playground-v2-community", "playground-v2dot5-community")])
def test_a_playground_licence_file_is_told_apart_from_the_other_version_by_its_title(tmp_path, version, other):
    # Both texts share their definitions (and so the "Mighty Computing" phrase); only the title decides.
    report = scan_cards(tmp_path, {"someone/playground-tune": {"license": "other"}},
                        files={"someone/playground-tune": {"LICENSE.md": stand_in_license(
                            *KNOWLEDGE.licenses[version].markers)}})
    assert node(report, "someone/playground-tune")["license_key"] == version != other


def test_playground_v2_carries_its_own_notice_not_the_v2_5_one(tmp_path):
    report = scan_cards(tmp_path, {"playgroundai/playground-v2-1024px-aesthetic": {
        "license": "other", "license_name": "playground-v2-community", "pipeline_tag": "text-to-image"}})
    effective = model(report, "playgroundai/playground-v2-1024px-aesthetic")["effective"]
    attribution = duties_of(effective, "playground-v2-community")["attribution"]["text"]
    assert '"Playground v2 is licensed under the Playground v2 Community License."' in attribution
    assert "v2.5" not in attribution


# ---------------------------------------------------------------------------------------------------------
# Intel Research Use License: research purposes only
# ---------------------------------------------------------------------------------------------------------

def test_an_intel_research_model_is_non_commercial_as_section_2_of_its_text_says(tmp_path):
    repo = "OpenVINO/Llama-3.1-8B-Instruct-FastDraft-150M-int8-ov"
    report = scan_cards(tmp_path, {repo: {"license": "intel-research"},
                                   "someone/fastdraft-copy": {"license": "other"}},
                        files={"someone/fastdraft-copy": {"LICENSE.md": stand_in_license(
                            "# Intel Research Use License Agreement")}})
    effective = model(report, repo)["effective"]
    assert effective["commercial_use"] == "non-commercial"
    (terms,) = effective["terms_confidence"]
    assert terms["license_confidence"] == "primary" and "commercial_use" not in terms["license_unconfirmed"]
    # A copy that ships only the LICENSE file is read as the same text.
    assert node(report, "someone/fastdraft-copy")["license_key"] == "intel-research"
    assert model(report, "someone/fastdraft-copy")["effective"]["commercial_use"] == "non-commercial"


# ---------------------------------------------------------------------------------------------------------
# Grok 2 (xAI Community License): no training of other general-purpose models, commercial use under the policy
# ---------------------------------------------------------------------------------------------------------

def test_a_grok_2_fine_tune_may_not_train_other_foundation_models_and_needs_no_revenue_cap(tmp_path):
    report = scan_cards(tmp_path, {
        "xai-org/grok-2": {"license": "other", "license_name": "grok2-community"},
        "someone/grok-2-tune": {"license": "other", "base_model": "xai-org/grok-2"},
    }, files={"someone/grok-2-tune": {"LICENSE": stand_in_license("xAI Community License Agreement")}})
    for repo in ("xai-org/grok-2", "someone/grok-2-tune"):
        effective = model(report, repo)["effective"]
        assert "grok2-community" in effective["licenses"]
        assert effective["commercial_use"] == "conditional"
        # The current text (2025-11-04) conditions commercial use on the Use Policy, not on revenue.
        assert not any("revenue" in text for text in effective["conditions"])
        duty = duties_of(effective, "grok2-community")["output-training"]
        assert "foundational, large language, or general-purpose AI models" in duty["text"]
        assert duty["confidence"] == "primary"
    assert node(report, "someone/grok-2-tune")["license_key"] == "grok2-community"
    # The display duty is known from summaries only, and says so.
    attribution = duties_of(model(report, "xai-org/grok-2")["effective"], "grok2-community")["attribution"]
    assert "Powered by xAI" in attribution["text"] and attribution["confidence"] == "secondary"


# ---------------------------------------------------------------------------------------------------------
# TII Falcon LLM License: Falcon 7B/40B's first licence, replaced by Apache-2.0 in a later revision
# ---------------------------------------------------------------------------------------------------------

def test_falcon_7b_instruct_is_read_under_the_tii_licence_at_its_first_revision_and_apache_at_a_later_one(tmp_path):
    repo = "tiiuae/falcon-7b-instruct"
    old, new = tmp_path / "old-mirror", tmp_path / "new-mirror"
    old_sha = add_repo(old, repo, {"license": "tii-falcon-llm", "language": ["en"], "inference": False})
    new_sha = add_repo(new, repo, {"license": "apache-2.0", "language": ["en"], "inference": False})
    pinning = f'from transformers import AutoModel\nAutoModel.from_pretrained("{repo}", revision="{old_sha}")\n'
    result, report = scan(project_with(tmp_path, code=pinning, name="pinned"), tmp_path, mirror=old)
    pinned = model(report, f"{repo}@{old_sha}")
    assert pinned["lineage"]["nodes"][0]["license_key"] == "tii-falcon-llm"
    effective = pinned["effective"]
    assert effective["commercial_use"] == "conditional"
    assert any(text.endswith("registration or application required")
               for text in effective["conditions"])
    (terms,) = effective["terms_confidence"]
    assert "registration_required" not in terms["license_unconfirmed"]
    # The royalty above USD 1 million is known from a summary of section 8 only.
    assert any("USD 1 million" in text and "royalty" in text for text in effective["conditions"])
    assert "thresholds" in terms["license_secondary"]
    result, report = scan(project_with(tmp_path, repo, name="current"), tmp_path, mirror=new)
    assert (node(report, repo)["revision"], node(report, repo)["license_key"]) == (new_sha, "apache-2.0")
    assert model(report, repo)["effective"]["commercial_use"] == "allowed"
    assert model(report, repo)["effective"]["conditions"] == []


# ---------------------------------------------------------------------------------------------------------
# Krea 2, YandexGPT 5 Lite, Jamba: what the texts' openings and the publishers' pages confirm
# ---------------------------------------------------------------------------------------------------------

def test_a_krea_2_derivative_must_begin_its_name_with_krea_a_duty_known_from_quotations(tmp_path):
    report = scan_cards(tmp_path, {
        "krea/Krea-2-Raw": {"license": "other", "license_name": "krea-2-community-license",
                            "pipeline_tag": "text-to-image"},
        "someone/krea-2-anime": {"base_model": "krea/Krea-2-Raw", "pipeline_tag": "text-to-image"},
    })
    effective = model(report, "someone/krea-2-anime")["effective"]
    naming = duties_of(effective, "krea-2-community-license")["naming"]
    assert '"Krea" at the beginning of its name' in naming["text"] and naming["confidence"] == "secondary"
    record = KNOWLEDGE.licenses["krea-2-community-license"]
    assert (record.date, record.field_confidence("name"), record.field_confidence("version")) == \
        ("2026-06-22", "primary", "primary")


def test_the_yandexgpt_pretrain_slug_is_the_yandex_licence_and_its_commercial_terms_are_read_in_its_text(tmp_path):
    # Sixth pass: the commercial terms, once known from a survey only, are read in ScanCode's copy of the text.
    repo = "yandex/YandexGPT-5-Lite-8B-pretrain"
    report = scan_cards(tmp_path, {repo: {"license": "other", "license_name": "yandexgpt-5-lite-8b-pretrain",
                                          "license_link": "LICENSE"}})
    assert node(report, repo)["license_key"] == "yandexgpt-5-lite-8b"
    (terms,) = model(report, repo)["effective"]["terms_confidence"]
    assert terms["license_confidence"] == "primary"
    assert not {"commercial_use", "thresholds"} & set(terms["license_secondary"] + terms["license_unconfirmed"])


def test_jambas_hub_slug_is_confirmed_while_its_terms_stay_unconfirmed():
    record = KNOWLEDGE.licenses["jamba-open-model-license"]
    assert record.field_confidence("key") == "primary"
    assert record.field_confidence("thresholds") == "unconfirmed" and record.thresholds == ()


# ---------------------------------------------------------------------------------------------------------
# Releases per licence, in both directions (each release is identified under its licence in
# test_knowledge_families.py's READ_RELEASES; here, the neighbour the fact does not govern)
# ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("family, key, neighbour", [
    # Gemma 4 is Apache-2.0; the releases before it stay under the Gemma Terms of Use.
    ("Gemma 4", "apache-2.0", "gemma"),
    # FLUX.2 [klein] 4B is Apache-2.0, its 9B siblings and FLUX.2 [dev] are not.
    ("FLUX.2 [klein] 4B", "apache-2.0", "flux-2-non-commercial-license"),
    ("FLUX.2 [dev]", "flux-2-non-commercial-license", "flux-1-dev-non-commercial-license"),
    # Mistral Small 3 moved to Apache-2.0; Mistral Small 2409 was under the research licence.
    ("Mistral Small 3", "apache-2.0", "mrl"),
])
def test_a_release_is_named_by_its_own_licence_and_not_by_its_neighbours(family, key, neighbour):
    assert any(name.startswith(family) for name in KNOWLEDGE.licenses[key].families)
    assert not any(name.startswith(family) for name in KNOWLEDGE.licenses[neighbour].families)


def test_flux_2_klein_4b_is_commercially_usable_and_klein_9b_is_not(tmp_path):
    report = scan_cards(tmp_path, {
        "black-forest-labs/FLUX.2-klein-4B": {"license": "apache-2.0", "pipeline_tag": "text-to-image"},
        "black-forest-labs/FLUX.2-klein-9B": {
            "license": "other", "pipeline_tag": "text-to-image", "license_link":
            "https://github.com/black-forest-labs/flux2/blob/main/model_licenses/LICENSE-FLUX-NON-COMMERICAL"},
    })
    assert model(report, "black-forest-labs/FLUX.2-klein-4B")["effective"]["commercial_use"] == "allowed"
    nine = model(report, "black-forest-labs/FLUX.2-klein-9B")["effective"]
    assert nine["commercial_use"] == "non-commercial"
    (terms,) = nine["terms_confidence"]
    assert "commercial_use" not in terms["license_unconfirmed"] + terms["license_secondary"]
