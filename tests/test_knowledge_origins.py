"""Publishers read in their own pages, filings and licences: each fact rests on its own source, and a scan shows\neach fact with its own confidence."""

from __future__ import annotations

import textwrap

import pytest
from typer.testing import CliRunner

from handmade import add_repo
from licscan.cli import app
from licscan.config import data_dir
from licscan.evaluation.knowledge import PRIMARY_SOURCE_TYPES, load_knowledge
from licscan.evaluation.stats import publisher_counts
from test_knowledge_resolution import model, node, project_with, scan

runner = CliRunner()

KNOWLEDGE = load_knowledge([data_dir("rules")])

# Namespace -> (organisation, country, parent) as its own pages state them.
READ_IN_OWN_PAGES = {
    "sentence-transformers": ("Sentence Transformers", None, "Hugging Face, Inc."),
    "allenai": ("Allen Institute for Artificial Intelligence (AI2)", "US", None),
}


@pytest.mark.parametrize("namespace", sorted(READ_IN_OWN_PAGES))
def test_a_publisher_read_in_its_own_pages_rests_its_organisation_on_them(namespace):
    origin = KNOWLEDGE.origins[namespace.lower()]
    assert (origin.organization, origin.country, origin.parent) == READ_IN_OWN_PAGES[namespace]
    assert "organization" not in origin.unconfirmed and origin.confidence == "primary"
    assert any(source.type == "publisher-page" and source.confidence == "primary" and source.url
               for source in origin.sources)
    (row,) = [row for row in publisher_counts(KNOWLEDGE) if namespace in row.subject.split(", ")]
    assert row.primary >= 2


def test_a_sentence_transformers_model_shows_its_steward_and_no_invented_country(tmp_path):
    mirror = tmp_path / "mirror"
    add_repo(mirror, "sentence-transformers/probe-minilm", {"license": "apache-2.0"})
    result, report = scan(project_with(tmp_path, "sentence-transformers/probe-minilm"), tmp_path, mirror=mirror)
    origin = node(report, "sentence-transformers/probe-minilm")["origin"]
    assert (origin["organization"], origin["parent"], origin["country"]) == ("Sentence Transformers",
                                                                             "Hugging Face, Inc.", None)
    assert origin["account"] == "community" and origin["confidence"] == "primary" and origin["unconfirmed"] == []


def test_tencents_1260h_listing_is_cited_to_the_federal_register_notice_itself(tmp_path):
    (listing,) = KNOWLEDGE.origins["tencent"].listings
    assert "FR Doc 2025-00070" in listing.citation and "90 FR 1105" in listing.citation
    assert listing.source.type == "regulation" and listing.date_added == "2025-01-07"
    mirror = tmp_path / "mirror"
    add_repo(mirror, "tencent/probe-hunyuan", {"license": "apache-2.0"})
    result, report = scan(project_with(tmp_path, "tencent/probe-hunyuan"), tmp_path, mirror=mirror)
    (finding,) = [item for item in next(m for m in report["models"] if m["id"] == "tencent/probe-hunyuan")["findings"]
                  if item["rule_id"] == "LS141"]
    assert "FR Doc 2025-00070" in finding["message"] and "since 2025-01-07" in finding["message"]


# ---------------------------------------------------------------------------------------------------------
# Each fact of a publisher carries its own confidence
# ---------------------------------------------------------------------------------------------------------

PER_FIELD_RECORD = """\
    schema: licscan-origins/1
    last_reviewed: "2026-12-07"
    publishers:
      - namespaces: [probe-lab]
        organization: Probe Lab GmbH
        country: DE
        parent: Probe Holding AG
        confidence: primary
        unconfirmed: [country]
        secondary: [parent]
        sources:
          - {citation: "Probe Lab imprint", date: "2026-12-07", confidence: primary, type: publisher-page}
          - {citation: "trade press report", date: "2026-12-01", confidence: secondary, type: press}
"""


