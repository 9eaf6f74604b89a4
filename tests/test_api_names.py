"""A model name a provider's API serves that no Hub repo holds (NVIDIA's `meta/llama3-70b-instruct`): read as a
Hub id too, the Hub's not-found answer makes it the provider's hosted model, in the scan, every report, the
lockfile and the offline check; an outage, a refused token or a name with no API use stays unresolved."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from licscan.cli import app

NAME = "meta/llama3-70b-instruct"
HOSTED = f"api:nvidia/{NAME}"
CHAT_NVIDIA = f'''
    from langchain_nvidia_ai_endpoints import ChatNVIDIA

    llm = ChatNVIDIA(model="{NAME}")
'''
OPENAI_AT_NVIDIA = f'''
    from openai import OpenAI

    client = OpenAI(base_url="https://integrate.api.nvidia.com/v1", api_key=KEY)
    client.chat.completions.create(model="{NAME}", messages=[])
'''
# The same name as a default in a deployment config, with no API client in sight.
COMPOSE = f'''
    services:
      chain-server:
        environment:
          APP_LLM_MODELNAME: ${{APP_LLM_MODELNAME:-"{NAME}"}}
'''


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    for name, text in files.items():
        (project / name).write_text(textwrap.dedent(text))
    return project


def _scan(tmp_path: Path, project: Path, env: dict[str, str], *extra: str):
    out = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["scan", str(project), "--json", str(out), "--no-color", *extra],
                                env={"LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'c.db'}", **env},
                                catch_exceptions=False)
    return result, json.loads(out.read_text())


def _models(report: dict) -> dict[str, dict]:
    return {item["id"]: item for item in report["models"]}


def _rules(item: dict) -> set[str]:
    return {finding["rule_id"] for finding in item["findings"]}


@pytest.mark.parametrize("code", [CHAT_NVIDIA, OPENAI_AT_NVIDIA], ids=["ChatNVIDIA", "openai-client"])
def test_an_api_name_the_hub_lacks_is_the_providers_hosted_model_and_the_scan_passes(tmp_path, hub_stub, code):
    project = _project(tmp_path, {"app.py": code, "docker-compose.yaml": COMPOSE})
    result, report = _scan(tmp_path, project, {"HF_ENDPOINT": hub_stub.url})
    assert hub_stub.api_calls(NAME), "the Hub was asked about the name"
    assert result.exit_code == 0, result.output
    assert report["verdict"] == "pass"
    models = _models(report)
    assert set(models) == {HOSTED}  # not also an unresolved Hub model
    hosted = models[HOSTED]
    assert {"LS160", "LS162"} <= _rules(hosted) and not _rules(hosted) & {"LS100", "LS103"}
    (note,) = [item for item in hosted["findings"] if item["rule_id"] == "LS162"]
    assert "not a Hub repository" in note["message"] and "NVIDIA" in note["message"] and not note["fails"]
    assert hosted["decision"]["decision"] == "needs-review"
    # The config default with no client in sight is the same API's use, and says how it was attributed.
    places = {(item["path"], item["via"]) for item in hosted["occurrences"]}
    assert ("docker-compose.yaml", "by-name") in places and ("app.py", "literal") in places
    assert "LS103" not in result.output and HOSTED in result.output
    # Scanned again, the Hub's answer comes from the metadata cache: the same report.
    hub_stub.clear()
    again, warm = _scan(tmp_path, project, {"HF_ENDPOINT": hub_stub.url})
    assert not hub_stub.api_calls(NAME) and again.exit_code == 0
    assert warm["models"] == report["models"]


@pytest.mark.parametrize("fault", [503, "slow", (401, {"X-Error-Message": "Invalid credentials in Authorization header"})],
                         ids=["503", "timeout", "refused-token"])
def test_a_hub_that_does_not_answer_not_found_leaves_the_name_unresolved(tmp_path, hub_stub, fault):
    hub_stub.slow_seconds = 2.0
    hub_stub.faults[NAME] = [fault] * 20
    project = _project(tmp_path, {"app.py": CHAT_NVIDIA, "pyproject.toml": "[tool.licscan]\ntimeout = 0.5\n"})
    result, report = _scan(tmp_path, project, {"HF_ENDPOINT": hub_stub.url})
    models = _models(report)
    assert NAME in models and not models[NAME]["lineage"]["nodes"]
    assert "LS162" not in _rules(models[HOSTED])
    assert report["verdict"] != "pass" and result.exit_code != 0
    if fault != (401, {"X-Error-Message": "Invalid credentials in Authorization header"}):
        assert report["verdict"] == "incomplete" and result.exit_code == 3, result.output  # fails closed


def test_a_hub_id_nvidia_serves_that_the_hub_has_stays_a_hub_model_with_its_ancestry(tmp_path, hub_stub):
    project = _project(tmp_path, {"app.py": OPENAI_AT_NVIDIA.replace(NAME, "mistralai/mixtral-8x7b-instruct-v0.1")})
    result, report = _scan(tmp_path, project, {"HF_ENDPOINT": hub_stub.url})
    models = _models(report)
    assert "api:nvidia/mistralai/mixtral-8x7b-instruct-v0.1" in models
    hub = models["mistralai/mixtral-8x7b-instruct-v0.1"]
    assert [node["id"] for node in hub["lineage"]["nodes"]][:2] == ["mistralai/Mixtral-8x7B-Instruct-v0.1",
                                                                    "mistralai/Mixtral-8x7B-v0.1"]
    assert "LS162" not in _rules(models["api:nvidia/mistralai/mixtral-8x7b-instruct-v0.1"])


def test_a_name_no_api_uses_that_the_hub_lacks_stays_a_missing_hub_model(tmp_path, hub_stub):
    project = _project(tmp_path, {"app.py": f'from transformers import AutoModel\nAutoModel.from_pretrained("{NAME}")\n',
                                  "docker-compose.yaml": COMPOSE})
    result, report = _scan(tmp_path, project, {"HF_ENDPOINT": hub_stub.url})
    assert result.exit_code == 1 and report["verdict"] == "fail"
    assert set(_models(report)) == {NAME} and "LS103" in _rules(_models(report)[NAME])


def test_a_server_of_the_projects_own_serving_the_name_is_not_the_api_by_name(tmp_path, hub_stub):
    project = _project(tmp_path, {"app.py": CHAT_NVIDIA, "local.py": f'''
        from langchain_nvidia_ai_endpoints import ChatNVIDIA
        llm = ChatNVIDIA(base_url="http://localhost:8000/v1", model="{NAME}")
    '''})
    result, report = _scan(tmp_path, project, {"HF_ENDPOINT": hub_stub.url})
    models = _models(report)
    # The self-hosted NIM's place is not NVIDIA's hosted API: it stays a name licscan cannot resolve (fails closed).
    assert [item["path"] for item in models[NAME]["occurrences"]] == ["local.py"]
    assert [item["path"] for item in models[HOSTED]["occurrences"]] == ["app.py"]
    assert result.exit_code == 1 and "LS103" in _rules(models[NAME])


def _locked(tmp_path: Path, hub_stub, monkeypatch, files: dict[str, str]) -> tuple[Path, dict[str, str], dict]:
    """A project locked against the stand-in Hub, as the working folder: (project, env for check, lockfile)."""
    project = _project(tmp_path, files)
    env = {"LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    monkeypatch.chdir(project)
    locked = CliRunner().invoke(app, ["lock", "."], env={**env, "HF_ENDPOINT": hub_stub.url}, catch_exceptions=False)
    assert locked.exit_code == 0, locked.output
    return project, env, json.loads((project / "licscan.lock").read_text())


def test_the_lockfile_and_the_offline_check_read_the_name_as_the_api(tmp_path, hub_stub, monkeypatch):
    project, env, lockfile = _locked(tmp_path, hub_stub, monkeypatch,
                                     {"app.py": CHAT_NVIDIA, "docker-compose.yaml": COMPOSE})
    assert set(lockfile["models"]) == {HOSTED}
    # The pre-commit check is offline: the Hub is never asked again.
    hub_stub.clear()
    for args in (["check"], ["check", "app.py"], ["check", "docker-compose.yaml"]):
        result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
        assert result.exit_code == 0 and "MISSING" not in result.output, (args, result.output)
    assert not hub_stub.requests
    # Rules changed since the lock: the locked lineage is evaluated again, with the Hub's answer it records.
    text = (project / "licscan.lock").read_text()
    (project / "licscan.lock").write_text(text.replace(lockfile["evaluation_digest"], "sha256:" + "0" * 64))
    result = CliRunner().invoke(app, ["check", "app.py", "docker-compose.yaml"], env=env, catch_exceptions=False)
    assert result.exit_code == 0 and "evaluated again" in result.output, result.output
    # A new place writing the name where nothing says which service gets it is still the API's; a model never
    # locked is missing as before.
    (project / "more.yaml").write_text(f"llm:\n  model_name: {NAME}\n")
    result = CliRunner().invoke(app, ["check", "more.yaml"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (project / "other.py").write_text('from transformers import AutoModel\nAutoModel.from_pretrained("meta/other-name")\n')
    result = CliRunner().invoke(app, ["check", "other.py"], env=env, catch_exceptions=False)
    assert result.exit_code == 1 and "MISSING meta/other-name" in result.output


def test_every_report_format_shows_the_providers_model_not_an_unresolved_hub_model(tmp_path, hub_stub):
    project = _project(tmp_path, {"app.py": CHAT_NVIDIA})
    out = tmp_path / "out"
    formats = {"--json": "r.json", "--html": "r.html", "--markdown": "r.md", "--sarif": "r.sarif",
               "--junit": "r.xml", "--cyclonedx": "r.cdx.json", "--spdx": "r.spdx.json"}
    args = ["scan", str(project), "--no-color", "--verbose"]
    for flag, name in formats.items():
        args += [flag, str(out / name)]
    result = CliRunner().invoke(app, args, env={"HF_ENDPOINT": hub_stub.url,
                                                "LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'c.db'}"},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert HOSTED in result.output and "not a Hub repository" in result.output and "LS103" not in result.output
    for name in formats.values():
        text = (out / name).read_text()
        assert NAME in text, name
        assert f"{NAME}, which does not exist" not in text and f"{NAME} could not be resolved" not in text, name
    for name in ("r.json", "r.html", "r.md", "r.sarif", "r.xml"):  # the formats that carry findings say why
        assert "not a Hub repository" in (out / name).read_text(), name
    sarif = json.loads((out / "r.sarif").read_text())
    assert {item["ruleId"] for item in sarif["runs"][0]["results"]} >= {"LS162"}
    assert not {item["ruleId"] for item in sarif["runs"][0]["results"]} & {"LS100", "LS103"}
    bom = json.loads((out / "r.cdx.json").read_text())
    assert any(item["name"] == NAME and item["group"] == "nvidia" for item in bom["services"])
    assert not any(item["bom-ref"] == NAME for item in bom["components"])
    spdx = json.loads((out / "r.spdx.json").read_text())
    assert not any(item.get("name") == NAME for item in spdx["packages"])  # no package for a Hub model


def test_a_hub_named_providers_own_variant_the_hub_lacks_is_that_providers_model(tmp_path, hub_stub):
    # Together AI names the open models it serves by their Hub ids, and some variants only it has ('-Turbo').
    turbo = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
    project = _project(tmp_path, {"app.py": f'''
        from together import Together
        client = Together(api_key=KEY)
        client.chat.completions.create(model="{turbo}", messages=[])
    '''})
    result, report = _scan(tmp_path, project, {"HF_ENDPOINT": hub_stub.url})
    assert result.exit_code == 0, result.output
    assert set(_models(report)) == {f"api:together/{turbo}"}
    assert "LS162" in _rules(_models(report)[f"api:together/{turbo}"])


# -- Kinds of evidence that a place uses a provider's API with no API client in sight: a compose or env file that
# sets the provider's API key variable beside a model variable, a config mapping whose type selects the provider
# (NeMo Agent toolkit's `_type: nim`), a config class whose engine field names it (`model_engine` =
# "nvidia-ai-endpoints"), a list of names in a file using the provider's SDK, and Replicate's pinned
# `owner/name:<version>`. Each makes a name the Hub lacks the provider's hosted model and the scan complete; an
# outage leaves it unresolved; the same name without the evidence stays a missing Hub model.

PINNED = "meta/llama-2-7b-chat"
VERSION = "8e6975e5ed6174911a6ff3d60540dfd4844201974602551e10e9e87ab143d81e"

COMPOSE_WITH_KEY = f'''
    services:
      chain-server:
        environment:
          NVIDIA_API_KEY: ${{NVIDIA_API_KEY}}
          APP_LLM_MODELNAME: ${{APP_LLM_MODELNAME:-"{NAME}"}}
'''
COMPOSE_ENV_LIST = f'''
    services:
      ingest:
        environment:
          - NVIDIA_API_KEY=${{NVIDIA_API_KEY:-nvidiaapikey}}
          - VLM_CAPTION_MODEL_NAME=${{VLM_CAPTION_MODEL_NAME:-{NAME}}}
'''
DOTENV = f'''
    NVIDIA_API_KEY=nvapi-placeholder
    export LLM_MODEL="{NAME}"
'''
NEMO_AGENT = f'''
    llms:
      sql_llm:
        _type: nim
        model_name: "{NAME}"
        temperature: 0.0
    workflow:
      _type: react_agent
      llm_name: sql_llm
'''
CONFIG_CLASS = f'''
    from dataclasses import dataclass, field

    @dataclass
    class LLMConfig:
        model_name: str = field(default="{NAME}")
        model_engine: str = field(default="nvidia-ai-endpoints")
'''
SDK_LIST = f'''
    from langchain_nvidia_ai_endpoints import ChatNVIDIA

    FALLBACK_MODELS = ["{NAME}"]
    llm = ChatNVIDIA(model=pick(FALLBACK_MODELS))
'''
REPLICATE_PIN = f'''
    def run(prompt):
        model_string = "{PINNED}:{VERSION}"
        return call("replicate:" + model_string, prompt)
'''

# NeMo Data Designer's tutorials choose build.nvidia.com as the model provider by name, in a notebook (where the
# JSON escapes the quotes around the name).
DATA_DESIGNER_NOTEBOOK = json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": [
    'MODEL_PROVIDER = "nvidiabuild"\n', f'MODEL_ID = "{NAME}"\n',
    "config = ModelConfig(alias='text', model=MODEL_ID, provider=MODEL_PROVIDER)\n"]}],
    "metadata": {}, "nbformat": 4, "nbformat_minor": 5})

KINDS = {
    "compose-default-beside-key": ("docker-compose.yaml", COMPOSE_WITH_KEY, NAME, "nvidia"),
    "compose-environment-list": ("compose.yaml", COMPOSE_ENV_LIST, NAME, "nvidia"),
    "dotenv-file": (".env", DOTENV, NAME, "nvidia"),
    "nemo-type-nim": ("config.yml", NEMO_AGENT, NAME, "nvidia"),
    "config-class-engine": ("configuration.py", CONFIG_CLASS, NAME, "nvidia"),
    "list-beside-sdk": ("chain.py", SDK_LIST, NAME, "nvidia"),
    "replicate-version-pin": ("client.py", REPLICATE_PIN, PINNED, "replicate"),
    "provider-named-in-a-notebook": ("designer.ipynb", DATA_DESIGNER_NOTEBOOK, NAME, "nvidia"),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_name_the_hub_lacks_used_through_an_api_by_this_kind_is_the_providers_model(tmp_path, hub_stub, kind):
    filename, text, name, provider = KINDS[kind]
    project = _project(tmp_path, {filename: text})
    result, report = _scan(tmp_path, project, {"HF_ENDPOINT": hub_stub.url})
    hosted = f"api:{provider}/{name}"
    models = _models(report)
    assert hub_stub.api_calls(name), "the Hub was asked about the name"
    assert set(models) == {hosted}, models.keys()  # not also a Hub model the Hub lacks
    assert result.exit_code == 0 and report["verdict"] == "pass", result.output
    assert "LS162" in _rules(models[hosted]) and not _rules(models[hosted]) & {"LS100", "LS103"}
    assert {item["path"] for item in models[hosted]["occurrences"]} == {filename}


@pytest.mark.parametrize("kind", ["compose-default-beside-key", "nemo-type-nim", "replicate-version-pin"])
def test_a_hub_outage_leaves_the_name_unresolved_and_the_scan_incomplete(tmp_path, hub_stub, kind):
    filename, text, name, provider = KINDS[kind]
    hub_stub.faults[name] = [503] * 20
    project = _project(tmp_path, {filename: text})
    result, report = _scan(tmp_path, project, {"HF_ENDPOINT": hub_stub.url})
    models = _models(report)
    assert name in models and not models[name]["lineage"]["nodes"]
    assert "LS162" not in _rules(models[f"api:{provider}/{name}"])
    assert report["verdict"] == "incomplete" and result.exit_code == 3, result.output


@pytest.mark.parametrize("text", [
    COMPOSE_WITH_KEY.replace("NVIDIA_API_KEY", "SOME_SERVICE_TOKEN"),  # no provider's key beside the model
    NEMO_AGENT.replace("_type: nim", "_type: openai"),  # another client type
    # the mapping names a server of the project's own: a self-hosted NIM, not NVIDIA's API
    NEMO_AGENT.replace("_type: nim", "_type: nim\n        base_url: http://localhost:8000/v1"),
], ids=["unknown-key", "other-type", "own-server"])
def test_the_same_name_without_api_evidence_stays_a_missing_hub_model(tmp_path, hub_stub, text):
    project = _project(tmp_path, {"config.yaml": text})
    result, report = _scan(tmp_path, project, {"HF_ENDPOINT": hub_stub.url})
    assert set(_models(report)) == {NAME} and "LS103" in _rules(_models(report)[NAME])
    assert result.exit_code == 1 and report["verdict"] == "fail"


def test_a_checkpoint_file_named_beside_the_key_is_not_an_api_model(tmp_path):
    """`EMBEDDING_MODEL_CKPT_NAME="NV-Embed-QA-4.nemo"` names a local file even where NVIDIA's key is set."""
    project = _project(tmp_path, {"compose.env": 'NVIDIA_API_KEY=x\nEMBEDDING_MODEL_NAME="NV-Embed-QA"\n'
                                                 'EMBEDDING_MODEL_CKPT_NAME="NV-Embed-QA-4.nemo"\n'})
    result = CliRunner().invoke(app, ["discover", "--no-cache", "--json", str(project)],
                                env={"LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'c.db'}"}, catch_exceptions=False)
    ids = {item["id"] for item in json.loads(result.output)["occurrences"]}
    assert ids == {"api:nvidia/NV-Embed-QA"}


def test_the_offline_check_reads_these_kinds_with_the_vocabulary_the_lockfile_records(tmp_path, hub_stub, monkeypatch):
    project, env, lockfile = _locked(tmp_path, hub_stub, monkeypatch,
                                     {"docker-compose.yaml": COMPOSE_WITH_KEY, "client.py": REPLICATE_PIN})
    assert set(lockfile["models"]) == {f"api:nvidia/{NAME}", f"api:replicate/{PINNED}"}
    hub_stub.clear()
    result = CliRunner().invoke(app, ["check", "docker-compose.yaml", "client.py"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    # A new NeMo agent config naming a model never locked: the check, offline, knows `_type: nim` is NVIDIA's API.
    (project / "agent.yml").write_text(textwrap.dedent(NEMO_AGENT).replace(NAME, "meta/llama-3.1-8b-instruct"))
    result = CliRunner().invoke(app, ["check", "agent.yml"], env=env, catch_exceptions=False)
    assert result.exit_code == 1 and "MISSING api:nvidia/meta/llama-3.1-8b-instruct" in result.output, result.output
    assert not hub_stub.requests
