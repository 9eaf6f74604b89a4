"""GGUF and safetensors files: licence and lineage from their headers, bounded, never the weights."""

from __future__ import annotations

import json
import struct

import gguf

from licscan.discovery import discover
from licscan.model import DiscoverySettings, ParentLink, Relation


def _gguf(path, fill):
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), arch="llama")
    fill(writer)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def _safetensors(path, metadata, extra=b""):
    path.parent.mkdir(parents=True, exist_ok=True)
    header = json.dumps({"__metadata__": metadata} if metadata is not None else {}).encode()
    path.write_bytes(len(header).to_bytes(8, "little") + header + extra)


def test_gguf_license_base_models_and_source_repo(tmp_path):
    def fill(writer):
        writer.add_name("Llama 3.1 8B Instruct Abliterated")
        writer.add_license("llama3.1")
        writer.add_base_model_count(2)
        writer.add_base_model_repo_url(0, "https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct")
        writer.add_base_model_organization(1, "Meta Llama")
        writer.add_base_model_name(1, "Llama 3.1 8B")
        writer.add_string("general.source.huggingface.repository", "mlabonne/Llama-3.1-8B-Instruct-abliterated")

    _gguf(tmp_path / "models" / "abliterated.Q4_K_M.gguf", fill)
    result = discover(tmp_path, DiscoverySettings())
    (model,) = result.local_models
    assert model.key == "local:models/abliterated.Q4_K_M.gguf"
    assert model.card.license == "llama3.1"
    assert model.card.base_models == ("meta-llama/Llama-3.1-8B-Instruct",)
    assert model.parents == (
        ParentLink("mlabonne/Llama-3.1-8B-Instruct-abliterated", Relation.QUANTIZED, "gguf"),
        ParentLink("meta-llama/Llama-3.1-8B-Instruct", Relation.UNSPECIFIED, "gguf"),
    )
    assert model.card.problems == ("GGUF names base model 'Meta Llama/Llama 3.1 8B' without a Hub repo",)
    assert result.occurrences == () and result.skipped == ()


def test_gguf_files_are_read_by_header_whatever_their_size(tmp_path):
    path = tmp_path / "big.gguf"

    def fill(writer):
        writer.add_license("apache-2.0")
        writer.add_source_repo_url("https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct")

    _gguf(path, fill)
    with open(path, "ab") as handle:  # weights far past the text-file limit: never read
        handle.truncate(path.stat().st_size + 5_000_000)
    result = discover(tmp_path, DiscoverySettings(max_file_bytes=10_000))
    (model,) = result.local_models
    assert model.parents == (ParentLink("Qwen/Qwen2.5-0.5B-Instruct", Relation.QUANTIZED, "gguf"),)
    assert result.skipped == ()


def test_damaged_and_hostile_gguf_headers_are_skipped_with_the_reason(tmp_path):
    (tmp_path / "not-gguf.gguf").write_bytes(b"PK\x03\x04 zip file pretending")
    hostile = b"GGUF" + struct.pack("<I", 3) + struct.pack("<QQ", 1, 2**40)
    (tmp_path / "hostile.gguf").write_bytes(hostile + b"\x00" * 64)
    truncated = b"GGUF" + struct.pack("<I", 3) + struct.pack("<QQ", 0, 3) + b"\x05\x00\x00\x00\x00\x00\x00\x00gen"
    (tmp_path / "truncated.gguf").write_bytes(truncated)
    result = discover(tmp_path, DiscoverySettings())
    assert {(s.path, s.reason) for s in result.skipped} == {
        ("not-gguf.gguf", "parse-error"), ("hostile.gguf", "parse-error"), ("truncated.gguf", "parse-error"),
    }
    assert "keys" in next(s.detail for s in result.skipped if s.path == "hostile.gguf")
    assert result.local_models == ()


def test_safetensors_metadata_names_licence_and_base(tmp_path):
    _safetensors(tmp_path / "loras" / "style.safetensors", {
        "format": "pt", "ss_network_module": "networks.lora", "ss_sd_model_name": "stabilityai/stable-diffusion-xl-base-1.0",
        "modelspec.license": "openrail++",
    }, extra=b"\x00" * 4096)
    _safetensors(tmp_path / "ckpt" / "model-00001-of-00002.safetensors", {"format": "pt"})
    _safetensors(tmp_path / "ckpt" / "no-metadata.safetensors", None)
    result = discover(tmp_path, DiscoverySettings())
    (model,) = result.local_models
    assert model.key == "local:loras/style.safetensors"
    assert model.card.license == "openrail++"
    assert model.parents == (ParentLink("stabilityai/stable-diffusion-xl-base-1.0", Relation.ADAPTER, "safetensors"),)
    assert result.skipped == ()


def test_safetensors_header_is_bounded(tmp_path):
    (tmp_path / "huge.safetensors").write_bytes((10**12).to_bytes(8, "little") + b"{")
    (tmp_path / "short.safetensors").write_bytes((100).to_bytes(8, "little") + b'{"__metadata__": ')
    (tmp_path / "garbage.safetensors").write_bytes((4).to_bytes(8, "little") + b"\xff\xfe{[")
    result = discover(tmp_path, DiscoverySettings())
    assert {(s.path, s.reason) for s in result.skipped} == {
        ("huge.safetensors", "too-large"), ("short.safetensors", "parse-error"), ("garbage.safetensors", "parse-error"),
    }
