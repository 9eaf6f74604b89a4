"""Answers: licence terms judged against the deployment context, decisions, project obligations, remedies."""

from __future__ import annotations

import dataclasses
import datetime
import json
import textwrap
from pathlib import Path

import pytest

from licscan.config import data_dir, load_config
from licscan.errors import ConfigError
from licscan.evaluation import evaluate_lineage, load
from licscan.evaluation.answers import answer
from licscan.evaluation.policy import apply_policy
from licscan.model import (
    Band,
    CardData,
    DecisionKind,
    DeploymentContext,
    Edge,
    EvaluationSettings,
    Lineage,
    ModelRecord,
    Outcome,
    Relation,
    UseMode,
    Waiver,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "assistant-app"
EU_SAAS = DeploymentContext(established_in=("DE",), user_regions=("EU",), monthly_active_users=Band(50_000, 50_000),
                            use_modes=(UseMode.SAAS,), commercial=True)


@pytest.fixture(scope="module")
def shipped():
    return load(EvaluationSettings(rules_dirs=(str(data_dir("rules")),)))


def node(repo_id: str, license: str | None = None, license_name: str | None = None) -> ModelRecord:
    return ModelRecord(repo_id=repo_id, revision="0" * 40, author=repo_id.split("/")[0],
                       card=CardData(license=license, license_name=license_name))


def answers_for(shipped, context, *records, knowledge=None):
    knowledge = knowledge or shipped[0]
    edges = tuple(Edge(child.repo_id, parent.repo_id, Relation.FINETUNE) for child, parent in zip(records, records[1:]))
    lineage = Lineage(root=records[0].repo_id, nodes=records, edges=edges)
    report = evaluate_lineage(lineage.root, lineage, (), knowledge)
    report = dataclasses.replace(report, findings=apply_policy(report.findings, shipped[1]))
    return answer([report], knowledge, knowledge.answers, context)


def judged(result, kind):
    return [item for item in result.judgements if item.kind == kind]


# --- Llama: 700 million monthly active users --------------------------------------------------------------

def test_llama_700m_threshold_does_not_apply_below_it_and_says_why(shipped):
    result = answers_for(shipped, EU_SAAS, node("meta-llama/Llama-3.1-8B", "llama3.1"))
    [threshold] = judged(result, "threshold")
    assert threshold.outcome is Outcome.DOES_NOT_APPLY
    assert threshold.reason == "below 700 million monthly active users"
    assert result.decisions[0].kind is DecisionKind.OK_WITH_OBLIGATIONS


def test_llama_700m_threshold_applies_above_it_and_the_model_needs_review(shipped):
    context = dataclasses.replace(EU_SAAS, monthly_active_users=Band(1e9, None))
    result = answers_for(shipped, context, node("meta-llama/Llama-3.1-8B", "llama3.1"))
    [threshold] = judged(result, "threshold")
    assert threshold.outcome is Outcome.APPLIES and threshold.reason == "above 700 million monthly active users"
    decision = result.decisions[0]
    assert decision.kind is DecisionKind.NEEDS_REVIEW and "request a licence from Meta" in decision.reason


def test_a_band_that_spans_the_threshold_cannot_tell_and_names_the_key(shipped):
    context = dataclasses.replace(EU_SAAS, monthly_active_users=Band(1e6, 1e9))
    [threshold] = judged(answers_for(shipped, context, node("meta-llama/Llama-3.1-8B", "llama3.1")), "threshold")
    assert threshold.outcome is Outcome.CANNOT_TELL and threshold.deciding_keys == ("monthly_active_users",)


def test_without_a_context_every_term_cannot_tell_and_names_what_would_decide_it(shipped):
    result = answers_for(shipped, DeploymentContext(), node("someone/tune", "mit"), node("meta-llama/Llama-3.2-3B", "llama3.2"))
    assert result.judgements and {item.outcome for item in result.judgements} == {Outcome.CANNOT_TELL}
    assert all(item.deciding_keys for item in result.judgements if item.kind != "territory" or item.license_key)
    # The relabel fails as it always did: the decision is blocked, whatever the context.
    assert result.decisions[0].kind is DecisionKind.BLOCKED and "LS112" in result.decisions[0].rules


# --- Kimi K2: 100 million MAU or USD 20 million monthly revenue -------------------------------------------

def kimi(shipped, context):
    result = answers_for(shipped, context, node("moonshotai/Kimi-K2-Instruct", "other", "modified-mit"))
    return result, next(item for item in result.obligations if item.notice_text == "Kimi K2") if any(
        item.notice_text == "Kimi K2" for item in result.obligations) else None


def test_kimi_display_duty_does_not_apply_below_both_thresholds(shipped):
    context = dataclasses.replace(EU_SAAS, monthly_revenue_usd=Band(0, 1e6))
    result, display = kimi(shipped, context)
    assert display is None
    [duty] = [item for item in result.judgements if item.kind == "display"]
    assert duty.outcome is Outcome.DOES_NOT_APPLY
    assert "below 100 million monthly active users" in duty.reason and "below USD 20 million" in duty.reason


@pytest.mark.parametrize("change", [{"monthly_active_users": Band(2e8, 2e8)}, {"monthly_revenue_usd": Band(25e6, 25e6)}])
def test_kimi_display_duty_applies_above_either_threshold_with_the_exact_text(shipped, change):
    context = dataclasses.replace(EU_SAAS, **{"monthly_revenue_usd": Band(0, 1e6), **change})
    result, display = kimi(shipped, context)
    assert display is not None and display.outcome is Outcome.APPLIES
    assert display.source is not None and "Kimi-K2" in display.source.citation
    # A trigger of a duty is not a limit on the grant: the model stays OK, with obligations.
    assert result.decisions[0].kind is DecisionKind.OK_WITH_OBLIGATIONS


# --- Stability AI Community: USD 1 million annual revenue -------------------------------------------------

def test_stability_revenue_threshold_in_both_directions(shipped):
    model = node("stabilityai/sdxl-turbo", "other", "stabilityai-ai-community")
    below = judged(answers_for(shipped, dataclasses.replace(EU_SAAS, annual_revenue_usd=Band(0, 5e5)), model),
                   "threshold")
    above = answers_for(shipped, dataclasses.replace(EU_SAAS, annual_revenue_usd=Band(2e6, 2e6)), model)
    assert [item.outcome for item in below] == [Outcome.DOES_NOT_APPLY]
    assert below[0].reason == "below USD 1 million annual revenue"
    assert [item.outcome for item in judged(above, "threshold")] == [Outcome.APPLIES]
    assert above.decisions[0].kind is DecisionKind.NEEDS_REVIEW
    assert any(item.notice_text == "Powered by Stability AI" for item in above.obligations)


# --- Hunyuan: territories (EU, UK, South Korea) ----------------------------------------------------------

@pytest.fixture(scope="module")
def hunyuan_three(shipped):
    """The Hunyuan 3D 2.0 / MT territory clause (EU, GB, KR) as a record, to judge every territory of it."""
    knowledge = shipped[0]
    record = dataclasses.replace(knowledge.licenses["tencent-hunyuan-community"], territory_exclusions=("EU", "GB", "KR"))
    return dataclasses.replace(knowledge, licenses={**knowledge.licenses, record.key: record})


@pytest.mark.parametrize("established, excluded", [("KR", "KR"), ("GB", "GB"), ("FR", "EU")])
def test_hunyuan_territory_applies_where_the_company_is_established(shipped, hunyuan_three, established, excluded):
    context = DeploymentContext(established_in=(established,), user_regions=("US",))
    result = answers_for(shipped, context, node("acme/Hunyuan3D-2-tune", "other", "tencent-hunyuan-community"),
                         knowledge=hunyuan_three)
    applying = [item for item in judged(result, "territory") if item.outcome is Outcome.APPLIES]
    assert [item.term.rsplit(" ", 1)[-1] for item in applying] == [
        {"EU": "Union", "GB": "GB", "KR": "KR"}[excluded]]
    assert applying[0].reason.startswith("company established in")
    assert result.decisions[0].kind is DecisionKind.NEEDS_REVIEW


def test_hunyuan_territory_does_not_apply_outside_it_and_says_why(shipped, hunyuan_three):
    context = DeploymentContext(established_in=("US",), user_regions=("US", "JP"))
    result = answers_for(shipped, context, node("acme/Hunyuan3D-2-tune", "other", "tencent-hunyuan-community"),
                         knowledge=hunyuan_three)
    territory = judged(result, "territory")
    assert [item.outcome for item in territory] == [Outcome.DOES_NOT_APPLY] * 3
    assert territory[0].reason == "company not established in the European Union, and no users there"


def test_users_in_an_excluded_territory_make_it_apply(shipped):
    context = DeploymentContext(established_in=("US",), user_regions=("worldwide",))
    result = answers_for(shipped, context, node("acme/Hunyuan-Large-tune", "other", "tencent-hunyuan-community"),
                         node("tencent/Tencent-Hunyuan-Large", "other", "tencent-hunyuan-community"))
    [territory] = judged(result, "territory")
    assert territory.outcome is Outcome.APPLIES and territory.reason == "users in the European Union"


def test_a_non_commercial_licence_is_judged_against_the_use(shipped):
    model = node("Qwen/Qwen2.5-3B", "other", "qwen-research")
    research = answers_for(shipped, dataclasses.replace(EU_SAAS, commercial=False), model)
    commercial = answers_for(shipped, EU_SAAS, model)
    assert [item.outcome for item in judged(research, "commercial-use")] == [Outcome.DOES_NOT_APPLY]
    assert [item.outcome for item in judged(commercial, "commercial-use")] == [Outcome.APPLIES]
    # The policy still fails non-commercial terms: the decision says so and the alternatives are suggestions.
    assert commercial.decisions[0].kind is DecisionKind.BLOCKED
    suggestions = [item for item in commercial.remedies if item.suggestion]
    assert suggestions and "Qwen/Qwen2.5-7B-Instruct" in suggestions[0].text and suggestions[0].sources


def test_a_failing_finding_always_blocks_and_an_entity_listing_is_named(shipped):
    result = answers_for(shipped, EU_SAAS, node("zai-org/GLM-4.6", "mit"))
    decision = result.decisions[0]
    assert decision.kind is DecisionKind.BLOCKED and decision.rules == ("LS141",)
    assert decision.entity_listed and "Entity List" in decision.entity_listed[0]
    remedy = next(item for item in result.remedies if item.rule_id == "LS141" and item.command is None)
    assert "does not by itself forbid" in remedy.text and "744" in remedy.sources[0].citation
    assert any(item.command and item.command.startswith("licscan waive LS141 zai-org/GLM-4.6") for item in result.remedies)


def test_a_waived_finding_needs_review_and_shows_the_waiver(shipped):
    knowledge, policy = shipped
    lineage = Lineage(root="zai-org/GLM-4.6", nodes=(node("zai-org/GLM-4.6", "mit"),), edges=())
    report = evaluate_lineage(lineage.root, lineage, (), knowledge)
    waiver = Waiver(reason="legal reviewed ticket LEGAL-7", rule="LS141", approved_by="legal@example.com",
                    expires="2027-01-31")
    report = dataclasses.replace(report, findings=tuple(
        dataclasses.replace(item, fails=False, waiver=waiver) if item.rule_id == "LS141" else item
        for item in apply_policy(report.findings, policy)))
    decision = answer([report], knowledge, knowledge.answers, EU_SAAS).decisions[0]
    assert decision.kind is DecisionKind.NEEDS_REVIEW and "LS141 is waived: legal reviewed ticket LEGAL-7" in decision.reason


# --- The example, with and without the README's context ---------------------------------------------------

def scan_example(context):
    from licscan.scan import scan

    config = dataclasses.replace(load_config(EXAMPLE), context=context)
    return scan(config, clock=lambda: datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc), history=False)


