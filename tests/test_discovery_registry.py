"""The source registry: every registered source has a unique name and finds something in a file made for it."""

from __future__ import annotations

import ast
import pathlib

import licscan.discovery as discovery
from licscan.discovery import PROJECT_SOURCES, SOURCES, discover
from licscan.discovery.interface import DiscoverySource, ProjectFile, ProjectSource
from licscan.model import DiscoverySettings

# One realistic file per registered source; a new source without a sample fails the test below.
SAMPLES = {
    "python": ("app/infer.py", b'from transformers import AutoModel\nAutoModel.from_pretrained("org/py-model")\n'),
    "notebook": (
        "notebooks/try.ipynb",
        b'{"cells": [{"cell_type": "code", "source": ["from transformers import pipeline\\n",'
        b' "pipe = pipeline(\\"text-generation\\", model=\\"org/nb-model\\")"]}], "nbformat": 4}',
    ),
    "config-file": ("configs/axolotl.yaml", b"base_model: org/yaml-model\n"),
    "command": ("scripts/fetch.sh", b"#!/bin/sh\nhuggingface-cli download org/cli-model --local-dir models/\n"),
    "hosted-api": ("deploy/Modelfile", b"FROM llama3.1\nPARAMETER temperature 0.2\n"),
    "doc-code": ("docs/usage.md", b'# Usage\n\n```python\nfrom datasets import load_dataset\nload_dataset("org/doc-data")\n```\n'),
    "hub-url": ("web/client.ts", b'const MODEL_URL = "https://huggingface.co/org/ts-model";\n'),
    "model-dir": ("adapter/adapter_config.json", b'{"base_model_name_or_path": "org/base-model"}'),
    "gguf": ("models/tiny.gguf", None),  # written by gguf's own writer, below
    "safetensors": (
        "models/lora.safetensors",
        None,  # built below: 8-byte header length, JSON header with __metadata__, no tensors
    ),
}


def _sample_bytes(name, path):
    relpath, data = SAMPLES[name]
    if data is not None:
        return data
    if name == "gguf":
        import gguf

        writer = gguf.GGUFWriter(str(path), arch="llama")
        writer.add_license("llama3.1")
        writer.add_base_model_count(1)
        writer.add_base_model_repo_url(0, "https://huggingface.co/org/gguf-base")
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        return path.read_bytes()
    header = b'{"__metadata__": {"format": "pt", "base_model": "org/st-base", "license": "apache-2.0"}}'
    return len(header).to_bytes(8, "little") + header


def test_every_source_has_a_unique_name_and_follows_the_protocol():
    names = [source.name for source in SOURCES] + [source.name for source in PROJECT_SOURCES]
    assert len(names) == len(set(names))
    assert all(isinstance(source, DiscoverySource) for source in SOURCES)
    assert all(isinstance(source, ProjectSource) for source in PROJECT_SOURCES)


def test_every_source_finds_something_in_a_file_made_for_it(tmp_path):
    settings = DiscoverySettings()
    for source in SOURCES:
        assert source.name in SAMPLES, f"add a sample file for the {source.name!r} source"
        relpath, _ = SAMPLES[source.name]
        assert source.wants(relpath)
        path = tmp_path / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        data = _sample_bytes(source.name, path)
        path.write_bytes(data)
        output = source.scan(ProjectFile(relpath, path, data, tmp_path, settings))
        assert output.occurrences or output.local_models, source.name
        assert not output.skipped
        assert all(o.source == source.name for o in output.occurrences)


def test_sources_do_not_claim_unrelated_files():
    for source in SOURCES:
        for relpath in ("logo.png", "weights.bin", "model.pt", "data.csv", "archive.tar.gz", "font.woff2"):
            assert not source.wants(relpath), (source.name, relpath)


