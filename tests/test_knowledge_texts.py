"""Custom AI licences read in their own text (second pass): every term primary, cited to its section, and shown so.

Each record named here was read in a copy of the licence text itself (ScanCode's licence data or a stored public
copy of the publisher's file). A reviewer sees that in a scan: the terms carry no "[unconfirmed]" and no
unconfirmed field, and the text's own phrases identify a LICENSE file whatever the card declares.
"""

from __future__ import annotations

import re

import pytest

from handmade import add_repo, stand_in_license
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
