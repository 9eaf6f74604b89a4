"""The one-pass byte search (hyperscan) and its re fallback find the same things, so results never depend on
whether hyperscan is installed, and the Python survey built on them is the same either way."""

from __future__ import annotations

import random
import re
import sys
import sysconfig
from pathlib import Path

import pytest

from licscan.discovery import commands, needles, python_source
from licscan.discovery.needles import Needle, NeedleSet

pytest.importorskip("hyperscan", reason="hyperscan is a dependency on this platform (pyproject.toml)")

# Pieces the survey's needles are made of, and near misses, glued at random: overlaps, adjacency, prefixes.
PIECES = [
    b"from_pretrained", b"from_single_file", b"from_", b"load_dataset", b"load_adapter", b"load_ip_adapter",
    b"load_lora_weights", b"snapshot_download", b"hf_hub_download", b"hf_hub_url", b"hf_hub:", b"hf-hub:",
    b"hf.co/", b"huggingface.co/", b"HuggingFace.co/", b"huggingface_hub", b"pipeline", b"pipeline(",
    b"pipeline \t(", b"model_name_or_path", b"pretrained_model_name_or_path", b"sentence_transformers",
    b"SentenceTransformer", b"CrossEncoder", b"vllm", b"LLM", b"LLLM", b"EngineArgs", b"mlx_lm", b"mlx_vlm",
    b"InferenceClient", b"create_model", b"get_tokenizer", b" ", b"\n", b"(", b"=", b"==", b".", b'"', b"_", b"x",
    b"download", b"clone", b"MODEL", b"-hf", b"--model", b"ENV", b"ARG", b"serve", b"REPO_ID", b"TOKENIZER",
    "\u00e9".encode(), b"\x00", b"\xff",
]


def _random_texts(count: int, seed: int = 20261122) -> list[bytes]:
    chooser = random.Random(seed)
    return [b"".join(chooser.choice(PIECES) for _ in range(chooser.randint(0, 60))) for _ in range(count)]


def _python_files(limit: int) -> list[bytes]:
    """Real Python: licscan's own modules and the standard library's, read as bytes."""
    roots = [Path(python_source.__file__).resolve().parent.parent, Path(sysconfig.get_paths()["stdlib"])]
    found: list[bytes] = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if "site-packages" in path.parts:
                continue
            found.append(path.read_bytes())
            if len(found) >= limit:
                return found
    return found


def test_both_engines_find_the_same_matches_in_random_and_real_text():
    needle_list = [
        Needle(rb"from_(?:pretrained|single_file)"),
        Needle(rb"pipeline[ \t]*\("),
        Needle(rb"vllm", first_only=True),
        Needle(rb"LLM|EngineArgs", needs=2),
        Needle(rb"hf\.co/", first_only=True),
    ]
    by_re = NeedleSet(needle_list, engine="re")
    by_hyperscan = NeedleSet(needle_list, engine="hyperscan")
    assert (by_re.engine, by_hyperscan.engine) == ("re", "hyperscan")
    texts = _random_texts(3000) + _python_files(300)
    differences = [text[:80] for text in texts if by_re.find(text) != by_hyperscan.find(text)]
    assert not differences, differences[:3]
    # The cases the rules are about: a needle that needs another, and every match of the others.
    sample = b"x = vllm.LLM('a/b'); LLM('c/d') ; from_pretrained from_single_file hf.co/ hf.co/"
    llm, second_llm = sample.index(b"LLM"), sample.rindex(b"LLM")
    pretrained, single = sample.index(b"from_pretrained"), sample.index(b"from_single_file")
    calls = [(0, pretrained, pretrained + 15), (0, single, single + 16)]
    assert by_hyperscan.find(sample) == [(2, 0, 0), (4, 0, 0), (3, llm, llm + 3), (3, second_llm, second_llm + 3), *calls]
    assert by_hyperscan.find(sample.replace(b"vllm", b"VLLM")) == [(4, 0, 0), *calls]


# What the commands' key needles turn on: naming words, key characters, long runs of them, quotes, separators.
KEY_PIECES = [b"model", b"Model", b"data", b"DATA", b"tokenizer", b"x", b"_", b".", b"-", b"a" * 70, b"b" * 30, b'"',
              b"'", b"\\", b":", b" ", b"\t", b"=", b"?", b"+", b"\n", b"$", b"/", b"0"]


@pytest.mark.parametrize("needle_list", [python_source._NEEDLES.needles, commands._PRESENCE.needles,
                                         commands._ASSIGNMENT_STARTS.needles, commands._QUOTED_KEY_STARTS.needles],
                         ids=["python-survey", "command-words", "command-assignments", "command-quoted-keys"])
