"""Discovery's fast paths give what the plain way gives: the same matches, lines and occurrences, only cheaper."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from licscan.discovery.common import _key_pattern, key_match
from licscan.discovery.config_files import ConfigFileSource
from licscan.discovery.interface import ProjectFile

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
