"""End to end on recorded cards, one test per seed family: what a user reads in the report for each.

The cards are the recorded ones of tests/data/hub. Families with no recorded card there get a minimal
hand-made card, written below into a private copy of the mirror and marked "hand-made" in its info.json:
Llama 2, a Nemotron-style NVIDIA card, Hunyuan-Large, FLUX.1 [dev] and a LoRA over it, Stable Video
Diffusion (Stability AI Community License), BLOOM (BigScience RAIL) and MiniMax-Text-01 (its LICENSE-MODEL).
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from handmade import add_repo, copy_recorded, stand_in_license
from licscan.cli import app

runner = CliRunner()

HAND_MADE = {
    "meta-llama/Llama-2-7b-hf": {"license": "llama2"},
    "nvidia/licscan-nemotron-probe": {"license": "other", "license_name": "nvidia-open-model-license",
                                      "license_link": "https://www.nvidia.com/en-us/agreements/enterprise-software/"
                                                      "nvidia-open-model-license/"},
    "tencent/Hunyuan-Large": {"license": "other", "license_name": "tencent-hunyuan-community"},
    "black-forest-labs/FLUX.1-dev": {"license": "other", "license_name": "flux-1-dev-non-commercial-license"},
    "someone/flux-dev-lora": {"license": "apache-2.0", "base_model": "black-forest-labs/FLUX.1-dev",
                              "base_model_relation": "adapter"},
    "stabilityai/stable-video-diffusion-img2vid-xt": {"license": "other", "license_name": "stabilityai-ai-community"},
    "bigscience/bloom": {"license": "bigscience-bloom-rail-1.0"},
}

FAMILIES = {
    "qwen": ["Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-14B", "Qwen/Qwen2.5-72B-Instruct", "praxis/relevance-3b"],
    "deepseek": ["deepseek-ai/DeepSeek-R1", "deepseek-ai/deepseek-math-7b-rl", "deepseek-ai/DeepSeek-Prover-V1",
                 "deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"],
    "kimi": ["moonshotai/Kimi-K2-Instruct-0905", "moonshotai/Kimi-K2.5"],
    "glm": ["THUDM/glm-4-9b-chat", "licscan-test/glm-4-9b-chat-GGUF", "ubergarm/GLM-4.6-GGUF"],
    "minimax": ["MiniMaxAI/MiniMax-M2.5", "MiniMaxAI/MiniMax-Text-01"],
    "llama": ["meta-llama/Llama-2-7b-hf", "meta-llama/Meta-Llama-3-8B", "unsloth/llama-3-8b-bnb-4bit",
              "unsloth/Meta-Llama-3.1-8B-Instruct", "meta-llama/Llama-3.2-11B-Vision-Instruct",
              "meta-llama/Llama-3.3-70B-Instruct", "meta-llama/Llama-4-Scout-17B-16E-Instruct"],
    "gemma": ["google/gemma-3-4b-it", "google/gemma-2b", "RedHatAI/gemma-3-4b-it-FP8-dynamic"],
    "nemotron": ["anon/Z-gpt-oss-b931440c", "nvidia/licscan-nemotron-probe"],
    "hunyuan": ["tencent/Hunyuan-Large"],
    "mistral": ["mistralai/Codestral-22B-v0.1", "bartowski/Mistral-Large-Instruct-2407-GGUF",
                "mistralai/Mixtral-8x7B-Instruct-v0.1"],
    "flux": ["black-forest-labs/FLUX.1-dev", "someone/flux-dev-lora"],
    "stability": ["stabilityai/stable-diffusion-xl-base-1.0", "stabilityai/stable-video-diffusion-img2vid-xt"],
    "rail": ["stabilityai/stable-diffusion-xl-base-1.0", "bigscience/bloom"],
    "cohere": ["CohereForAI/aya-23-8B", "CohereForAI/aya-expanse-32b"],
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("families")
    mirror = copy_recorded(root / "mirror")
    for repo_id, fields in HAND_MADE.items():
        add_repo(mirror, repo_id, fields)
    add_repo(mirror, "MiniMaxAI/MiniMax-Text-01", {"license": "other"}, files={
        "LICENSE-MODEL": stand_in_license("MINIMAX MODEL LICENSE", "Model Release Date: 15 January 2025")})
    project = root / "project"
    project.mkdir()
    models = sorted({item for group in FAMILIES.values() for item in group})
    (project / "pyproject.toml").write_text("[tool.licscan]\nmodels = [" + ", ".join(f'"{m}"' for m in models) + "]\n")
    out = root / "report.json"
    env = {"LICSCAN_DB_URL": f"sqlite:///{root / 'cache.db'}"}
    result = runner.invoke(app, ["scan", str(project), "--mirror", str(mirror), "--json", str(out), "--no-color"],
                           env=env, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    return json.loads(out.read_text())


class Model:
    """One model of the JSON report, with shortcuts for what the tests read."""

    def __init__(self, report: dict, model_id: str) -> None:
        self.data = next(item for item in report["models"] if item["id"] == model_id)
        self.effective = self.data["effective"]
        self.nodes = {node["id"]: node for node in self.data["lineage"]["nodes"]}

    @property
    def commercial(self) -> str:
        return self.effective["commercial_use"]

    @property
    def licenses(self) -> set[str]:
        return set(self.effective["licenses"])

    def findings(self, rule_id: str) -> list[dict]:
        return [f for f in self.data["findings"] if f["rule_id"] == rule_id]

    def fails(self, rule_id: str) -> bool:
        return any(f["fails"] for f in self.findings(rule_id))

    def duties(self, kind: str) -> str:
        return " | ".join(item["text"] for item in self.effective["obligations"] if item["kind"] == kind)


def test_qwen_apache_sizes_the_qwen_licence_and_qwen_research(report):
    small = Model(report, "Qwen/Qwen2.5-7B-Instruct")
    assert small.commercial == "allowed" and small.licenses == {"apache-2.0"}
    assert list(small.nodes) == ["Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-7B"]
    assert Model(report, "Qwen/Qwen2.5-14B").licenses == {"apache-2.0"}
    large = Model(report, "Qwen/Qwen2.5-72B-Instruct")
    assert large.commercial == "conditional" and large.licenses == {"qwen"}
    assert "100 million monthly active users" in large.findings("LS121")[0]["message"]
    assert "Built with Qwen" in large.duties("attribution")
    research = Model(report, "praxis/relevance-3b")
    assert research.commercial == "non-commercial" and research.fails("LS120")
    assert research.nodes["Qwen/Qwen2.5-3B"]["license_key"] == "qwen-research"
    # Read in the 2024 text itself: its terms are primary (only the 2026 text's naming clause is secondary).
    assert research.nodes["Qwen/Qwen2.5-3B"]["license_confidence"] == "primary"
    assert all(node["origin"]["country"] == "CN" for node in research.nodes.values() if node["id"].startswith("Qwen/"))


def test_deepseek_mit_r1_the_deepseek_licence_and_a_distill_over_llama_and_qwen(report):
    r1 = Model(report, "deepseek-ai/DeepSeek-R1")
    assert r1.commercial == "allowed" and r1.licenses == {"mit"} and not r1.findings("LS141")
    math = Model(report, "deepseek-ai/deepseek-math-7b-rl")
    assert math.licenses == {"deepseek"} and math.commercial == "conditional"
    assert "use restrictions" in math.duties("use-policy")
    assert Model(report, "deepseek-ai/DeepSeek-Prover-V1").licenses == {"deepseek"}  # slug deepseek-license
    llama_distill = Model(report, "deepseek-ai/DeepSeek-R1-Distill-Llama-8B")
    assert llama_distill.licenses == {"mit", "llama3.1"} and llama_distill.commercial == "conditional"
    assert llama_distill.fails("LS112") and llama_distill.findings("LS143")
    assert llama_distill.data["lineage"]["edges"][0]["evidence"] == "licscan-rules"
    qwen_distill = Model(report, "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B")
    assert list(qwen_distill.nodes) == ["deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "Qwen/Qwen2.5-Math-7B",
                                        "Qwen/Qwen2.5-7B"]
    assert qwen_distill.licenses == {"mit", "apache-2.0"} and not qwen_distill.findings("LS112")


def test_kimi_modified_mit_is_kimis_text_with_its_display_duty(report):
    # Each release's text names its own release in the display duty (K2.5's is not "Kimi K2").
    for model_id, key, name in (("moonshotai/Kimi-K2-Instruct-0905", "modified-mit-kimi", '"Kimi K2"'),
                                ("moonshotai/Kimi-K2.5", "modified-mit-kimi-k2.5", '"Kimi K2.5"')):
        kimi = Model(report, model_id)
        assert kimi.licenses == {key} and kimi.commercial == "conditional"
        message = kimi.findings("LS121")[0]["message"]
        assert "100 million monthly active users" in message and "20 million USD monthly revenue" in message
        assert name in kimi.duties("attribution")


def test_glm_through_the_thudm_to_zai_org_rename(report):
    glm4 = Model(report, "THUDM/glm-4-9b-chat")
    node = glm4.nodes["zai-org/glm-4-9b-chat"]
    assert node["aliases"] == ["THUDM/glm-4-9b-chat"] and node["license_key"] == "glm-4"
    assert node["origin"]["namespace"] == "zai-org" and node["origin"]["country"] == "CN"
    listed = glm4.findings("LS141")
    assert len(listed) == 1 and "since 2025-01-16" in listed[0]["message"] and "90 FR 4617" in listed[0]["message"]
    assert any("registration" in text for text in glm4.effective["conditions"])
    assert '"glm-4"' in glm4.duties("naming")
    quant = Model(report, "licscan-test/glm-4-9b-chat-GGUF")
    assert quant.licenses == {"glm-4"} and quant.findings("LS110") and quant.fails("LS141")
    assert quant.data["lineage"]["edges"][0]["parent"] == "zai-org/glm-4-9b-chat"
    assert Model(report, "ubergarm/GLM-4.6-GGUF").fails("LS141")


def test_minimax_modified_mit_and_the_minimax_model_licence_text(report):
    # MiniMax M2.5's modified MIT, read in its LICENSE: "MiniMax M2.5" displayed in any commercial product.
    m25 = Model(report, "MiniMaxAI/MiniMax-M2.5")
    assert m25.licenses == {"modified-mit-minimax"} and m25.commercial == "conditional"
    assert not m25.findings("LS111") and '"MiniMax M2.5" in every commercial product' in m25.duties("attribution")
    text01 = Model(report, "MiniMaxAI/MiniMax-Text-01")
    node = text01.nodes["MiniMaxAI/MiniMax-Text-01"]
    assert node["license_key"] == "minimax-model-license" and node["license_file"] == "LICENSE-MODEL"
    assert "MiniMax AI model is licensed under the MiniMax Model License" in text01.duties("attribution")


def test_llama_each_version(report):
    llama2 = Model(report, "meta-llama/Llama-2-7b-hf")
    assert llama2.licenses == {"llama2"} and "improve any other large language model" in llama2.duties(
        "output-training")
    llama3 = Model(report, "meta-llama/Meta-Llama-3-8B")
    assert 'begin with "Llama 3"' in llama3.duties("naming")
    assert Model(report, "unsloth/llama-3-8b-bnb-4bit").licenses == {"llama3"}
    llama31 = Model(report, "unsloth/Meta-Llama-3.1-8B-Instruct")
    assert llama31.licenses == {"llama3.1"}
    assert llama31.nodes["meta-llama/Llama-3.1-8B-Instruct"]["aliases"] == ["meta-llama/Meta-Llama-3.1-8B-Instruct"]
    vision = Model(report, "meta-llama/Llama-3.2-11B-Vision-Instruct")
    assert vision.licenses == {"llama3.2"} and "European Union" in vision.findings("LS122")[0]["message"]
    llama33 = Model(report, "meta-llama/Llama-3.3-70B-Instruct")
    assert llama33.licenses == {"llama3.3", "llama3.1"}
    llama4 = Model(report, "meta-llama/Llama-4-Scout-17B-16E-Instruct")
    assert llama4.licenses == {"llama4"} and llama4.findings("LS122")
    for model_id in FAMILIES["llama"]:
        llama = Model(report, model_id)
        assert llama.commercial == "conditional", model_id
        assert "700 million monthly active users" in llama.findings("LS121")[0]["message"], model_id
        assert any((node["origin"]["organization"] or "").startswith("Meta Platforms") for node in llama.nodes.values())


def test_gemma_terms_their_use_policy_and_an_apache_relabel(report):
    gemma = Model(report, "google/gemma-3-4b-it")
    assert gemma.licenses == {"gemma"} and gemma.commercial == "conditional"
    assert "enforceable provision" in gemma.duties("use-policy")
    old = Model(report, "google/gemma-2b")
    assert old.licenses == {"gemma"}
    assert old.nodes["google/gemma-2b"]["license_method"] == "license_link"  # ai.google.dev/gemma/terms
    relabel = Model(report, "RedHatAI/gemma-3-4b-it-FP8-dynamic")
    assert relabel.fails("LS112") and relabel.findings("LS112")[0]["ancestor"] == "google/gemma-3-4b-it"


def test_nemotron_under_the_nvidia_open_model_licence(report):
    recorded = Model(report, "anon/Z-gpt-oss-b931440c")
    assert recorded.licenses == {"nvidia-open-model-license", "apache-2.0"}
    assert "Licensed by NVIDIA Corporation under the NVIDIA Open Model License" in recorded.duties("attribution")
    probe = Model(report, "nvidia/licscan-nemotron-probe")
    assert probe.nodes["nvidia/licscan-nemotron-probe"]["license_method"] == "license_link"
    assert probe.nodes["nvidia/licscan-nemotron-probe"]["origin"]["organization"] == "NVIDIA Corporation"


def test_hunyuan_is_not_granted_in_the_eu_and_tencent_is_on_the_1260h_list(report):
    hunyuan = Model(report, "tencent/Hunyuan-Large")
    assert hunyuan.licenses == {"tencent-hunyuan-large"} and hunyuan.commercial == "conditional"
    assert hunyuan.effective["territory_exclusions"] == ["EU"]
    assert "not granted in EU" in hunyuan.findings("LS122")[0]["message"]
    assert "improve any other" in hunyuan.duties("output-training")
    (listed,) = hunyuan.findings("LS141")
    assert "1260H" in listed["message"] and "since 2025-01-07" in listed["message"]


def test_mistral_research_and_non_production_licences_and_apache_mixtral(report):
    codestral = Model(report, "mistralai/Codestral-22B-v0.1")
    assert codestral.licenses == {"mnpl"} and codestral.fails("LS120")
    large = Model(report, "bartowski/Mistral-Large-Instruct-2407-GGUF")
    assert large.licenses == {"mrl"} and large.commercial == "non-commercial"
    assert large.nodes["bartowski/Mistral-Large-Instruct-2407-GGUF"]["license_method"] == "license_link"
    mixtral = Model(report, "mistralai/Mixtral-8x7B-Instruct-v0.1")
    assert mixtral.commercial == "allowed" and mixtral.nodes["mistralai/Mixtral-8x7B-v0.1"]["origin"]["country"] == "FR"
    # Terms the fact base has only from secondary sources say so in the report.
    assert codestral.nodes["mistralai/Codestral-22B-v0.1"]["license_confidence"] == "secondary"


def test_flux_dev_is_non_commercial_and_a_lora_over_it_cannot_relabel_it(report):
    flux = Model(report, "black-forest-labs/FLUX.1-dev")
    assert flux.licenses == {"flux-1-dev-non-commercial-license"} and flux.fails("LS120")
    assert "competitive with FLUX.1 [dev]" in flux.duties("output-training")
    lora = Model(report, "someone/flux-dev-lora")
    assert lora.commercial == "non-commercial" and lora.fails("LS112") and lora.fails("LS120")
    assert lora.data["lineage"]["edges"][0]["relation"] == "adapter"


def test_stability_community_licence_and_creativeml_openrail(report):
    svd = Model(report, "stabilityai/stable-video-diffusion-img2vid-xt")
    assert svd.licenses == {"stabilityai-ai-community"}
    message = svd.findings("LS121")[0]["message"]
    assert "1 million USD annual revenue" in message and "registration" in message
    assert "Powered by Stability AI" in svd.duties("attribution")
    sdxl = Model(report, "stabilityai/stable-diffusion-xl-base-1.0")
    assert sdxl.licenses == {"creativeml-openrail-m"} and sdxl.duties("use-policy")


def test_the_rail_family_passes_its_use_restrictions_on(report):
    for model_id, key in (("stabilityai/stable-diffusion-xl-base-1.0", "creativeml-openrail-m"),
                          ("bigscience/bloom", "bigscience-bloom-rail-1.0")):
        rail = Model(report, model_id)
        assert rail.licenses == {key} and rail.commercial == "conditional"
        assert "enforceable provision" in rail.duties("use-policy")
    assert Model(report, "bigscience/bloom").findings("LS140")  # namespace not in the registry: never guessed


def test_cohere_cc_by_nc(report):
    for model_id in ("CohereForAI/aya-23-8B", "CohereForAI/aya-expanse-32b"):
        aya = Model(report, model_id)
        assert aya.licenses == {"cc-by-nc-4.0"} and aya.fails("LS120")
        origin = aya.nodes[model_id]["origin"]
        assert origin["country"] == "CA" and origin["organization"].startswith("Cohere")
