"""Evidence beyond the slug, end to end: licence texts and links, revisions, datasets, files, lineage rules, compute.

Repos here are hand-made (tests/handmade.py): LICENSE files hold only the title phrases licscan's records
store, never a real licence text. Scans go through the command line, against a mirror or the Hub stand-in.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from handmade import HUB_DATA, add_repo, copy_recorded, stand_in_license
from hubstub import HubStub
from licscan.cli import app

runner = CliRunner()


def project_with(tmp_path: Path, *models: str, code: str | None = None, name: str = "project") -> Path:
    project = tmp_path / name
    project.mkdir()
    listed = ", ".join(f'"{item}"' for item in models)
    (project / "pyproject.toml").write_text(f"[tool.licscan]\nmodels = [{listed}]\n")
    if code:
        (project / "app.py").write_text(textwrap.dedent(code))
    return project


def scan(project: Path, tmp_path: Path, *extra: str, hub: HubStub | None = None, mirror: Path | None = None):
    out = tmp_path / f"{project.name}.json"
    env = {"LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'cache.db'}"}
    args = ["scan", str(project), "--json", str(out), "--no-color", *extra]
    if hub is not None:
        env["HF_ENDPOINT"] = hub.url
    if mirror is not None:
        args += ["--mirror", str(mirror)]
    result = runner.invoke(app, args, env=env, catch_exceptions=False)
    return result, json.loads(out.read_text()) if out.exists() else None


def model(report: dict, model_id: str) -> dict:
    return next(item for item in report["models"] if item["id"] == model_id)


def node(report: dict, model_id: str, node_id: str | None = None) -> dict:
    nodes = model(report, model_id)["lineage"]["nodes"]
    return next(item for item in nodes if item["id"] == (node_id or nodes[0]["id"]))


def rules_of(report: dict, model_id: str) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for finding in model(report, model_id)["findings"]:
        found.setdefault(finding["rule_id"], []).append(finding)
    return found


@pytest.fixture
def hub(tmp_path):
    """A Hub stand-in over a private directory of hand-made repos."""
    root = tmp_path / "hub"
    root.mkdir()
    with HubStub(root) as stub:
        yield stub


# ---------------------------------------------------------------------------------------------------------
# license: other, from the evidence in order
# ---------------------------------------------------------------------------------------------------------


def test_license_other_is_read_from_the_licence_text_its_license_link_points_to(tmp_path, hub):
    add_repo(hub.root, "acme/base-model", {"license": "other"},
             files={"LICENSE": stand_in_license("Qwen RESEARCH LICENSE AGREEMENT")})
    add_repo(hub.root, "someone/tune", {"license": "other",
                                        "license_link": "https://huggingface.co/acme/base-model/blob/main/LICENSE"})
    result, report = scan(project_with(tmp_path, "someone/tune"), tmp_path, hub=hub)
    assert result.exit_code == 1, result.output
    tune = node(report, "someone/tune")
    assert tune["license_key"] == "qwen-research" and tune["license_method"] == "license_link"
    assert tune["linked_license_from"].startswith("acme/base-model/LICENSE@")
    assert tune["license_evidence"]["markers"] == "Qwen RESEARCH LICENSE AGREEMENT"
    assert model(report, "someone/tune")["effective"]["commercial_use"] == "non-commercial"
    # The linked repo is read for its text only: it is not an ancestor.
    assert [n["id"] for n in model(report, "someone/tune")["lineage"]["nodes"]] == ["someone/tune"]
    assert len(hub.api_calls("acme/base-model")) == 1


def test_the_licence_text_wins_over_the_declared_slug_and_the_disagreement_fails(tmp_path, hub):
    add_repo(hub.root, "someone/relabelled", {"license": "apache-2.0"},
             files={"LICENSE": stand_in_license("Qwen RESEARCH LICENSE AGREEMENT")})
    result, report = scan(project_with(tmp_path, "someone/relabelled"), tmp_path, hub=hub)
    assert result.exit_code == 1
    relabelled = node(report, "someone/relabelled")
    assert (relabelled["license_key"], relabelled["license_declared_key"]) == ("qwen-research", "apache-2.0")
    assert relabelled["license_method"] == "license-file" and relabelled["license_file"] == "LICENSE"
    (finding,) = rules_of(report, "someone/relabelled")["LS113"]
    assert finding["fails"] and finding["kind"] == "license-relabel"
    assert "declares apache-2.0" in finding["message"] and "Qwen RESEARCH LICENSE AGREEMENT" in finding["message"]
    assert relabelled["revision"] in finding["message"]
    assert model(report, "someone/relabelled")["effective"]["commercial_use"] == "non-commercial"


def test_the_weights_licence_in_license_model_is_read_before_the_code_licence(tmp_path, hub):
    files = {"LICENSE": "Code licence: any text without marker phrases\n",
             "LICENSE-MODEL": stand_in_license("DEEPSEEK LICENSE AGREEMENT", "Version 1.0, 23 October 2023")}
    add_repo(hub.root, "deepseek-ai/licscan-probe", {"license": "other"}, files=files)
    mirror = tmp_path / "mirror"
    add_repo(mirror, "deepseek-ai/licscan-probe", {"license": "other"}, files=files)
    for where in ({"hub": hub}, {"mirror": mirror}):
        result, report = scan(project_with(tmp_path, "deepseek-ai/licscan-probe", name=f"p-{len(where)}-{id(where)}"),
                              tmp_path, **where)
        probe = node(report, "deepseek-ai/licscan-probe")
        assert (probe["license_key"], probe["license_file"]) == ("deepseek", "LICENSE-MODEL"), where
        assert any(item["kind"] == "use-policy" for item in model(report, "deepseek-ai/licscan-probe")
                   ["effective"]["obligations"])


def test_a_slug_two_publishers_use_is_decided_by_the_linked_text(tmp_path):
    mirror = copy_recorded(tmp_path / "mirror")
    add_repo(mirror, "moonshotai/licscan-k2-probe", {"license": "other", "license_name": "modified-mit"},
             files={"LICENSE": stand_in_license("Modified MIT License", "Our only modification part is that",
                                                'display "Kimi K2" on the user interface')})
    fields = {"license": "other", "license_name": "modified-mit"}
    add_repo(mirror, "someone/k2-gguf", {**fields, "license_link":
                                         "https://huggingface.co/moonshotai/licscan-k2-probe/blob/main/LICENSE"})
    add_repo(mirror, "someone/unlinked-gguf", fields)
    result, report = scan(project_with(tmp_path, "someone/k2-gguf", "someone/unlinked-gguf"), tmp_path, mirror=mirror)
    linked = node(report, "someone/k2-gguf")
    assert linked["license_key"] == "modified-mit-kimi" and linked["license_method"] == "license_link"
    assert "LS113" not in rules_of(report, "someone/k2-gguf")  # the slug was ambiguous, not contradicted
    unlinked = node(report, "someone/unlinked-gguf")
    assert unlinked["license_key"] is None and unlinked["license_method"] == "ambiguous"
    assert rules_of(report, "someone/unlinked-gguf")["LS111"][0]["fails"]


def test_a_licence_url_in_license_link_and_then_a_license_tag_are_evidence_too(tmp_path):
    mirror = tmp_path / "mirror"
    add_repo(mirror, "someone/code-model", {"license": "other",
                                            "license_link": "https://mistral.ai/licenses/MNPL-0.1.md"})
    add_repo(mirror, "someone/tagged", {"tags": ["license:cc-by-nc-4.0", "text-generation"]})
    result, report = scan(project_with(tmp_path, "someone/code-model", "someone/tagged"), tmp_path, mirror=mirror)
    code = node(report, "someone/code-model")
    assert (code["license_key"], code["license_method"]) == ("mnpl", "license_link")
    tagged = node(report, "someone/tagged")
    assert (tagged["license_key"], tagged["license_method"]) == ("cc-by-nc-4.0", "tag")
    assert model(report, "someone/tagged")["effective"]["commercial_use"] == "non-commercial"


# ---------------------------------------------------------------------------------------------------------
# Versions: the licence of the pinned revision, and the report says which
# ---------------------------------------------------------------------------------------------------------


def test_the_licence_is_that_of_the_pinned_revision_and_a_later_change_is_reported(tmp_path):
    old, new = tmp_path / "old-mirror", tmp_path / "new-mirror"
    old_sha = add_repo(old, "01-ai/Yi-34B", {"license": "other", "license_name": "yi-34b"},
                       files={"LICENSE": stand_in_license("Yi Series Models Community License Agreement")})
    new_sha = add_repo(new, "01-ai/Yi-34B", {"license": "apache-2.0"})
    code = f'from transformers import AutoModel\nAutoModel.from_pretrained("01-ai/Yi-34B", revision="{old_sha}")\n'
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(code)
    result, report = scan(project, tmp_path, mirror=old)
    pinned = model(report, f"01-ai/Yi-34B@{old_sha}")
    yi = pinned["lineage"]["nodes"][0]
    assert yi["revision"] == old_sha and yi["license_key"] == "yi-community-2.1"
    superseded = rules_of(report, pinned["id"])["LS114"][0]
    assert old_sha in superseded["message"] and "2024-05-30" in superseded["message"]
    assert superseded["evidence"]["revision"] == old_sha and not superseded["fails"]
    assert any("registration" in text for text in pinned["effective"]["conditions"])
    # The repo's current revision carries Apache-2.0: its report says so, with its own revision.
    result, report = scan(project_with(tmp_path, "01-ai/Yi-34B", name="current"), tmp_path, mirror=new)
    current = node(report, "01-ai/Yi-34B")
    assert current["revision"] == new_sha and current["license_key"] == "apache-2.0"
    assert "LS114" not in rules_of(report, "01-ai/Yi-34B")
    assert model(report, "01-ai/Yi-34B")["effective"]["commercial_use"] == "allowed"
    # The old revision is not in the new mirror: unresolved, never taken for the current one.
    result, report = scan(project, tmp_path, mirror=new)
    assert model(report, f"01-ai/Yi-34B@{old_sha}")["lineage"]["unresolved"][0]["reason"] == "offline"


def test_internlm_weights_before_2025_01_15_needed_an_application(tmp_path):
    mirror = tmp_path / "mirror"
    sha = add_repo(mirror, "internlm/internlm2-probe", {"license": "other", "license_name": "internlm-license"})
    result, report = scan(project_with(tmp_path, "internlm/internlm2-probe"), tmp_path, mirror=mirror)
    finding = rules_of(report, "internlm/internlm2-probe")["LS114"][0]
    assert "2025-01-15" in finding["message"] and sha in finding["message"]
    assert node(report, "internlm/internlm2-probe")["license_unconfirmed"][:2] == ["key", "version"]


# ---------------------------------------------------------------------------------------------------------
# Training datasets: their own licence, their own finding
# ---------------------------------------------------------------------------------------------------------


def test_a_model_trained_on_a_non_commercial_dataset_gets_a_finding_of_its_own(tmp_path, hub_stub):
    project = project_with(tmp_path, "licscan-test/trained-on-nc-data")
    result, report = scan(project, tmp_path, hub=hub_stub)
    assert result.exit_code == 0, result.output  # the default policy reports training data, it does not fail it
    trained = model(report, "licscan-test/trained-on-nc-data")
    assert trained["effective"]["commercial_use"] == "allowed"  # the model's own licence is not changed
    (finding,) = rules_of(report, trained["id"])["LS123"]
    assert finding["kind"] == "non-commercial" and "training data" in finding["message"]
    assert finding["evidence"]["dataset"] == "licscan-test/nc-instructions"
    data = {item["dataset"]: item for item in trained["training_data"]}
    assert data["licscan-test/nc-instructions"]["license_key"] == "cc-by-nc-4.0"
    assert data["licscan-test/open-corpus"]["commercial_use"] == "allowed"
    # A training-output path that merely looks like an id: the Hub has no such dataset.
    assert data["data_train/fine_tune_dataset_clean.jsonl"]["unresolved"] == "not-found"
    assert [f["evidence"]["dataset"] for f in rules_of(report, trained["id"])["LS124"]] == [
        "data_train/fine_tune_dataset_clean.jsonl"]
    datasets = sorted(path.split("?")[0] for _, path in hub_stub.requests if path.startswith("/api/datasets/"))
    assert datasets == ["/api/datasets/data_train/fine_tune_dataset_clean.jsonl",
                        "/api/datasets/licscan-test/nc-instructions", "/api/datasets/licscan-test/open-corpus"]
    strict, _ = scan(project, tmp_path, "--policy", "strict", hub=hub_stub)
    assert strict.exit_code == 1


def test_datasets_are_read_from_the_mirror_too(tmp_path):
    result, report = scan(project_with(tmp_path, "licscan-test/trained-on-nc-data"), tmp_path, mirror=HUB_DATA)
    assert "LS123" in rules_of(report, "licscan-test/trained-on-nc-data")


# ---------------------------------------------------------------------------------------------------------
# A card's base_model against its own config.json
# ---------------------------------------------------------------------------------------------------------


def test_a_base_model_contradicted_by_config_json_is_a_finding(tmp_path, hub):
    add_repo(hub.root, "meta-llama/Llama-3.1-8B", {"license": "llama3.1"})
    add_repo(hub.root, "someone/says-llama", {"license": "llama3.1", "base_model": "meta-llama/Llama-3.1-8B"},
             files={"config.json": json.dumps({"_name_or_path": "Qwen/Qwen2.5-7B", "model_type": "qwen2"})})
    add_repo(hub.root, "someone/consistent", {"license": "llama3.1", "base_model": "meta-llama/Llama-3.1-8B"},
             files={"config.json": json.dumps({"_name_or_path": "meta-llama/Llama-3.1-8B"})})
    add_repo(hub.root, "someone/no-base", {"license": "mit"}, files={"config.json": "{}"})
    result, report = scan(project_with(tmp_path, "someone/says-llama", "someone/consistent", "someone/no-base"),
                          tmp_path, hub=hub)
    (finding,) = rules_of(report, "someone/says-llama")["LS102"]
    assert "Qwen/Qwen2.5-7B" in finding["message"] and finding["evidence"]["config.json._name_or_path"]
    assert "LS102" not in rules_of(report, "someone/consistent")
    # config.json costs a file call only where it can contradict a declared base model.
    configs = [path for _, path in hub.file_calls("GET") if path.endswith("/config.json")]
    assert sorted(path.split("/")[1] + "/" + path.split("/")[2] for path in configs) == [
        "someone/consistent", "someone/says-llama"]


# ---------------------------------------------------------------------------------------------------------
# Training compute: an estimate with its inputs
# ---------------------------------------------------------------------------------------------------------


def test_training_compute_is_estimated_from_safetensors_parameters_and_the_cards_token_count(tmp_path, hub):
    body = "# acme/big-model\n\nThe model was pre-trained on 18 trillion tokens of multilingual data.\n"
    add_repo(hub.root, "acme/big-model", {"license": "apache-2.0"}, body=body,
             info={"safetensors": {"parameters": {"BF16": 7615616512}, "total": 7615616512}})
    add_repo(hub.root, "acme/no-token-count", {"license": "apache-2.0"},
             info={"safetensors": {"parameters": {"BF16": 1000}, "total": 1000}})
    result, report = scan(project_with(tmp_path, "acme/big-model", "acme/no-token-count"), tmp_path, hub=hub)
    (estimate,) = model(report, "acme/big-model")["training_compute"]
    assert estimate["parameters"] == 7615616512 and estimate["tokens"] == 1.8e13
    assert estimate["estimate_flop"] == pytest.approx(6 * 7615616512 * 1.8e13)
    assert "safetensors" in estimate["parameters_source"]
    assert estimate["tokens_source"].startswith("README.md line 7:")  # counted from the front matter's first line
    assert "pre-trained on 18 trillion tokens" in estimate["tokens_source"]
    assert [(t["flop"], t["exceeded"]) for t in estimate["thresholds"]] == [(1e23, True), (1e25, False)]
    (finding,) = rules_of(report, "acme/big-model")["LS142"]
    assert "an estimate" in finding["message"] and "above 1.00e23" in finding["message"]
    assert "below 1.00e25" in finding["message"] and not finding["fails"]
    assert "Kaplan" in finding["evidence"]["method_source"]
    assert model(report, "acme/no-token-count")["training_compute"] == []


# ---------------------------------------------------------------------------------------------------------
# rules/lineage.yaml: edges the card does not declare, and user rule directories
# ---------------------------------------------------------------------------------------------------------


def test_a_base_model_from_licscans_rules_is_walked_and_marked_as_such(tmp_path):
    result, report = scan(project_with(tmp_path, "deepseek-ai/DeepSeek-R1-Distill-Llama-8B"), tmp_path,
                          "--verbose", mirror=HUB_DATA)  # the ancestry trees are printed with --verbose
    distill = model(report, "deepseek-ai/DeepSeek-R1-Distill-Llama-8B")
    assert distill["lineage"]["edges"] == [{"child": distill["id"], "parent": "meta-llama/Llama-3.1-8B",
                                            "relation": "finetune", "evidence": "licscan-rules"}]
    (rule_edge,) = rules_of(report, distill["id"])["LS143"]
    assert rule_edge["evidence"]["confidence"] == "primary" and not rule_edge["evidence"].get("unconfirmed")
    assert "00f3296a" in rule_edge["evidence"]["source"] and "names no base model" in rule_edge["message"]
    assert rules_of(report, distill["id"])["LS112"][0]["ancestor"] == "meta-llama/Llama-3.1-8B"
    assert "from licscan's rules" in result.output


def test_a_users_rules_directory_overrides_lineage_and_origins(tmp_path):
    user = tmp_path / "team-rules"
    user.mkdir()
    (user / "lineage.yaml").write_text(textwrap.dedent("""\
        schema: licscan-lineage/1
        last_reviewed: "2026-11-01"
        edges:
          - child: deepseek-ai/DeepSeek-R1-Distill-Llama-8B
            parent: meta-llama/Llama-3.2-3B
            relation: finetune
            confidence: primary
            sources: [{citation: "our review of the model README, ticket LEGAL-9", date: "2026-11-01"}]
          - child: licscan-test/base
            parent: meta-llama/Llama-3.1-8B
            relation: finetune
            confidence: secondary
            sources: [{citation: "vendor statement", date: "2026-10-01", confidence: secondary}]
    """))
    (user / "origins.yaml").write_text(textwrap.dedent("""\
        schema: licscan-origins/1
        last_reviewed: "2026-11-02"
        publishers:
          - namespaces: [licscan-test]
            organization: Licscan Test Fixtures Ltd
            country: DE
            confidence: primary
            sources: [{citation: "our vendor register", date: "2026-11-02"}]
            listings:
              - list: "Internal denied-party list"
                entity: Licscan Test Fixtures Ltd
                date_added: "2026-10-30"
                citation: "vendor register entry 12"
                confidence: primary
                source: {citation: "vendor register", date: "2026-11-02"}
    """))
    project = project_with(tmp_path, "deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "licscan-test/base")
    (project / "pyproject.toml").write_text(
        (project / "pyproject.toml").read_text() + f'rules_dirs = ["{user.as_posix()}"]\n')
    result, report = scan(project, tmp_path, mirror=HUB_DATA)
    distill = model(report, "deepseek-ai/DeepSeek-R1-Distill-Llama-8B")
    assert [edge["parent"] for edge in distill["lineage"]["edges"]] == ["meta-llama/Llama-3.2-3B"]  # replaced
    base = model(report, "licscan-test/base")
    assert [edge["parent"] for edge in base["lineage"]["edges"]] == ["meta-llama/Llama-3.1-8B"]  # extended
    origin = base["lineage"]["nodes"][0]["origin"]
    assert (origin["organization"], origin["country"], origin["reviewed"]) == (
        "Licscan Test Fixtures Ltd", "DE", "2026-11-02")
    listed = rules_of(report, "licscan-test/base")["LS141"][0]
    assert "since 2026-10-30" in listed["message"] and "vendor register entry 12" in listed["message"]


def test_a_local_model_whose_card_and_config_json_name_different_bases_is_a_finding(tmp_path):
    project = project_with(tmp_path)
    folder = project / "models" / "ft"
    folder.mkdir(parents=True)
    (folder / "README.md").write_text("---\nlicense: llama3.1\nbase_model: meta-llama/Llama-3.1-8B\n---\n# ft\n")
    (folder / "config.json").write_text(json.dumps({"_name_or_path": "Qwen/Qwen2.5-7B", "model_type": "qwen2"}))
    result, report = scan(project, tmp_path, mirror=HUB_DATA)
    local = model(report, "local:models/ft")
    (finding,) = rules_of(report, "local:models/ft")["LS102"]
    assert "config.json names Qwen/Qwen2.5-7B" in finding["message"]
    # Both bases are walked: the Qwen licence is not lost because the card does not name it.
    assert {"llama3.1", "apache-2.0"} <= set(local["effective"]["licenses"])


def test_a_gguf_header_that_names_another_base_than_the_card_is_weighed_the_same_way():
    # Discovery hands a local GGUF's header base over as a parent with evidence "gguf" (beside the card's).
    from licscan.config import data_dir
    from licscan.evaluation import evaluate_lineage, load
    from licscan.model import CardData, Edge, EvaluationSettings, Lineage, ModelRecord, ParentLink, Relation

    knowledge, _ = load(EvaluationSettings(rules_dirs=(str(data_dir("rules")),)))
    card = CardData(license="apache-2.0", base_models=("Qwen/Qwen2.5-7B",))
    local = ModelRecord("local:models/q.gguf", None, None, card, source="local", parents=(
        ParentLink("Qwen/Qwen2.5-7B", Relation.QUANTIZED, "base_model"),
        ParentLink("meta-llama/Llama-3.1-8B", Relation.QUANTIZED, "gguf")))
    bases = [ModelRecord("Qwen/Qwen2.5-7B", "1" * 40, "Qwen", CardData(license="apache-2.0")),
             ModelRecord("meta-llama/Llama-3.1-8B", "2" * 40, "meta-llama", CardData(license="llama3.1"))]
    lineage = Lineage(local.repo_id, (local, *bases), edges=tuple(
        Edge(local.repo_id, base.repo_id, Relation.QUANTIZED, link.evidence) for base, link in zip(bases, local.parents)))
    report = evaluate_lineage(local.repo_id, lineage, (), knowledge)
    (finding,) = [f for f in report.findings if f.rule_id == "LS102"]
    assert "gguf names meta-llama/Llama-3.1-8B" in finding.message
    assert "llama3.1" in report.effective.licenses


# ---------------------------------------------------------------------------------------------------------
# A card's base_model against the header of the GGUF file a Hub repo ships
# ---------------------------------------------------------------------------------------------------------


def gguf_bytes(tmp_path: Path, *, base: str | None = None, source: str | None = None, license: str | None = None,
               padding: int = 640 * 1024) -> bytes:
    """A small real GGUF file written with the gguf package, larger than the prefix licscan reads."""
    import numpy as np
    from gguf import GGUFWriter

    path = tmp_path / f"written-{len(list(tmp_path.glob('written-*')))}.gguf"
    writer = GGUFWriter(str(path), "llama")
    writer.add_name("hand-made test model")
    if base:
        writer.add_uint32("general.base_model.count", 1)
        writer.add_string("general.base_model.0.organization", base.split("/")[0])
        writer.add_string("general.base_model.0.repo_url", f"https://huggingface.co/{base}")
    if source:
        writer.add_string("general.source.huggingface.repository", source)
    if license:
        writer.add_string("general.license", license)
    writer.add_array("tokenizer.ggml.tokens", [f"t{i}" for i in range(100)])
    writer.add_tensor("padding", np.zeros(padding // 4, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path.read_bytes()


def gguf_repos(root: Path, tmp_path: Path) -> dict[str, bytes]:
    add_repo(root, "meta-llama/Llama-3.1-8B", {"license": "llama3.1"})
    says_llama = gguf_bytes(tmp_path, base="Qwen/Qwen2.5-7B", license="apache-2.0")
    add_repo(root, "someone/says-llama-GGUF", {"license": "llama3.1", "base_model": "meta-llama/Llama-3.1-8B"},
             files={"model-Q8_0.gguf": says_llama, "model-Q4_K_M.gguf": says_llama})
    add_repo(root, "someone/agrees-GGUF", {"license": "llama3.1", "base_model": "meta-llama/Llama-3.1-8B"},
             files={"model-Q4_K_M.gguf": gguf_bytes(tmp_path, base="meta-llama/Llama-3.1-8B",
                                                    source="meta-llama/Llama-3.1-8B")})
    add_repo(root, "someone/no-base-GGUF", {"license": "mit"},
             files={"model.gguf": gguf_bytes(tmp_path, base="Qwen/Qwen2.5-7B")})
    return {"says-llama": says_llama}


GGUF_MODELS = ("someone/says-llama-GGUF", "someone/agrees-GGUF", "someone/no-base-GGUF")


def test_a_gguf_header_that_names_another_base_than_the_hub_card_is_a_finding(tmp_path, hub):
    files = gguf_repos(hub.root, tmp_path)
    result, report = scan(project_with(tmp_path, *GGUF_MODELS), tmp_path, hub=hub)
    (finding,) = rules_of(report, "someone/says-llama-GGUF")["LS102"]
    assert "the GGUF header of model-Q4_K_M.gguf says Qwen/Qwen2.5-7B" in finding["message"]
    assert "card says base_model meta-llama/Llama-3.1-8B" in finding["message"]
    assert finding["evidence"]["gguf:general.base_model.0.repo_url"] == "https://huggingface.co/Qwen/Qwen2.5-7B"
    assert finding["evidence"]["gguf.file"] == "model-Q4_K_M.gguf"
    assert finding["evidence"]["gguf:general.license"] == "apache-2.0"
    assert "LS102" not in rules_of(report, "someone/agrees-GGUF")
    assert "LS102" not in rules_of(report, "someone/no-base-GGUF")
    # Only the header's first bytes travel, by a Range request, and only where a card names a base model.
    reads = [(path, asked, sent) for path, asked, sent in hub.file_reads if path.endswith(".gguf")]
    assert sorted(path.split("/")[2] for path, _, _ in reads) == ["agrees-GGUF", "says-llama-GGUF"]
    for path, asked, sent in reads:
        assert asked == "bytes=0-524287"
        assert sent <= 512 * 1024 < len(files["says-llama"])


def test_a_gguf_header_is_read_once_per_revision_and_cached(tmp_path, hub):
    gguf_repos(hub.root, tmp_path)
    project = project_with(tmp_path, "someone/says-llama-GGUF")
    scan(project, tmp_path, hub=hub)
    hub.clear()
    result, report = scan(project, tmp_path, hub=hub)
    # The second scan answers from licscan's cache (keyed by sha): the finding stands, no GGUF is read again.
    assert "LS102" in rules_of(report, "someone/says-llama-GGUF")
    assert [path for path, _, _ in hub.file_reads if path.endswith(".gguf")] == []


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_a_damaged_gguf_header_is_a_metadata_problem_not_a_crash(tmp_path, hub, damage):
    whole = gguf_bytes(tmp_path, base="Qwen/Qwen2.5-7B")
    data = whole[:70] if damage == "truncated" else b"this is not a GGUF file at all" * 10
    add_repo(hub.root, "meta-llama/Llama-3.1-8B", {"license": "llama3.1"})
    add_repo(hub.root, "someone/broken-GGUF", {"license": "llama3.1", "base_model": "meta-llama/Llama-3.1-8B"},
             files={"model.gguf": data})
    result, report = scan(project_with(tmp_path, "someone/broken-GGUF"), tmp_path, hub=hub)
    found = rules_of(report, "someone/broken-GGUF")
    assert "LS102" not in found
    (problem,) = [f for f in found["LS101"] if "model.gguf" in f["message"]]
    assert ("truncated" if damage == "truncated" else "not a GGUF file") in problem["message"]
    assert problem["evidence"]["gguf.file"] == "model.gguf"


def test_the_mirror_gives_the_same_gguf_finding_from_the_file_or_from_a_pulled_header(tmp_path, hub):
    gguf_repos(hub.root, tmp_path)
    online = scan(project_with(tmp_path, *GGUF_MODELS, name="online"), tmp_path, hub=hub)[1]
    from_files = scan(project_with(tmp_path, *GGUF_MODELS, name="files"), tmp_path, mirror=hub.root)[1]
    pulled = tmp_path / "pulled-mirror"
    result = runner.invoke(app, ["mirror", "pull", *GGUF_MODELS, "--output", str(pulled)],
                           env={"HF_ENDPOINT": hub.url, "LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'pull.db'}"},
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    header = json.loads((pulled / "someone/says-llama-GGUF/gguf-header.json").read_text())
    assert header["file"] == "model-Q4_K_M.gguf"
    assert header["general"]["general.base_model.0.repo_url"] == "https://huggingface.co/Qwen/Qwen2.5-7B"
    assert not list(pulled.rglob("*.gguf"))  # the mirror records the header, never the weights
    from_pull = scan(project_with(tmp_path, *GGUF_MODELS, name="pulled"), tmp_path, mirror=pulled)[1]
    shape = lambda report: {model_id: [(f["message"], f["evidence"].get("gguf:general.base_model.0.repo_url"))  # noqa: E731
                                       for f in rules_of(report, model_id).get("LS102", [])]
                            for model_id in GGUF_MODELS}
    assert shape(online) == shape(from_files) == shape(from_pull)
    assert shape(online)["someone/says-llama-GGUF"]


def test_a_pulled_mirror_keeps_the_config_json_contradiction(tmp_path, hub):
    add_repo(hub.root, "meta-llama/Llama-3.1-8B", {"license": "llama3.1"})
    add_repo(hub.root, "someone/says-llama", {"license": "llama3.1", "base_model": "meta-llama/Llama-3.1-8B"},
             files={"config.json": json.dumps({"_name_or_path": "Qwen/Qwen2.5-7B", "model_type": "qwen2"})})
    mirror = tmp_path / "pulled"
    pulled = CliRunner().invoke(app, ["mirror", "pull", "someone/says-llama", "--output", str(mirror)],
                                env={"HF_ENDPOINT": hub.url})
    assert pulled.exit_code == 0, pulled.output
    project = project_with(tmp_path, "someone/says-llama")
    _, online = scan(project, tmp_path, hub=hub)
    _, offline = scan(project, tmp_path, mirror=mirror)
    assert [f["message"] for f in rules_of(offline, "someone/says-llama")["LS102"]] == [
        f["message"] for f in rules_of(online, "someone/says-llama")["LS102"]]