def _user_rules(tmp_path, text=PER_FIELD_RECORD):
    user = tmp_path / "rules"
    user.mkdir(exist_ok=True)
    (user / "origins.yaml").write_text(textwrap.dedent(text))
    return user


def test_an_organisation_read_on_its_own_page_stays_primary_when_its_country_is_not_confirmed(tmp_path):
    knowledge = load_knowledge([data_dir("rules"), _user_rules(tmp_path)])
    origin = knowledge.origins["probe-lab"]
    assert [origin.field_confidence(name) for name in ("organization", "country", "parent")] == [
        "primary", "unconfirmed", "secondary"]
    (row,) = [row for row in publisher_counts(knowledge) if row.subject == "probe-lab"]
    assert (row.primary, row.secondary, row.none) == (1, 1, 1)


def test_reports_show_each_publisher_fact_with_its_own_confidence(tmp_path):
    user = _user_rules(tmp_path)
    mirror = tmp_path / "mirror"
    add_repo(mirror, "probe-lab/probe-model", {"license": "apache-2.0"})
    project = project_with(tmp_path, "probe-lab/probe-model")
    (project / "pyproject.toml").write_text(
        (project / "pyproject.toml").read_text() + f'rules_dirs = ["{user.as_posix()}"]\n')
    html = tmp_path / "report.html"
    result, report = scan(project, tmp_path, "--html", str(html), mirror=mirror)
    origin = node(report, "probe-lab/probe-model")["origin"]
    assert origin["field_confidence"] == {"organization": "primary", "country": "unconfirmed",
                                          "parent": "secondary"}
    assert origin["unconfirmed"] == ["country"] and origin["secondary"] == ["parent"]
    text = html.read_text()
    # The ancestry line: the organisation is not marked, its country is.
    assert "Probe Lab GmbH, DE" in text and "(country not confirmed)" in text
    assert 'Probe Lab GmbH <span class="unconfirmed">(not confirmed)' not in text
    # The publishers appendix: each fact not read in a primary source is marked with its own confidence.
    appendix = text[text.index("Appendix A: publishers"):]
    row = appendix[appendix.rindex("<tr>", 0, appendix.index("Probe Lab GmbH")):]
    row = row[:row.index("</tr>")]
    assert "<td>Probe Lab GmbH<br>" in row
    assert 'part of Probe Holding AG</span> <span class="meta">(secondary)</span>' in row
    assert '<td>DE <span class="unconfirmed">(not confirmed)</span></td>' in row


@pytest.mark.parametrize(("change", "message"), [
    # A fact is never surer than its strongest source.
    ({"sources": '[{citation: "trade press report", date: "2026-12-01", confidence: secondary, type: press}]',
      "secondary": "[]"}, "'confidence' is primary, but no source is primary"),
    ({"sources": '[{citation: "a guess", date: "2026-12-01", confidence: unconfirmed}]',
      "confidence": "unconfirmed"}, "no source is secondary or better"),
    ({"unconfirmed": "[country, parent]"}, "cannot be both 'secondary' and 'unconfirmed'"),
    ({"secondary": "[listings]"}, "'secondary' names 'listings', which is not a field"),
])
def test_a_publisher_record_cannot_claim_more_than_its_sources_give(tmp_path, change, message):
    lines = []
    for line in textwrap.dedent(PER_FIELD_RECORD).splitlines():
        key = line.strip().split(":")[0]
        if key in change and line.startswith("    ") and not line.strip().startswith("-"):
            line = f"    {key}: {change[key]}"
        elif line.strip().startswith("- {citation") and "sources" in change:
            continue
        lines.append(line)
    user = tmp_path / "rules"
    user.mkdir()
    (user / "origins.yaml").write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["rules", "validate", str(user)])
    assert result.exit_code != 0
    assert message in result.output and "probe-lab" in result.output


