"""Custom AI licences read in their own text (second pass): every term primary, cited to its section, and shown so.

Each record named here was read in a copy of the licence text itself (ScanCode's licence data or a stored public
copy of the publisher's file). A reviewer sees that in a scan: the terms carry no "[unconfirmed]" and no
unconfirmed field, and the text's own phrases identify a LICENSE file whatever the card declares.
"""

from __future__ import annotations

import re

import pytest

from handmade import add_repo, copy_recorded, stand_in_license
from licscan.config import data_dir
from licscan.evaluation.knowledge import load_knowledge
from licscan.evaluation.stats import license_counts
from test_knowledge_resolution import model, node, project_with, rules_of, scan

KNOWLEDGE = load_knowledge([data_dir("rules")])

# Licence key -> (the section numbers its licence-text source must cite, the commercial use its text grants).
READ_IN_TEXT = {
    "apple-ascl": ((), "allowed"),  # one paragraph, no numbered sections
    "deepfloyd-if-license": (("1.a", "2.a", "3"), "non-commercial"),
    "deepseek": (("4.a", "5", "6", "14"), "conditional"),
    "glm-5.3": (("1", "2", "3"), "conditional"),
    "kimi-k3": (("1", "2", "3", "4", "5"), "conditional"),
    "microsoft-research-license": (("1", "2.c", "2.e", "7"), "non-commercial"),
    "mrl": (("2.2", "3.2", "4.2"), "non-commercial"),
    "qwen-community-1.0": (("1", "2"), "conditional"),
    "qwen-research": (("1.i", "2.a", "3.c", "4.b"), "non-commercial"),
    "qwen3.8-max": (("1", "2"), "conditional"),
    "tongyi-qianwen": (("3.c", "4", "5.b"), "conditional"),
    "tongyi-qianwen-research": (("2.a", "3.c", "4.b"), "non-commercial"),
    # Third pass (2026-12-07): texts found in ScanCode's newer licence data and in stored public copies.
    "apple-amlr": (("1", "2", "7"), "non-commercial"),
    "falcon-180b-tii-license": (("2.2", "4.1(a)", "4.1(c)", "5.2", "6.1", "9.3"), "conditional"),
    "health-ai-developer-foundations": (("1.1(h)", "3.1.1", "3.1.5", "3.2"), "conditional"),
    "lfm1.0": (("1", "4(a)", "5(a)"), "conditional"),
    "ltx-2-community-license-agreement": (("2", "3(a)", "3(b)"), "conditional"),
    "openmdw-1.1": ((), "allowed"),  # unnumbered paragraphs
}
# The fields a verdict or a duty is built from (a record's identity fields, such as families, are not terms).
TERMS = {"commercial_use", "attribution", "naming", "territory_exclusions", "territory_note", "use_policy_flow_down",
         "output_training", "derivatives_must_carry", "thresholds", "registration_required"}


@pytest.mark.parametrize("key", sorted(READ_IN_TEXT))
def test_a_licence_read_in_its_text_rests_on_it_for_nine_tenths_of_its_facts(key):
    (row,) = [row for row in license_counts(KNOWLEDGE) if row.subject == key]
    assert row.share_primary >= 0.9, (row.primary, row.secondary, row.none)
    record = KNOWLEDGE.licenses[key]
    text_sources = [source for source in record.sources
                    if source.type == "licence-text" and source.confidence == "primary"]
    assert text_sources and text_sources[0] is record.sources[0]
    citation = text_sources[0].citation
    for section in READ_IN_TEXT[key][0]:
        assert re.search(rf"(?<![\d.]){re.escape(section)}(?![\d])", citation), (key, section)
    # The terms a duty is built from are confirmed: none is left unconfirmed.
    assert not TERMS & set(record.unconfirmed)


