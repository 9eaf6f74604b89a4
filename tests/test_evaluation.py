"""Evaluation on hand-built lineages with the shipped rules: licences, inheritance, findings, policy."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from licscan.config import data_dir
from licscan.errors import ConfigError, RuleError
from licscan.evaluation import evaluate, evaluate_lineage, load
from licscan.evaluation.knowledge import load_knowledge
from licscan.evaluation.licenses import identify
from licscan.model import (
    CardData,
    CommercialUse,
    Edge,
    EvaluationSettings,
    Lineage,
    ModelRecord,
    Relation,
    Unresolved,
    UnresolvedReason,
    Verdict,
)


@pytest.fixture(scope="module")
def shipped():
    return load(EvaluationSettings(rules_dirs=(str(data_dir("rules")),)))


def node(repo_id: str, license: str | None = None, license_name: str | None = None, **card) -> ModelRecord:
    return ModelRecord(
        repo_id=repo_id, revision="0" * 40, author=repo_id.split("/")[0],
        card=CardData(license=license, license_name=license_name, **card),
    )


def chain(*records: ModelRecord, relation: Relation = Relation.FINETUNE, unresolved=()) -> Lineage:
    edges = tuple(Edge(child.repo_id, parent.repo_id, relation) for child, parent in zip(records, records[1:]))
    return Lineage(root=records[0].repo_id, nodes=records, edges=edges, unresolved=tuple(unresolved))


def kinds(report) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in report.findings:
        found.setdefault(finding.rule_id, []).append(finding.ancestor)
    return found


def test_mit_over_llama_is_a_relabel_that_names_the_llama_ancestor(shipped):
    knowledge, _ = shipped
    lineage = chain(node("someone/llama-tune", "mit"), node("meta-llama/Llama-3.2-3B", "llama3.2"))
    report = evaluate_lineage("someone/llama-tune", lineage, (), knowledge)
    assert kinds(report)["LS112"] == ["meta-llama/Llama-3.2-3B"]
    assert set(report.effective.licenses) == {"mit", "llama3.2"}
    assert report.effective.commercial_use is CommercialUse.CONDITIONAL
    assert "meta-llama/Llama-3.2-3B" in report.effective.commercial_use_from
    assert any("700" in text and "monthly active users" in text for text in report.effective.conditions)
    assert any(item.kind == "attribution" and "Built with Llama" in item.text for item in report.effective.obligations)
    assert report.effective.origin_countries == ("US",)


def test_apache_over_gemma_is_a_relabel_and_the_gemma_terms_still_bind(shipped):
    knowledge, _ = shipped
    lineage = chain(node("RedHatAI/gemma-3-4b-it-FP8-dynamic", "apache-2.0"), node("google/gemma-3-4b-it", "gemma"))
    report = evaluate_lineage(lineage.root, lineage, (), knowledge)
    assert kinds(report)["LS112"] == ["google/gemma-3-4b-it"]
    assert "gemma" in report.effective.licenses
    assert any(item.kind == "use-policy" and item.license_key == "gemma" for item in report.effective.obligations)


def test_the_notice_duty_names_the_licence_text_of_each_licence_in_the_ancestry(shipped):
    knowledge, _ = shipped
    lineage = chain(node("someone/llama-tune", "mit"), node("meta-llama/Llama-3.2-3B", "llama3.2"))
    report = evaluate_lineage("someone/llama-tune", lineage, (), knowledge)
    notices = {item.license_key: item.text for item in report.effective.obligations if item.kind == "notice"}
    # A licence named by a short id ("MIT") still reads as a document a legal reader can fetch and file.
    assert notices["mit"].startswith("redistribute derivatives with a copy of the licence text (MIT)")
    assert notices["llama3.2"].startswith(
        "redistribute derivatives with a copy of the licence text (Llama 3.2 Community License Agreement)"
    )


def test_same_licence_as_the_base_is_not_a_relabel(shipped):
    knowledge, _ = shipped
    lineage = chain(node("SentientAGI/Dobby", "llama3.3"), node("meta-llama/Llama-3.3-70B-Instruct", "llama3.3"))
    assert "LS112" not in kinds(evaluate_lineage(lineage.root, lineage, (), knowledge))


def test_qwen_research_in_the_ancestry_makes_the_model_non_commercial(shipped):
    knowledge, _ = shipped
    lineage = chain(
        node("praxis/relevance-3b", "other", "qwen-research"),
        node("Qwen/Qwen2.5-3B-Instruct", "other", "qwen-research"),
        node("Qwen/Qwen2.5-3B", "other", "qwen-research"),
    )
    report = evaluate_lineage(lineage.root, lineage, (), knowledge)
    assert report.effective.commercial_use is CommercialUse.NON_COMMERCIAL
    assert kinds(report)["LS120"] == ["praxis/relevance-3b"]
    assert report.licenses["Qwen/Qwen2.5-3B"].key == "qwen-research"
    assert report.licenses["Qwen/Qwen2.5-3B"].method == "license_name"


def test_apache_adapter_over_qwen_research_is_non_commercial_and_a_relabel(shipped):
    knowledge, _ = shipped
    lineage = chain(node("me/adapter", "apache-2.0"), node("Qwen/Qwen2.5-3B-Instruct", "other", "qwen-research"),
                    relation=Relation.ADAPTER)
    report = evaluate_lineage(lineage.root, lineage, (), knowledge)
    assert report.effective.commercial_use is CommercialUse.NON_COMMERCIAL
    assert kinds(report)["LS112"] == ["Qwen/Qwen2.5-3B-Instruct"]
    assert kinds(report)["LS120"] == ["Qwen/Qwen2.5-3B-Instruct"]


def test_quantization_without_licence_inherits_and_says_so(shipped):
    knowledge, _ = shipped
    lineage = chain(node("bartowski/openai_gpt-oss-20b-GGUF"), node("openai/gpt-oss-20b", "apache-2.0"),
                    relation=Relation.QUANTIZED)
    report = evaluate_lineage(lineage.root, lineage, (), knowledge)
    assert kinds(report)["LS110"] == ["bartowski/openai_gpt-oss-20b-GGUF"]
    assert "LS111" not in kinds(report)
    assert report.effective.commercial_use is CommercialUse.ALLOWED


def test_a_root_without_licence_and_without_base_is_unknown_not_clear(shipped):
    knowledge, _ = shipped
    lineage = chain(node("someone/mystery"))
    report = evaluate_lineage(lineage.root, lineage, (), knowledge)
    assert report.effective.commercial_use is CommercialUse.UNKNOWN
    assert "LS111" in kinds(report)


def test_unidentified_licence_is_unknown_and_non_commercial_still_wins(shipped):
    knowledge, _ = shipped
    unknown_only = chain(node("anon/AA", "other", "hybrid-patent-open-core"), node("meta-llama/Llama-3.2-3B", "llama3.2"))
    report = evaluate_lineage(unknown_only.root, unknown_only, (), knowledge)
    assert report.effective.commercial_use is CommercialUse.UNKNOWN
    assert kinds(report)["LS111"] == ["anon/AA"]
    both = chain(node("anon/AA", "other", "hybrid-patent-open-core"), node("bartowski/x", "other", "mnpl"))
    assert evaluate_lineage(both.root, both, (), knowledge).effective.commercial_use is CommercialUse.NON_COMMERCIAL


def test_unresolved_parent_makes_terms_unknown_and_the_scan_incomplete(shipped):
    knowledge, policy = shipped
    lineage = chain(
        node("anon/merge", "apache-2.0"),
        unresolved=[Unresolved("Nos-PT/Llama-Carvalho-PT-GL", UnresolvedReason.NOT_FOUND, "", "anon/merge")],
    )
    outcome = evaluate({"anon/merge": lineage}, {}, knowledge, policy)
    report = outcome.models[0]
    assert report.effective.commercial_use is CommercialUse.UNKNOWN
    finding = next(f for f in report.findings if f.rule_id == "LS100")
    assert finding.ancestor == "Nos-PT/Llama-Carvalho-PT-GL" and finding.fails
    assert "not-found" in finding.message and "anon/merge" in finding.message
    assert outcome.verdict is Verdict.INCOMPLETE


def test_entity_listed_publisher_is_a_failing_finding_with_its_citation(shipped):
    knowledge, policy = shipped
    lineage = chain(node("ubergarm/GLM-4.6-GGUF", "mit"), node("zai-org/GLM-4.6", "mit"), relation=Relation.QUANTIZED)
    outcome = evaluate({lineage.root: lineage}, {}, knowledge, policy)
    report = outcome.models[0]
    listed = [f for f in report.findings if f.rule_id == "LS141"]
    assert len(listed) == 1 and listed[0].ancestor == "zai-org/GLM-4.6" and listed[0].fails
    assert "2025-01-16" in listed[0].message and "90 FR 4617" in listed[0].message
    assert report.origins["zai-org/GLM-4.6"].country == "CN"
    assert report.origins["ubergarm/GLM-4.6-GGUF"].organization is None  # an individual's account: never guessed
    assert "ubergarm/GLM-4.6-GGUF" in kinds(report)["LS140"]
    assert outcome.verdict is Verdict.FAIL


def test_a_slug_two_publishers_use_is_decided_by_the_publisher(shipped):
    knowledge, _ = shipped
    card = CardData(license="other", license_name="modified-mit")
    assert identify("moonshotai/Kimi-K2-Instruct-0905", card, knowledge).key == "modified-mit-kimi"
    assert identify("MiniMaxAI/MiniMax-M2.5", card, knowledge).key == "modified-mit-minimax"
    quant = identify("someone/Kimi-K2-GGUF", card, knowledge, context_namespaces=["moonshotai"],
                     context_repos=["moonshotai/Kimi-K2-Instruct-0905"])
    assert quant.key == "modified-mit-kimi"
    # Moonshot has one text per release under the slug: a base that is none of them is not guessed.
    unnamed = identify("someone/kimi-tune", card, knowledge, context_namespaces=["moonshotai"],
                       context_repos=["moonshotai/Kimi-Future"])
    assert unnamed.key is None and unnamed.method == "ambiguous"
    alone = identify("someone/unknown-base", card, knowledge)
    assert alone.key is None and alone.method == "ambiguous"


def test_hub_ids_and_slugs_map_to_spdx_or_licenseref(shipped):
    knowledge, _ = shipped
    assert identify("a/b", CardData(license="apache-2.0"), knowledge).spdx_id == "Apache-2.0"
    assert identify("a/b", CardData(license="cc-by-nc-4.0"), knowledge).spdx_id == "CC-BY-NC-4.0"
    llama = identify("a/b", CardData(license="llama3.1"), knowledge)
    assert llama.spdx_id.startswith("LicenseRef-") and llama.key == "llama3.1"
    deepseek = identify("a/b", CardData(license="other", license_name="deepseek-license"), knowledge)
    assert deepseek.key == "deepseek"


def test_default_policy_reports_conditions_without_failing_and_strict_fails_them(shipped):
    knowledge, policy = shipped
    lineage = chain(node("meta-llama/Llama-3.1-8B-Instruct", "llama3.1"), node("meta-llama/Llama-3.1-8B", "llama3.1"))
    default = evaluate({lineage.root: lineage}, {}, knowledge, policy)
    assert any(f.rule_id == "LS121" and not f.fails for f in default.findings)
    assert default.verdict is Verdict.PASS
    strict = load(EvaluationSettings(rules_dirs=(str(data_dir("rules")),), policy="strict"))[1]
    assert evaluate({lineage.root: lineage}, {}, knowledge, strict).verdict is Verdict.FAIL


def test_a_waiver_with_a_reason_stops_a_finding_from_failing(shipped, tmp_path):
    knowledge, _ = shipped
    policy_file = tmp_path / "team.yaml"
    policy_file.write_text(textwrap.dedent("""
        schema: licscan-policy/1
        name: team
        fail_on: [LS120]
        waivers:
          - rule: LS120
            model: bartowski/*
            reason: evaluation only, never shipped (ticket LEGAL-12)
    """))
    _, policy = load(EvaluationSettings(rules_dirs=(str(data_dir("rules")),), policy=str(policy_file)))
    lineage = chain(node("bartowski/Codestral-22B-v0.1-GGUF", "other", "mnpl"))
    outcome = evaluate({lineage.root: lineage}, {}, knowledge, policy)
    assert [f.fails for f in outcome.findings if f.rule_id == "LS120"] == [False]
    assert outcome.verdict is Verdict.PASS


def test_unknown_policy_is_a_configuration_error(shipped):
    with pytest.raises(ConfigError, match="unknown policy 'nope'"):
        load(EvaluationSettings(rules_dirs=(str(data_dir("rules")),), policy="nope"))


@pytest.mark.parametrize(
    "body, message",
    [
        ("key: x\nname: X\nspdx_id: MIT\ncommercial_use: allowed\nsources: []\n", "schema"),
        ("schema: licscan-license/1\nkey: x\nname: X\nspdx_id: MIT\ncommercial_use: allowed\n", "missing keys"),
        ("schema: licscan-license/1\nkey: x\nname: X\nspdx_id: MIT\ncommercial_use: allowed\ncolour: red\n"
         "sources: [{citation: c, date: '2024-01-01'}]\n", "unknown keys \\['colour'\\]"),
        ("schema: licscan-license/1\nkey: x\nname: X\nspdx_id: MIT\ncommercial_use: allowed\n"
         "sources: [{citation: c, date: 'last year'}]\n", "ISO date"),
        ("schema: licscan-license/1\nkey: x\nname: X\nspdx_id: MIT\ncommercial_use: maybe\n"
         "sources: [{citation: c, date: '2024-01-01'}]\n", "commercial_use"),
        ("schema: [unclosed\n", "not valid YAML"),
    ],
)
def test_a_bad_rule_file_names_the_file_and_the_key(tmp_path, body, message):
    (tmp_path / "licenses").mkdir()
    bad = tmp_path / "licenses" / "x.yaml"
    bad.write_text(body)
    with pytest.raises(RuleError, match=message) as caught:
        load_knowledge([tmp_path])
    assert str(bad) in str(caught.value)


def test_a_user_rules_directory_overrides_a_shipped_record(tmp_path):
    (tmp_path / "licenses").mkdir()
    (tmp_path / "licenses" / "mit.yaml").write_text(textwrap.dedent("""
        schema: licscan-license/1
        key: mit
        name: MIT as our lawyers read it
        spdx_id: MIT
        commercial_use: conditional
        sources: [{citation: internal legal memo 7, date: "2026-11-01", confidence: primary}]
    """))
    knowledge = load_knowledge([data_dir("rules"), tmp_path])
    assert knowledge.licenses["mit"].name == "MIT as our lawyers read it"
    assert knowledge.licenses["mit"].commercial_use is CommercialUse.CONDITIONAL
    assert "llama3.1" in knowledge.licenses  # the rest of the shipped records stay


def test_every_shipped_licence_record_has_a_dated_source():
    knowledge = load_knowledge([data_dir("rules")])
    required = {
        "apache-2.0", "mit", "bsd-3-clause", "cc-by-4.0", "cc-by-nc-4.0", "creativeml-openrail-m", "openrail++",
        "bigscience-bloom-rail-1.0", "bigscience-openrail-m", "bigcode-openrail-m", "llama2", "llama3", "llama3.1",
        "llama3.2", "llama3.3", "llama4", "gemma", "qwen", "qwen-research", "tongyi-qianwen", "deepseek",
        "modified-mit-kimi", "glm-4", "tencent-hunyuan-community", "stabilityai-ai-community",
        "flux-1-dev-non-commercial-license", "mrl", "mnpl", "nvidia-open-model-license", "apple-amlr",
        "falcon-llm-license",
    }
    assert required <= set(knowledge.licenses)
    for record in knowledge.licenses.values():
        assert record.sources and all(source.date and source.citation for source in record.sources), record.key
    assert knowledge.origins_reviewed


def test_a_licence_whose_commercial_terms_are_unconfirmed_is_unknown_not_clear(shipped, tmp_path):
    # A hand-made record: the shipped ones are being read in their texts, so none is kept unconfirmed for this test.
    (tmp_path / "licenses").mkdir()
    (tmp_path / "licenses" / "acme-unread.yaml").write_text(textwrap.dedent("""
        schema: licscan-license/1
        key: acme-unread
        name: A licence known only by its slug
        spdx_id: LicenseRef-acme-unread
        commercial_use: conditional
        sources: [{citation: a survey of slugs, date: "2026-09-25", confidence: secondary}]
        unconfirmed: [commercial_use]
        confidence: secondary
    """))
    _, policy = shipped
    knowledge = load_knowledge([data_dir("rules"), tmp_path])
    assert "commercial_use" in knowledge.licenses["acme-unread"].unconfirmed
    lineage = chain(node("acme/unread-model", "other", "acme-unread"))
    outcome = evaluate({lineage.root: lineage}, {}, knowledge, policy)
    assert outcome.models[0].effective.commercial_use is CommercialUse.UNKNOWN
    assert any(f.rule_id == "LS111" and "unconfirmed" in f.message and f.fails for f in outcome.findings)
    assert outcome.verdict is Verdict.FAIL