def test_with_the_eu_saas_context_the_example_has_fewer_obligations_and_the_same_verdict():
    without, with_context = scan_example(None), scan_example(EU_SAAS)
    assert with_context.verdict is without.verdict
    assert 0 < len(with_context.answers.obligations) < len(without.answers.obligations)
    kept = {item.notice_text for item in with_context.answers.obligations}
    assert "Built with Llama" in kept
    # Gemma's Notice file is not due for a hosted service; Qwen's notice file neither.
    assert not any(item.notice_text and item.notice_text.startswith("Gemma is provided") for item in
                   with_context.answers.obligations)
    assert any(item.notice_text and item.notice_text.startswith("Gemma is provided") for item in
               without.answers.obligations)
    naming = [item for item in with_context.answers.judgements if item.kind == "naming"]
    assert naming and all(item.reason == "no derivative model is distributed" for item in naming)


def test_obligations_are_listed_once_with_every_model_and_licence_they_come_from():
    result = scan_example(None)
    llama = [item for item in result.answers.obligations if item.notice_text == "Built with Llama"]
    assert len(llama) == 1
    assert set(llama[0].licenses) == {"llama3.1", "llama3.2"}
    assert set(llama[0].models) == {"anon/A-llama31-8b-43c09106", "anon/AA-llama32-3b-c205633c"}