@pytest.mark.parametrize("key", sorted(READ_IN_TEXT))
def test_a_model_under_a_licence_read_in_its_text_shows_no_unconfirmed_term(tmp_path, key):
    mirror = tmp_path / "mirror"
    add_repo(mirror, "acme/probe", {"license": "other", "license_name": key})
    result, report = scan(project_with(tmp_path, "acme/probe"), tmp_path, mirror=mirror)
    effective = model(report, "acme/probe")["effective"]
    assert effective["licenses"] == [key]
    assert effective["commercial_use"] == READ_IN_TEXT[key][1]
    (terms,) = effective["terms_confidence"]
    assert terms["license_confidence"] == "primary" and not TERMS & set(terms["license_unconfirmed"])
    assert effective["obligations"]
    assert all(duty["confidence"] == "primary" and "[unconfirmed]" not in duty["text"]
               for duty in effective["obligations"])


def test_the_mistral_research_licence_says_its_notice_and_that_outputs_stay_research_only(tmp_path):
    mirror = tmp_path / "mirror"
    add_repo(mirror, "acme/large-tune", {"license": "other", "license_name": "mrl"})
    result, report = scan(project_with(tmp_path, "acme/large-tune"), tmp_path, mirror=mirror)
    duties = {duty["kind"]: duty["text"] for duty in model(report, "acme/large-tune")["effective"]["obligations"]}
    assert '"Licensed by Mistral AI under the Mistral AI Research License"' in duties["attribution"]
    assert "Research Purposes" in duties["output-training"] and "section 4.2" in duties["output-training"]


def test_a_microsoft_research_licence_file_under_an_mit_card_is_caught_and_non_commercial(tmp_path):
    mirror = tmp_path / "mirror"
    phrases = KNOWLEDGE.licenses["microsoft-research-license"].markers
    add_repo(mirror, "someone/orca-relabelled", {"license": "mit"}, files={"LICENSE": stand_in_license(*phrases)})
    result, report = scan(project_with(tmp_path, "someone/orca-relabelled"), tmp_path, mirror=mirror)
    assert result.exit_code == 1
    relabelled = node(report, "someone/orca-relabelled")
    assert (relabelled["license_key"], relabelled["license_declared_key"]) == ("microsoft-research-license", "mit")
    assert relabelled["license_method"] == "license-file"
    (finding,) = rules_of(report, "someone/orca-relabelled")["LS113"]
    assert finding["fails"] and "declares mit" in finding["message"]
    assert model(report, "someone/orca-relabelled")["effective"]["commercial_use"] == "non-commercial"


def test_a_tongyi_qianwen_research_text_is_told_from_the_2024_qwen_research_text(tmp_path):
    # The 2023 title contains the 2024 one ("... Qwen RESEARCH LICENSE AGREEMENT"): its own phrases decide.
    mirror = tmp_path / "mirror"
    phrases = KNOWLEDGE.licenses["tongyi-qianwen-research"].markers
    add_repo(mirror, "someone/qwen1-tune", {"license": "other"}, files={"LICENSE": stand_in_license(*phrases)})
    add_repo(mirror, "someone/qwen25-tune", {"license": "other"},
             files={"LICENSE": stand_in_license(*KNOWLEDGE.licenses["qwen-research"].markers)})
    result, report = scan(project_with(tmp_path, "someone/qwen1-tune", "someone/qwen25-tune"), tmp_path, mirror=mirror)
    assert node(report, "someone/qwen1-tune")["license_key"] == "tongyi-qianwen-research"
    assert node(report, "someone/qwen25-tune")["license_key"] == "qwen-research"
    duties = {duty["kind"]: duty["text"] for duty in model(report, "someone/qwen1-tune")["effective"]["obligations"]}
    assert "section 4.b" in duties["output-training"] and "[unconfirmed]" not in duties["output-training"]


def effective_under(tmp_path, repo: str, license_name: str) -> dict:
    """The effective terms a scan reports for one model whose card names license_name under `license: other`."""
    mirror = tmp_path / "mirror"
    add_repo(mirror, repo, {"license": "other", "license_name": license_name})
    result, report = scan(project_with(tmp_path, repo), tmp_path, mirror=mirror)
    return model(report, repo)["effective"]