# Publishers the issue names whose organisation is read in a licence, the publisher's own pages or a filing,
# with the country each of them gives (None: an individual or community account, or a country not confirmed).
READ_IN_PRIMARY_SOURCES = {
    "XiaomiMiMo": ("Xiaomi Corporation", "CN"), "stabilityai": ("Stability AI Ltd.", "GB"),
    "tiiuae": ("Technology Innovation Institute – Sole Proprietorship L.L.C.", "AE"),
    "upstage": ("Upstage Co., Ltd.", "KR"), "tokyotech-llm": ("Swallow LLM (Institute of Science Tokyo)", "JP"),
    "BAAI": ("Beijing Academy of Artificial Intelligence", "CN"), "Snowflake": ("Snowflake Inc.", "US"),
    "apple": ("Apple Inc.", "US"), "RedHatAI": ("Red Hat, Inc.", "US"), "mistralai": ("Mistral AI", "FR"),
    "CohereLabs": ("Cohere Inc.", "CA"), "lmstudio-community": ("Element Labs, Inc.", "US"),
    "Alibaba-NLP": ("Tongyi Lab", "CN"), "jinaai": ("Jina AI", "DE"), "sarvamai": ("Axonwise Private Limited", "IN"),
    "microsoft": ("Microsoft Corporation", "US"), "TheBloke": ("Tom Jobbins", None), "xai-org": ("X.AI Corp.", "US"),
    "mlx-community": ("MLX Community", None), "intfloat": ("Liang Wang", None),
    "NousResearch": ("Nous Research, Inc.", "US"), "LiquidAI": ("Liquid AI, Inc.", "US"),
    "moonshotai": ("Moonshot AI", "CN"), "yandex": ("Yandex", "RU"), "MiniMaxAI": ("MiniMax AI", "CN"),
    "ByteDance-Seed": ("Bytedance Ltd.", "CN"),
}


@pytest.mark.parametrize("namespace", sorted(READ_IN_PRIMARY_SOURCES))
def test_major_publishers_rest_their_organisation_and_country_on_primary_sources(namespace):
    origin = KNOWLEDGE.origins[namespace.lower()]
    organization, country = READ_IN_PRIMARY_SOURCES[namespace]
    assert (origin.organization, origin.country) == (organization, country)
    assert origin.field_confidence("organization") == "primary"
    if country is not None:
        assert origin.field_confidence("country") == "primary"
    assert any(source.confidence == "primary" and source.type in PRIMARY_SOURCE_TYPES and source.date == "2026-12-07"
               for source in origin.sources)


# A country no primary source gives: unconfirmed where nothing read states it, secondary where only a secondary
# source does; either way the organisation read in the publisher's own pages stands, and the notes say why.
COUNTRY_BELOW_PRIMARY = {"unsloth": "unconfirmed", "nomic-ai": "secondary",
                         "mixedbread-ai": "secondary"}


@pytest.mark.parametrize("namespace", sorted(COUNTRY_BELOW_PRIMARY))
def test_a_country_no_primary_source_gives_is_said_so_and_the_organisation_still_stands(namespace):
    origin = KNOWLEDGE.origins[namespace.lower()]
    assert origin.field_confidence("organization") == "primary"
    assert origin.field_confidence("country") == COUNTRY_BELOW_PRIMARY[namespace]
    said = "not confirmed" if COUNTRY_BELOW_PRIMARY[namespace] == "unconfirmed" else "secondary source"
    assert said in (origin.notes or "")
    if COUNTRY_BELOW_PRIMARY[namespace] == "secondary":
        assert any(source.confidence == "secondary" for source in origin.sources)


