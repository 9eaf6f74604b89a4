"""Providers that serve open models under their Hub ids (Together AI, DeepInfra): a request to their API is a
hosted-API dependency of that provider, and the Hub model it names is still reported; the same id in another
library's keyword beside the client is a model loaded locally, not the API's."""

from __future__ import annotations

from licscan.config import data_dir
from licscan.model import DiscoverySettings, RefKind
from licscan.providers import load_providers

from project_files import discover_project

TABLE = load_providers([data_dir("rules")])
SETTINGS = DiscoverySettings(api=TABLE.vocabulary)


def _found(tmp_path, files):
    return {(item.ref.kind, item.ref.key) for item in discover_project(tmp_path, files, SETTINGS).occurrences}


def test_deepinfra_and_together_clients_are_api_dependencies_of_hub_named_models(tmp_path):
    found = _found(tmp_path, {
        "deepinfra_app.py": '''
            from openai import OpenAI
            client = OpenAI(api_key=KEY, base_url="https://api.deepinfra.com/v1/openai")
            client.chat.completions.create(model="meta-llama/Meta-Llama-3.1-8B-Instruct", messages=[])
        ''',
        "together_app.py": '''
            from together import Together
            from lancedb.rerankers import ColbertReranker

            client = Together(api_key=KEY)
            client.chat.completions.create(model="meta-llama/Llama-3.3-70B-Instruct-Turbo", messages=[])
            reranker = ColbertReranker(model_name="answerdotai/answerai-colbert-small-v1")
        ''',
        "chain.py": '''
            from langchain_together import ChatTogether
            llm = ChatTogether(model="Qwen/Qwen2.5-7B-Instruct-Turbo")
        ''',
    })
    api = {key for kind, key in found if kind is RefKind.HOSTED_API}
    assert api == {"api:deepinfra/meta-llama/Meta-Llama-3.1-8B-Instruct",
                   "api:together/meta-llama/Llama-3.3-70B-Instruct-Turbo",
                   "api:together/Qwen/Qwen2.5-7B-Instruct-Turbo"}
    # The Hub model behind the DeepInfra name, and the reranker loaded locally, stay Hub models.
    assert {(RefKind.MODEL, "meta-llama/Meta-Llama-3.1-8B-Instruct"),
            (RefKind.MODEL, "answerdotai/answerai-colbert-small-v1")} <= found


def test_the_two_providers_are_sourced_with_their_terms(tmp_path):
    deepinfra, together = TABLE.provider("deepinfra"), TABLE.provider("together")
    assert deepinfra.hub_names and together.hub_names
    assert deepinfra.terms.read == "2026-12-07" and deepinfra.terms.url == "https://deepinfra.com/terms"
    assert together.terms.read == "2026-12-07" and "terms" not in together.unconfirmed  # read in a stored copy
    assert {source.type for source in deepinfra.sources} == {"publisher-page"}
    assert "api.deepinfra.com" in deepinfra.hosts and "api.together.ai" in together.hosts
