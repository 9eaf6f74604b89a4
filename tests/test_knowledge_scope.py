"""Scoped knowledge: a licence term governs the models or modality its text names, and no neighbour."""

from __future__ import annotations

import json

import pytest

from handmade import HUB_DATA
from knowledge_scan import messages, model, scan_report
from licscan.config import data_dir
from licscan.errors import RuleError
from licscan.evaluation import evaluate_lineage
from licscan.evaluation.knowledge import load_knowledge, parse_license
from licscan.evaluation.licenses import identify
from licscan.model import CardData, Edge, Lineage, ModelRecord, Relation


@pytest.fixture(scope="module")
def knowledge():
    return load_knowledge([data_dir("rules")])


# Llama 3.2's EU clause withholds rights only for the multimodal models: decided from the recorded cards.

def test_llama_3_2_eu_clause_is_raised_on_the_multimodal_vision_model(tmp_path):
    report = scan_report(tmp_path, HUB_DATA, "meta-llama/Llama-3.2-11B-Vision-Instruct")
    item = model(report, "meta-llama/Llama-3.2-11B-Vision-Instruct")
    assert any("multimodal models" in text for text in messages(item, "LS122"))


def test_llama_3_2_eu_clause_is_not_raised_on_the_text_only_3b_model(tmp_path):
    item = model(scan_report(tmp_path, HUB_DATA, "meta-llama/Llama-3.2-3B"), "meta-llama/Llama-3.2-3B")
    assert messages(item, "LS122") == []
    # The rest of the licence still binds it.
    assert any("Llama 3.2 Community License" in text for text in messages(item, "LS130"))


# The same scope on Llama 3.3's and Llama 4's EU clause: the multimodal model and a text-only neighbour.
@pytest.mark.parametrize("key, multimodal, text_only", [
    ("llama3.3", "someone/llama-3.3-vision-tune", "meta-llama/Llama-3.3-70B-Instruct"),
    ("llama4", "RedHatAI/Llama-4-Scout-17B-16E-Instruct-FP8-dynamic", "someone/llama-4-text-distill"),
])
def test_llama_3_3_and_4_eu_clause_governs_the_multimodal_model_and_not_its_text_only_neighbour(
        knowledge, key, multimodal, text_only):
    def territorial(repo_id: str, pipeline_tag: str) -> list[str]:
        lineage = chain(record(repo_id, key, pipeline_tag=pipeline_tag))
        report = evaluate_lineage(repo_id, lineage, (), knowledge)
        return [f.message for f in report.findings if f.rule_id == "LS122"]

    assert any("multimodal models" in text for text in territorial(multimodal, "image-text-to-text"))
    assert territorial(text_only, "text-generation") == []


def test_the_recorded_llama_4_scout_quantization_is_multimodal_and_gets_the_eu_clause(tmp_path):
    repo = "RedHatAI/Llama-4-Scout-17B-16E-Instruct-FP8-dynamic"
    item = model(scan_report(tmp_path, HUB_DATA, repo), repo)
    assert any("Llama 4" in text and "multimodal" in text for text in messages(item, "LS122"))


def record(repo_id: str, license: str | None, **card) -> ModelRecord:
    return ModelRecord(repo_id=repo_id, revision="0" * 40, author=repo_id.split("/")[0],
                       card=CardData(license=license, **card))


def chain(*records: ModelRecord) -> Lineage:
    edges = tuple(Edge(child.repo_id, parent.repo_id, Relation.FINETUNE) for child, parent in zip(records, records[1:]))
    return Lineage(root=records[0].repo_id, nodes=records, edges=edges)


def test_a_card_that_does_not_say_its_modality_keeps_the_eu_clause_and_says_why(knowledge):
    lineage = chain(record("someone/llama-thing", "llama3.2"))
    report = evaluate_lineage("someone/llama-thing", lineage, (), knowledge)
    (text,) = [f.message for f in report.findings if f.rule_id == "LS122"]
    assert "cannot rule it out" in text


def test_a_quantization_without_a_pipeline_tag_takes_its_base_models_modality(knowledge):
    lineage = chain(record("someone/Llama-3.2-3B-GGUF", None),
                    record("meta-llama/Llama-3.2-3B", "llama3.2", pipeline_tag="text-generation"))
    report = evaluate_lineage("someone/Llama-3.2-3B-GGUF", lineage, (), knowledge)
    assert [f for f in report.findings if f.rule_id == "LS122"] == []


