"""Literals far into long Python lines: named as on short lines, with work that grows with the line, not its square."""

from __future__ import annotations

import random

import pytest

from licscan.discovery import python_source
from licscan.discovery.python_source import analyze

IMPORT = b"from transformers import AutoModel\n"


class CountedPattern:
    """A compiled pattern that adds up the length of text each search is given (a count, not a time)."""

    def __init__(self, pattern, counter: list[int]) -> None:
        self.pattern, self.counter = pattern, counter

    def search(self, string, pos=0, endpos=None):
        self.counter[0] += (len(string) if endpos is None else min(endpos, len(string))) - pos
        return self.pattern.search(string, pos, len(string) if endpos is None else endpos)


def bytes_read_naming(monkeypatch, data: bytes) -> tuple[int, list]:
    """The bytes the naming readings look at while `data` is analysed, and the occurrences found."""
    counter = [0]
    kind_named = python_source._kind_named

    def counted_kind_named(searched: bytes):
        counter[0] += len(searched)
        return kind_named(searched)

    with monkeypatch.context() as patch:
        patch.setattr(python_source, "_kind_named", counted_kind_named)
        for name in ("_NOT_A_USE", "_CONSTRUCTED", "_SPACE_REPO"):
            patch.setattr(python_source, name, CountedPattern(getattr(python_source, name), counter))
        occurrences, _ = analyze(data, "a.py")
    return counter[0], occurrences


HOSTILE_LINES = {
    # bench_hostile.py's two cases (526bedc's successors took 170 s and 133 s at n = 10,000), with distinct ids
    "calls": lambda n: IMPORT + b"x = [" + b"".join(b'AutoModel.from_pretrained("org/m%d"), ' % i
                                                    for i in range(n)) + b"]\n",
    "model keywords": lambda n: b"x = dict(" + b"".join(b'model_name_or_path="org/m%d", ' % i
                                                        for i in range(n)) + b")\n",
}


@pytest.mark.parametrize("case", sorted(HOSTILE_LINES))
def test_thousands_of_named_literals_on_one_line_are_read_in_linear_work(monkeypatch, case):
    build = HOSTILE_LINES[case]
    small, found_small = bytes_read_naming(monkeypatch, build(500))
    large, found_large = bytes_read_naming(monkeypatch, build(2000))
    # Every id on the line is found at both sizes ...
    assert {o.ref.repo_id for o in found_small} == {f"org/m{i}" for i in range(500)}
    assert {o.ref.repo_id for o in found_large} == {f"org/m{i}" for i in range(2000)}
    # ... and 4 times the line costs about 4 times the reading (the square would be 16); none at all for ids the
    # calls' reading reported already.
    assert large <= 5 * small, (small, large)


def random_long_line(rng: random.Random) -> bytes:
    """One long line of calls, keywords, comparisons and ids, with naming and not-a-use words at any distance."""
    parts = [rng.choice([b"x = dict(", b"run(", b"ITEMS = [", b"Wrapper("])]
    pieces = [b'"org/a%d", ', b"pad=1, ", b"z" * 700 + b", ", b"model_name=", b"dataset=", b'load("org/b%d"), ',
              b'"org/c%d" == model_id, ', b"Engine(", b"), ", b"helper(cfg, ", b"f(embed=", b" " * 900, b"(",
              b"a.b.c, ", b'["org/d%d", "org/e%d"], ', b"save_it(1), ", b'repo_type="space", ']
    weights = [10] * (len(pieces) - 2) + [1, 1]  # (a word of no use, or a Space, ends the line's finds)
    for index in range(rng.randint(20, 120)):
        piece = rng.choices(pieces, weights)[0]
        parts.append(piece % ((index,) * piece.count(b"%d")) if b"%d" in piece else piece)
    return b"".join(parts) + b")\n"


def test_the_long_line_reading_names_what_reading_the_whole_prefix_names(monkeypatch):
    """The fast path (each literal's own window and the line read once before it) against the whole prefix
    read for each literal, over random long lines: the same occurrences, kinds and places."""
    rng = random.Random(15)
    helpers = b"def helper(config, embed_model):\n    pass\n\n"
    for _ in range(40):
        data = helpers + b"".join(random_long_line(rng) for _ in range(3))
        fast, _ = analyze(data, "a.py")
        with monkeypatch.context() as patch:
            patch.setattr(python_source, "_LONG_PREFIX", 1 << 40)
            whole, _ = analyze(data, "a.py")
        assert fast == whole
