"""Strings from a scanned project (file names, matched source text) made safe to store in reports and print."""

from __future__ import annotations

import re

from licscan import lazy_re

# C0 and C1 controls (escape sequences, carriage return, backspace, newline ...) and the bidirectional
# overrides and isolates that reorder how a line reads ("Trojan Source"): shown as escapes, never obeyed.
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shown_path(path: str) -> str:
    """A file-system path as reports hold it. Bytes that are not UTF-8, which the os module keeps as lone
    surrogates that no UTF-8 writer accepts, are written as \\xNN; every other path is returned as it is."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return path


def visible(text: str) -> str:
    """`text` for a plain-text terminal line: every control or direction character as a visible escape
    (\\n, \\x1b, \\u202e), so that nothing in a scanned file can move the cursor, recolour, or fake a row."""
    if _HIDDEN.search(text) is None:
        return text
    return _HIDDEN.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    if character in _NAMED:
        return _NAMED[character]
    code = ord(character)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


_SURROGATE = lazy_re.compile("[\ud800-\udfff]")


def valid_text(value: object) -> object:
    """JSON-like data from outside (an API answer, a mirror's info.json) with every string valid Unicode.

    JSON's "\\ud800" escape makes a lone surrogate, which no UTF-8 writer (SQLite, a report, a terminal)
    accepts: each becomes U+FFFD where the data enters, in keys and values at any depth.
    """
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {valid_text(key): valid_text(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [valid_text(item) for item in value]
    return value