def test_a_text_only_fine_tune_of_the_vision_model_still_derives_from_a_multimodal_model(knowledge):
    lineage = chain(record("someone/vision-text-tune", None, pipeline_tag="text-generation"),
                    record("meta-llama/Llama-3.2-11B-Vision-Instruct", "llama3.2", pipeline_tag="image-text-to-text"))
    report = evaluate_lineage("someone/vision-text-tune", lineage, (), knowledge)
    assert any("multimodal models" in f.message for f in report.findings if f.rule_id == "LS122")


# The naming clause of the 2026 Qwen RESEARCH LICENSE belongs to Qwen-Image-2.1 only.

def test_qwen_research_naming_duty_governs_a_qwen_image_2_1_derivative(knowledge):
    lineage = chain(record("someone/image-tune", None), record("Qwen/Qwen-Image-2.1", "other",
                                                                license_name="qwen-research"))
    report = evaluate_lineage("someone/image-tune", lineage, (), knowledge)
    assert any(o.kind == "naming" and "'Qwen' as the primary name" in o.text for o in report.effective.obligations)


def test_qwen_research_naming_duty_does_not_reach_a_qwen2_5_fine_tune(knowledge):
    lineage = chain(record("praxis/relevance-3b", None), record("Qwen/Qwen2.5-3B", "other",
                                                                 license_name="qwen-research"))
    report = evaluate_lineage("praxis/relevance-3b", lineage, (), knowledge)
    assert report.effective.licenses == ("qwen-research",)
    assert [o for o in report.effective.obligations if o.kind == "naming"] == []
    assert not any("Qwen-Image" in f.message for f in report.findings)
    # Its publisher line is the organisation's name; the Qwen-Image-2.1 licensor is a note, not the name.
    assert knowledge.origins["qwen"].organization == "Alibaba Cloud"
    assert "Qwen-Image-2.1" in knowledge.origins["qwen"].notes


def test_a_scope_that_names_no_field_or_an_unknown_modality_is_a_rule_error():
    base = {"schema": "licscan-license/1", "key": "x-licence", "name": "X", "spdx_id": "LicenseRef-x",
            "commercial_use": "allowed", "sources": [{"citation": "the text", "date": "2026-01-01"}]}
    with pytest.raises(RuleError, match="not a field a scope can limit"):
        parse_license({**base, "scopes": {"nonsense": {"modality": "text"}}}, file="x.yaml")
    with pytest.raises(RuleError, match="not a field a scope can limit"):  # a class, not a term: never narrowed
        parse_license({**base, "scopes": {"commercial_use": {"modality": "text"}}}, file="x.yaml")
    with pytest.raises(RuleError, match="modality"):
        parse_license({**base, "scopes": {"naming": {"modality": "audio"}}}, file="x.yaml")
    with pytest.raises(RuleError, match="'models' or 'modality'"):
        parse_license({**base, "scopes": {"naming": {"note": "only words"}}}, file="x.yaml")


# Sources are typed; a press report or a blog cannot be a primary source.

def test_a_source_type_outside_the_vocabulary_or_a_primary_blog_is_a_rule_error():
    base = {"schema": "licscan-license/1", "key": "x-licence", "name": "X", "spdx_id": "LicenseRef-x",
            "commercial_use": "allowed"}
    with pytest.raises(RuleError, match="type must be one of"):
        parse_license({**base, "sources": [{"citation": "c", "date": "2026-01-01", "type": "rumour"}]}, file="x")
    with pytest.raises(RuleError, match="cannot be primary"):
        parse_license({**base, "sources": [{"citation": "c", "date": "2026-01-01", "type": "blog",
                                            "confidence": "primary"}]}, file="x")
    record = parse_license({**base, "sources": [{"citation": "c", "date": "2026-01-01", "type": "licence-text"}]},
                           file="x")
    assert record.sources[0].type == "licence-text"


def test_every_shipped_source_has_a_type(knowledge):
    untyped = [record.key for record in knowledge.licenses.values() if any(s.type is None for s in record.sources)]
    untyped += [origin.namespace for origin in knowledge.origins.values() if any(s.type is None for s in origin.sources)]
    untyped += [f"{origin.namespace}: {listing.list_name}" for origin in knowledge.origins.values()
                for listing in origin.listings if listing.source is not None and listing.source.type is None]
    assert untyped == []


@pytest.mark.parametrize("key", ["mit", "apache-2.0", "bsd-3-clause", "cc-by-4.0", "mpl-2.0"])
def test_standard_licence_duties_are_read_in_the_licence_text(knowledge, key):
    record = knowledge.licenses[key]
    assert record.unconfirmed == () and record.secondary == ()
    assert any(s.type == "licence-text" and s.confidence == "primary" and ".LICENSE" in s.citation
               for s in record.sources)
    assert record.field_confidence("attribution") == "primary"


