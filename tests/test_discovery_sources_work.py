"""The hosted-API, config and command readings skip only work that cannot change their answer: each shortcut is
held to the plain reading it stands for (work counted, never timed)."""

from __future__ import annotations

import re
import sys

from hypothesis import example, given, settings
from hypothesis import strategies as st

from counted_reads import CountedReads

from licscan.discovery import hosted_apis


def _vocabulary():
    from licscan.config import data_dir
    from licscan.providers import load_vocabulary

    return load_vocabulary([data_dir("rules")])


def test_only_the_listed_characters_beyond_ascii_fold_to_an_ascii_letter():
    """The fast reading of a text beyond ASCII relies on this: re's IGNORECASE matches an ASCII letter to no other
    character than those of _FOLDED_TO_ASCII, and str.lower() keeps every other character one character long and
    beyond ASCII."""
    letter = re.compile("[a-z]", re.IGNORECASE)
    folded, lengthened, lowered_to_ascii = set(), set(), set()
    for code in range(128, sys.maxunicode + 1):
        char = chr(code)
        if letter.fullmatch(char):
            folded.add(char)
        lowered = char.lower()
        if len(lowered) != 1:
            lengthened.add(char)
        elif lowered.isascii():
            lowered_to_ascii.add(char)
    assert folded | lengthened | lowered_to_ascii <= set(hosted_apis._FOLDED_TO_ASCII)
    assert folded == set(hosted_apis._FOLDED_TO_ASCII)


def test_a_provider_client_module_beyond_ascii_is_read_only_around_its_words(monkeypatch):
    """A module that imports a provider's SDK and holds text beyond ASCII (a Chinese prompt template) is read for
    model literals where `model=`, a client call's name and the like stand, as an ASCII one is; a version pin is
    looked for in full only where a pin stands. What it finds is unchanged."""
    vocabulary = _vocabulary()
    candidates = CountedReads(hosted_apis._PY_CANDIDATE)
    versioned = CountedReads(hosted_apis._VERSIONED)
    monkeypatch.setattr(hosted_apis, "_PY_CANDIDATE", candidates)
    monkeypatch.setattr(hosted_apis, "_VERSIONED", versioned)
    text = "from openai import OpenAI\n" + "".join(f"PROMPT_{i} = '请用中文回答第{i}个问题'\n" for i in range(1000))
    assert hosted_apis._worth_parsing(text + 'OpenAI().chat.completions.create(model="gpt-4o")\n', vocabulary)
    assert not hosted_apis._worth_parsing(text, vocabulary)
    assert candidates.read < 1000 < len(text)
    assert versioned.read == 0


_PIECES = ["model", "MODEL", "Model_name", "engine", "chat(", "generate(", "pull(", "embed_x(", "show(", "create(",
           "push(", "=", ":", " ", "'", '"', "gpt-4o", "a/b", "x", "_", "\n", "[", "]", ",", "\t", "mychat(", "9",
           "é", "中", "ß", "\u0130", "\u0131", "\u017f", "\u212a", "MOD\u0130L", "pu\u017fh(", "\u212a", "ﬁ", "Σ"]


@settings(max_examples=1500, derandomize=True, deadline=None, database=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=25).map("".join))
@example("ſhow('gpt-4o')")
@example("MODEL = 'x' é")
def test_the_model_literals_found_around_their_words_are_those_re_finds_reading_every_character(text):
    expected = [(match.span(), match.groups()) for match in hosted_apis._PY_CANDIDATE.finditer(text)]
    assert [(match.span(), match.groups()) for match in hosted_apis._py_candidates(text, text.lower())] == expected


_PIN = "0123456789abcdef" * 4
_VERSION_PIECES = ["owner/name", "a/b", ":", _PIN, _PIN[:63], "f", "-", ".", "/", "@", " ", "\n", "x", "A", "é"]


@settings(max_examples=800, derandomize=True, deadline=None, database=None)
@given(st.lists(st.sampled_from(_VERSION_PIECES), max_size=12).map("".join))
@example(f"replicate.run('owner/name:{_PIN}')")
def test_the_pinned_names_found_where_a_pin_stands_are_those_re_finds_reading_every_character(text):
    expected = [(match.span(), match.groups()) for match in hosted_apis._VERSIONED.finditer(text)]
    assert [(match.span(), match.groups()) for match in hosted_apis._versioned(text)] == expected


_OLLAMA_PIECES = ["ollama", "xollama", "ollama_", " ", "\t", "pull", "run", "create", "$", "${", "MODEL", "}", "'", '"',
                  "qwen2.5:7b", "\n", "-f", "# ", "é"]


@settings(max_examples=1500, derandomize=True, deadline=None, database=None)
@given(st.lists(st.sampled_from(_OLLAMA_PIECES), max_size=20).map("".join))
@example("ollama pull ollama run llama3")
@example("xollama pull a ollama create me -f Modelfile")
def test_the_ollama_commands_found_where_the_word_stands_are_those_re_finds_reading_every_character(text):
    from licscan.discovery.commands import matches_at

    mentions = hosted_apis._occurrences("ollama", text)
    for pattern in (hosted_apis._OLLAMA_COMMAND, hosted_apis._OLLAMA_CREATE, hosted_apis._OLLAMA_VARIABLE):
        expected = [(match.span(), match.groups()) for match in pattern.finditer(text)]
        assert [(match.span(), match.groups()) for match in matches_at(pattern, text, mentions)] == expected


def _hosts_searched_one_by_one(data: bytes) -> list[tuple[int, int]]:
    from licscan.discovery.common import HUB_HOSTS

    hosts = []
    for host in HUB_HOSTS:
        position = data.find(host)
        while position >= 0:
            hosts.append((position, position + len(host)))
            position = data.find(host, position + len(host))
    return hosts


_URL_PIECES = [b"huggingface.co/", b"HuggingFace.co/", b"Huggingface.co/", b"hf.co/", b".co/", b"https://", b"www.",
               b"h", b"f", b"org/name", b"datasets/", b"spaces/", b"cdn-lfs.", b" ", b"\n", b"/", b".git", b"-"]


@settings(max_examples=1500, derandomize=True, deadline=None, database=None)
@given(st.lists(st.sampled_from(_URL_PIECES), max_size=16).map(b"".join))
@example(b"hf.co/hf.co/org/name huggingface.co/org/b")
def test_the_hub_urls_found_from_one_search_are_those_found_host_by_host(data):
    from licscan.discovery.common import hub_urls

    assert list(hub_urls(data)) == list(hub_urls(data, _hosts_searched_one_by_one(data)))
