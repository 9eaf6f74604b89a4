"""Discovery's fast paths give what the plain way gives: the same matches, lines and occurrences, only cheaper."""

from __future__ import annotations

import json
import os
import pathlib
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from licscan.discovery import commands, discover, needles, runner
from licscan.discovery.common import _key_pattern, key_match
from licscan.discovery.config_files import ConfigFileSource
from licscan.discovery.interface import ProjectFile
from licscan.discovery.needles import Needle, NeedleSet, SearchedTogether
from licscan.discovery.readings import searched_together
from licscan.discovery.registry import SOURCES, wanted_by
from licscan.discovery.runner import _needle_sets, scan_file
from licscan.model import ApiVocabulary, DiscoverySettings

# Texts built from the characters the key pattern turns on: quotes, separators, blanks, key characters.
_KEY_TEXT = st.text(alphabet=st.sampled_from(list("ab_-\"' \t\n:=x")), max_size=60)


@settings(max_examples=400, derandomize=True, deadline=None, database=None)
@given(text=_KEY_TEXT, key=st.sampled_from(["a", "ab", "aa", "a-b", "b_a", "'a", ""]), start=st.integers(0, 8))
def test_key_match_finds_what_the_pattern_search_finds(text, key, start):
    expected = _key_pattern(key).search(text, start)
    found = key_match(text, key, start)
    assert (found.span() if found else None) == (expected.span() if expected else None)


def test_many_escaped_values_under_one_json_key_each_get_the_keys_line(tmp_path):
    # The values are written with escaped slashes, so the raw text never holds them as such: each is placed at
    # its key.
    values = [f"org/model-{number}" for number in range(300)]
    text = json.dumps({"notes": ["x"] * 50, "base_model": values}, indent=1).replace("/", "\\/")
    text = text[:-2] + ',\n "after": {\n  "model": "org/plain"\n }\n}'
    file = ProjectFile("data.json", str(tmp_path / "data.json"), text.encode(), tmp_path)
    lines = {occurrence.ref.repo_id: occurrence.location.line for occurrence in ConfigFileSource().scan(file).occurrences}
    key_line = text.splitlines().index(' "base_model": [') + 1
    assert {lines[value] for value in values} == {key_line}
    assert lines["org/plain"] == text.splitlines().index('  "model": "org/plain"') + 1


def _sets_with_conditions():
    first = NeedleSet([Needle(rb"from_pretrained"), Needle(rb"vllm", first_only=True), Needle(rb"LLM", needs=1)])
    second = NeedleSet([Needle(rb"import openai", first_only=True), Needle(rb"ollama"), Needle(rb"LLM")])
    return first, second


@pytest.mark.parametrize("engine", ["re", "hyperscan"])
def test_sets_searched_together_give_what_each_set_finds_alone(engine, monkeypatch):
    monkeypatch.setattr(needles, "ONE_PASS_AFTER_BYTES", 0 if engine == "hyperscan" else 10**12)
    first, second = _sets_with_conditions()
    together = SearchedTogether((first, second))
    for text in (b"import openai\nLLM(model='x')\nvllm.LLM()\nollama pull llama3\nAutoModel.from_pretrained('a/b')\n",
                 b"LLM only, no condition met", b""):
        assert together.find(text) == [first.find(text), second.find(text)]
    assert together._union.engine == engine


def test_the_needle_searches_of_a_pythons_file_sources_are_one_pass(monkeypatch):
    # The Python source and the hosted-API source both search every .py file: one pass serves both.
    data = b"from openai import OpenAI\nfrom transformers import AutoModel\nAutoModel.from_pretrained('org/m')\n"
    passes = []
    original = NeedleSet.find

    def counted(self, searched):
        if searched == data:
            passes.append(len(self.needles))
        return original(self, searched)

    monkeypatch.setattr(NeedleSet, "find", counted)
    settings = DiscoverySettings(api=ApiVocabulary(hosts=(("api.openai.com", "openai"),),
                                                   packages=(("openai", "openai"),)))
    output = scan_file(ProjectFile("app.py", "app.py", data, pathlib.Path("."), settings))
    assert [o.ref.repo_id for o in output.occurrences] == ["org/m"]
    assert len(passes) == 1


