"""Indented, key-sorted JSON text, byte for byte what `json.dumps(value, indent=..., sort_keys=True)` writes."""

from __future__ import annotations

from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any, Callable

# The standard library writes indented JSON with its pure-Python encoder (its C encoder has no indent), one
# generator per container: the JSON report of a 2,000-model scan is millions of values and took seconds to
# write. This writer appends to one list and encodes each string with the C string encoder; it handles the
# values reports are built from (dict with str keys, list, tuple, str, int, float, bool, None) and hands
# anything else to json.dumps, so the text never differs from it.


def dumps(value: Any, *, indent: int = 2, ensure_ascii: bool = False) -> str:
    """`json.dumps(value, indent=indent, sort_keys=True, ensure_ascii=ensure_ascii)`, faster."""
    encode = encode_basestring_ascii if ensure_ascii else encode_basestring
    out: list[str] = []
    try:
        _write(value, out, "\n", " " * indent, encode)
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


def _write(value: Any, out: list[str], newline: str, step: str, encode: Callable[[str], str]) -> None:
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
                _write(item, out, inner, step, encode)
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
            else:
                out.append(separator + encode(key) + ": ")
                _write(item, out, inner, step, encode)
            separator = "," + inner
        out.append(newline + "}")
    else:
        raise _Unusual
