"""Indented JSON written in pieces: the text licscan.json_text.dumps writes, never held whole."""

from __future__ import annotations

from itertools import islice
from typing import Any, Iterable, Iterator

from licscan.json_text import dumps_bytes

_BATCH = 32  # elements encoded in one call: at most 32 models' text held at once (about 1 MB at 2,000 models)


def json_pieces(value: Any, *, depth: int) -> Iterator[str]:
    """dumps(value) + "\\n" (2-space indent, keys sorted, non-ASCII as it is), in pieces.

    Objects and arrays down to `depth` levels are written member by member (an array may be any iterator,
    built as it is written); anything deeper is encoded whole, one piece. A 2,000-model report is some 70 MB
    of text: written this way, at most one model's (or one finding's) text is held at a time.
    """

    def walk(item: Any, level: int, depth_left: int) -> Iterator[str]:
        inner = "\n" + "  " * (level + 1)
        if depth_left > 0 and isinstance(item, dict) and item and all(_plain_key(key) for key in item):
            for index, key in enumerate(sorted(item)):
                yield ("{" if index == 0 else ",") + inner + dumps_bytes(key).decode("utf-8") + ": "
                yield from walk(item[key], level + 1, depth_left - 1)
            yield "\n" + "  " * level + "}"
        elif depth_left == 1 and isinstance(item, (list, tuple, Iterator)):
            # Elements encoded whole, a batch at a time (a call per finding was a third of the time): the
            # batch's own array text, "[\n  a,\n  b\n]", without its brackets and moved in to where it stands.
            pad = b"\n" + b"  " * level
            separator = "["
            for batch in _batches(item):
                yield separator + dumps_bytes(batch)[1:-2].replace(b"\n", pad).decode("utf-8")
                separator = ","
            yield "[]" if separator == "[" else "\n" + "  " * level + "]"
        elif depth_left > 0 and isinstance(item, (list, tuple, Iterator)):
            empty = True
            for element in item:
                yield ("[" if empty else ",") + inner
                yield from walk(element, level + 1, depth_left - 1)
                empty = False
            yield "[]" if empty else "\n" + "  " * level + "]"
        else:
            # Encoded on its own, then moved in to where it stands: JSON strings hold no raw line breaks, so
            # every line break is the encoder's own.
            text = dumps_bytes(item)
            if level:
                text = text.replace(b"\n", b"\n" + b"  " * level)
            yield text.decode("utf-8")

    yield from walk(value, 0, depth)
    yield "\n"


def _batches(items: Iterable[Any]) -> Iterator[list[Any]]:
    """items in lists of at most _BATCH."""
    iterator = iter(items)
    while batch := list(islice(iterator, _BATCH)):
        yield batch


def _plain_key(key: Any) -> bool:
    """A key written here in the order the whole-document writer gives it: text UTF-8 can carry (the
    writer's stand-in for a lone surrogate, or a number made text, could sort elsewhere)."""
    return type(key) is str and (key.isascii() or not _has_surrogate(key))


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