@pytest.mark.parametrize("engine", ["re", "hyperscan"])
def test_a_set_searched_alone_takes_its_share_of_its_loaded_pass(engine, monkeypatch):
    # Text that is not a whole file (a notebook's decoded code) is searched by one set alone: once the pass that
    # set belongs to has its one-pass engine, the set uses it rather than compiling a database of its own.
    monkeypatch.setattr(needles, "ONE_PASS_AFTER_BYTES", 0 if engine == "hyperscan" else 10**12)
    first, second = _sets_with_conditions()
    alone = [NeedleSet(each.needles, engine="re") for each in (first, second)]  # the answer to compare with
    together = SearchedTogether((first, second))
    compiled = []
    real = needles._one_pass_database
    monkeypatch.setattr(needles, "_one_pass_database", lambda searched: compiled.append(len(searched)) or real(
        searched))
    texts = (b"import openai\nLLM(model='x')\nvllm.LLM()\nollama pull llama3\nAutoModel.from_pretrained('a/b')\n",
             b"LLM only, no condition met", b"")
    together.find(texts[0])
    for text in texts:
        assert [first.find(text), second.find(text)] == [alone[0].find(text), alone[1].find(text)]
    assert (first.engine, second.engine) == (engine, engine)
    assert compiled == ([6] if engine == "hyperscan" else [])  # the pass's database, and no other


def test_a_set_of_many_needles_leaves_re_sooner(monkeypatch):
    # re makes a pass per needle: a set of 32 needles counts each byte twice towards loading the one-pass engine.
    monkeypatch.setattr(needles, "ONE_PASS_AFTER_BYTES", 100)
    many = NeedleSet([Needle(re.escape(f"word{number}x").encode()) for number in range(32)])
    few = NeedleSet([Needle(rb"word1x")])
    text = b"word1x and more text" * 3  # 60 bytes
    assert many.find(text) and few.find(text)
    assert (many.engine, few.engine) == ("hyperscan", "re")


def test_a_set_whose_re_passes_are_slow_leaves_re_before_the_bytes_count_says_so(monkeypatch):
    # What a pattern costs re is not known from its bytes (an alternation of words followed by classes: 10 ms per
    # MB): the time its passes have taken moves the set to the one-pass engine, with the same matches.
    monkeypatch.setattr(needles, "ONE_PASS_AFTER_BYTES", 10**12)
    monkeypatch.setattr(needles, "ONE_PASS_AFTER_SECONDS", 0.0)
    slow = NeedleSet([Needle(rb"(?:model|data)[A-Za-z0-9_.-]*[ \t]*=[ \t]*[\"'A-Za-z0-9]")])
    text = b"model_id = 'org/m'\n" * 50
    first = slow.find(text)
    assert slow.engine == "re" and len(first) == 50
    assert slow.find(text) == first and slow.engine == "hyperscan"


def test_a_job_large_enough_for_helpers_loads_the_one_pass_engine_before_they_fork(tmp_path, monkeypatch):
    # Forked after this, a helper inherits the compiled engine instead of starting again with re.
    settings = DiscoverySettings(workers=2, api=ApiVocabulary(hosts=(("api.example-fork.test", "example"),)))
    for number in range(4):
        (tmp_path / f"app{number}.py").write_bytes(b"AutoModel.from_pretrained('org/m')\n" + b"# filler\n" * 200)
    union = searched_together(_needle_sets(wanted_by("app0.py"), settings))._union
    engines_at_fork = []

    def no_helpers(*args):
        engines_at_fork.append(union.engine)
        return []

    monkeypatch.setattr(runner, "_start_helpers", no_helpers)
    monkeypatch.setattr(runner.forked, "can_fork", lambda: True)  # (other tests' threads may still run)
    result = discover(tmp_path, settings)
    assert {o.ref.repo_id for o in result.occurrences} == {"org/m"}
    assert engines_at_fork[0] == "hyperscan"