def test_fine_tunes_of_hermes_embedding_and_unsloth_bases_show_the_publisher_and_country_their_sources_give(
        tmp_path):
    mirror = tmp_path / "mirror"
    bases = {"NousResearch": "NousResearch/probe-hermes", "nomic-ai": "nomic-ai/probe-embed",
             "unsloth": "unsloth/probe-quant"}
    for base in bases.values():
        add_repo(mirror, base, {"license": "apache-2.0"})
        add_repo(mirror, f"probe-lab/{base.split('/')[1]}-tune", {"license": "apache-2.0", "base_model": base})
    project = project_with(tmp_path, *(f"probe-lab/{base.split('/')[1]}-tune" for base in bases.values()))
    html = tmp_path / "report.html"
    result, report = scan(project, tmp_path, "--html", str(html), mirror=mirror)
    seen = {namespace: node(report, f"probe-lab/{base.split('/')[1]}-tune", base)["origin"]
            for namespace, base in bases.items()}
    # Nous Research's own terms name a Delaware corporation: the company and its country, both primary.
    assert (seen["NousResearch"]["organization"], seen["NousResearch"]["country"]) == ("Nous Research, Inc.", "US")
    assert seen["NousResearch"]["field_confidence"]["country"] == "primary"
    # Nomic's country rests on a secondary source: shown, and marked as secondary, not as unconfirmed.
    assert seen["nomic-ai"]["country"] == "US" and seen["nomic-ai"]["field_confidence"]["country"] == "secondary"
    # Unsloth's own code names its company; no page gives its country, which stays unknown.
    assert seen["unsloth"]["organization"] == "Unsloth AI Inc." and seen["unsloth"]["country"] is None
    text = html.read_text()
    appendix = text[text.index("Appendix A: publishers"):]

    def row(organization):
        start = appendix.rindex("<tr>", 0, appendix.index(f"<td>{organization}"))
        return appendix[start:appendix.index("</tr>", start)]

    assert "<td>US</td>" in row("Nous Research, Inc.")
    assert '<td>US <span class="meta">(secondary)</span></td>' in row("Nomic, Inc.")
    assert "<td>not known</td>" in row("Unsloth AI Inc.")
    assert "Nous Research, Inc., US" in text and "(country not confirmed)" not in text


def test_bytedance_seeds_country_rests_on_the_presidents_orders_and_its_cayman_incorporation_is_said():
    origin = KNOWLEDGE.origins["bytedance-seed"]
    assert (origin.country, origin.field_confidence("country")) == ("CN", "primary")
    orders = [source for source in origin.sources if source.type == "regulation"]
    assert any("China-based parent company, ByteDance Ltd." in source.citation and "90 FR 8611" in source.citation
               for source in orders)
    assert "Cayman Islands" in origin.notes and origin.field_confidence("parent") == "unconfirmed"
    result = runner.invoke(app, ["explain", "ByteDance-Seed"])
    assert result.exit_code == 0 and "Bytedance Ltd." in result.output and "90 FR 8611" in result.output


def test_sakana_ai_is_named_in_its_own_repository_and_its_country_in_its_own_researchers_paper():
    origin = KNOWLEDGE.origins["sakanaai"]
    assert origin.field_confidence("organization") == "primary"
    assert origin.field_confidence("country") == "primary" and origin.country == "JP"
    assert any("Sakana AI株式会社" in source.citation and source.type == "publisher-page" for source in origin.sources)
    assert any("Sakana AI, Tokyo, Japan" in source.citation and source.confidence == "primary"
               for source in origin.sources)
    # The district is known from secondary sources only, and the record says so.
    assert "Minato" in origin.notes and "secondary" in origin.notes


def test_organisation_names_are_names_and_their_notes_are_apart():
    research_words = ("licensor", "per ", "reported", "confirmed", "ScanCode", "teams", "business)", "open weights")
    names = {origin.namespace: origin.organization for origin in KNOWLEDGE.origins.values()}
    assert [(ns, name) for ns, name in names.items() if any(word in name for word in research_words)] == []


