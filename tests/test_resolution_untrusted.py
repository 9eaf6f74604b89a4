"""What a mirror or a Hub answer cannot do: lead reads out of the mirror, block on a pipe, grow without bound,
slip a path in as a repo id, or stop the cache with text that is not valid Unicode."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from handmade import add_repo, stand_in_license
from hubstub import HubStub
from licscan.cli import app
from licscan.model import ModelRef, ResolutionSettings, UnresolvedReason
from licscan.resolution import resolve

runner = CliRunner()
SECRET = "LICSCAN_TEST_SECRET=do-not-copy-me"


def _mirror_walk(mirror: Path, *ids: str):
    return resolve([ModelRef(i) for i in ids], ResolutionSettings(mirror=str(mirror), workers=2))


def _cli(tmp_path: Path, command: str, model: str, *, mirror: Path | None = None, hub: HubStub | None = None):
    project = tmp_path / f"project-{command}"
    project.mkdir()
    (project / "pyproject.toml").write_text(f'[tool.licscan]\nmodels = ["{model}"]\n')
    env = {"LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'cache.db'}"}
    if hub is not None:
        env["HF_ENDPOINT"] = hub.url
    out = tmp_path / f"{command}.json"
    args = [command, str(project)] + (["--json", str(out), "--no-color"] if command == "scan" else [])
    args += ["--mirror", str(mirror)] if mirror is not None else []
    result = runner.invoke(app, args, env=env)
    written = out if command == "scan" else project / "licscan.lock"
    return result, written.read_text(encoding="utf-8") if written.exists() else ""


# -- containment ------------------------------------------------------------------------------------------


def test_a_mirror_licence_linked_out_of_the_mirror_is_not_read_and_the_node_is_incomplete(tmp_path):
    outside = tmp_path / "environ"
    outside.write_text(SECRET + "\n")
    mirror = tmp_path / "mirror"
    add_repo(mirror, "acme/linked", {"license": "apache-2.0"}, files={"LICENSE": "placeholder"})
    (mirror / "acme/linked/LICENSE").unlink()
    (mirror / "acme/linked/LICENSE").symlink_to(outside)
    lineage = _mirror_walk(mirror, "acme/linked").lineages["acme/linked"]
    (node,) = lineage.nodes
    assert node.license_text is None
    (gap,) = lineage.unresolved
    assert gap.repo_id == "acme/linked" and "link to outside" in gap.detail and "evidence missing" in gap.detail
    for command in ("scan", "lock"):
        result, written = _cli(tmp_path, command, "acme/linked", mirror=mirror)
        assert written and SECRET not in written and SECRET not in result.output
        assert "INCOMPLETE" in result.output if command == "lock" else result.exit_code == 3  # never a pass


def test_a_link_inside_the_mirror_is_still_read(tmp_path):
    mirror = tmp_path / "mirror"
    add_repo(mirror, "acme/shared", {"license": "apache-2.0"},
             files={"LICENSE": stand_in_license("Qwen RESEARCH LICENSE AGREEMENT")})
    add_repo(mirror, "acme/same-text", {"license": "apache-2.0"}, files={"LICENSE": "placeholder"})
    (mirror / "acme/same-text/LICENSE").unlink()
    (mirror / "acme/same-text/LICENSE").symlink_to(mirror / "acme/shared/LICENSE")
    lineage = _mirror_walk(mirror, "acme/same-text").lineages["acme/same-text"]
    assert "Qwen RESEARCH" in lineage.nodes[0].license_text and lineage.unresolved == ()


def test_a_namespace_folder_linked_out_of_the_mirror_is_not_read(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    add_repo(elsewhere, "acme/model", {"license": "apache-2.0"})
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "acme").symlink_to(elsewhere / "acme", target_is_directory=True)
    (gap,) = _mirror_walk(mirror, "acme/model").lineages["acme/model"].unresolved
    assert gap.reason is UnresolvedReason.MALFORMED and "link to outside" in gap.detail


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_in_the_mirror_is_refused_without_blocking(tmp_path):
    mirror = tmp_path / "mirror"
    add_repo(mirror, "acme/piped", {"license": "apache-2.0"})
    (mirror / "acme/piped/README.md").unlink()
    os.mkfifo(mirror / "acme/piped/README.md")  # opened for reading without a writer, it would wait for ever
    lineage = _mirror_walk(mirror, "acme/piped").lineages["acme/piped"]
    (gap,) = lineage.unresolved
    assert "not a regular file" in gap.detail and lineage.nodes[0].card.license == "apache-2.0"


def test_a_mirror_file_over_the_cap_is_refused_not_cut(tmp_path):
    mirror = tmp_path / "mirror"
    licence = stand_in_license("Qwen RESEARCH LICENSE AGREEMENT") + "x" * 2_100_000
    add_repo(mirror, "acme/huge", {"license": "apache-2.0"}, files={"LICENSE": licence})
    lineage = _mirror_walk(mirror, "acme/huge").lineages["acme/huge"]
    (gap,) = lineage.unresolved
    assert "larger than 2,000,000 bytes" in gap.detail and lineage.nodes[0].license_text is None


# -- ids from outside ---------------------------------------------------------------------------------------


def test_a_path_as_the_id_of_a_mirror_info_json_never_becomes_a_node(tmp_path):
    mirror = tmp_path / "mirror"
    add_repo(mirror, "acme/escape", {"license": "apache-2.0"}, info={"id": "../../../etc"})
    lineage = _mirror_walk(mirror, "acme/escape").lineages["acme/escape"]
    assert lineage.nodes == ()
    (gap,) = lineage.unresolved
    assert gap.reason is UnresolvedReason.MALFORMED and "not a repo id" in gap.detail


@pytest.mark.parametrize("field,value", [("id", "../../../etc"), ("id", "acme/x\nsecond-line"),
                                         ("sha", "../../refs/x")])
def test_a_path_as_the_id_or_sha_of_a_hub_answer_never_becomes_a_node(tmp_path, field, value):
    root = tmp_path / "hub"
    add_repo(root, "acme/escape", {"license": "apache-2.0"}, info={field: value})
    with HubStub(root) as stub:
        lineage = resolve([ModelRef("acme/escape")], ResolutionSettings(endpoint=stub.url, timeout=2,
                                                                        max_retries=0)).lineages["acme/escape"]
    assert lineage.nodes == ()
    (gap,) = lineage.unresolved
    assert gap.reason is UnresolvedReason.MALFORMED and "not a" in gap.detail


def test_a_path_as_a_base_model_is_an_invalid_id_not_a_lookup(tmp_path):
    root = tmp_path / "hub"
    add_repo(root, "acme/child", {"license": "apache-2.0", "base_model": "../../../etc"})
    with HubStub(root) as stub:
        lineage = resolve([ModelRef("acme/child")], ResolutionSettings(endpoint=stub.url, timeout=2)
                          ).lineages["acme/child"]
        assert not any("etc" in path for _, path in stub.requests)
    assert [node.repo_id for node in lineage.nodes] == ["acme/child"]
    assert [gap.reason for gap in lineage.unresolved] == [UnresolvedReason.INVALID_ID]


# -- text that is not valid Unicode -----------------------------------------------------------------------


def _surrogate_repo(root: Path) -> None:
    add_repo(root, "acme/odd-text", {"license": "apache-2.0"})
    info_path = root / "acme/odd-text/info.json"
    info = json.loads(info_path.read_text())
    info["cardData"]["model_name"] = "\ud800"
    info["author"] = "acme\udfff"
    info_path.write_text(json.dumps(info), encoding="utf-8")  # ensure_ascii: the file says "\ud800"
    assert "\\ud800" in info_path.read_text()


def test_a_lone_surrogate_in_a_hub_answer_is_replaced_before_the_cache_and_the_report(tmp_path):
    root = tmp_path / "hub"
    _surrogate_repo(root)
    with HubStub(root) as stub:
        result, report = _cli(tmp_path, "scan", "acme/odd-text", hub=stub)
    assert result.exit_code == 0, result.output
    node = json.loads(report)["models"][0]["lineage"]["nodes"][0]
    assert node["id"] == "acme/odd-text" and node["author"] == "acme\ufffd"


def test_a_lone_surrogate_in_a_mirror_is_replaced_too(tmp_path):
    mirror = tmp_path / "mirror"
    _surrogate_repo(mirror)
    result, report = _cli(tmp_path, "scan", "acme/odd-text", mirror=mirror)
    assert result.exit_code == 0, result.output
    assert json.loads(report)["models"][0]["lineage"]["nodes"][0]["author"] == "acme\ufffd"