def test_the_json_report_carries_the_context_each_judgement_and_decision(tmp_path):
    from licscan.reporting.json_report import JsonFormat

    data = json.loads(JsonFormat().render(scan_example(EU_SAAS)))
    assert data["context"]["established_in"] == ["DE"] and data["context"]["use"] == ["saas"]
    model = next(item for item in data["models"] if item["id"] == "moonshotai/Kimi-K2-Instruct-0905")
    assert model["decision"]["decision"] == "ok-with-obligations"
    outcomes = {(item["kind"], item["outcome"]) for item in model["judgements"]}
    assert ("threshold", "does-not-apply") in outcomes and ("threshold", "cannot-tell") in outcomes
    assert any(item["notice_text"] == "Built with Llama" for item in data["obligations"])


def test_every_model_of_the_example_has_one_decision_and_no_failing_model_is_ok():
    result = scan_example(EU_SAAS)
    assert [item.model for item in result.answers.decisions] == [report.key for report in result.models]
    for report in result.models:
        if any(finding.fails for finding in report.findings):
            assert result.answers.decision(report.key).kind is DecisionKind.BLOCKED


# --- Configuration ----------------------------------------------------------------------------------------

def write_context(tmp_path, body):
    (tmp_path / "pyproject.toml").write_text("[tool.licscan.context]\n" + textwrap.dedent(body), encoding="utf-8")
    return load_config(tmp_path).context