# The namespaces the knowledge issue names: the publishers behind the most-used model families and embedding
# models, and the re-publishers most derivatives come through.
ISSUE_NAMESPACES = (
    "sentence-transformers", "intfloat", "BAAI", "Alibaba-NLP", "jinaai", "nomic-ai", "mixedbread-ai", "Snowflake",
    "HuggingFaceTB", "ibm-granite", "allenai", "apple", "nvidia", "LiquidAI", "upstage", "LGAI-EXAONE", "01-ai",
    "internlm", "openbmb", "baichuan-inc", "stepfun-ai", "XiaomiMiMo", "unsloth", "RedHatAI", "neuralmagic",
    "NousResearch", "mlx-community", "lmstudio-community", "bartowski", "TheBloke", "QuantFactory",
)


@pytest.mark.parametrize("namespace", ISSUE_NAMESPACES)
def test_every_namespace_the_issue_names_has_an_origin_that_says_who_stands_behind_it(namespace):
    origin = KNOWLEDGE.origins.get(namespace.lower())
    assert origin is not None, f"{namespace} has no record in rules/origins.yaml"
    assert origin.organization and origin.sources
    # An organisation has a country, or its record says the country is not confirmed; a person or a community of
    # uploaders has none to record.
    if origin.account == "organisation" and origin.country is None:
        assert "country" in origin.unconfirmed and "not confirmed" in (origin.notes or ""), namespace
    result = runner.invoke(app, ["explain", namespace])
    assert result.exit_code == 0 and origin.organization in result.output


def test_a_parent_on_the_1260h_list_is_said_for_qwen_and_the_listing_is_kept_apart(tmp_path):
    (listing,) = [item for item in KNOWLEDGE.unmapped_entities if item.entity == "Alibaba Group Holding Limited"]
    assert listing.date_added == "2026-06-08" and listing.confidence == "primary"
    assert "Section 1260H" in listing.citation and listing.source.type == "regulation"
    for namespace in ("qwen", "alibaba-nlp"):
        origin = KNOWLEDGE.origins[namespace]
        assert "Alibaba Group Holding Limited" in origin.notes and "1260H" in origin.notes, namespace
    assert KNOWLEDGE.origins["qwen"].parent == "Alibaba Group Holding Limited"
    assert KNOWLEDGE.origins["qwen"].field_confidence("parent") == "primary"
    result = runner.invoke(app, ["explain", "Qwen"])
    assert result.exit_code == 0 and "1260H" in result.output


def test_a_qwen_fine_tune_reports_its_publishers_listed_parent_and_only_the_strict_gate_fails_on_it(tmp_path):
    mirror = tmp_path / "mirror"
    add_repo(mirror, "Qwen/probe-qwen", {"license": "apache-2.0"})
    add_repo(mirror, "probe-lab/qwen-tune", {"license": "apache-2.0", "base_model": "Qwen/probe-qwen"})
    add_repo(mirror, "meta-llama/probe-llama", {"license": "apache-2.0"})
    project = project_with(tmp_path, "probe-lab/qwen-tune", "meta-llama/probe-llama")
    result, report = scan(project, tmp_path, mirror=mirror)
    (finding,) = [item for item in model(report, "probe-lab/qwen-tune")["findings"] if item["rule_id"] == "LS144"]
    assert finding["ancestor"] == "Qwen/probe-qwen" and "Alibaba Group Holding Limited" in finding["message"]
    assert "1260H" in finding["message"] and "since 2026-06-08" in finding["message"]
    assert not any(item["rule_id"] in ("LS141", "LS144") for item in model(report, "meta-llama/probe-llama")["findings"])
    assert result.exit_code == 0, result.output  # default: reported, not failed
    assert not finding["fails"] and model(report, "probe-lab/qwen-tune")["decision"]["decision"] != "blocked"
    strict, strict_report = scan(project, tmp_path, "--policy", "strict", mirror=mirror)
    (failing,) = [item for item in model(strict_report, "probe-lab/qwen-tune")["findings"] if item["rule_id"] == "LS144"]
    assert strict.exit_code == 1 and failing["fails"]
    assert "parent" in runner.invoke(app, ["explain", "LS144"]).output


@pytest.mark.parametrize("namespace, organization, kind", [("openbmb", "OpenBMB", "licence-text"),
                                                           ("stepfun-ai", "StepFun Inc.", "publisher-page")])