# Current families: each release's licence as its recorded card declares it, and the record that lists the family.
FAMILIES = [
    ("Qwen/Qwen3-235B-A22B-Instruct-2507", "Qwen3", "apache-2.0"),
    ("Qwen/Qwen3-Next-80B-A3B-Thinking", "Qwen3", "apache-2.0"),
    ("zai-org/GLM-4.5", "GLM-4.5", "mit"),
    ("zai-org/GLM-4.6", "GLM-4.6", "mit"),
    ("zai-org/GLM-5", "GLM-5", "mit"),
    ("google/gemma-3-4b-it", "Gemma 3", "gemma"),
    ("google/gemma-3n-E2B-it", "Gemma 3n", "gemma"),
    ("mistralai/Pixtral-12B-2409", "Pixtral 12B", "apache-2.0"),
    ("mistralai/Codestral-22B-v0.1", "Codestral 22B", "mnpl"),
    ("mistralai/Mistral-Large-Instruct-2407", "Mistral Large 2", "mrl"),
    ("moonshotai/Kimi-K2-Instruct-0905", "Kimi K2", "modified-mit-kimi"),
]


@pytest.mark.parametrize("repo, family, key", FAMILIES)
def test_each_current_family_release_is_under_the_licence_its_record_lists_it_in(knowledge, repo, family, key):
    info = json.loads((HUB_DATA / repo / "info.json").read_text())
    card = CardData(license=info["cardData"].get("license"), license_name=info["cardData"].get("license_name"))
    assert identify(repo, card, knowledge).key == key
    assert any(name.startswith(family) for name in knowledge.licenses[key].families)


# The 2026 licences govern the release their text names; the neighbour released under another text is not bound.
@pytest.mark.parametrize("governed, key, neighbour, neighbour_card, clause", [
    ("zai-org/GLM-5.3", "glm-5.3", "zai-org/GLM-5.3-Flash", {"license": "mit"}, "Z.AI's security review"),
    ("moonshotai/Kimi-K3", "kimi-k3", "moonshotai/Kimi-K2.6", {"license": "other", "license_name": "modified-mit"},
     "separate agreement with Moonshot AI"),
    ("Qwen/Qwen3.8-2.4T-A95B", "qwen3.8-max", "Qwen/Qwen3.8-27B", {"license": "apache-2.0"},
     "separate license from Qwen"),
])
def test_a_model_as_a_service_gate_binds_the_release_its_text_names_and_not_its_neighbour(
        knowledge, governed, key, neighbour, neighbour_card, clause):
    def conditions(child: str, base: ModelRecord) -> tuple[str, ...]:
        lineage = chain(record(child, None), base)
        return evaluate_lineage(child, lineage, (), knowledge).effective.conditions

    bound = conditions("someone/tune-of-governed", record(governed, "other", license_name=key))
    assert any(clause in text and "annual revenue" in text for text in bound)
    free = conditions("someone/tune-of-neighbour", record(neighbour, **neighbour_card))
    assert not any(clause in text for text in free)


# NVIDIA's "Built on NVIDIA Cosmos" duty: the text ties it to NVIDIA Cosmos Models, "a multimodal Model shared
# under this Agreement"; a text-only Nemotron model under the same agreement keeps the Notice but not this duty.

@pytest.mark.parametrize("repo_id, pipeline_tag, governed", [
    ("nvidia/Cosmos-Transfer2.5-2B", "image-to-video", True),
    ("nvidia/Nemotron-Nano-9B-v2", "text-generation", False),
])
def test_built_on_nvidia_cosmos_governs_a_multimodal_model_and_not_a_text_only_nemotron(
        knowledge, repo_id, pipeline_tag, governed):
    lineage = chain(record("someone/tune", None), record(repo_id, "other", license_name="nvidia-open-model-license",
                                                           pipeline_tag=pipeline_tag))
    report = evaluate_lineage("someone/tune", lineage, (), knowledge)
    assert report.effective.licenses == ("nvidia-open-model-license",)
    naming = [o.text for o in report.effective.obligations if o.kind == "naming"]
    assert bool(naming) is governed and all("Built on NVIDIA Cosmos" in text for text in naming)
    # The Notice the agreement asks of every distribution stays on both.
    assert any("Licensed by NVIDIA Corporation under the NVIDIA Open Model License" in o.text
               for o in report.effective.obligations if o.kind == "attribution")