def test_the_sources_needles_are_found_alike_by_both_engines(needle_list):
    by_re, by_hyperscan = NeedleSet(needle_list, engine="re"), NeedleSet(needle_list, engine="hyperscan")
    chooser = random.Random(12)
    texts = _random_texts(2000, seed=11) + _python_files(200) + [
        b"".join(chooser.choice(KEY_PIECES) for _ in range(chooser.randint(0, 40))) for _ in range(5000)]
    assert [by_re.find(text) for text in texts] == [by_hyperscan.find(text) for text in texts]


def test_python_survey_is_the_same_with_either_engine(monkeypatch):
    texts = _random_texts(2000, seed=7) + _python_files(400)
    texts.append(b"import vllm\nfrom sentence_transformers import CrossEncoder\nm = CrossEncoder('a/b')\n"
                 b"LLM(model='c/d')\nx = timm.create_model('hf-hub:e/f')\nhf_hub_download(repo_id='g/h')\n")
    surveys = {}
    for engine in ("re", "hyperscan"):
        monkeypatch.setattr(python_source, "_NEEDLES", NeedleSet(python_source._NEEDLES.needles, engine=engine))
        surveys[engine] = [
            (survey.hits, vars(survey.facts), survey.url_hosts) for survey in map(python_source._survey, texts)
        ]
    assert surveys["re"] == surveys["hyperscan"]
    hits, facts, urls = surveys["hyperscan"][-1]
    assert len(hits) == 4 and facts["vllm"] and facts["sentence_transformers"] and facts["hub_prefix"]


def test_automatic_engine_starts_with_re_and_switches_after_enough_data(monkeypatch):
    monkeypatch.setattr(needles, "ONE_PASS_AFTER_BYTES", 100)
    needle_set = NeedleSet([Needle(rb"from_pretrained")])
    text = b"AutoModel.from_pretrained('org/name')\n" * 2
    first = needle_set.find(text)
    assert needle_set.engine == "re"  # a pre-commit check of a few files never loads hyperscan
    second = needle_set.find(text * 2)
    assert needle_set.engine == "hyperscan"
    assert first == [(0, 10, 25), (0, 48, 63)] and second[:2] == first and len(second) == 4


def test_without_hyperscan_the_re_engine_gives_the_answer(monkeypatch):
    monkeypatch.setitem(sys.modules, "hyperscan", None)  # as if not installed: import raises ImportError
    monkeypatch.setattr(needles, "ONE_PASS_AFTER_BYTES", 0)
    needle_set = NeedleSet([Needle(rb"hf_hub_download"), Needle(rb"hf\.co/", first_only=True)])
    assert needle_set.find(b"hf_hub_download(repo_id='a/b') # https://hf.co/a/b") == [(1, 0, 0), (0, 0, 15)]
    assert needle_set.engine == "re"
    with pytest.raises(ImportError):
        NeedleSet([Needle(rb"x")], engine="hyperscan")


def test_a_needle_may_only_need_an_earlier_first_only_needle():
    with pytest.raises(ValueError):
        NeedleSet([Needle(rb"a"), Needle(rb"b", needs=0)])
    with pytest.raises(ValueError):
        NeedleSet([Needle(rb"a", needs=1), Needle(rb"b", first_only=True)])


def test_a_failing_one_pass_scan_falls_back_to_re_with_the_same_answer():
    needle_set = NeedleSet([Needle(rb"from_pretrained"), Needle(rb"vllm", first_only=True)], engine="hyperscan")
    text = b"import vllm\nAutoModel.from_pretrained('org/name')\n"
    expected = needle_set.find(text)

    class Broken:
        def scan(self, *args, **kwargs):
            raise RuntimeError("scratch in use")

    needle_set._database = Broken()
    assert needle_set.find(text) == expected
    assert needle_set.engine == "re"


def test_plain_words_are_searched_without_compiling_a_regex(monkeypatch):
    # A set of a few hundred words cost more to compile for re than re's passes over it before the one-pass
    # engine took over: a plain word (as re.escape writes it) is searched with bytes.find, with re's matches.
    needle_list = [Needle(re.escape(b"from_pretrained(")), Needle(re.escape(b"hf.co/")), Needle(b"model"),
                   Needle(b"vllm", first_only=True), Needle(rb"LLM|Engine", needs=3), Needle(rb"a[.x]b")]
    compiled = []
    real_compile = re.compile
    monkeypatch.setattr(needles.re, "compile", lambda pattern, *args: compiled.append(pattern) or real_compile(
        pattern, *args))
    by_re = NeedleSet(needle_list, engine="re")
    text = b"model hf.co/x from_pretrained( modelmodel vllm LLM a.b axb Engine"
    found = by_re.find(text)
    monkeypatch.undo()
    assert found == NeedleSet(needle_list, engine="hyperscan").find(text)
    assert [number for number, _, _ in found].count(2) == 3
    assert compiled == [rb"LLM|Engine", rb"a[.x]b"]
