"""The shipped knowledge (rules/) against the fact base: completeness, the facts themselves, validation, explain."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from licscan.cli import app
from licscan.config import data_dir
from licscan.evaluation import validate
from licscan.evaluation.knowledge import load_knowledge
from licscan.model import Relation

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture(scope="module")
def knowledge():
    return load_knowledge([data_dir("rules")])


# ---------------------------------------------------------------------------------------------------------
# Part A: every Hub `license:` id, with its SPDX id and ScanCode key (fact base, Part A.3)
# ---------------------------------------------------------------------------------------------------------

# Hub id -> (SPDX id licscan can use, ScanCode key). None for SPDX: no single SPDX id (a family, an id
# that does not say -only/-or-later, or a licence SPDX does not list): the record uses a LicenseRef.
PART_A = {
    "apache-2.0": ("Apache-2.0", None), "mit": ("MIT", None), "openrail": (None, None),
    "bigscience-openrail-m": (None, "bigscience-open-rail-m"),
    "creativeml-openrail-m": (None, "stable-diffusion-2022-08-22"),
    "bigscience-bloom-rail-1.0": (None, "bigscience-rail-1.0"), "bigcode-openrail-m": (None, "bigcode-open-rail-m-v1"),
    "afl-3.0": ("AFL-3.0", None), "artistic-2.0": ("Artistic-2.0", None), "bsl-1.0": ("BSL-1.0", None),
    "bsd": (None, None), "bsd-2-clause": ("BSD-2-Clause", None), "bsd-3-clause": ("BSD-3-Clause", None),
    "bsd-3-clause-clear": ("BSD-3-Clause-Clear", None), "c-uda": ("C-UDA-1.0", None), "cc": (None, None),
    "cc0-1.0": ("CC0-1.0", None), "cc-by-2.0": ("CC-BY-2.0", None), "cc-by-2.5": ("CC-BY-2.5", None),
    "cc-by-3.0": ("CC-BY-3.0", None), "cc-by-4.0": ("CC-BY-4.0", None), "cc-by-sa-3.0": ("CC-BY-SA-3.0", None),
    "cc-by-sa-4.0": ("CC-BY-SA-4.0", None), "cc-by-nc-2.0": ("CC-BY-NC-2.0", None),
    "cc-by-nc-3.0": ("CC-BY-NC-3.0", None), "cc-by-nc-4.0": ("CC-BY-NC-4.0", None),
    "cc-by-nd-4.0": ("CC-BY-ND-4.0", None), "cc-by-nc-nd-3.0": ("CC-BY-NC-ND-3.0", None),
    "cc-by-nc-nd-4.0": ("CC-BY-NC-ND-4.0", None), "cc-by-nc-sa-2.0": ("CC-BY-NC-SA-2.0", None),
    "cc-by-nc-sa-3.0": ("CC-BY-NC-SA-3.0", None), "cc-by-nc-sa-4.0": ("CC-BY-NC-SA-4.0", None),
    "cdla-sharing-1.0": ("CDLA-Sharing-1.0", None), "cdla-permissive-1.0": ("CDLA-Permissive-1.0", None),
    "cdla-permissive-2.0": ("CDLA-Permissive-2.0", None), "wtfpl": ("WTFPL", None), "ecl-2.0": ("ECL-2.0", None),
    "epl-1.0": ("EPL-1.0", None), "epl-2.0": ("EPL-2.0", None), "etalab-2.0": ("etalab-2.0", None),
    "eupl-1.1": ("EUPL-1.1", None), "eupl-1.2": ("EUPL-1.2", None), "agpl-3.0": (None, None), "gfdl": (None, None),
    "gpl": (None, None), "gpl-2.0": (None, None), "gpl-3.0": (None, None), "lgpl": (None, None),
    "lgpl-2.1": (None, None), "lgpl-3.0": (None, None), "isc": ("ISC", None), "h-research": (None, None),
    "intel-research": (None, None), "lppl-1.3c": ("LPPL-1.3c", None), "ms-pl": ("MS-PL", None),
    "apple-ascl": ("AML", "aml"), "apple-amlr": (None, None), "mpl-2.0": ("MPL-2.0", None),
    "odc-by": ("ODC-By-1.0", None), "odbl": ("ODbL-1.0", None), "openmdw-1.0": (None, "openmdw-1.0"),
    "openmdw-1.1": (None, None), "openrail++": (None, "bigscience-open-rail-m2"), "osl-3.0": ("OSL-3.0", None),
    "postgresql": ("PostgreSQL", None), "ofl-1.1": ("OFL-1.1", None), "ncsa": ("NCSA", None),
    "unlicense": ("Unlicense", None), "zlib": ("Zlib", None), "pddl": ("PDDL-1.0", None),
    "lgpl-lr": ("LGPLLR", None), "deepfloyd-if-license": (None, None),
    "fair-noncommercial-research-license": (None, None), "llama2": (None, "llama-2-license-2023"),
    "llama3": (None, None), "llama3.1": (None, "llama-3.1-license-2024"), "llama3.2": (None, "llama-3.2-license-2024"),
    "llama3.3": (None, "llama-3.3-license-2024"), "llama4": (None, "llama-4-cla-2025"),
    "grok2-community": (None, None), "gemma": (None, "gemma-tou-2025-03-24"), "unknown": (None, None),
    "other": (None, None),
}


def test_part_a_lists_83_hub_ids_and_every_one_but_unknown_and_other_has_a_record(knowledge):
    assert len(PART_A) == 83
    missing = [hub_id for hub_id in PART_A if hub_id not in ("unknown", "other") and hub_id not in knowledge.aliases]
    assert missing == []
    # unknown and other say nothing about the licence: the card has to be read further, never a record.
    assert "unknown" not in knowledge.aliases and "other" not in knowledge.aliases


@pytest.mark.parametrize("hub_id", [key for key in PART_A if key not in ("unknown", "other")])
def test_each_hub_id_maps_to_its_spdx_id_or_a_licenseref_and_its_scancode_key(knowledge, hub_id):
    spdx, scancode = PART_A[hub_id]
    (key,) = knowledge.aliases[hub_id]
    record = knowledge.licenses[key]
    if spdx is None:
        assert record.spdx_id == f"LicenseRef-licscan-{record.key}"
    else:
        assert record.spdx_id == spdx
    if scancode is not None:
        assert record.scancode_key == scancode
    assert record.sources and all(source.date and source.citation for source in record.sources)


# ---------------------------------------------------------------------------------------------------------
# Part B: the custom AI licences, with every field the issue lists
# ---------------------------------------------------------------------------------------------------------

PART_B = [
    "llama2", "llama3", "llama3.1", "llama3.2", "llama3.3", "llama4", "gemma", "qwen", "tongyi-qianwen",
    "qwen-research", "tongyi-qianwen-research", "deepseek", "mit", "modified-mit-kimi", "minimax-model-license",
    "tencent-hunyuan-community", "stabilityai-ai-community", "stabilityai-nc-research-community",
    "flux-1-dev-non-commercial-license", "nvidia-open-model-license", "jamba-open-model-license", "mrl", "mnpl",
    "creativeml-openrail-m", "openrail++", "bigscience-openrail-m", "bigscience-bloom-rail-1.0", "bigcode-openrail-m",
    "apple-amlr", "deepfloyd-if-license", "fair-noncommercial-research-license", "exaone", "hyperclovax-seed",
    "falcon-llm-license", "falcon-180b-tii-license", "baichuan2-community", "yi-community-2.1", "internlm-license",
    "glm-4", "grok2-community", "cc-by-nc-4.0",
]


@pytest.mark.parametrize("key", PART_B)
def test_each_custom_licence_record_has_every_field_the_issue_lists(knowledge, key):
    record = knowledge.licenses[key]
    data = yaml.safe_load((data_dir("rules") / "licenses" / f"{key}.yaml").read_text(encoding="utf-8"))
    listed = {
        "name", "version", "date", "aliases", "families", "commercial_use", "thresholds", "registration_required",
        "attribution", "naming", "territory_exclusions", "territory_note", "use_policy_flow_down", "use_policy",
        "output_training", "output_training_note", "derivatives_must_carry", "markers", "links", "sources",
        "unconfirmed", "secondary", "confidence",
    }
    assert listed <= set(data), sorted(listed - set(data))
    assert record.name and record.families
    custom = record.spdx_id.startswith("LicenseRef-licscan-")
    if custom:  # MIT and CC BY-NC have no release date of their own
        assert record.version or record.date or "version" in record.unconfirmed
    assert record.confidence in ("primary", "secondary", "unconfirmed")
    for source in record.sources:
        assert source.citation and source.date and source.confidence in ("primary", "secondary", "unconfirmed")
    # A fact that is not confirmed is named, and then carries a neutral value rather than an invented one.
    for field in record.unconfirmed:
        assert field in listed | {"key", "spdx_id", "permissive", "scancode_key"}, field
    if custom and "output_training" in record.unconfirmed:
        assert record.output_training == "unknown"
    if "thresholds" in record.unconfirmed:
        assert record.thresholds == ()


# (key, commercial class, threshold (metric, value) pairs, text the notice or display duty must quote,
#  territories excluded, output training) as the fact base (Part B) gives them.
FACTS = [
    ("llama2", "conditional", {("mau", 7e8)}, "Llama 2 is licensed under the LLAMA 2 Community License", (), "prohibited"),
    ("llama3", "conditional", {("mau", 7e8)}, "Built with Meta Llama 3", (), "prohibited"),
    ("llama3.1", "conditional", {("mau", 7e8)}, "Built with Llama", (), "allowed"),
    ("llama3.2", "conditional", {("mau", 7e8)}, "Built with Llama", (), "allowed"),
    ("llama3.3", "conditional", {("mau", 7e8)}, "Built with Llama", (), "allowed"),
    ("llama4", "conditional", {("mau", 7e8)}, "Built with Llama", (), "allowed"),
    ("gemma", "conditional", set(), "Gemma is provided under and subject to the Gemma Terms of Use", (), None),
    ("qwen", "conditional", {("mau", 1e8)}, "Built with Qwen", (), "allowed"),
    ("tongyi-qianwen", "conditional", {("mau", 1e8)}, "Tongyi Qianwen is licensed under the Tongyi Qianwen LICENSE AGREEMENT", (), "prohibited"),
    ("qwen-research", "non-commercial", set(), "Qwen RESEARCH LICENSE AGREEMENT", (), None),
    ("deepseek", "conditional", set(), None, (), None),
    ("modified-mit-kimi", "conditional", {("mau", 1e8), ("monthly-revenue-usd", 2e7)}, '"Kimi K2"', (), "allowed"),
    ("minimax-model-license", "conditional", set(), "MiniMax AI model is licensed under the MiniMax Model License", (), None),
    # The slug's own record (a release whose text licscan has not identified) keeps the widest exclusion ...
    ("tencent-hunyuan-community", "conditional", {("mau", 1e8), ("mau", 1e6)}, "Powered by Tencent Hunyuan",
     ("EU", "GB", "KR"), "restricted"),
    # ... and each release's own text its own terms.
    ("tencent-hunyuan-dit", "conditional", {("mau", 1e8)}, "Tencent Hunyuan is licensed under", (), "restricted"),
    ("tencent-hunyuan-large", "conditional", {("mau", 1e8)}, None, ("EU",), "prohibited"),
    ("tencent-hunyuan-3d-2.0", "conditional", {("mau", 1e6)}, "Tencent Hunyuan 3D 2.0 is licensed under",
     ("EU", "GB", "KR"), "prohibited"),
    ("stabilityai-ai-community", "conditional", {("annual-revenue-usd", 1e6)}, "Powered by Stability AI", (), "prohibited"),
    ("stabilityai-nc-research-community", "non-commercial", set(), None, (), None),
    ("flux-1-dev-non-commercial-license", "non-commercial", set(), None, (), "restricted"),
    ("nvidia-open-model-license", None, set(), "Licensed by NVIDIA Corporation under the NVIDIA Open Model License", (), "allowed"),
    ("mrl", "non-commercial", set(), None, (), None),
    ("mnpl", "non-commercial", set(), None, (), None),
    ("apple-amlr", "non-commercial", set(), "Apple Machine Learning Research Model is licensed under", (), None),
    ("deepfloyd-if-license", "non-commercial", set(), "DeepFloyd is licensed under the DeepFloyd License", (), None),
    ("fair-noncommercial-research-license", "non-commercial", set(), None, (), None),
    ("exaone", "non-commercial", set(), None, (), "prohibited"),
    ("hyperclovax-seed", "conditional", {("mau", 1e7)}, None, (), None),
    ("falcon-llm-license", None, set(), "is built using Falcon LLM technology from the Technology Innovation Institute", (), None),
    ("baichuan2-community", "conditional", {("dau", 1e6)}, None, (), None),
    ("grok2-community", None, set(), "Powered by xAI", (), "prohibited"),
    ("cc-by-nc-4.0", "non-commercial", set(), None, (), None),
]


@pytest.mark.parametrize("key, commercial, thresholds, notice, territories, outputs", FACTS,
                         ids=[row[0] for row in FACTS])
def test_each_custom_licence_states_the_fact_base_terms(knowledge, key, commercial, thresholds, notice, territories,
                                                          outputs):
    record = knowledge.licenses[key]
    if commercial is not None:
        assert record.commercial_use.value == commercial
    assert {(t.metric, t.value) for t in record.thresholds} == thresholds
    if notice is not None:
        assert notice in (record.attribution or "") + (record.naming or ""), record.attribution
    assert record.territory_exclusions == territories
    if outputs is not None:
        assert record.output_training == outputs


def test_flow_down_and_naming_duties_the_fact_base_gives(knowledge):
    for key in ("gemma", "deepseek", "creativeml-openrail-m", "openrail++", "bigscience-openrail-m",
                "bigscience-bloom-rail-1.0", "tencent-hunyuan-community", "llama3.1"):
        assert knowledge.licenses[key].use_policy_flow_down, key
    assert 'begin with "Llama 3"' in knowledge.licenses["llama3"].naming
    assert '"glm-4"' in knowledge.licenses["glm-4"].naming
    assert knowledge.licenses["glm-4"].registration_required
    assert knowledge.licenses["stabilityai-ai-community"].registration_required
    # GLM-4's registration and naming duties are read in the licence text itself (section 2).
    assert knowledge.licenses["glm-4"].field_confidence("naming") == "primary"
    assert knowledge.licenses["glm-4"].field_confidence("registration_required") == "primary"
    assert knowledge.licenses["llama3.2"].field_confidence("attribution") == "primary"
    assert knowledge.licenses["minimax-model-license"].field_confidence("key") == "unconfirmed"


def test_licence_changes_between_revisions_are_recorded_with_their_dates(knowledge):
    yi = knowledge.licenses["yi-community-2.1"]
    assert (yi.superseded_by, yi.superseded_on) == ("apache-2.0", "2024-05-30")
    assert yi.registration_required and yi.date == "2023-11-23"
    assert any("6280097" in source.citation for source in yi.sources)
    internlm = knowledge.licenses["internlm-license"]
    assert (internlm.superseded_by, internlm.superseded_on) == ("apache-2.0", "2025-01-15")
    assert any("f9a1f26" in source.citation for source in internlm.sources)


def test_the_modified_mit_slug_belongs_to_two_publishers(knowledge):
    # Moonshot's three texts (Kimi K2, K2.5, K2.6) each name their own release; MiniMax's is another text.
    assert set(knowledge.aliases["modified-mit"]) == {"modified-mit-kimi", "modified-mit-kimi-k2.5",
                                                      "modified-mit-kimi-k2.6", "modified-mit-minimax"}
    for key in ("modified-mit-kimi", "modified-mit-kimi-k2.5", "modified-mit-kimi-k2.6"):
        assert knowledge.licenses[key].publishers == ("moonshotai",)
    assert knowledge.licenses["modified-mit-minimax"].publishers == ("MiniMaxAI",)


# ---------------------------------------------------------------------------------------------------------
# Part C: publishers and restricted-party listings
# ---------------------------------------------------------------------------------------------------------

# Every organisation of Part C.1, by namespace, with its country.
PART_C = {
    "Qwen": "CN", "deepseek-ai": "CN", "moonshotai": "CN", "zai-org": "CN", "THUDM": "CN", "MiniMaxAI": "CN",
    "01-ai": "CN", "internlm": "CN", "baichuan-inc": "CN", "tencent": "CN", "openbmb": "CN", "BAAI": "CN",
    "baidu": "CN", "stepfun-ai": "CN", "XiaomiMiMo": "CN", "ByteDance-Seed": "CN", "meta-llama": "US",
    "google": "US", "microsoft": "US", "nvidia": "US", "mistralai": "FR", "tiiuae": "AE", "CohereForAI": "CA",
    # Black Forest Labs: the country of the legal entity its licence and terms name (a Delaware corporation);
    # its lab is in Freiburg, Germany (rules/origins.yaml says both).
    "CohereLabs": "CA", "ai21labs": "IL", "stabilityai": "GB", "black-forest-labs": "US", "allenai": "US",
    "ibm-granite": "US", "HuggingFaceTB": "US", "openai": "US", "LGAI-EXAONE": "KR", "upstage": "KR",
    "sarvamai": "IN", "tokyotech-llm": "JP", "SakanaAI": "JP", "ai-forever": "RU", "yandex": "RU",
    "xai-org": "US", "naver-hyperclovax": "KR",
}


# The namespaces most models and derivatives are pulled from (issue 14), beyond Part C.
PULLED = {
    "sentence-transformers": "community", "intfloat": "individual", "Alibaba-NLP": "organisation",
    "jinaai": "organisation", "nomic-ai": "organisation", "mixedbread-ai": "organisation",
    "Snowflake": "organisation", "apple": "organisation", "LiquidAI": "organisation", "unsloth": "organisation",
    "RedHatAI": "organisation", "neuralmagic": "organisation", "NousResearch": "organisation",
    "mlx-community": "community", "lmstudio-community": "community", "bartowski": "individual",
    "TheBloke": "individual", "QuantFactory": "community",
}


# Further namespaces of an organisation above, each read in a source that names it.
SECOND_NAMESPACES = {"Tencent-Hunyuan": "tencent"}


def test_origins_cover_every_part_c_organisation_with_a_reviewed_date(knowledge):
    assert set(knowledge.origins) == {namespace.lower() for namespace in (*PART_C, *PULLED, *SECOND_NAMESPACES)}
    for namespace, first in SECOND_NAMESPACES.items():
        assert knowledge.origins[namespace.lower()].organization == knowledge.origins[first].organization
    for namespace, country in PART_C.items():
        origin = knowledge.origins[namespace.lower()]
        assert origin.organization and origin.sources, namespace
        if country is not None:
            assert origin.country == country, namespace
    assert knowledge.origins_reviewed == "2026-12-07"
    for namespace, account in PULLED.items():
        origin = knowledge.origins[namespace.lower()]
        assert origin.account == account and origin.sources, namespace
        # Names are names: what kind of account it is, or any other note, is said apart.
        assert "individual" not in origin.organization and "community account" not in origin.organization
    assert knowledge.origins["thudm"].organization == knowledge.origins["zai-org"].organization
    assert knowledge.origins["cohereforai"].organization == knowledge.origins["coherelabs"].organization
    # The HF rename itself is not confirmed in the fact base: the record says so.
    assert "namespaces" in knowledge.origins["zai-org"].unconfirmed


def test_restricted_party_listings_carry_date_added_citation_and_source(knowledge):
    def listing(namespace, list_name):
        return next(item for item in knowledge.origins[namespace].listings if list_name in item.list_name)

    zhipu = listing("zai-org", "BIS Entity List")
    assert zhipu.date_added == "2025-01-16" and "90 FR 4617" in zhipu.citation and zhipu.source.date
    baai = listing("baai", "BIS Entity List")
    # The citation names the list itself and the entry's own Federal Register page; what the copy read lacks is
    # said in notes.
    assert baai.date_added == "2025-03-25" and baai.citation.startswith("15 CFR Part 744, Supplement No. 4")
    assert "UNCONFIRMED" not in baai.citation and "not read" in (baai.notes or "")
    assert listing("tencent", "1260H").date_added == "2025-01-07"
    assert listing("ai-forever", "OFAC SDN").date_added == "2022-04-06"
    on_entity_list = [item.entity.lower() for item in knowledge.unmapped_entities if item.list_name == "BIS Entity List"]
    for name in ("sensetime", "megvii", "iflytek"):
        assert any(name in entity for entity in on_entity_list), name
    for clean in ("deepseek-ai", "Qwen", "moonshotai", "MiniMaxAI"):
        assert knowledge.origins[clean.lower()].listings == ()
        assert "not confirmed" in (knowledge.origins[clean.lower()].notes or "") or clean == "deepseek-ai"


def test_lineage_rules_are_sourced_to_the_publishers_own_table_of_bases(knowledge):
    distills = {child: facts for child, facts in knowledge.lineage.items() if "r1-distill" in child}
    assert len(distills) == 6
    for facts in distills.values():
        (fact,) = facts
        assert fact.relation is Relation.FINETUNE
        # DeepSeek's R1 README names each distill's base in its section 3 table: the parent is confirmed.
        assert fact.confidence == "primary" and fact.unconfirmed == ()
        assert any("DeepSeek-R1 README" in source.citation and "section 3" in source.citation
                   and source.confidence == "primary" and source.type == "publisher-page" for source in fact.sources)
    assert knowledge.lineage["deepseek-ai/deepseek-r1-distill-llama-8b"][0].parent == "meta-llama/Llama-3.1-8B"
    assert knowledge.compute is not None and [t.flop for t in knowledge.compute.thresholds] == [1e23, 1e25]
    assert knowledge.compute.factor == 6 and knowledge.compute.confidence == "secondary"


# ---------------------------------------------------------------------------------------------------------
# licscan rules validate, the pre-commit hook, user rule directories
# ---------------------------------------------------------------------------------------------------------

GOOD_LICENSE = """\
schema: licscan-license/1
key: team-licence
name: Team licence
spdx_id: LicenseRef-team-licence
commercial_use: allowed
sources: [{citation: legal memo 7, date: "2026-11-01", confidence: primary}]
"""
LISTING_SOURCE = '{citation: "register", date: "2026-01-02"}'


@pytest.mark.parametrize(
    "path, body, message",
    [
        ("origins.yaml", 'schema: licscan-origins/1\nlast_reviewed: "2026-01-01"\npublishers: []\ncolour: red\n',
         "unknown keys \\['colour'\\]"),
        ("origins.yaml", 'schema: licscan-origins/1\nlast_reviewed: "2026-13-01"\npublishers: []\n',
         "'last_reviewed' must be an ISO date"),
        ("origins.yaml", 'schema: licscan-origins/1\nlast_reviewed: "2026-01-01"\npublishers:\n'
                         '- {namespaces: [acme], organization: Acme, country: US}\n', "\\[acme\\]: 'sources'"),
        ("origins.yaml", 'schema: licscan-origins/1\nlast_reviewed: "2026-01-01"\npublishers:\n'
                         '- namespaces: [acme]\n  organization: Acme\n  sources: [{citation: c, date: "2026-01-01"}]\n'
                         '  listings: [{list: BIS Entity List, citation: "1 FR 2", date_added: "2026-01-01"}]\n',
         "\\[acme\\]: listings\\[0\\].source must give"),
        ("origins.yaml", 'schema: licscan-origins/1\nlast_reviewed: "2026-01-01"\npublishers:\n'
                         '- namespaces: [acme]\n  organization: Acme\n  sources: [{citation: c, date: "2026-01-01"}]\n'
                         f'  listings: [{{list: BIS, citation: "1 FR 2", date_added: "last May", source: {LISTING_SOURCE}}}]\n',
         "listings\\[0\\].date_added' must be an ISO date"),
        ("origins.yaml", 'schema: licscan-origins/1\nlast_reviewed: "2026-01-01"\npublishers:\n'
                         '- namespaces: [acme]\n  organization: Acme\n  unconfirmed: [colour]\n'
                         '  sources: [{citation: c, date: "2026-01-01"}]\n', "'unconfirmed' names 'colour'"),
        ("lineage.yaml", 'schema: licscan-lineage/1\nlast_reviewed: "2026-01-01"\nedges:\n'
                         '- {child: a/b, parent: c/d, confidence: primary, weight: 3,'
                         ' sources: [{citation: c, date: "2026-01-01"}]}\n', "edges\\[0\\] has unknown keys \\['weight'\\]"),
        ("lineage.yaml", 'schema: licscan-lineage/1\nlast_reviewed: "2026-01-01"\nedges:\n'
                         '- {child: a/b, parent: c/d, confidence: primary}\n', "\\[a/b -> c/d\\]: 'sources'"),
        ("lineage.yaml", 'schema: licscan-lineage/1\nlast_reviewed: "2026-01-01"\nedges:\n'
                         '- {child: a/b, parent: c/d, confidence: primary,'
                         ' sources: [{citation: c, date: "01/02/2026"}]}\n', "sources\\[0\\].date' must be an ISO date"),
        ("lineage.yaml", 'schema: licscan-lineage/1\nlast_reviewed: "2026-01-01"\nedges:\n'
                         '- {child: "not an id", parent: c/d, confidence: primary,'
                         ' sources: [{citation: c, date: "2026-01-01"}]}\n', "edges\\[0\\].child must be a Hub repo id"),
        ("compute.yaml", 'schema: licscan-compute/1\nmethod: {factor: 6, confidence: secondary}\n'
                         'thresholds: [{flop: 1.0e+25, confidence: secondary, sources: [{citation: c, date: "2026-01-01"}]}]\n',
         "\\[method\\]: 'sources'"),
        ("licenses/team-licence.yaml", GOOD_LICENSE + "unconfirmed: [naming]\nsecondary: [naming]\n",
         "cannot be both 'secondary' and 'unconfirmed'"),
        ("licenses/team-licence.yaml", GOOD_LICENSE + "superseded_by: nothing-like-it\nsuperseded_on: '2026-01-01'\n",
         "'superseded_by' names 'nothing-like-it'"),
        ("licenses/team-licence.yaml", GOOD_LICENSE + "date: yesterday\n", "'date' must be an ISO date"),
        ("licenses/team-licence.yaml", GOOD_LICENSE + "markers: [MIT]\n", "too short to identify"),
        ("licenses/team-licence.yaml", GOOD_LICENSE + "confidence: likely\n", "'confidence' must be one of"),
        ("licenses/other-name.yaml", GOOD_LICENSE, "the file name must be the key"),
        # PyYAML keeps the last of two equal keys: a second 'notes:' would silently replace the first.
        ("licenses/team-licence.yaml", GOOD_LICENSE + "notes: first\nnotes: second\n",
         "gives the key 'notes' twice in one mapping \\(line \\d+\\)"),
        ("origins.yaml", 'schema: licscan-origins/1\nlast_reviewed: "2026-01-01"\npublishers:\n'
                         '- namespaces: [acme]\n  organization: Acme\n  country: US\n  country: CN\n'
                         '  sources: [{citation: c, date: "2026-01-01"}]\n', "gives the key 'country' twice"),
        ("policies/team.yaml", "schema: licscan-policy/1\nname: team\nfail_on: [LS120]\nfail_on: []\n",
         "gives the key 'fail_on' twice"),
    ],
)
def test_rules_validate_names_the_file_and_the_key_of_each_error(tmp_path, path, body, message):
    target = tmp_path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body)
    result = runner.invoke(app, ["rules", "validate", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert str(target) in result.output

    assert re.search(message, result.output), result.output


def test_rules_validate_reports_every_error_not_only_the_first(tmp_path):
    (tmp_path / "licenses").mkdir()
    (tmp_path / "licenses" / "a.yaml").write_text(GOOD_LICENSE.replace("team-licence", "a") + "colour: red\n")
    (tmp_path / "licenses" / "b.yaml").write_text(GOOD_LICENSE.replace("team-licence", "b").replace("2026-11-01", "soon"))
    result = runner.invoke(app, ["rules", "validate", str(tmp_path)])
    assert result.exit_code == 2
    assert "a.yaml" in result.output and "b.yaml" in result.output and "2 errors" in result.output


def test_rules_validate_accepts_the_shipped_rules_and_a_partial_user_directory(tmp_path):
    shipped = runner.invoke(app, ["rules", "validate"])
    assert shipped.exit_code == 0 and "6 lineage edges" in shipped.output and "unconfirmed releases" in shipped.output
    (tmp_path / "licenses").mkdir()
    (tmp_path / "licenses" / "team-licence.yaml").write_text(GOOD_LICENSE)
    user = runner.invoke(app, ["rules", "validate", str(tmp_path)])
    assert user.exit_code == 0 and "ok: 1 licence," in user.output
    knowledge, errors = validate([data_dir("rules")])
    assert errors == [] and len(knowledge.licenses) >= 119


def test_a_pre_commit_hook_validates_a_repositorys_own_rules():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(item for item in hooks if item["id"] == "licscan-rules")
    assert hook["entry"] == "licscan rules validate"
    assert hook["pass_filenames"] is False and hook["language"] == "python"
    assert re.search(hook["files"], "compliance/rules/licenses/team.yaml")


# ---------------------------------------------------------------------------------------------------------
# licscan explain: each fact with its confidence and sources
# ---------------------------------------------------------------------------------------------------------


def test_explain_a_licence_shows_each_term_with_its_confidence_and_the_sources():
    result = runner.invoke(app, ["explain", "glm-4"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "naming" in out and '"glm-4"' in out and "[secondary]" in out
    assert "githubissues.com/THUDM/GLM-4/219" in out and "(read 2026-09-25; secondary, publisher-page)" in out
    # A term no source confirms is never shown as a fact: the Hunyuan slug's territories depend on the release.
    hunyuan = runner.invoke(app, ["explain", "tencent-hunyuan-community"]).output
    assert "[unconfirmed]" in hunyuan
    llama = runner.invoke(app, ["explain", "llama3.2"]).output
    assert 'Prominently display "Built with Llama". [primary]' in llama
    assert '"Llama 3.2 Version Release Date: September 25, 2024"' in llama


def test_explain_a_superseded_licence_says_when_it_was_replaced():
    out = runner.invoke(app, ["explain", "yi-34b"]).output
    assert "yi-community-2.1" in out and "2024-05-30" in out and "Apache license 2.0" in out


def test_explain_a_publisher_and_a_rules_lineage_edge():
    out = runner.invoke(app, ["explain", "THUDM"]).output
    assert "BIS Entity List since 2025-01-16" in out and "90 FR 4617" in out and "zai-org" in out
    out = runner.invoke(app, ["explain", "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"]).output
    assert "Qwen/Qwen2.5-Math-7B" in out and "[primary]" in out and "00f3296a" in out and "section 3" in out


def test_explain_reads_a_users_rules_directory(tmp_path):
    (tmp_path / "licenses").mkdir()
    (tmp_path / "licenses" / "team-licence.yaml").write_text(GOOD_LICENSE)
    result = runner.invoke(app, ["explain", "team-licence", "--rules-dir", str(tmp_path)])
    assert result.exit_code == 0 and "legal memo 7" in result.output
    assert runner.invoke(app, ["explain", "team-licence"]).exit_code == 2


def test_the_readme_rules_table_lists_every_rule_with_its_kind_and_severity():
    from licscan.catalog import RULES

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for rule in RULES:
        row = f'| <a id="rule-{rule.id.lower()}"></a>{rule.id} | {rule.kind.value} | {rule.severity.value} |'
        assert row in readme, rule.id


def test_no_research_note_or_internal_path_reaches_the_text_a_reader_sees():
    """Summaries, citations and notes of rules/ are shown in reports and by `licscan explain`: they said 'the fact
    base gives no date for this source...', 'UNCONFIRMED in the fact base' and cited 'tests/data/hub'."""
    import yaml

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    rules = Path(__file__).resolve().parent.parent / "rules"
    leaks = [
        (path.relative_to(rules).as_posix(), text[:80])
        for path in sorted(rules.rglob("*.yaml"))
        for text in strings(yaml.safe_load(path.read_text(encoding="utf-8")))
        if "fact base" in text.lower() or "UNCONFIRMED" in text or "tests/data" in text
    ]
    assert leaks == []
