"""Providers' terms read in stored copies of their own pages: a project that calls a hosted API is told which
company it contracts with and under which law, in the report's finding and in `licscan explain`."""

from __future__ import annotations

from typer.testing import CliRunner

from licscan.cli import app
from licscan.config import data_dir
from licscan.providers import load_providers

from knowledge_scan import model, scan_report

TABLE = load_providers([data_dir("rules")])

CALLS = {
    "openai_app.py": "from openai import OpenAI\n"
                     "OpenAI().chat.completions.create(model='gpt-4o', messages=[])\n",
    "gemini_app.py": "from google import genai\n"
                     "genai.Client().models.generate_content(model='gemini-2.0-flash', contents='hi')\n",
    "together_app.py": "from openai import OpenAI\n"
                       "OpenAI(base_url='https://api.together.ai/v1').chat.completions.create(\n"
                       "    model='meta-llama/Llama-3.3-70B-Instruct-Turbo', messages=[])\n",
}


def _terms_evidence(report: dict, model_id: str) -> dict:
    (finding,) = [item for item in model(report, model_id)["findings"] if item["rule_id"] == "LS160"]
    return finding["evidence"]


def test_a_project_calling_openai_gemini_and_together_is_told_who_it_contracts_with_and_under_which_law(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    for name, text in CALLS.items():
        (project / name).write_text(text)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    report = scan_report(tmp_path, mirror, project=project)
    openai = _terms_evidence(report, "api:openai/gpt-4o")
    # OpenAI's Services Agreement: an Irish company for EEA and Swiss customers, a Californian one elsewhere.
    assert "OpenAI Ireland Ltd." in openai["terms_entity"] and "OpenAI OpCo, LLC" in openai["terms_entity"]
    assert "Ireland" in openai["terms_law"] and "San Francisco County" in openai["terms_law"]
    assert "NAM" in openai["terms_law"] and openai["terms_read"] == "2026-12-07"
    # The Gemini API's additional terms sit on the Google APIs Terms of Service, which name Google LLC.
    gemini = _terms_evidence(report, "api:google/gemini-2.0-flash")
    assert gemini["terms_entity"].startswith("Google LLC") and "Santa Clara County" in gemini["terms_law"]
    # Together's own terms are now read: the Delaware company and California law, no forum named.
    together = _terms_evidence(report, "api:together/meta-llama/Llama-3.3-70B-Instruct-Turbo")
    assert together["terms_read"] == "2026-12-07"
    assert together["terms_entity"].startswith("Together Computer, Inc.") and "California" in together["terms_law"]
    assert "no court or arbitration forum is named" in together["terms_law"]


def test_each_terms_read_is_cited_to_the_stored_copy_and_explain_shows_the_entity_and_law():
    for key, copy in (("openai", "ChatGPT/Commercial%20Terms.md"), ("google", "Google%20APIs/Terms%20of%20Service.md"),
                      ("together", "Together%20AI/Terms%20of%20Service.md"),
                      ("replicate", "Replicate/Terms%20of%20Service.md"),
                      ("llama-api", "Llama%20API/Terms%20of%20Service.md")):
        provider = TABLE.provider(key)
        assert provider.terms.entity and provider.terms.law and "terms" not in provider.unconfirmed, key
        (cited,) = [source for source in provider.sources if source.url and source.url.endswith(copy)]
        assert cited.confidence == "primary" and cited.type == "publisher-page" and "OpenTermsArchive" in cited.url
    # DeepInfra's terms, read before, name its company; the governing law was not in the part read.
    deepinfra = TABLE.provider("deepinfra").terms
    assert deepinfra.entity == "Deep Infra, Inc., a Delaware corporation" and deepinfra.law is None
    # Together's company and country now rest on its own terms, no longer unconfirmed.
    assert {"organization", "country"}.isdisjoint(TABLE.provider("together").unconfirmed)
    explained = CliRunner().invoke(app, ["explain", "together"])
    assert explained.exit_code == 0
    assert "Together Computer, Inc., a Delaware corporation" in explained.output
    assert "Laws of the State of California" in explained.output
    assert "not read in licscan's rules" not in explained.output



def test_replicate_and_the_llama_api_name_their_companies_and_a_provider_read_in_its_terms_is_not_called_unconfirmed():
    replicate, llama = TABLE.provider("replicate"), TABLE.provider("llama-api")
    # Replicate's own terms name an LLC (the record said "Replicate, Inc." from general knowledge before).
    assert replicate.organization == "Replicate, LLC" and replicate.terms.entity.startswith("Replicate, LLC")
    assert "AAA" in replicate.terms.law and "San Francisco" in replicate.terms.law
    assert "Meta Platforms Ireland Limited" in llama.terms.entity and "Ireland" in llama.terms.law
    # Where the company and the terms rest on the provider's own terms, explain no longer opens with "not confirmed";
    # the facts read nowhere (hosts, SDKs, prefixes, model names) stay marked one by one.
    for key in ("mistral", "cohere", "replicate", "llama-api"):
        explained = CliRunner().invoke(app, ["explain", key]).output
        assert "Facts below are read in the primary text (primary) unless marked otherwise." in explained, key
        assert "SDK packages" in explained and "[unconfirmed]" in explained.split("SDK packages", 1)[1].split("\n", 1)[0]


def test_anthropics_country_is_read_in_its_own_privacy_policy():
    anthropic = TABLE.provider("anthropic")
    assert anthropic.country == "US" and "country" not in anthropic.unconfirmed
    assert any("headquartered in the United States" in source.citation and source.confidence == "primary"
               for source in anthropic.sources)
    explained = CliRunner().invoke(app, ["explain", "anthropic"]).output
    country_line = next(line for line in explained.splitlines() if line.strip().startswith("country"))
    assert "US" in country_line and "[unconfirmed]" not in country_line
