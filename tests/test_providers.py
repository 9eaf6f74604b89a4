"""Models used through a provider's API or a local runtime: found in small projects of each construct, resolved
(a runtime tag to the Hub model it packages, a hosted API to its provider), evaluated and shown in every report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from handmade import add_repo
from knowledge_scan import model, scan_report
from licscan.cli import app
from licscan.config import data_dir
from licscan.errors import RuleError
from licscan.model import DiscoverySettings
from licscan.providers import load_providers, parse_providers
from project_files import discover_project

SETTINGS = DiscoverySettings(api=load_providers([data_dir("rules")]).vocabulary)


def _keys(root: Path, files: dict) -> set[str]:
    return {item.ref.key for item in discover_project(root, files, SETTINGS).occurrences}


def test_openai_client_pointed_at_a_provider_host_is_that_provider(tmp_path):
    found = _keys(tmp_path, {"app.py": '''
        from openai import OpenAI
        client = OpenAI(base_url="https://api.deepseek.com", api_key="x")
        client.chat.completions.create(model="deepseek-chat", messages=[])
    '''})
    assert found == {"api:deepseek/deepseek-chat"}


def test_a_default_openai_client_beside_one_pointed_at_a_provider_keeps_both_apis(tmp_path):
    together_client = """
        from openai import OpenAI
        together = OpenAI(base_url="https://api.together.xyz/v1")
        together.chat.completions.create(model="meta-llama/Llama-3.3-70B-Instruct-Turbo", messages=[])
        together.chat.completions.create(model="gpt-4o", messages=[])
    """
    # With only the Together client, gpt-4o is not said to be OpenAI's: the SDK is pointed elsewhere.
    alone = {key for key in _keys(tmp_path / "alone", {"app.py": together_client}) if key.startswith("api:")}
    assert alone == {"api:together/meta-llama/Llama-3.3-70B-Instruct-Turbo"}
    # A default client in the same file sends the name Together does not serve to OpenAI's own API.
    both = _keys(tmp_path / "both", {"app.py": together_client.rstrip() + "\n        plain = OpenAI(api_key='x')\n"})
    assert {key for key in both if key.startswith("api:")} == {
        "api:together/meta-llama/Llama-3.3-70B-Instruct-Turbo", "api:openai/gpt-4o"}


def test_provider_sdks_name_their_models(tmp_path):
    found = _keys(tmp_path, {"sdk.py": '''
        from zhipuai import ZhipuAI
        import anthropic, dashscope
        ZhipuAI(api_key="").chat.completions.create(model="glm-4-plus", messages=[])
        anthropic.Anthropic().messages.create(model="claude-3-5-sonnet-latest", max_tokens=1, messages=[])
        dashscope.Generation.call(model="qwen-max", prompt="hi")
    '''})
    assert found == {"api:zhipu/glm-4-plus", "api:anthropic/claude-3-5-sonnet-latest", "api:alibaba/qwen-max"}


def test_a_plain_word_without_provider_context_is_no_dependency(tmp_path):
    found = _keys(tmp_path, {"unrelated.py": '''
        import openai
        def build(model="gpt"):
            return dict(model="gpt", engine="fast")
    ''', "local_server.py": '''
        from openai import OpenAI
        client = OpenAI(base_url="http://localhost:8000/v1")
        client.chat.completions.create(model="gpt-4o", messages=[])
    ''', "notes.py": 'model = "deepseek-chat"\n'})
    assert found == set()


def test_litellm_and_openrouter_strings(tmp_path):
    found = _keys(tmp_path, {"llm.py": '''
        import litellm
        litellm.completion(model="deepseek/deepseek-reasoner", messages=[])
        litellm.completion(model="huggingface/Qwen/Qwen2.5-7B-Instruct", messages=[])
        litellm.completion(model="together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", messages=[])
        litellm.completion(model="ollama/llama3.1", messages=[])
    ''', "router.py": '''
        from openai import OpenAI
        client = OpenAI(base_url="https://openrouter.ai/api/v1")
        client.chat.completions.create(model="anthropic/claude-3.5-sonnet", messages=[])
    ''', "proxy_config.yaml": '''
        model_list:
          - model_name: chat
            litellm_params:
              model: moonshot/kimi-k2-0905-preview
    '''})
    # The LiteLLM string is the API it names, never also read as a Hub id "deepseek/deepseek-reasoner".
    assert found == {"api:deepseek/deepseek-reasoner", "Qwen/Qwen2.5-7B-Instruct",
                     "meta-llama/Llama-3.3-70B-Instruct-Turbo", "ollama:llama3.1:latest",
                     "api:anthropic/claude-3.5-sonnet", "api:moonshot/kimi-k2-0905-preview"}


def test_ollama_calls_commands_and_modelfiles(tmp_path):
    found = _keys(tmp_path, {
        "local.py": '''
            import ollama
            from langchain_ollama import ChatOllama
            ollama.chat(model="qwen2.5:7b", messages=[])
            llm = ChatOllama(model="mistral")
        ''',
        "Modelfile": "FROM llama3.1\nSYSTEM be brief\n",
        "setup.sh": "#!/bin/sh\nollama pull deepseek-r1:7b\n# ollama pull gemma3\n",
        "Dockerfile": "FROM ollama/ollama\nRUN ollama pull nomic-embed-text\n",
        "README.md": "Run `ollama pull phi4` if you like.\n\n```bash\nollama pull qwen3:8b\n```\n",
    })
    # A commented-out command and a command in a sentence of prose are not uses.
    assert found == {"ollama:qwen2.5:7b", "ollama:mistral:latest", "ollama:llama3.1:latest", "ollama:deepseek-r1:7b",
                     "ollama:nomic-embed-text:latest", "ollama:qwen3:8b"}


def test_transformers_js_pipeline_names_a_hub_model(tmp_path):
    found = _keys(tmp_path, {"embed.mjs": '''
        import { pipeline } from '@huggingface/transformers';
        const extractor = await pipeline('feature-extraction', 'Xenova/all-MiniLM-L6-v2');
    ''', "other.js": "const m = pipeline('x', 'Xenova/bert-base-uncased');\n"})
    assert found == {"Xenova/all-MiniLM-L6-v2"}  # without the library's import, pipeline() is someone else's


def test_hostile_python_becomes_a_skip_not_a_crash(tmp_path):
    result = discover_project(tmp_path, {"bad.py": "import ollama\nollama.chat(model=\n"}, SETTINGS)
    assert not result.occurrences
    assert any(item.reason == "parse-error" for item in result.skipped)


@pytest.fixture()
def mirror(tmp_path: Path) -> Path:
    root = tmp_path / "mirror"
    add_repo(root, "Qwen/Qwen2.5-7B-Instruct", {"license": "apache-2.0"})
    return root


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    project = tmp_path / "project"
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    return project


def test_hosted_api_gets_its_provider_origin_and_terms_to_review(tmp_path, mirror):
    project = _project(tmp_path, {"app.py": (
        "from openai import OpenAI\nfrom zhipuai import ZhipuAI\n"
        "OpenAI().chat.completions.create(model='gpt-4o', messages=[])\n"
        "ZhipuAI().chat.completions.create(model='glm-4-plus', messages=[])\n")})
    report = scan_report(tmp_path, mirror, project=project)
    openai = model(report, "api:openai/gpt-4o")
    terms = [item for item in openai["findings"] if item["rule_id"] == "LS160"]
    assert terms and "https://openai.com/policies/services-agreement/" in terms[0]["message"]
    assert "read 2026-12-07" in terms[0]["message"]
    assert not [item for item in openai["findings"] if item["rule_id"] in ("LS110", "LS111")]
    # Zhipu's publisher record carries its BIS Entity List listing: the hosted API gets the same origin finding.
    zhipu = model(report, "api:zhipu/glm-4-plus")
    assert any(item["rule_id"] == "LS141" and item["fails"] for item in zhipu["findings"])
    assert report["verdict"] == "fail"


def test_a_hosted_api_needs_review_under_the_default_policy_and_fails_the_strict_one(tmp_path):
    project = _project(tmp_path, {"app.py": (
        "from openai import OpenAI\n"
        "OpenAI(base_url='https://api.deepseek.com').chat.completions.create(model='deepseek-chat', messages=[])\n")})
    env = {"LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'cache.db'}"}
    default = CliRunner().invoke(app, ["scan", str(project), "--no-color"], env=env)
    assert default.exit_code == 0 and "Needs review" in default.output
    strict = CliRunner().invoke(app, ["scan", str(project), "--no-color", "--policy", "strict"], env=env)
    assert strict.exit_code == 1 and "LS160" in strict.output


def test_runtime_tag_resolves_through_its_hub_model_and_an_unmapped_tag_never_clears(tmp_path, mirror):
    project = _project(tmp_path, {"setup.sh": "ollama pull qwen2.5:7b-instruct-q4_K_M\nollama pull no-such-tag:1b\n"})
    report = scan_report(tmp_path, mirror, project=project)
    mapped = model(report, "ollama:qwen2.5:7b-instruct-q4_K_M")
    assert [node["id"] for node in mapped["lineage"]["nodes"]] == ["ollama:qwen2.5:7b-instruct-q4_K_M",
                                                                    "Qwen/Qwen2.5-7B-Instruct"]
    assert any(item["rule_id"] == "LS161" for item in mapped["findings"])
    unmapped = model(report, "ollama:no-such-tag:1b")
    reasons = [item["message"] for item in unmapped["findings"] if item["rule_id"] == "LS100"]
    assert reasons and "unmapped-runtime-tag" in reasons[0]
    assert report["verdict"] != "pass"


def test_every_report_format_shows_hosted_apis_and_runtime_tags(tmp_path, mirror):
    project = _project(tmp_path, {"app.py": "import anthropic\nanthropic.Anthropic().messages.create("
                                            "model='claude-3-5-haiku-latest', max_tokens=1, messages=[])\n",
                                  "Modelfile": "FROM qwen2.5:7b\n"})
    out = tmp_path / "out"
    formats = {"--json": "r.json", "--html": "r.html", "--markdown": "r.md", "--sarif": "r.sarif",
               "--junit": "r.xml", "--cyclonedx": "r.cdx.json", "--spdx": "r.spdx.json"}
    args = ["scan", str(project), "--no-color", "--mirror", str(mirror)]
    for flag, name in formats.items():
        args += [flag, str(out / name)]
    result = CliRunner().invoke(app, args, env={"LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'c.db'}"},
                                catch_exceptions=False)
    assert "claude-3-5-haiku-latest" in result.output and "ollama:qwen2.5:7b" in result.output
    for name in formats.values():
        text = (out / name).read_text()
        assert "claude-3-5-haiku-latest" in text, name
        assert "qwen2.5:7b" in text, name
    bom = json.loads((out / "r.cdx.json").read_text())
    service = next(item for item in bom["services"] if item["name"] == "claude-3-5-haiku-latest")
    assert service["group"] == "anthropic" and service["provider"]["name"].startswith("Anthropic")
    assert not any(item["bom-ref"].startswith("api:") for item in bom["components"])


def test_rules_validate_checks_providers(tmp_path):
    good = {"schema": "licscan-providers/1", "last_reviewed": "2026-12-07", "providers": [{
        "key": "acme", "name": "Acme API", "organization": "Acme", "hosts": ["api.acme.example"], "models": ["acme-*"],
        "terms": {"url": None, "read": None}, "confidence": "unconfirmed", "unconfirmed": ["terms"],
        "sources": [{"citation": "c", "date": "2026-12-07", "confidence": "unconfirmed", "type": "reference-work"}]}]}
    assert parse_providers(good, file="p.yaml").provider("acme").serves("acme-large")
    undated = json.loads(json.dumps(good))
    undated["providers"][0]["unconfirmed"] = []
    with pytest.raises(RuleError, match="no date read"):
        parse_providers(undated, file="p.yaml")
    bad_host = json.loads(json.dumps(good))
    bad_host["providers"][0]["hosts"] = ["https://api.acme.example/v1"]
    with pytest.raises(RuleError, match="not a host name"):
        parse_providers(bad_host, file="p.yaml")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "providers.yaml").write_text(
        "schema: licscan-providers/1\nlast_reviewed: '2026-12-07'\nproviders:\n  - key: acme\n    name: Acme\n"
        "    publisher: no-such-namespace\n    models: ['a-*']\n    terms: {url: null, read: null}\n"
        "    confidence: unconfirmed\n    unconfirmed: [terms]\n    sources:\n      - {citation: c, date: '2026-12-07', "
        "confidence: unconfirmed, type: reference-work}\n")
    result = CliRunner().invoke(app, ["rules", "validate", str(rules)])
    assert result.exit_code != 0 and "no-such-namespace" in result.output


def test_shipped_providers_cover_the_brief_and_explain_answers_for_a_provider_key():
    table = load_providers([data_dir("rules")])
    wanted = {"deepseek", "zhipu", "moonshot", "alibaba", "minimax", "tencent", "baidu", "bytedance", "stepfun",
              "01-ai", "openai", "anthropic", "google", "mistral", "cohere"}
    assert wanted <= {item.key for item in table.providers}
    for item in table.providers:
        assert item.sources and (item.terms.read or "terms" in item.unconfirmed), item.key
    result = CliRunner().invoke(app, ["explain", "zhipu"])
    assert result.exit_code == 0
    assert "BIS Entity List" in result.output and "open.bigmodel.cn" in result.output


def test_notebooks_read_code_cells_prose_code_blocks_and_javascript_cells(tmp_path):
    def cell(kind, text):
        return {"cell_type": kind, "source": text.splitlines(keepends=True), "metadata": {}}

    notebook = {"nbformat": 4, "metadata": {}, "cells": [
        cell("markdown", "Pull the model first: `ollama pull phi4` (prose).\n\n```\nollama pull qwen3:8b\n```\n"),
        cell("code", "!ollama pull gemma3:4b\nfrom groq import Groq\nclient = Groq(api_key='x'\n"),  # a broken cell
        cell("code", "client.chat.completions.create(model='llama3-70b-8192', messages=[])\n"),
        cell("code", "from ollama import AsyncClient\nawait AsyncClient().chat(model='gemma2:2b', messages=[])\n"),
        cell("code", "%%writefile app.js\nimport { pipeline } from '@huggingface/transformers';\n"
                     "const model_id = 'onnx-community/gemma-3-1b-it-ONNX';\n"),
    ]}
    result = discover_project(tmp_path, {"demo.ipynb": notebook}, SETTINGS)
    found = {(item.ref.key, item.location.cell) for item in result.occurrences if item.source == "hosted-api"}
    # The Groq client is made in a cell that does not parse; its import still tells who serves the next cell's model.
    assert found == {("ollama:qwen3:8b", 1), ("ollama:gemma3:4b", 2), ("api:groq/llama3-70b-8192", 3),
                     ("ollama:gemma2:2b", 4), ("onnx-community/gemma-3-1b-it-ONNX", 5)}


def test_commands_the_project_builds_or_gives_at_run_time(tmp_path):
    result = discover_project(tmp_path, {
        "FAQ.md": "Indented commands are code:\n\n    $ ollama run gemma3:1b\n\n```bash\nollama create me -f Modelfile\n"
                  "ollama run me\n```\n",
        "Dockerfile": "ARG MODEL\nRUN ollama serve & sleep 5 && ollama pull $MODEL\n",
        "run.py": "import subprocess\nsubprocess.Popen('ollama run gemma2', shell=True)\n",
    }, SETTINGS)
    keys = {item.ref.key for item in result.occurrences}
    assert keys == {"ollama:gemma3:1b", "ollama:gemma2:latest"}  # not `me`, which the project creates
    listed = [item for item in result.skipped if item.reason == "unresolved-reference"]
    assert [(item.path, item.detail.split(":")[0]) for item in listed] == [("Dockerfile", "line 2")]


def test_defaults_configs_and_local_servers(tmp_path):
    result = discover_project(tmp_path, {
        "agent.py": '''
            from langchain_nvidia_ai_endpoints import ChatNVIDIA, NVIDIAEmbeddings
            from langchain_huggingface import HuggingFaceEmbeddings
            def ask(question, model="meta/llama3-70b-instruct"):
                return ChatNVIDIA(model=model).invoke(question)
            local = ChatNVIDIA(base_url="http://localhost:8000/v1", model="meta/llama3-8b-instruct")
            hub = HuggingFaceEmbeddings(model_name="BAAI/bge-small-en-v1.5")
        ''',
        "config.yaml": '''
            llm:
              base_url: https://integrate.api.nvidia.com/v1
              model_name: meta/llama-3.1-70b-instruct
        ''',
    }, SETTINGS)
    found = {item.ref.key for item in result.occurrences if item.ref.kind.value == "hosted-api"}
    # A function's default is used; a client of the project's own server is not a hosted API; a Hub id written with
    # its capitals beside the client is not NVIDIA's.
    assert found == {"api:nvidia/meta/llama3-70b-instruct", "api:nvidia/meta/llama-3.1-70b-instruct"}


def test_the_lockfile_records_hosted_apis_and_check_sees_a_new_one(tmp_path, mirror, monkeypatch):
    project = _project(tmp_path, {"app.py": "import anthropic\nanthropic.Anthropic().messages.create("
                                            "model='claude-3-5-haiku-latest', max_tokens=1, messages=[])\n",
                                  "Modelfile": "FROM qwen2.5:7b\n"})
    env = {"LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    monkeypatch.chdir(project)
    CliRunner().invoke(app, ["lock", ".", "--mirror", str(mirror)], env=env, catch_exceptions=False)
    locked = json.loads((project / "licscan.lock").read_text())
    assert {"api:anthropic/claude-3-5-haiku-latest", "ollama:qwen2.5:7b"} <= set(locked["models"])
    result = CliRunner().invoke(app, ["check"], env=env, catch_exceptions=False)
    assert "MISSING" not in result.output
    (project / "app.py").write_text("from openai import OpenAI\nOpenAI(base_url='https://api.deepseek.com')"
                                    ".chat.completions.create(model='deepseek-chat', messages=[])\n")
    result = CliRunner().invoke(app, ["check"], env=env, catch_exceptions=False)
    assert result.exit_code != 0 and "MISSING api:deepseek/deepseek-chat" in result.output
    # The hook's check of given files reads no provider table (no YAML parser per commit), but runtime tags count.
    (project / "Modelfile").write_text("FROM gemma3:4b\n")
    result = CliRunner().invoke(app, ["check", "Modelfile"], env=env, catch_exceptions=False)
    assert result.exit_code != 0 and "MISSING ollama:gemma3:4b" in result.output


def test_mirror_pull_records_the_hub_model_a_runtime_tag_packages(tmp_path, hub_stub):
    project = _project(tmp_path, {"Modelfile": "FROM qwen2.5:7b\n"})
    result = CliRunner().invoke(app, ["mirror", "pull", "--from-scan", str(project), "--output", str(tmp_path / "copy")],
                                env={"HF_ENDPOINT": hub_stub.url, "LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'c.db'}"},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "copy" / "Qwen" / "Qwen2.5-7B-Instruct" / "info.json").is_file()


def test_provider_terms_say_who_contracts_and_unread_terms_say_so_plainly():
    table = load_providers([data_dir("rules")])
    read = {item.key: item.terms for item in table.providers if item.terms.read}
    # Terms read in the provider's own copy name the company the customer contracts with.
    assert read["moonshot"].entity == "Moonshot AI PTE. LTD."
    assert read["cohere"].entity.startswith("Cohere Inc.") and read["mistral"].entity.startswith("Mistral AI")
    assert {"openai", "google", "moonshot", "mistral", "cohere", "alibaba", "tencent", "minimax", "deepseek",
            "anthropic"} <= read.keys()
    # Where the terms read state it, the governing law is recorded, per region when the terms split it.
    assert "People's Republic of China" in read["deepseek"].law and "Hangzhou" in read["deepseek"].entity
    assert "Anthropic Ireland, Limited" in read["anthropic"].entity and "California" in read["anthropic"].law
    assert "Paris" in read["mistral"].law and "Singapore" in read["mistral"].law
    for item in table.providers:
        if item.key in ("zhipu", "baidu", "bytedance", "stepfun", "01-ai"):
            assert "terms" in item.unconfirmed and "not found" in (item.notes or ""), item.key
    explained = CliRunner().invoke(app, ["explain", "moonshot"])
    assert explained.exit_code == 0
    assert "contracting entity" in explained.output and "Moonshot AI PTE. LTD." in explained.output
    assert "governing law" in explained.output and "not stated in the part of the terms read" in explained.output
    entry = {"schema": "licscan-providers/1", "last_reviewed": "2026-12-07", "providers": [{
        "key": "acme", "name": "Acme API", "organization": "Acme", "models": ["acme-*"],
        "terms": {"url": "https://acme.example/terms", "read": "2026-12-07", "entity": "Acme Ltd", "law": "England"},
        "confidence": "primary",
        "sources": [{"citation": "c", "date": "2026-12-07", "confidence": "primary", "type": "publisher-page"}]}]}
    terms = parse_providers(entry, file="p.yaml").provider("acme").terms
    assert (terms.entity, terms.law) == ("Acme Ltd", "England")
