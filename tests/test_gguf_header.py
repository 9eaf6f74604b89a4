"""The bounded GGUF metadata-prefix reader resolution uses on the first bytes of a Hub repo's GGUF file."""

from __future__ import annotations

import struct

from licscan.gguf_header import gguf_file_of, named_bases, read_general


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def _kv_string(key: str, value: str) -> bytes:
    return _string(key) + struct.pack("<I", 8) + _string(value)


def _header(*pairs: bytes, version: int = 3) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", version, 1, len(pairs)) + b"".join(pairs)


def test_the_general_keys_are_read_and_the_rest_walked_over():
    tokens = _string("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, 3) + b"".join(map(_string, "abc"))
    scores = _string("tokenizer.ggml.scores") + struct.pack("<IIQ", 9, 6, 2) + struct.pack("<ff", 1.0, 2.0)
    data = _header(_kv_string("general.source.huggingface.repository", "org/model"), tokens, scores,
                   _string("general.base_model.count") + struct.pack("<II", 4, 1),
                   _kv_string("general.base_model.0.repo_url", "https://huggingface.co/org/base"))
    header = read_general(data, whole=True)
    assert header.complete and header.problem is None
    assert header.general == {"general.source.huggingface.repository": "org/model", "general.base_model.count": 1,
                              "general.base_model.0.repo_url": "https://huggingface.co/org/base"}
    assert named_bases(header.general) == [("general.base_model.0.repo_url", "https://huggingface.co/org/base"),
                                           ("general.source.huggingface.repository", "org/model")]


def test_a_prefix_that_runs_out_keeps_what_it_read_and_a_whole_file_that_does_is_truncated():
    data = _header(_kv_string("general.license", "mit"), _kv_string("general.name", "a long name"))
    cut = data[: len(data) - 4]
    assert read_general(cut).general == {"general.license": "mit"} and read_general(cut).problem is None
    assert "truncated" in read_general(cut, whole=True).problem


def test_lengths_and_counts_a_hostile_header_claims_are_refused_not_allocated():
    huge_string = b"GGUF" + struct.pack("<IQQ", 3, 1, 1) + struct.pack("<Q", 2**62)
    assert "string of" in read_general(huge_string).problem
    huge_array = _header(_string("general.tags") + struct.pack("<IIQ", 9, 8, 2**60))
    assert "array of" in read_general(huge_array).problem
    assert "implausible" in read_general(b"GGUF" + struct.pack("<IQQ", 3, 1, 2**40)).problem
    assert "version" in read_general(b"GGUF" + struct.pack("<IQQ", 7, 1, 1)).problem
    assert "unknown value type" in read_general(_header(_string("general.x") + struct.pack("<I", 99))).problem
    assert "no GGUF magic" in read_general(b"<html>not found</html>").problem


def test_the_gguf_file_read_is_the_smallest_quantization_or_the_first_shard():
    assert gguf_file_of(["README.md", "m-F16.gguf", "m-Q8_0.gguf", "m-Q2_K.gguf"]) == "m-Q2_K.gguf"
    assert gguf_file_of(["m-00002-of-00003.gguf", "m-00001-of-00003.gguf"]) == "m-00001-of-00003.gguf"
    assert gguf_file_of(["config.json"]) is None