def test_an_ltx_2_model_needs_a_paid_licence_from_usd_10_million_and_may_not_train_other_models_commercially(tmp_path):
    effective = effective_under(tmp_path, "someone/ltx-2-lora", "ltx-2-community-license-agreement")
    assert any("USD 10 million" in text and "paid commercial use licence" in text for text in effective["conditions"])
    duties = {duty["kind"]: duty["text"] for duty in effective["obligations"]}
    assert "Attachment A, item 18" in duties["output-training"]
    assert "machine generated" in duties["use-policy"]


def test_an_lfm_model_is_licensed_for_commercial_use_only_below_usd_10_million_revenue(tmp_path):
    effective = effective_under(tmp_path, "LiquidAI/LFM2-1.2B", "lfm1.0")
    assert effective["commercial_use"] == "conditional"
    assert any("USD 10 million" in text and "section 5(b)" in text for text in effective["conditions"])


def test_a_falcon_180b_licence_file_under_an_apache_card_is_caught_with_its_hosting_and_statement_duties(tmp_path):
    mirror = tmp_path / "mirror"
    phrases = KNOWLEDGE.licenses["falcon-180b-tii-license"].markers
    add_repo(mirror, "someone/falcon-180b-chat-tune", {"license": "apache-2.0"},
             files={"LICENSE": stand_in_license(*phrases)})
    result, report = scan(project_with(tmp_path, "someone/falcon-180b-chat-tune"), tmp_path, mirror=mirror)
    relabelled = node(report, "someone/falcon-180b-chat-tune")
    assert (relabelled["license_key"], relabelled["license_method"]) == ("falcon-180b-tii-license", "license-file")
    effective = model(report, "someone/falcon-180b-chat-tune")["effective"]
    assert effective["commercial_use"] == "conditional"
    assert any(text.endswith("registration or application required") for text in effective["conditions"])
    duties = {duty["kind"]: duty["text"] for duty in effective["obligations"]}
    assert "built using Falcon LLM technology from the Technology Innovation Institute" in duties["attribution"]


def test_a_medgemma_derivative_carries_the_hai_def_notice_and_the_prohibited_use_policy(tmp_path):
    mirror = copy_recorded(tmp_path / "mirror")
    add_repo(mirror, "someone/medgemma-radiology", {"license": "apache-2.0",
                                                   "base_model": "google/medgemma-27b-text-it"})
    result, report = scan(project_with(tmp_path, "someone/medgemma-radiology"), tmp_path, mirror=mirror)
    effective = model(report, "someone/medgemma-radiology")["effective"]
    assert "health-ai-developer-foundations" in effective["licenses"]
    duties = {duty["kind"]: duty for duty in effective["obligations"]
              if duty["license"] == "health-ai-developer-foundations"}
    assert "HAI-DEF is provided under and subject to the Health AI Developer Foundations Terms of Use" in \
        duties["attribution"]["text"]
    assert duties["attribution"]["confidence"] == "primary"
    assert all("[unconfirmed]" not in duty["text"] for duty in duties.values())


def test_a_krea_2_model_carries_the_quoted_usd_1_million_threshold_as_secondary_and_its_use_policy_as_primary(tmp_path):
    # The Krea 2 licence PDF was not read: its revenue clause is known from a quotation (secondary), its use policy
    # from Krea's own page (primary); a reader sees both, each with its confidence.
    effective = effective_under(tmp_path, "krea/Krea-2-Raw", "krea-2-community-license")
    assert any("USD 1 million" in text and "section 2.3" in text for text in effective["conditions"])
    (terms,) = effective["terms_confidence"]
    assert "thresholds" in terms["license_secondary"] and "thresholds" not in terms["license_unconfirmed"]
    record = KNOWLEDGE.licenses["krea-2-community-license"]
    assert record.field_confidence("use_policy") == "primary" and "Krea Acceptable Use Policy" in record.use_policy
