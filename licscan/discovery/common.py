"""Helpers the discovery sources share: local-path tests, text decoding, line lookup, URL fallback."""

from __future__ import annotations

import json
import pathlib
import re
from typing import Any

from licscan.cards import HUB_SECTIONS, normalize_repo_id
from licscan.errors import ParseError
from licscan.model import Location, ModelRef, Occurrence

MAX_TEXT = 120

_HUB_URL = re.compile(
    rb"(?<![A-Za-z0-9.-])(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co)/(?:models/)?"
    rb"([A-Za-z0-9][A-Za-z0-9._-]*)/([A-Za-z0-9][A-Za-z0-9._-]*)",
    re.I,
)
_LOCAL_PREFIXES = ("./", "../", "/", "~", ".\\", "..\\", "\\")


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """One line of at most `limit` characters, for Occurrence.text."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "\u2026"


def looks_local(value: str, file_dir: pathlib.Path, root: pathlib.Path) -> bool:
    """Whether a model argument names a folder on disk rather than a Hub repo.

    transformers prefers an existing directory over the Hub id of the same name, so an
    "org/name" that exists next to the file or under the root is local too.
    """
    text = value.strip()
    if text.startswith(_LOCAL_PREFIXES) or re.match(r"^[A-Za-z]:[\\/]", text):
        return True
    for base in (file_dir, root):
        try:
            if (base / text).is_dir():
                return True
        except (OSError, ValueError):
            continue
    return False


def hub_ref(value: str, file_dir: pathlib.Path, root: pathlib.Path) -> str | None:
    """The Hub repo id a string names, or None for local paths and non-ids."""
    if not isinstance(value, str) or looks_local(value, file_dir, root):
        return None
    return normalize_repo_id(value)


def decode_utf8(data: bytes) -> str:
    """Text of a file that must be UTF-8 (a BOM is allowed); raises UnicodeDecodeError."""
    return data.decode("utf-8-sig")


def not_utf8_detail(exc: UnicodeDecodeError) -> str:
    return f"not UTF-8 (byte {exc.start})"


def load_json(text: str) -> Any:
    """Parse JSON, raising ParseError with the same message whichever source asks."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"not valid JSON at line {exc.lineno}: {exc.msg}") from None
    except RecursionError:
        raise ParseError("JSON nests too deeply") from None


def line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def find_value_line(text: str, key: str, value: str, start: int = 0) -> tuple[int | None, int]:
    """The line of `value` after the next `key` from `start` in raw JSON/TOML text.

    Returns (line, offset to continue from). Parsers of these formats give no positions,
    so the raw text is searched, in document order, the value after its key.
    """
    key_pattern = re.compile(rf"(?<![A-Za-z0-9_-])[\"']?{re.escape(key)}[\"']?\s*[:=]")
    match = key_pattern.search(text, start)
    if match is None:
        return None, start
    found = text.find(value, match.end())
    if found < 0:
        return line_at(text, match.start()), match.end()
    return line_at(text, found), found + len(value)


def url_fallback(data: bytes, relpath: str, source: str) -> tuple[Occurrence, ...]:
    """Hub model URLs in a file no parser could read: a plain text search, safe on any bytes."""
    found = []
    for match in _HUB_URL.finditer(data):
        namespace = match.group(1).decode("ascii")
        name = match.group(2).decode("ascii").rstrip("._-")
        if namespace.lower() in HUB_SECTIONS:
            continue
        repo_id = normalize_repo_id(f"{namespace}/{name}")
        if repo_id is None:
            continue
        line = data.count(b"\n", 0, match.start()) + 1
        found.append(
            Occurrence(
                ref=ModelRef(repo_id),
                location=Location(relpath, line),
                source=source,
                text=clip(match.group(0).decode("ascii")),
                via="fallback",
            )
        )
    return tuple(found)
