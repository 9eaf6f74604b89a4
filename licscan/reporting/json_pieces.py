"""Indented JSON written in pieces: what json.dumps(value, indent=N, sort_keys=True) writes, never held whole."""

from __future__ import annotations

from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any, Iterator

from licscan.reporting.json_text import Shared, dumps


def json_pieces(value: Any, *, indent: int, depth: int, ensure_ascii: bool = False,
                shared: frozenset[str] = frozenset()) -> Iterator[str]:
    """dumps(value, indent=indent, ensure_ascii=ensure_ascii) + "\\n" (json.dumps with sort_keys), in pieces.

    Objects and arrays down to `depth` levels are written member by member (an array may be any iterator,
    built as it is written); anything deeper is encoded whole by json_text, one piece. A 2,000-model report is
    some 70 MB of text and, encoded at once, millions of token strings besides; written this way, at most one
    model's (or one finding's) text is held at a time. The dicts of lists named in `shared`, wherever they
    stand, are encoded once (see json_text.Shared).
    """
    kept = Shared(shared) if shared else None
    encode_key = encode_basestring_ascii if ensure_ascii else encode_basestring
    encode = encode_basestring_ascii if ensure_ascii else encode_basestring
    unit = " " * indent

    def walk(item: Any, level: int, depth_left: int, in_shared: bool = False) -> Iterator[str]:
        inner = "\n" + unit * (level + 1)
        if depth_left > 0 and isinstance(item, dict) and item and all(isinstance(key, str) for key in item):
            for index, key in enumerate(sorted(item)):
                yield ("{" if index == 0 else ",") + inner + encode_key(key) + ": "
                yield from walk(item[key], level + 1, depth_left - 1, kept is not None and key in kept.names)
            yield "\n" + unit * level + "}"
        elif depth_left > 0 and isinstance(item, (list, tuple, Iterator)):
            empty = True
            for element in item:
                yield ("[" if empty else ",") + inner
                yield from walk(element, level + 1, depth_left - 1, in_shared and type(item) is list)
                empty = False
            yield "[]" if empty else "\n" + unit * level + "]"
        else:
            # Encoded on its own, then moved in to where it stands: JSON strings hold no raw line breaks, so
            # every line break is the encoder's own.
            if kept is not None and in_shared and type(item) is dict and item:
                text = kept.text(item, unit, encode)
            else:
                text = dumps(item, indent=indent, ensure_ascii=ensure_ascii, shared=kept)
            yield text.replace("\n", "\n" + unit * level)

    yield from walk(value, 0, depth)
    yield "\n"
