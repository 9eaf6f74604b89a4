"""A bounded reader of a GGUF file's metadata prefix: the general.* keys, from the first bytes alone (stdlib only).

Resolution reads only the first few hundred KiB of a Hub repo's GGUF file (an HTTP Range request); the
general.* keys come first in the metadata, so they are in that prefix. The reader walks the key/value pairs
until the count is done or the bytes run out, never trusting a length the file claims beyond sane bounds.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from typing import Any

GGUF_MAGIC = b"GGUF"
PREFIX_BYTES = 512 * 1024  # what resolution reads of a GGUF file: the general.* keys are well inside it
MAX_KEYS = 100_000
MAX_TENSORS = 1_000_000
MAX_KEY_BYTES = 65_535
MAX_STRING_BYTES = 16 * 1024 * 1024
MAX_ARRAY_ITEMS = 50_000_000
KEPT_ARRAY_ITEMS = 64  # of a general.* array, the first items are kept; the rest are walked over
KEPT_STRING_CHARS = 2_000

# GGUF value types: (struct format, size) for the fixed-size ones; 8 string, 9 array.
_SCALARS: dict[int, tuple[str, int]] = {
    0: ("<B", 1), 1: ("<b", 1), 2: ("<H", 2), 3: ("<h", 2), 4: ("<I", 4), 5: ("<i", 4),
    6: ("<f", 4), 7: ("<?", 1), 10: ("<Q", 8), 11: ("<q", 8), 12: ("<d", 8),
}
_STRING, _ARRAY = 8, 9


@dataclass(frozen=True)
class GgufHeader:
    """The general.* keys read from a GGUF prefix, and what went wrong, if anything.

    complete: every key/value pair was read (otherwise the prefix ran out first, which is normal for a
    prefix of a large file). problem: the bytes are not a readable GGUF header (a metadata problem).
    """

    general: dict[str, Any] = field(default_factory=dict)
    complete: bool = False
    problem: str | None = None


class _OutOfBytes(Exception):
    pass


class _Bad(Exception):
    pass


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, size: int) -> bytes:
        end = self.pos + size
        if end > len(self.data):
            raise _OutOfBytes
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk

    def unpack(self, fmt: str, size: int) -> Any:
        return struct.unpack(fmt, self.take(size))[0]

    def string(self, limit: int) -> str:
        length = self.unpack("<Q", 8)
        if length > limit:
            raise _Bad(f"a string of {length} bytes at offset {self.pos - 8} (more than {limit})")
        return self.take(length).decode("utf-8", errors="replace")


def read_general(data: bytes, *, whole: bool = False) -> GgufHeader:
    """The general.* metadata of a GGUF file from its first bytes.

    whole: data is the entire file, so running out of bytes means the file is truncated (a problem); for a
    prefix it only means the read stopped there.
    """
    if len(data) < 4 or data[:4] != GGUF_MAGIC:
        return GgufHeader(problem="not a GGUF file (no GGUF magic)")
    reader = _Reader(data)
    general: dict[str, Any] = {}
    try:
        reader.take(4)
        version = reader.unpack("<I", 4)
        if version not in (2, 3):
            return GgufHeader(problem=f"unsupported GGUF version {version}")
        tensors = reader.unpack("<Q", 8)
        count = reader.unpack("<Q", 8)
        if tensors > MAX_TENSORS or count > MAX_KEYS:
            return GgufHeader(problem=f"implausible GGUF header ({count} keys, {tensors} tensors)")
        for _ in range(count):
            key = reader.string(MAX_KEY_BYTES)
            kind = reader.unpack("<I", 4)
            keep = key.startswith("general.")
            value = _value(reader, kind, keep)
            if keep:
                general[key] = value
    except _OutOfBytes:
        if whole:
            return GgufHeader(general, problem="the GGUF header is truncated (the file ends inside its metadata)")
        return GgufHeader(general)
    except _Bad as exc:
        return GgufHeader(general, problem=f"the GGUF header cannot be read: {exc}")
    return GgufHeader(general, complete=True)


def _value(reader: _Reader, kind: int, keep: bool) -> Any:
    if kind in _SCALARS:
        fmt, size = _SCALARS[kind]
        return reader.unpack(fmt, size)
    if kind == _STRING:
        text = reader.string(MAX_STRING_BYTES)
        return text[:KEPT_STRING_CHARS] if keep else None
    if kind == _ARRAY:
        item_kind = reader.unpack("<I", 4)
        items = reader.unpack("<Q", 8)
        if items > MAX_ARRAY_ITEMS:
            raise _Bad(f"an array of {items} items (more than {MAX_ARRAY_ITEMS})")
        if item_kind == _ARRAY:
            raise _Bad("an array of arrays")
        if item_kind in _SCALARS and not keep:
            reader.take(items * _SCALARS[item_kind][1])  # walked over without decoding
            return None
        if item_kind not in _SCALARS and item_kind != _STRING:
            raise _Bad(f"unknown array item type {item_kind}")
        kept = []
        for index in range(items):
            value = _value(reader, item_kind, keep)
            if keep and index < KEPT_ARRAY_ITEMS:
                kept.append(value)
        return kept if keep else None
    raise _Bad(f"unknown value type {kind}")


SOURCE_KEYS = ("general.source.huggingface.repository", "general.source.repo_url", "general.source.url")


def named_bases(general: dict[str, Any]) -> list[tuple[str, str]]:
    """(header key, text) of every base model or source repo the general.* keys name, in header order.

    A base is named by general.base_model.N.repo_url (or .url), else by .organization and .name together
    (key "general.base_model.N.organization/name"); the source by general.source.huggingface.repository or
    its URL. The texts are as written: turning them into repo ids is the caller's business.
    """
    named: list[tuple[str, str]] = []
    count = general.get("general.base_model.count")
    for index in range(min(count, 64) if isinstance(count, int) and not isinstance(count, bool) else 0):
        prefix = f"general.base_model.{index}."
        for suffix in ("repo_url", "url"):
            value = general.get(prefix + suffix)
            if isinstance(value, str) and value.strip():
                named.append((prefix + suffix, value.strip()))
                break
        else:
            organization, name = general.get(prefix + "organization"), general.get(prefix + "name")
            if isinstance(organization, str) and isinstance(name, str) and organization.strip() and name.strip():
                named.append((prefix + "organization/name", f"{organization.strip()}/{name.strip()}"))
    for key in SOURCE_KEYS:
        value = general.get(key)
        if isinstance(value, str) and value.strip():
            named.append((key, value.strip()))
            break
    return named


def gguf_file_of(files: Any) -> str | None:
    """The GGUF file whose header licscan reads: an unsplit file whose name says the smallest quantization (the
    sibling list carries no sizes; Q2/Q3 names before Q8/F16), else the first shard (-00001-of-) of a split one."""
    ggufs = sorted(str(name) for name in files if str(name).lower().endswith(".gguf"))
    if not ggufs:
        return None
    first_shards = [name for name in ggufs if re.search(r"-00001-of-\d{5}\.gguf$", name, re.I)]
    whole = [name for name in ggufs if not re.search(r"-\d{5}-of-\d{5}\.gguf$", name, re.I)]
    candidates = whole or first_shards or ggufs
    return min(candidates, key=lambda name: (name.count("/"), _quant_rank(name), name))


def _quant_rank(name: str) -> int:
    """Smaller for names of smaller quantizations (IQ1/Q2 before Q8/F16/F32), by the bit count in the name."""
    match = re.search(r"(?:^|[-_.])(?:I?Q(\d)|[BF]F?(\d\d))", name.rsplit("/", 1)[-1], re.I)
    if not match:
        return 99
    return int(match.group(1) or match.group(2))
