"""The offline mirror source, its parity with the Hub path, the source registry, and very deep ancestries."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from licscan.model import ModelRef, Relation, ResolutionSettings, UnresolvedReason
from licscan.resolution import SOURCES, FetchFailure, MetadataSource, RepoSnapshot, open_store, resolve

DATA = Path(__file__).parent / "data" / "hub"
PARITY_ROOTS = ["unsloth/Meta-Llama-3.1-8B-Instruct", "anon/A-llama31-8b-43c09106", "licscan-test/merge",
                "Qwen/Qwen2.5-Math-PRM-7B", "lmstudio-community/Qwen3-8B-MLX-8bit", "licscan-test/cycle-a",
                "licscan-test/tag-only", "licscan-test/malformed-yaml", "licscan-test/int-base-model",
                "google/Gemma-3-1B-IT", "zai-org/GLM-4.6-FP8", "anon/G3-gemma3-5c4e10d1"]


def _no_sleep(seconds: float) -> None:
    raise AssertionError("no retry expected")


def _mirror(root: Path = DATA, **kwargs) -> ResolutionSettings:
    return ResolutionSettings(mirror=str(root), **kwargs)


def _shape(result):
    return {
        key: (
            [(n.repo_id, n.revision, n.aliases, n.card.license, n.card.base_models, n.parents, n.gated,
              n.license_text) for n in lineage.nodes],
            lineage.edges,
            [(u.repo_id, u.referenced_by) for u in lineage.unresolved],
        )
        for key, lineage in result.lineages.items()
    }


def test_mirror_resolves_the_same_lineages_as_the_hub(stub_settings, hub_stub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", hub_stub.token)  # so the Hub path reads gated READMEs as the mirror does
    roots = [ModelRef(r) for r in PARITY_ROOTS]
    from_hub = resolve(roots, stub_settings(), sleep=_no_sleep)
    hub_requests = len(hub_stub.requests)
    from_mirror = resolve(roots, _mirror(), sleep=_no_sleep)
    assert len(hub_stub.requests) == hub_requests  # the mirror never touched the network
    assert _shape(from_mirror) == _shape(from_hub)
    assert from_mirror.canonical == from_hub.canonical
    assert {n.source for lin in from_mirror.lineages.values() for n in lin.nodes} == {"mirror"}
    assert from_mirror.stats.mirror_reads > 0 and from_mirror.stats.api_calls == 0
    # Where the two differ is only in what "missing" means: never seen by the mirror, or absent from the Hub.
    reasons = {u.reason for u in from_mirror.lineages["anon/A-llama31-8b-43c09106"].unresolved}
    assert reasons == {UnresolvedReason.OFFLINE}


def test_mirror_records_provenance_and_follows_renames():
    result = resolve([ModelRef("google/Gemma-3-1B-IT"), ModelRef("meta-llama/Meta-Llama-3.1-8B"),
                      ModelRef("Qwen/Qwen3-Embedding-8B-GGUF")], _mirror())
    llama = result.lineages["meta-llama/Meta-Llama-3.1-8B"]
    assert llama.root == "meta-llama/Llama-3.1-8B" and llama.nodes[0].provenance == "reconstructed"
    assert llama.nodes[0].aliases == ("meta-llama/Meta-Llama-3.1-8B",)
    assert result.lineages["Qwen/Qwen3-Embedding-8B-GGUF"].nodes[0].provenance == "recorded"
    gemma = result.lineages["google/Gemma-3-1B-IT"]  # a rename that only changes letter case
    assert [n.repo_id for n in gemma.nodes] == ["google/gemma-3-1b-it", "google/gemma-3-1b-pt"]


def test_missing_repo_in_the_mirror_is_offline_and_names_the_mirror(tmp_path):
    (gap,) = resolve([ModelRef("nobody/nothing")], _mirror(tmp_path)).lineages["nobody/nothing"].unresolved
    assert gap.reason is UnresolvedReason.OFFLINE and str(tmp_path) in gap.detail


def test_malformed_info_json_is_malformed(tmp_path):
    (tmp_path / "org/broken").mkdir(parents=True)
    (tmp_path / "org/broken/info.json").write_text('{"id": "org/broken", "sha": ')
    (tmp_path / "org/list").mkdir(parents=True)
    (tmp_path / "org/list/info.json").write_text("[1, 2]")
    (tmp_path / "org/loop").mkdir(parents=True)
    (tmp_path / "org/loop/info.json").write_text('{"renamed_to": "org/loop"}')
    result = resolve([ModelRef("org/broken"), ModelRef("org/list"), ModelRef("org/loop")], _mirror(tmp_path))
    for key in ("org/broken", "org/list", "org/loop"):
        (gap,) = result.lineages[key].unresolved
        assert gap.reason is UnresolvedReason.MALFORMED, key


def test_mirror_cannot_escape_its_directory(tmp_path):
    inside = tmp_path / "mirror"
    inside.mkdir()
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "info.json").write_text('{"id": "x/y"}')
    result = resolve([ModelRef("../secret")], _mirror(inside))
    assert [u.reason for u in result.lineages["../secret"].unresolved] == [UnresolvedReason.INVALID_ID]


def _repo_with_files(root: Path, repo: str, files: dict[str, str]) -> None:
    folder = root / repo
    folder.mkdir(parents=True)
    (folder / "README.md").write_text("---\nlicense: other\nlicense_name: tencent-hunyuan-community\n---\n")
    for name, text in files.items():
        (folder / name).write_text(text)
    siblings = [{"rfilename": name} for name in ("README.md", *files)]
    (folder / "info.json").write_text(json.dumps({"id": repo, "sha": "a" * 40, "siblings": siblings}))


def test_a_mirrored_licence_file_is_read_whatever_its_case_as_the_hub_path_reads_it(tmp_path):
    # Tencent's repos hold `License.txt`; `mirror pull` writes it under that name. Read by exact upper-case
    # names only, the mirror lost the licence text the online scan had, and the two scans disagreed.
    _repo_with_files(tmp_path, "tencent/Hunyuan-MT-7B", {"License.txt": "TENCENT HUNYUAN COMMUNITY LICENSE"})
    _repo_with_files(tmp_path, "org/both", {"license.txt": "the code's licence", "License-Model.md": "the weights'"})
    result = resolve([ModelRef("tencent/Hunyuan-MT-7B"), ModelRef("org/both")], _mirror(tmp_path))
    (node,) = result.lineages["tencent/Hunyuan-MT-7B"].nodes
    assert node.license_text == "TENCENT HUNYUAN COMMUNITY LICENSE"
    (node,) = result.lineages["org/both"].nodes
    assert node.license_text == "the weights'"  # the weights' licence first, as on the Hub


def _chain(root: Path, length: int) -> str:
    """A recorded mirror of repos chain/m0 -> chain/m1 -> ... -> chain/m{length-1}, each a finetune of the next."""
    for i in range(length):
        folder = root / "chain" / f"m{i}"
        folder.mkdir(parents=True)
        base = f"base_model: chain/m{i + 1}\n" if i + 1 < length else ""
        readme = f"---\nlicense: apache-2.0\n{base}---\n".encode()
        (folder / "README.md").write_bytes(readme)
        info = {"id": f"chain/m{i}", "sha": f"{i:040x}", "tags": [], "siblings": [{"rfilename": "README.md"}]}
        (folder / "info.json").write_text(json.dumps(info))
    return "chain/m0"


def test_a_thousand_deep_chain_resolves(tmp_path):
    root = _chain(tmp_path, 1000)
    result = resolve([ModelRef(root)], _mirror(tmp_path, max_depth=1000))
    lineage = result.lineages[root]
    assert len(lineage.nodes) == 1000 and lineage.unresolved == ()
    assert lineage.nodes[-1].repo_id == "chain/m999" and len(lineage.edges) == 999
    assert all(edge.relation is Relation.FINETUNE for edge in lineage.edges)
    cut = resolve([ModelRef(root)], _mirror(tmp_path, max_depth=32)).lineages[root]
    assert len(cut.nodes) == 33
    assert [(u.repo_id, u.reason) for u in cut.unresolved] == [("chain/m33", UnresolvedReason.DEPTH_LIMIT)]


def test_long_cycle_is_found_without_recursion(tmp_path):
    _chain(tmp_path, 400)
    last = tmp_path / "chain" / "m399" / "README.md"
    last.write_bytes(b"---\nlicense: apache-2.0\nbase_model: chain/m0\n---\n")
    lineage = resolve([ModelRef("chain/m0")], _mirror(tmp_path, max_depth=1000)).lineages["chain/m0"]
    assert len(lineage.nodes) == 400
    assert [(u.repo_id, u.reason, u.referenced_by) for u in lineage.unresolved] == [
        ("chain/m0", UnresolvedReason.CYCLE, "chain/m399")]


# -- the registry ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_registered_source_reads_and_reports(name, hub_stub):
    store = open_store(None)
    settings = ResolutionSettings(endpoint=hub_stub.url, mirror=str(DATA), timeout=2, max_retries=0)
    if name == "cache":  # the cache answers what an online scan stored
        resolve([ModelRef("licscan-test/base")], ResolutionSettings(endpoint=hub_stub.url), store=store)
    source = SOURCES[name](settings, store=store, sleep=_no_sleep, now=time.time)
    try:
        assert isinstance(source, MetadataSource) and source.name == name
        found = source.fetch("licscan-test/base", None)
        assert isinstance(found, RepoSnapshot), found
        assert found.repo_id == "licscan-test/base" and found.card_data["license"] == "apache-2.0"
        assert found.readme and found.readme.startswith(b"---\nlicense: apache-2.0")
        missing = source.fetch("licscan-test/does-not-exist", None)
        assert isinstance(missing, FetchFailure) and missing.repo_id == "licscan-test/does-not-exist"
        assert missing.reason in {UnresolvedReason.NOT_FOUND, UnresolvedReason.OFFLINE}
        assert missing.detail
    finally:
        source.close()
        store.close()


def test_mirror_and_offline_scans_never_import_huggingface_hub(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from licscan.model import ModelRef, ResolutionSettings\n"
        "from licscan.resolution import resolve\n"
        f"resolve([ModelRef('licscan-test/merge')], ResolutionSettings(mirror={str(DATA)!r}))\n"
        "resolve([ModelRef('licscan-test/merge')], ResolutionSettings(offline=True))\n"
        "print('huggingface_hub' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "False"
