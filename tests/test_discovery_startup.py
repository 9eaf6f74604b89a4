"""Cold discovery's cheaper plumbing reads what the plain path reads, and keeps its limits."""

from __future__ import annotations

import pytest

from licscan import safeyaml
from licscan.errors import ParseError

_MIXED = (
    "base_model: org/name\n"
    "steps: 1\n"
    "flag: yes\n"
    "when: 2024-01-01\n"
    "datasets:\n"
    "  - path: org/data\n"
    "    weight: 0.5\n"
    "anchor: &a {model: org/shared}\n"
    "again: *a\n"
    "---\n"
    "second: [x, y]\n"
)


def _shape(node):
    """A node tree as plain data: kind, text and 1-based line of every node."""
    if node is None:
        return None
    if node.id == "scalar":
        return ("scalar", node.value, node.start_mark.line + 1)
    if node.id == "sequence":
        return ("sequence", [_shape(item) for item in node.value], node.start_mark.line + 1)
    return ("mapping", [(_shape(key), _shape(value)) for key, value in node.value], node.start_mark.line + 1)


def test_untagged_compose_reads_the_same_shapes_values_and_lines():
    tagged = [_shape(node) for node in safeyaml.compose_all(_MIXED)]
    untagged = [_shape(node) for node in safeyaml.compose_all(_MIXED, tags=False)]
    assert untagged == tagged
    # A number, a boolean and a date stay the text the file wrote.
    top = dict((key.value, value) for key, value in safeyaml.compose_all(_MIXED, tags=False)[0].value)
    assert (top["steps"].value, top["flag"].value, top["when"].value) == ("1", "yes", "2024-01-01")


def test_untagged_compose_still_refuses_alias_bombs_and_bad_yaml():
    lines = ["l0: &l0 [lol, lol]"]
    for level in range(1, 10):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 9)}]")
    with pytest.raises(ParseError, match="alias bomb"):
        safeyaml.compose_all("\n".join(lines), what="bomb.yaml", tags=False)
    with pytest.raises(ParseError, match="bad.yaml is not valid YAML at line"):
        safeyaml.compose_all("a: [1,\nb: {", what="bad.yaml", tags=False)
    with pytest.raises(ParseError, match="larger than"):
        safeyaml.compose_all("a: b\n" * (safeyaml.MAX_YAML_BYTES // 5 + 1), what="big.yaml", tags=False)
