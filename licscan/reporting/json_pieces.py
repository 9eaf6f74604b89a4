"""Indented JSON written in pieces: what json.dumps(value, indent=N, sort_keys=True) writes, never held whole."""

from __future__ import annotations

import json
from typing import Any, Iterator


def json_pieces(value: Any, *, indent: int, depth: int, ensure_ascii: bool = True) -> Iterator[str]:
    """json.dumps(value, indent=indent, sort_keys=True, ensure_ascii=ensure_ascii) + "\\n", in pieces.

    Objects and arrays down to `depth` levels are written member by member (an array may be any iterator,
    built as it is written); anything deeper is encoded whole, one piece. A 2,000-model report is some 70 MB
    of text and, inside json.dumps, millions of token strings at once; written this way, at most one model's
    (or one finding's) text is held at a time.
    """
    encoder = json.JSONEncoder(indent=indent, sort_keys=True, ensure_ascii=ensure_ascii)
    unit = " " * indent

    def walk(item: Any, level: int, depth_left: int) -> Iterator[str]:
        inner = "\n" + unit * (level + 1)
        if depth_left > 0 and isinstance(item, dict) and item and all(isinstance(key, str) for key in item):
            for index, key in enumerate(sorted(item)):
                yield ("{" if index == 0 else ",") + inner + encoder.encode(key) + ": "
                yield from walk(item[key], level + 1, depth_left - 1)
            yield "\n" + unit * level + "}"
        elif depth_left > 0 and isinstance(item, (list, tuple, Iterator)):
            empty = True
            for element in item:
                yield ("[" if empty else ",") + inner
                yield from walk(element, level + 1, depth_left - 1)
                empty = False
            yield "[]" if empty else "\n" + unit * level + "]"
        else:
            # Encoded on its own, then moved in to where it stands: JSON strings hold no raw line breaks, so
            # every line break is the encoder's own.
            yield encoder.encode(item).replace("\n", "\n" + unit * level)

    yield from walk(value, 0, depth)
    yield "\n"