def test_without_a_cache_no_file_is_hashed(tmp_path, monkeypatch):
    # The content hash serves only the next scan's cache: `discover --no-cache` keeps none.
    (tmp_path / "app.py").write_text("AutoModel.from_pretrained('org/m')\n")
    hashed = []
    monkeypatch.setattr(runner, "digest", lambda data: hashed.append(data) or "x")
    result = discover(tmp_path, DiscoverySettings(workers=1))
    assert [o.ref.repo_id for o in result.occurrences] == ["org/m"] and hashed == []


def test_a_walk_without_a_cache_looks_for_no_ignore_file_its_listing_lacks(tmp_path, monkeypatch):
    # Without a cache there is no listing to stamp: a folder's .gitignore is read when the folder holds one, and
    # neither it nor the folder itself is stat'ed otherwise (two calls per folder of a large tree).
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / ".gitignore").write_text("skipped.py\n")
    for folder in (tmp_path, tmp_path / "a", tmp_path / "a" / "b"):
        for name in ("app.py", "skipped.py"):
            (folder / name).write_text(f"AutoModel.from_pretrained('org/{name[:-3]}')\n")
    looked_at = []
    real_stat = os.stat
    monkeypatch.setattr(os, "stat", lambda path, *args, **kwargs: looked_at.append(str(path)) or real_stat(
        path, *args, **kwargs))
    result = discover(tmp_path, DiscoverySettings(workers=1))
    monkeypatch.undo()
    assert sorted(o.location.path for o in result.occurrences) == ["a/app.py", "a/b/app.py", "app.py", "skipped.py"]
    assert [path for path in looked_at if path.endswith(".gitignore")] == [str(tmp_path / "a" / ".gitignore")]
    assert not {str(tmp_path / "a"), str(tmp_path / "a" / "b")} & set(looked_at)


def test_a_notebook_is_read_once_for_the_notebook_and_hosted_api_sources(monkeypatch):
    cells = [{"cell_type": "code", "metadata": {}, "source": [
        "import ollama\n", "ollama.chat(model='llama3.1')\n",
        "from transformers import AutoModel\n", "AutoModel.from_pretrained('org/nb-model')\n"]}]
    data = json.dumps({"nbformat": 4, "metadata": {}, "cells": cells}).encode()
    reads = []
    loads = json.loads

    def counted(text, *args, **kwargs):
        if text == data.decode():
            reads.append(text)
        return loads(text, *args, **kwargs)

    monkeypatch.setattr(json, "loads", counted)
    output = scan_file(ProjectFile("try.ipynb", "try.ipynb", data, pathlib.Path("."), DiscoverySettings()))
    assert {(o.source, o.ref.key) for o in output.occurrences} == {
        ("notebook", "org/nb-model"), ("hosted-api", "ollama:llama3.1:latest")}
    assert len(reads) == 1


