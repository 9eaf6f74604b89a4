"""Indented, key-sorted JSON text for reports and listings, written (and read back) by orjson, the one module that
imports it."""

from __future__ import annotations

import json
from typing import Any

import orjson

# The text is what json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) writes (non-ASCII as UTF-8,
# the same escapes, the same key order), at C speed and without a generator per container. Where the two
# differ, orjson's choice is kept, because it is valid JSON: NaN and infinities are written as null (json
# writes NaN, which no JSON parser accepts), and floats below 1e-4 keep a bare exponent (1e-7, not 1e-07: the
# same number when read). Dataclasses and datetimes are refused as json refuses them: a report is built from
# plain values, and anything else is a defect to see, not to write.
_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
_REFUSED = (orjson.JSONEncodeError, TypeError)  # JSONEncodeError is a TypeError; named for the reader
# Each surrogate code point, paired or not, as U+FFFD: what licscan.untrusted does where outside text enters.
_SURROGATES = dict.fromkeys(range(0xD800, 0xE000), 0xFFFD)


def dumps(value: Any) -> str:
    """`value` as indented JSON text (2 spaces, keys sorted, non-ASCII as it is), always valid JSON that
    writes as UTF-8: a lone surrogate (from a hostile card or file name) becomes U+FFFD, NaN and infinities
    null, an integer beyond 64 bits is written in full, a number or boolean key as the text json gives it.
    TypeError for a value JSON has no form for (a set, an object), as json.dumps raises."""
    return dumps_bytes(value).decode("utf-8")


def loads(data: bytes | str) -> Any:
    """JSON text as plain values, read by orjson: about a third faster than json.loads. Stricter where the two
    differ (NaN and infinities, an integer beyond 64 bits, nesting past 1,024 levels are refused with a
    ValueError), which a reader of licscan's own stored JSON takes as a damaged row."""
    return orjson.loads(data)


def dumps_bytes(value: Any) -> bytes:
    """dumps(value) encoded as UTF-8."""
    try:
        return orjson.dumps(value, option=_OPTIONS)
    except _REFUSED:
        return _awkward(value)


# What packed() wrote with json rather than orjson starts with this byte, which no JSON text starts with, so
# unpacked() reads it back with json: orjson reads an integer beyond 64 bits as a float, json as the integer.
_BY_JSON = b"j"


def packed(value: Any) -> bytes:
    """value as compact JSON for another licscan process (a helper's pipe), which unpacked() reads back as the
    same value (tuples as lists); never a raw newline. orjson, ~10x json's speed; json.dumps for what orjson
    refuses (a lone surrogate from an undecodable file name, an integer beyond 64 bits), marked so that json
    reads it back unchanged. Floats are written as orjson writes them (NaN as null): pass none that matter."""
    try:
        return orjson.dumps(value)
    except _REFUSED:
        return _BY_JSON + json.dumps(value, separators=(",", ":")).encode("ascii")


def unpacked(data: bytes) -> Any:
    """The value packed() wrote."""
    if data[:1] == _BY_JSON:
        return json.loads(data[1:])
    return orjson.loads(data)


def _awkward(value: Any) -> bytes:
    """The rare value orjson refuses, made writable (see _writable) and written by orjson after all."""
    return orjson.dumps(_writable(value, 0), option=_OPTIONS)


# orjson writes integers from -2**63 to 2**64 - 1 and nests 254 levels deep.
_SMALLEST, _LARGEST = -(2**63), 2**64 - 1
_LEVELS = 200


def _writable(value: Any, level: int) -> Any:
    """A copy of value (standing `level` containers deep) that orjson takes: valid Unicode in every string
    and key, keys as json converts them, and what orjson cannot write itself as text written here (an integer
    beyond 64 bits in full; a part nested deeper than orjson goes, written on its own and indented to where it
    stands). NaN and infinities stay: orjson writes them as null. TypeError for what json.dumps refuses too."""
    if isinstance(value, str):
        return _valid_unicode(value)
    if value is None or isinstance(value, float):
        return value
    if isinstance(value, int):  # bool is an int
        return value if _SMALLEST <= value <= _LARGEST else orjson.Fragment(int.__repr__(value))
    if isinstance(value, (list, tuple, dict)) and level == _LEVELS:
        text = orjson.dumps(_writable(value, 0), option=_OPTIONS)
        return orjson.Fragment(text.replace(b"\n", b"\n" + b"  " * level))
    # Loops rather than comprehensions: one Python frame per level of nesting, not two.
    if isinstance(value, (list, tuple)):
        items = []
        for item in value:
            items.append(_writable(item, level + 1))
        return items
    if isinstance(value, dict):
        members = {}
        for key, item in value.items():
            members[_key(key)] = _writable(item, level + 1)
        return members
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _key(key: Any) -> str:
    """A key as json.dumps writes it: text as it is, numbers, booleans and None as their JSON text."""
    if isinstance(key, str):
        return _valid_unicode(key)
    if key is None or isinstance(key, (int, float)):  # bool is an int: true, false, null, 1, 2.5, NaN
        return json.dumps(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _valid_unicode(text: str) -> str:
    """text with each surrogate (which UTF-8 cannot carry) replaced by U+FFFD; a str subclass (an enum)
    becomes its plain value."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.translate(_SURROGATES)
    return text if type(text) is str else str.__str__(text)  # str(member) would be "Kind.NAME"
