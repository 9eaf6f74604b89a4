"""The ancestry walk against the Hub stand-in, through the real huggingface_hub client."""

from __future__ import annotations

from pathlib import Path

import pytest

from licscan.model import (
    CardData,
    Edge,
    LocalModel,
    Location,
    ModelRef,
    ParentLink,
    Relation,
    UnresolvedReason,
)
from licscan.resolution import resolve


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"no retry expected here, yet asked to sleep {seconds}s")


def _walk(settings, *ids, **kwargs):
    kwargs.setdefault("sleep", _no_sleep)
    return resolve([ModelRef(i) for i in ids], settings, **kwargs)


def _ids(lineage):
    return [node.repo_id for node in lineage.nodes]


def test_llama_derivative_reaches_meta_llama_through_a_renamed_id(stub_settings):
    result = _walk(stub_settings(), "unsloth/Meta-Llama-3.1-8B-Instruct")
    lineage = result.lineages["unsloth/Meta-Llama-3.1-8B-Instruct"]
    # The card names meta-llama/Meta-Llama-3.1-8B-Instruct, which the Hub now serves as Llama-3.1-8B-Instruct.
    assert _ids(lineage) == ["unsloth/Meta-Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct",
                             "meta-llama/Llama-3.1-8B"]
    renamed = lineage.node("meta-llama/Llama-3.1-8B-Instruct")
    assert renamed.aliases == ("meta-llama/Meta-Llama-3.1-8B-Instruct",)
    assert lineage.node("meta-llama/Meta-Llama-3.1-8B-Instruct") is renamed
    assert result.canonical["meta-llama/Meta-Llama-3.1-8B-Instruct"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert lineage.ancestors("unsloth/Meta-Llama-3.1-8B-Instruct") == (
        "meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B")
    assert [n.card.license for n in lineage.nodes] == ["llama3.1", "llama3.1", "llama3.1"]
    assert all(n.revision and len(n.revision) == 40 for n in lineage.nodes)
    assert lineage.unresolved == ()


def test_root_asked_by_its_old_name_keeps_both_ids(stub_settings):
    result = _walk(stub_settings(), "meta-llama/Meta-Llama-3.1-8B-Instruct")
    lineage = result.lineages["meta-llama/Meta-Llama-3.1-8B-Instruct"]
    assert lineage.root == "meta-llama/Llama-3.1-8B-Instruct"
    assert lineage.nodes[0].aliases == ("meta-llama/Meta-Llama-3.1-8B-Instruct",)
    assert result.canonical == {"meta-llama/Meta-Llama-3.1-8B-Instruct": "meta-llama/Llama-3.1-8B-Instruct",
                                "meta-llama/Llama-3.1-8B": "meta-llama/Llama-3.1-8B"}


def test_gated_foundation_cards_come_from_the_api_card_data(stub_settings, hub_stub):
    lineage = _walk(stub_settings(), "meta-llama/Llama-3.1-8B-Instruct").lineages["meta-llama/Llama-3.1-8B-Instruct"]
    node = lineage.nodes[0]
    assert node.gated == "manual"
    assert node.card.license == "llama3.1" and node.card.base_models == ("meta-llama/Llama-3.1-8B",)
    assert any("gated" in problem for problem in node.card.problems)
    # The README was asked for and refused, not skipped.
    assert ("GET", f"/meta-llama/Llama-3.1-8B-Instruct/resolve/{node.revision}/README.md") in hub_stub.requests


def test_gated_parent_with_open_api_resolves_from_card_data(stub_settings):
    lineage = _walk(stub_settings(), "licscan-test/child-of-gated-files").lineages["licscan-test/child-of-gated-files"]
    assert _ids(lineage) == ["licscan-test/child-of-gated-files", "licscan-test/gated-files", "licscan-test/base"]
    gated = lineage.node("licscan-test/gated-files")
    assert gated.card.license == "llama3.1" and gated.gated == "manual"
    assert lineage.unresolved == ()


def test_with_a_token_gated_files_are_read(stub_settings, hub_stub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", hub_stub.token)
    lineage = _walk(stub_settings(), "licscan-test/gated-files").lineages["licscan-test/gated-files"]
    assert not any("gated" in problem for problem in lineage.nodes[0].card.problems)
    assert lineage.nodes[0].card.eu_disallowed is False and lineage.nodes[0].card.gated == "auto"


def test_gated_api_parent_is_unresolved_gated(stub_settings):
    lineage = _walk(stub_settings(), "licscan-test/child-of-gated-api").lineages["licscan-test/child-of-gated-api"]
    assert _ids(lineage) == ["licscan-test/child-of-gated-api"]
    (gap,) = lineage.unresolved
    assert (gap.repo_id, gap.reason, gap.referenced_by) == (
        "licscan-test/gated-api", UnresolvedReason.GATED, "licscan-test/child-of-gated-api")
    assert "HF_TOKEN" in gap.detail


def test_gated_api_repo_resolves_with_the_token(stub_settings, hub_stub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", hub_stub.token)
    lineage = _walk(stub_settings(), "licscan-test/child-of-gated-api").lineages["licscan-test/child-of-gated-api"]
    assert _ids(lineage) == ["licscan-test/child-of-gated-api", "licscan-test/gated-api", "licscan-test/base"]


def test_merge_gets_every_parent_with_merge(stub_settings):
    result = _walk(stub_settings(), "licscan-test/merge", "anon/A-llama31-8b-43c09106")
    merge = result.lineages["licscan-test/merge"]
    assert {(e.parent, e.relation, e.evidence) for e in merge.edges if e.child == "licscan-test/merge"} == {
        ("licscan-test/base", Relation.MERGE, "inferred"), ("licscan-test/with-license", Relation.MERGE, "inferred")}
    # A real mergekit card: one parent is on the Hub, the other never existed; both are kept as merge parents.
    real = result.lineages["anon/A-llama31-8b-43c09106"]
    assert [(p.repo_id, p.relation) for p in real.nodes[0].parents] == [
        ("unsloth/Meta-Llama-3.1-8B-Instruct", Relation.MERGE), ("Nos-PT/Llama-Carvalho-PT-GL", Relation.MERGE)]
    assert "meta-llama/Llama-3.1-8B" in _ids(real)
    (missing,) = real.unresolved
    assert (missing.repo_id, missing.reason, missing.referenced_by) == (
        "Nos-PT/Llama-Carvalho-PT-GL", UnresolvedReason.NOT_FOUND, "anon/A-llama31-8b-43c09106")


def test_gguf_quantization_is_inferred_quantized(stub_settings):
    result = _walk(stub_settings(), "Qwen/Qwen3-Embedding-8B-GGUF", "ubergarm/GLM-4.6-GGUF",
                   "lmstudio-community/Qwen3-8B-MLX-8bit")
    (edge,) = result.lineages["Qwen/Qwen3-Embedding-8B-GGUF"].edges
    assert edge == Edge("Qwen/Qwen3-Embedding-8B-GGUF", "Qwen/Qwen3-8B-Base", Relation.QUANTIZED, "inferred")
    # A declared base_model_relation wins over inference.
    (declared,) = result.lineages["ubergarm/GLM-4.6-GGUF"].edges
    assert (declared.relation, declared.evidence) == (Relation.QUANTIZED, "base_model_relation")
    mlx = result.lineages["lmstudio-community/Qwen3-8B-MLX-8bit"]
    assert [(e.relation, e.evidence) for e in mlx.edges] == [(Relation.QUANTIZED, "inferred"),
                                                             (Relation.FINETUNE, "inferred")]


def test_relation_from_the_hubs_tags(stub_settings):
    result = _walk(stub_settings(), "licscan-test/tag-relation", "licscan-test/tag-only",
                   "anon/AA-llama32-3b-f8c20bac")
    (edge,) = result.lineages["licscan-test/tag-relation"].edges
    assert (edge.relation, edge.evidence) == (Relation.ADAPTER, "tag")
    # No base_model in the card at all: the parent itself comes from the tags.
    (tag_only,) = result.lineages["licscan-test/tag-only"].edges
    assert (tag_only.parent, tag_only.relation, tag_only.evidence) == (
        "licscan-test/base", Relation.QUANTIZED, "tag")
    (real,) = result.lineages["anon/AA-llama32-3b-f8c20bac"].edges
    assert (real.relation, real.evidence) == (Relation.ADAPTER, "tag")


def test_peft_adapter_is_inferred_adapter(stub_settings):
    (edge,) = _walk(stub_settings(), "licscan-test/peft-adapter").lineages["licscan-test/peft-adapter"].edges
    assert (edge.relation, edge.evidence) == (Relation.ADAPTER, "inferred")


def test_shared_ancestors_are_fetched_once(stub_settings, hub_stub):
    roots = ["anon/MX-mixtral-0f70ded5", "anon/MX-mixtral-2682040e", "anon/MX-mixtral-79d096b5",
             "anon/MX-mixtral-d049afdc", "anon/MX-mixtral-f30ed7ba", "argilla/notux-8x7b-v1",
             "mistralai/Mixtral-8x7B-Instruct-v0.1"]
    # Datasets the cards name cost calls of their own (tests/test_knowledge_resolution.py counts those).
    result = _walk(stub_settings(workers=8, resolve_datasets=False), *roots)
    unique = {n.repo_id for lineage in result.lineages.values() for n in lineage.nodes}
    unique |= {u.repo_id for lineage in result.lineages.values() for u in lineage.unresolved}
    assert "mistralai/Mixtral-8x7B-v0.1" in unique and len(unique) == 8
    api_calls = hub_stub.api_calls()
    assert len(api_calls) == len(unique) == len(set(api_calls))
    readmes = [r for r in hub_stub.file_calls("GET") if r[1].endswith("/README.md")]
    assert len(readmes) == len(set(readmes)) == len(unique)
    assert result.stats.api_calls == len(unique) and result.stats.file_downloads == len(unique)
    base_is_shared = [lin for lin in result.lineages.values() if lin.node("mistralai/Mixtral-8x7B-v0.1")]
    assert len(base_is_shared) == len(roots)


def test_two_node_cycle_stops_and_is_reported(stub_settings):
    lineage = _walk(stub_settings(), "licscan-test/cycle-a").lineages["licscan-test/cycle-a"]
    assert _ids(lineage) == ["licscan-test/cycle-a", "licscan-test/cycle-b"]
    assert Edge("licscan-test/cycle-b", "licscan-test/cycle-a", Relation.FINETUNE, "inferred") in lineage.edges
    (cycle,) = lineage.unresolved
    assert (cycle.repo_id, cycle.reason, cycle.referenced_by) == (
        "licscan-test/cycle-a", UnresolvedReason.CYCLE, "licscan-test/cycle-b")


def test_self_reference_is_a_cycle(stub_settings, hub_stub):
    lineage = _walk(stub_settings(), "licscan-test/self-ref").lineages["licscan-test/self-ref"]
    assert _ids(lineage) == ["licscan-test/self-ref"]
    (cycle,) = lineage.unresolved
    assert (cycle.reason, cycle.referenced_by) == (UnresolvedReason.CYCLE, "licscan-test/self-ref")
    assert len(hub_stub.api_calls()) == 1


def test_depth_limit(stub_settings):
    lineage = _walk(stub_settings(max_depth=1), "Qwen/Qwen2.5-Math-PRM-7B").lineages["Qwen/Qwen2.5-Math-PRM-7B"]
    assert _ids(lineage) == ["Qwen/Qwen2.5-Math-PRM-7B", "Qwen/Qwen2.5-Math-7B-Instruct"]
    (cut,) = lineage.unresolved
    assert (cut.repo_id, cut.reason, cut.referenced_by) == (
        "Qwen/Qwen2.5-Math-7B", UnresolvedReason.DEPTH_LIMIT, "Qwen/Qwen2.5-Math-7B-Instruct")
    full = _walk(stub_settings(), "Qwen/Qwen2.5-Math-PRM-7B").lineages["Qwen/Qwen2.5-Math-PRM-7B"]
    assert len(full.nodes) == 4 and full.unresolved == ()


def test_missing_parent_is_not_found_with_the_child(stub_settings):
    lineage = _walk(stub_settings(), "licscan-test/child-of-missing").lineages["licscan-test/child-of-missing"]
    assert _ids(lineage) == ["licscan-test/child-of-missing", "licscan-test/missing-parent"]
    (missing,) = lineage.unresolved
    assert (missing.repo_id, missing.reason, missing.referenced_by) == (
        "licscan-test/does-not-exist", UnresolvedReason.NOT_FOUND, "licscan-test/missing-parent")
    assert missing.detail == "not found, or private/gated without access"


def test_root_that_cannot_be_fetched(stub_settings):
    result = _walk(stub_settings(), "licscan-test/does-not-exist", "not a repo id")
    missing = result.lineages["licscan-test/does-not-exist"]
    assert missing.nodes == () and [u.reason for u in missing.unresolved] == [UnresolvedReason.NOT_FOUND]
    invalid = result.lineages["not a repo id"]
    assert invalid.nodes == () and [u.reason for u in invalid.unresolved] == [UnresolvedReason.INVALID_ID]


def test_malformed_front_matter_falls_back_to_card_data(stub_settings):
    lineage = _walk(stub_settings(), "licscan-test/malformed-yaml").lineages["licscan-test/malformed-yaml"]
    node = lineage.nodes[0]
    assert node.card.license == "apache-2.0" and node.card.base_models == ("licscan-test/base",)
    assert any("not valid YAML" in problem for problem in node.card.problems)
    assert _ids(lineage) == ["licscan-test/malformed-yaml", "licscan-test/base"]


def test_malformed_front_matter_without_card_data_is_malformed(stub_settings):
    lineage = _walk(stub_settings(), "licscan-test/malformed-yaml-only").lineages["licscan-test/malformed-yaml-only"]
    assert _ids(lineage) == ["licscan-test/malformed-yaml-only"]
    (bad,) = lineage.unresolved
    assert bad.reason is UnresolvedReason.MALFORMED and bad.referenced_by == "licscan-test/malformed-yaml-only"
    assert "not valid YAML" in bad.detail


def test_base_model_that_is_not_an_id(stub_settings):
    result = _walk(stub_settings(), "licscan-test/int-base-model", "licscan-test/invalid-base-model")
    (as_int,) = result.lineages["licscan-test/int-base-model"].unresolved
    assert (as_int.repo_id, as_int.reason, as_int.referenced_by) == (
        "12345", UnresolvedReason.INVALID_ID, "licscan-test/int-base-model")
    mixed = result.lineages["licscan-test/invalid-base-model"]
    # A hub URL is read as the id it points at; prose is reported, not dropped.
    assert "licscan-test/cycle-a" in _ids(mixed)
    invalid = [u for u in mixed.unresolved if u.reason is UnresolvedReason.INVALID_ID]
    assert [(u.repo_id, u.referenced_by) for u in invalid] == [("not a repo id", "licscan-test/invalid-base-model")]


def test_license_file_is_read(stub_settings):
    node = _walk(stub_settings(), "licscan-test/with-license").lineages["licscan-test/with-license"].nodes[0]
    assert node.license_text.startswith("TEST LICENCE 1.0")
    assert node.card.license == "other" and node.card.license_name == "test-licence"


def test_local_model_root_walks_its_hub_parents(stub_settings):
    local = LocalModel(
        key="local:models/my-lora",
        location=Location("models/my-lora/adapter_config.json"),
        card=CardData(base_models=("licscan-test/peft-adapter",), library_name="peft"),
        parents=(ParentLink("licscan-test/peft-adapter", Relation.ADAPTER, "adapter_config"),),
    )
    result = resolve([local, ModelRef("licscan-test/base")], stub_settings(), sleep=_no_sleep)
    lineage = result.lineages["local:models/my-lora"]
    assert _ids(lineage) == ["local:models/my-lora", "licscan-test/peft-adapter", "licscan-test/base"]
    assert lineage.nodes[0].source == "local" and lineage.nodes[0].revision is None
    assert lineage.edges[0] == Edge("local:models/my-lora", "licscan-test/peft-adapter", Relation.ADAPTER,
                                    "adapter_config")
    assert _ids(result.lineages["licscan-test/base"]) == ["licscan-test/base"]


def test_depth_counts_from_a_local_root(stub_settings, hub_stub):
    local = LocalModel(key="local:lora", location=Location("lora/adapter_config.json"),
                       card=CardData(base_models=("licscan-test/peft-adapter",), library_name="peft"))
    lineage = resolve([local], stub_settings(max_depth=1), sleep=_no_sleep).lineages["local:lora"]
    assert _ids(lineage) == ["local:lora", "licscan-test/peft-adapter"]
    assert lineage.edges[0].relation is Relation.ADAPTER  # inferred from the local card's library_name
    assert [(u.repo_id, u.reason) for u in lineage.unresolved] == [("licscan-test/base", UnresolvedReason.DEPTH_LIMIT)]
    assert hub_stub.api_calls() == [("GET", "/api/models/licscan-test/peft-adapter")]  # nothing deeper was asked


def test_pinned_revision(stub_settings, hub_stub):
    from huggingface_hub import HfApi

    sha = HfApi(endpoint=hub_stub.url).model_info("licscan-test/peft-adapter").sha
    hub_stub.clear()
    result = resolve([ModelRef("licscan-test/peft-adapter", revision=sha)], stub_settings(), sleep=_no_sleep)
    assert result.lineages[f"licscan-test/peft-adapter@{sha}"].nodes[0].revision == sha
    assert ("GET", f"/api/models/licscan-test/peft-adapter/revision/{sha}") in hub_stub.requests
    wrong = resolve([ModelRef("licscan-test/base", revision="f" * 40)], stub_settings(), sleep=_no_sleep)
    (gap,) = wrong.lineages[f"licscan-test/base@{'f' * 40}"].unresolved
    assert gap.reason is UnresolvedReason.NOT_FOUND and "revision" in gap.detail


@pytest.mark.parametrize("workers", [1, 8])
def test_result_does_not_depend_on_concurrency(stub_settings, workers):
    roots = ["anon/A-llama31-8b-43c09106", "licscan-test/invalid-base-model", "licscan-test/merge",
             "RedHatAI/gemma-3-4b-it-FP8-dynamic", "huihui-ai/gemma-3-12b-it-abliterated"]
    serial = _walk(stub_settings(workers=1), *roots)
    parallel = _walk(stub_settings(workers=workers), *roots)
    assert serial.lineages == parallel.lineages


def test_scan_leaves_no_downloaded_files_behind(stub_settings, tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    from huggingface_hub import constants

    hf_cache = Path(constants.HF_HUB_CACHE)
    result = _walk(stub_settings(workers=8), "licscan-test/merge", "licscan-test/with-license",
                   "licscan-test/peft-adapter", "anon/A-llama31-8b-43c09106", "Qwen/Qwen2.5-Math-PRM-7B")
    assert result.stats.file_downloads >= 8
    assert list(scratch.iterdir()) == []  # the per-scan download folder is gone, even with racing workers
    assert not (hf_cache / "models--licscan-test--merge").exists()  # nor was the user's Hugging Face cache used