def test_the_context_accepts_numbers_and_bands(tmp_path):
    context = write_context(tmp_path, """
        established_in = ["de"]
        user_regions = ["EU", "worldwide"]
        monthly_active_users = "10k-100k"
        annual_revenue_usd = "<1M"
        monthly_revenue_usd = ">20M"
        use = ["saas", "shipped"]
        commercial = false
    """)
    assert context.established_in == ("DE",) and context.user_regions == ("EU", "worldwide")
    assert context.monthly_active_users == Band(10_000, 100_000)
    assert context.annual_revenue_usd == Band(0, 1_000_000) and context.monthly_revenue_usd == Band(20e6, None)
    assert context.use_modes == (UseMode.SAAS, UseMode.SHIPPED) and context.commercial is False


@pytest.mark.parametrize("body, key", [
    ('monthly_active_users = "lots"', "context.monthly_active_users"),
    ('established_in = ["Germany"]', "context.established_in"),
    ('use = ["sass"]', "context.use"),
    ('commercial = "yes"', "context.commercial"),
    ('mau = 5', "context"),
])
def test_a_bad_context_value_is_a_configuration_error_naming_the_key(tmp_path, body, key):
    with pytest.raises(ConfigError) as error:
        write_context(tmp_path, body)
    assert key in str(error.value)


def test_no_context_section_means_no_context(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.licscan]\nmodels = []\n", encoding="utf-8")
    assert load_config(tmp_path).context is None


def test_a_policy_can_require_a_context_and_a_scan_without_one_is_incomplete(tmp_path):
    from licscan.scan import scan

    project = tmp_path / "p"
    project.mkdir()
    (project / "app.py").write_text('from x import M\nM.from_pretrained("Qwen/Qwen2.5-7B-Instruct")\n')
    policy = tmp_path / "policy.yaml"
    policy.write_text("schema: licscan-policy/1\nname: needs-context\nfail_on: [LS120]\nrequire_context: true\n")
    base = dataclasses.replace(load_config(project), mirror=str(EXAMPLE / "licscan-mirror"), policy=str(policy))
    without = scan(base, history=False)
    with_context = scan(dataclasses.replace(base, context=EU_SAAS), history=False)
    assert without.verdict.value == "incomplete" and with_context.verdict.value == "pass"
    assert without.answers.decisions[0].kind is DecisionKind.NEEDS_REVIEW
    assert "requires a deployment context" in without.answers.decisions[0].reason
    assert with_context.answers.decisions[0].kind is DecisionKind.OK


# --- Llama 3.2: the EU clause binds its multimodal models, and companies established in the EU ------------

def llama32(shipped, context, pipeline):
    child = ModelRecord(repo_id="acme/llama-tune", revision="0" * 40, author="acme",
                        card=CardData(license="llama3.2", pipeline_tag=pipeline))
    base = ModelRecord(repo_id="meta-llama/Llama-3.2-11B-Vision" if pipeline == "image-text-to-text"
                       else "meta-llama/Llama-3.2-3B", revision="1" * 40, author="meta-llama",
                       card=CardData(license="llama3.2", pipeline_tag=pipeline))
    return [item for item in answers_for(shipped, context, child, base).judgements if item.kind == "territory"]


def test_llama32_eu_clause_applies_to_a_vision_derivative_of_an_eu_company(shipped):
    [clause] = llama32(shipped, EU_SAAS, "image-text-to-text")
    assert clause.outcome is Outcome.APPLIES and clause.reason == "company established in the European Union"
    assert clause.source is not None and "USE_POLICY" in clause.source.citation


def test_llama32_eu_clause_does_not_bind_a_text_model_or_a_company_outside_the_eu(shipped):
    assert llama32(shipped, EU_SAAS, "text-generation") == []
    us = DeploymentContext(established_in=("US",), user_regions=("EU",))
    [clause] = llama32(shipped, us, "image-text-to-text")
    assert clause.outcome is Outcome.DOES_NOT_APPLY and "does not bind where the users are" in clause.reason


def test_llama32_eu_clause_cannot_tell_when_no_card_gives_the_modality(shipped):
    [clause] = llama32(shipped, EU_SAAS, None)
    assert clause.outcome is Outcome.CANNOT_TELL