def test_a_weights_reader_imported_on_first_use_wants_what_the_reader_itself_wants():
    from licscan.discovery.registry import WeightsReader

    deferred = [source for source in SOURCES if isinstance(source, WeightsReader)]
    assert {source.name for source in deferred} == {"gguf", "safetensors"}
    names = [relpath for relpath, _ in SAMPLES.values()] + [
        "a/B.GGUF", "x.gguf.part", "model-00001-of-00002.safetensors", "m.SafeTensors", "safetensors", "gguf",
        "weights.bin", "model.safetensors.index.json", "dir.gguf/readme.md", ".gguf"]
    for source in deferred:
        reader = source.reader()
        assert reader.name == source.name and reader.header_only
        assert [source.wants(name) for name in names] == [reader.wants(name) for name in names], source.name


def test_project_sources_run_on_settings(tmp_path):
    settings = DiscoverySettings(declared_models=("org/declared",))
    for source in PROJECT_SOURCES:
        output = source.run(tmp_path, settings)
        assert output.occurrences, source.name


def test_all_sources_together(tmp_path):
    for name, (relpath, _) in SAMPLES.items():
        path = tmp_path / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_sample_bytes(name, path))
    result = discover(tmp_path, DiscoverySettings(declared_models=("org/declared",)))
    assert {(o.ref.repo_id, o.source) for o in result.occurrences} == {
        ("org/py-model", "python"),
        ("org/nb-model", "notebook"),
        ("org/yaml-model", "config-file"),
        ("org/cli-model", "command"),
        ("org/doc-data", "doc-code"),
        ("org/ts-model", "hub-url"),
        ("org/declared", "declared"),
        ("ollama:llama3.1:latest", "hosted-api"),
    }
    assert [m.key for m in result.local_models] == [
        "local:adapter", "local:models/lora.safetensors", "local:models/tiny.gguf"
    ]
    assert result.files_scanned == len(SAMPLES)


def test_discovery_imports_only_shared_modules():
    # The stage may use model, errors, cards, safeyaml, untrusted, gguf_header and json_text; nothing from the other
    # stages or config.
    allowed = {"licscan.model", "licscan.errors", "licscan.cards", "licscan", "licscan.safeyaml", "licscan.untrusted",
               "licscan.gguf_header", "licscan.json_text"}
    package = pathlib.Path(discovery.__file__).parent
    for module in package.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{module.name} needs a one-line docstring"
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("licscan"):
                assert node.module in allowed, (module.name, node.module)
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("licscan.") or alias.name in allowed, (module.name, alias.name)
                    assert alias.name != "yaml", f"{module.name}: use licscan.safeyaml"
                    assert alias.name != "pathspec" or module.name == "walk.py", module.name


def test_a_helper_is_sent_each_files_sources_and_reads_every_kind_as_one_process_does(tmp_path, monkeypatch):
    import threading

    from licscan import forked
    from licscan.discovery import registry

    names = [relpath for relpath, _ in SAMPLES.values()] + [
        "README.md", "config.json", ".env", "env.py", "Dockerfile", "notes.txt", "logo.png", "a/b/values.yml"]
    for name in names:  # the sources a helper is sent for a file are those the walk found for it
        assert registry.sources_of_mask(registry.wanted_mask(name)) == registry.wanted_by(name), name
    for name, (relpath, _) in SAMPLES.items():
        path = tmp_path / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_sample_bytes(name, path))
    one = discover(tmp_path, DiscoverySettings(workers=1))
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # (other tests' threads may still run)
    helped = []
    real_results = forked.Helper.results
    monkeypatch.setattr(forked.Helper, "results", lambda self: helped.append(real_results(self)) or helped[-1])
    monkeypatch.setattr(forked.Helper, "take_last", lambda self: None)  # the helper does every file it is sent
    two = discover(tmp_path, DiscoverySettings(workers=2))
    assert len(helped) == 1 and len(helped[0]) == len(SAMPLES)
    assert two == one and {o.source for o in one.occurrences} >= {"python", "config-file", "command", "hosted-api"}