def test_an_organisation_read_in_its_own_licence_or_code_keeps_a_press_country_secondary(namespace, organization, kind):
    origin = KNOWLEDGE.origins[namespace]
    assert origin.organization == organization and origin.field_confidence("organization") == "primary"
    assert origin.field_confidence("country") == "secondary" and origin.field_confidence("parent") == "unconfirmed"
    assert any(source.type == kind and source.confidence == "primary" and source.url for source in origin.sources)


# Eighth pass: parents that were unconfirmed, each read in a primary source. Namespace -> (parent, source type,
# where the source is published, a phrase of it).
PARENTS_READ = {
    "jinaai": ("Elastic", "publisher-page", "elastic.co", "faz parte da Elastic"),
    "baidu": ("Baidu, Inc.", "registry-filing", "ir.baidu.com", "consolidated affiliated entities"),
    "google": ("Alphabet Inc.", "registry-filing", "sec.gov", "new public holding company, Alphabet Inc."),
}


@pytest.mark.parametrize("namespace", sorted(PARENTS_READ))
def test_a_model_shows_its_publishers_parent_as_read_in_a_primary_source(tmp_path, namespace):
    parent, kind, host, phrase = PARENTS_READ[namespace]
    origin = KNOWLEDGE.origins[namespace]
    assert origin.parent == parent and origin.field_confidence("parent") == "primary"
    assert any(source.type == kind and source.confidence == "primary" and host in source.url
               and phrase in source.citation for source in origin.sources)
    mirror = tmp_path / "mirror"
    add_repo(mirror, f"{namespace}/probe-parent", {"license": "apache-2.0"})
    result, report = scan(project_with(tmp_path, f"{namespace}/probe-parent"), tmp_path, mirror=mirror)
    shown = node(report, f"{namespace}/probe-parent")["origin"]
    assert shown["parent"] == parent and shown["field_confidence"]["parent"] == "primary"
    (row,) = [row for row in publisher_counts(KNOWLEDGE) if row.subject == namespace]
    assert (row.primary, row.secondary, row.none) == (3, 0, 0)


def test_what_the_parents_sources_do_not_say_is_said_in_the_notes():
    # Elastic's page names no legal entity and the acquisition date rests on a blog; Baidu's control is by
    # contract, read in a 2017 filing, and its Cayman incorporation is on the 20-F cover.
    jina = KNOWLEDGE.origins["jinaai"]
    assert "2025-10-09" in jina.notes and "no legal entity" in jina.notes
    baidu = KNOWLEDGE.origins["baidu"]
    assert "contractual arrangements" in baidu.notes and "2017-03-31" in baidu.notes
    (filing,) = [source for source in baidu.sources if source.type == "registry-filing"]
    assert "Form 20-F" in filing.citation and "Cayman Islands" in filing.citation
    # Google: the 2015 filing makes Alphabet the holding company; the 2017 LLC and XXVI Holdings are from reports.
    google = KNOWLEDGE.origins["google"]
    assert "XXVI Holdings" in google.notes and "not read itself" in google.notes


def test_explain_openbmb_names_the_institutions_its_own_readme_says_develop_minicpm():
    # Eighth pass: the ModelBest link was a hint in the licence; the publisher's README names the developers.
    origin = KNOWLEDGE.origins["openbmb"]
    (readme,) = [source for source in origin.sources if "000f62d" in source.citation]
    assert (readme.type, readme.confidence) == ("publisher-page", "primary") and "开发机构" in readme.citation
    # The licensor's own incorporation is still unknown, so the country stays secondary rather than inferred.
    assert origin.field_confidence("country") == "secondary" and "OpenBMB Platforms, Inc. is" in origin.notes
    result = runner.invoke(app, ["explain", "openbmb"])
    assert result.exit_code == 0 and "Tsinghua University's NLP lab" in result.output
    assert "ModelBest (面壁智能)" in result.output
