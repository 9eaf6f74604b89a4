"""Indented, key-sorted JSON text, byte for byte what `json.dumps(value, indent=..., sort_keys=True)` writes."""

from __future__ import annotations

from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any, Callable

# The standard library writes indented JSON with its pure-Python encoder (its C encoder has no indent), one
# generator per container: the JSON report of a 2,000-model scan is millions of values and took seconds to
# write. This writer appends to one list and encodes each string with the C string encoder; it handles the
# values reports are built from (dict with str keys, list, tuple, str, int, float, bool, None) and hands
# anything else to json.dumps, so the text never differs from it.


class Shared:
    """The text of dicts a document holds more than once, kept by identity for one document: the dicts in
    the lists named `names` (the JSON report's lineage nodes and findings, which many models share). Each is
    encoded once, at the outermost level, and moved in to where it stands (JSON strings hold no raw line
    breaks, so every line break is the encoder's own). A kept text holds its dict, so no id is reused."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names
        self.texts: dict[int, tuple[Any, str]] = {}

    def text(self, value: Any, step: str, encode: Callable[[str], str]) -> str:
        held = self.texts.get(id(value))
        if held is None or held[0] is not value:
            out: list[str] = []
            _write(value, out, "\n", step, encode)
            held = self.texts[id(value)] = (value, "".join(out))
        return held[1]


def dumps(value: Any, *, indent: int = 2, ensure_ascii: bool = False, shared: Shared | None = None) -> str:
    """`json.dumps(value, indent=indent, sort_keys=True, ensure_ascii=ensure_ascii)`, faster. With `shared`,
    the dicts of the lists it names are encoded once across calls (see Shared)."""
    encode = encode_basestring_ascii if ensure_ascii else encode_basestring
    out: list[str] = []
    try:
        _write(value, out, "\n", " " * indent, encode, shared)
    except _Unusual:
        import json

        return json.dumps(value, indent=indent, sort_keys=True, ensure_ascii=ensure_ascii)
    return "".join(out)


class _Unusual(Exception):
    """A value the fast writer leaves to json.dumps (a non-string key, a type json would reject or convert)."""


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == -float("inf"):
        return "-Infinity"
    return float.__repr__(value)


def _write(value: Any, out: list[str], newline: str, step: str, encode: Callable[[str], str],
           shared: Shared | None = None) -> None:
    # The same order of checks as json's encoder: a str or int subclass (an enum) is written as its value.
    if isinstance(value, str):
        out.append(encode(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(_float(value))
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        inner = newline + step
        separator = "[" + inner
        for item in value:
            if type(item) is str:  # most values are strings: written here, not in a call of their own
                out.append(separator + encode(item))
            else:
                out.append(separator)
                _write(item, out, inner, step, encode, shared)
            separator = "," + inner
        out.append(newline + "]")
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = newline + step
        separator = "{" + inner
        try:
            keys = sorted(value)
        except TypeError:
            raise _Unusual from None
        for key in keys:
            if type(key) is not str:
                raise _Unusual
            item = value[key]
            if type(item) is str:
                out.append(separator + encode(key) + ": " + encode(item))
            elif item is None:
                out.append(separator + encode(key) + ": null")
            elif shared is not None and key in shared.names and type(item) is list and item:
                out.append(separator + encode(key) + ": ")
                _write_shared(item, out, inner, step, encode, shared)
            else:
                out.append(separator + encode(key) + ": ")
                _write(item, out, inner, step, encode, shared)
            separator = "," + inner
        out.append(newline + "}")
    else:
        raise _Unusual


def _write_shared(items: list[Any], out: list[str], newline: str, step: str, encode: Callable[[str], str],
                  shared: Shared) -> None:
    """A list of Shared.names: each dict's kept text, moved in; anything else written as usual."""
    inner = newline + step
    separator = "[" + inner
    for item in items:
        out.append(separator)
        if type(item) is dict and item:
            out.append(shared.text(item, step, encode).replace("\n", inner))
        else:
            _write(item, out, inner, step, encode, shared)
        separator = "," + inner
    out.append(newline + "]")