def test_each_needle_set_is_compiled_once_whatever_kinds_of_file_search_it(tmp_path, monkeypatch):
    # A config, a script, a doc, a Dockerfile and a Python file each want a different mix of the sources' sets;
    # compiled per mix, the command source's patterns (the slowest to compile) went into four databases.
    monkeypatch.setattr(needles, "ONE_PASS_AFTER_BYTES", 0)
    files = {
        "app.py": "AutoModel.from_pretrained('org/py-model')\n",
        "env.py": "MODEL_ID = 'org/env-model'\n",
        "train.yaml": "base_model: org/yaml-model\n",
        "data.json": '{"base_model": "org/json-model"}\n',
        "run.sh": "vllm serve org/sh-model\n",
        "Dockerfile": "RUN huggingface-cli download org/docker-model\n",
        "README.md": "```bash\nhf download org/doc-model\n```\n",
        # (A notebook's code is searched cell by cell, not as the file's bytes: by the sets alone.)
        "try.ipynb": json.dumps({"nbformat": 4, "metadata": {}, "cells": [{"cell_type": "code", "metadata": {},
                                "source": ["AutoModel.from_pretrained('org/nb-model')\n"]}]}),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    databases = []
    real = needles._one_pass_database

    def counted(searched):
        databases.append(b"\n".join(needle.pattern for needle in searched))
        return real(searched)

    monkeypatch.setattr(needles, "_one_pass_database", counted)
    settings = DiscoverySettings(workers=1, api=ApiVocabulary(hosts=(("api.example-once.test", "example"),)))
    searched_together.cache_clear()  # (passes compiled by earlier tests would not be compiled again)
    try:
        found = {o.ref.repo_id for o in discover(tmp_path, settings).occurrences}
    finally:
        searched_together.cache_clear()
    assert {f"org/{name}-model" for name in ("py", "env", "yaml", "json", "sh", "docker", "doc", "nb")} <= found
    sets = [b"\n".join(needle.pattern for needle in searched.needles) for searched in _needle_sets(SOURCES, settings)]
    assert len(sets) >= 5 and databases
    assert [sum(patterns in database for database in databases) for patterns in sets] == [1] * len(sets)


def test_without_a_cache_results_found_here_are_not_turned_into_the_caches_form_and_back(tmp_path, monkeypatch):
    # The cache's lists serve the cache file and a helper's pipe; results this process keeps need neither.
    (tmp_path / "app.py").write_text("AutoModel.from_pretrained('org/m')\n")
    (tmp_path / "broken.json").write_text("{")
    (tmp_path / "train.yaml").write_text("base_model: org/y\n")
    converted = []
    for name in ("dump_output", "load_output"):
        real = getattr(runner, name)
        monkeypatch.setattr(runner, name, lambda value, real=real: converted.append(value) or real(value))
    result = discover(tmp_path, DiscoverySettings(workers=1))
    assert {o.ref.repo_id for o in result.occurrences} == {"org/m", "org/y"}
    assert converted == [] and result.files_scanned == 3


# Keys and what stands around them: naming words, key characters (runs longer than the 64 a key may hold on either
# side of its word), quotes, escapes, blanks and colons.
_QUOTED_KEY_TEXT = st.lists(st.sampled_from(
    [b"model", b"Data", b"x", b"_", b"-", b"a" * 30, b"b" * 64, b'"', b"'", b"\\", b":", b" ", b"\t", b"\n", b"="]),
    max_size=30).map(b"".join)


@settings(max_examples=600, derandomize=True, deadline=None, database=None)
@given(text=_QUOTED_KEY_TEXT)
@example(text=b"x '" + b"b" * 64 + b"model" + b"a" * 64 + b"': 'v' '" + b"b" * 65 + b"Data': '")  # the bounds
@example(text=b"run --lock=\"[{\\\"base_model\\\": \\\"org/m\\\"}]\"")  # escaped quotes
def test_quoted_keys_found_from_their_naming_word_are_those_the_whole_pattern_finds(text):
    # The one-pass search finds a quoted key from its first naming word (the whole pattern, from the key's quote
    # with bounded repeats, cost hyperscan 11 ms to compile); each key's quote is then checked with the whole
    # pattern by re. The keys are those the whole pattern finds in one pass.
    whole = NeedleSet([Needle(commands._QUOTED_KEY_OPENING.pattern)], engine="hyperscan")
    from_words = NeedleSet(commands._QUOTED_KEY_STARTS.needles, engine="hyperscan")
    openings = [commands._key_opening(text, word) for _, word, _ in from_words.find(text)]
    assert [at for at in openings if at is not None] == [start for _, start, _ in whole.find(text)]



def test_a_file_that_names_nothing_costs_the_scan_no_output_of_its_own(monkeypatch):
    # Most of a project's files name nothing: their (empty) output is the shared one, not a new record and three
    # tuples per file, and the file is handed to its sources with its readings without a namedtuple _replace.
    made = []
    real_output, real_replace = runner.SourceOutput, ProjectFile._replace
    monkeypatch.setattr(runner, "SourceOutput", lambda *args: made.append(args) or real_output(*args))
    monkeypatch.setattr(ProjectFile, "_replace", lambda self, **kwargs: made.append(kwargs) or real_replace(
        self, **kwargs))
    settings = DiscoverySettings(api=ApiVocabulary(hosts=(("api.example-empty.test", "example"),)))
    for name in ("app.py", "train.yaml", "run.sh", "README.md"):
        output = scan_file(ProjectFile(name, name, b"nothing here\n", pathlib.Path("."), settings))
        assert output == real_output()
    assert made == []
