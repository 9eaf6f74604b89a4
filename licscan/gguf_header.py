"""A bounded reader of a GGUF file's metadata prefix: the general.* keys, from the first bytes alone (stdlib only).

Resolution reads only the first few hundred KiB of a Hub repo's GGUF file (an HTTP Range request); the
general.* keys come first in the metadata, so they are in that prefix. The reader walks the key/value pairs
until the count is done or the bytes run out, never trusting a length the file claims beyond sane bounds.
"""

from __future__ import annotations

import io
import os
import re
import struct
from dataclasses import dataclass, field
from typing import Any, BinaryIO

GGUF_MAGIC = b"GGUF"
PREFIX_BYTES = 512 * 1024  # what resolution reads of a GGUF file: the general.* keys are well inside it
MAX_KEYS = 100_000
MAX_TENSORS = 1_000_000
MAX_KEY_BYTES = 65_535
MAX_STRING_BYTES = 16 * 1024 * 1024
MAX_ARRAY_ITEMS = 50_000_000
# Strings in arrays are walked one by one (each has its own length): a bound on all of them in one header keeps
# a file of millions of empty strings from holding a scan for minutes. A real vocabulary is under 300,000
# tokens, and its merges about as many.
MAX_WALKED_STRINGS = 4_000_000
KEPT_ARRAY_ITEMS = 64  # of a general.* array, the first items are kept; the rest are walked over
KEPT_STRING_CHARS = 2_000
# The smallest encoding of one key/value pair: an empty key (8-byte length), its type (4), a 1-byte value.
_MIN_PAIR_BYTES = 13

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


class _Truncated(_Bad):
    pass


class _Reader:
    """Reads a stream of known size; every length or count the header claims is checked against the bytes that
    remain before anything is read or allocated, and what is not kept is skipped, never held in memory."""

    def __init__(self, stream: BinaryIO, size: int, *, whole: bool) -> None:
        self.stream = stream
        self.size = size
        self.whole = whole
        self.pos = 0
        self.walked_strings = 0

    def claim(self, what: str, count: int, each: int) -> None:
        """`count` items of at least `each` bytes must fit in what is left: else the file lies (a whole file)
        or the prefix ends before them (a prefix: the read simply stops there)."""
        left = self.size - self.pos
        if count * each > left:
            if self.whole:
                raise _Truncated(f"{what} at offset {self.pos} needs at least {count * each} bytes; "
                                 f"{left} are left in the file")
            raise _OutOfBytes

    def take(self, size: int) -> bytes:
        if size > self.size - self.pos:
            raise _OutOfBytes
        chunk = self.stream.read(size)
        if len(chunk) != size:  # the file shrank while being read
            raise _OutOfBytes
        self.pos += size
        return chunk

    def skip(self, size: int) -> None:
        if size > self.size - self.pos:
            raise _OutOfBytes
        if size:
            self.stream.seek(size, io.SEEK_CUR)
            self.pos += size

    def unpack(self, fmt: str, size: int) -> Any:
        return struct.unpack(fmt, self.take(size))[0]

    def string(self, limit: int, keep: int | None) -> str | None:
        """A length-prefixed string: its first `keep` characters, or None (skipped) when keep is None."""
        length = self.unpack("<Q", 8)
        if length > limit:
            raise _Bad(f"a string of {length} bytes at offset {self.pos - 8} (more than {limit})")
        self.claim(f"a string of {length} bytes", length, 1)
        if keep is None:
            self.skip(length)
            return None
        wanted = min(length, keep * 4)  # UTF-8 takes at most 4 bytes a character
        text = self.take(wanted).decode("utf-8", errors="replace")
        self.skip(length - wanted)
        return text[:keep]


def read_general(data: bytes | BinaryIO, *, whole: bool = False, size: int | None = None) -> GgufHeader:
    """The general.* metadata of a GGUF file from its first bytes, or from an open file (read in place).

    data: the bytes, or a binary file positioned at its start (size: its length in bytes; the file's size when
    omitted). whole: data is the entire file, so running out of bytes means the file is truncated (a problem);
    for a prefix it only means the read stopped there.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        stream: BinaryIO = io.BytesIO(data)
        size = len(data)
    else:
        stream = data
        if size is None:
            size = os.fstat(stream.fileno()).st_size
    magic = stream.read(4)
    if magic != GGUF_MAGIC:
        return GgufHeader(problem="not a GGUF file (no GGUF magic)")
    reader = _Reader(stream, size, whole=whole)
    reader.pos = 4
    general: dict[str, Any] = {}
    try:
        version = reader.unpack("<I", 4)
        if version not in (2, 3):
            return GgufHeader(problem=f"unsupported GGUF version {version}")
        tensors = reader.unpack("<Q", 8)
        count = reader.unpack("<Q", 8)
        if tensors > MAX_TENSORS or count > MAX_KEYS:
            return GgufHeader(problem=f"implausible GGUF header ({count} keys, {tensors} tensors)")
        if whole:
            reader.claim(f"a table of {count} keys", count, _MIN_PAIR_BYTES)
        for _ in range(count):
            key = reader.string(MAX_KEY_BYTES, MAX_KEY_BYTES) or ""
            kind = reader.unpack("<I", 4)
            keep = key.startswith("general.")
            value = _value(reader, kind, keep)
            if keep:
                general[key] = value
    except _OutOfBytes:
        if whole:
            return GgufHeader(general, problem="the GGUF header is truncated (the file ends inside its metadata)")
        return GgufHeader(general)
    except _Truncated as exc:
        return GgufHeader(general, problem=f"the GGUF header is truncated (the file ends inside its metadata): {exc}")
    except _Bad as exc:
        return GgufHeader(general, problem=f"the GGUF header cannot be read: {exc}")
    return GgufHeader(general, complete=True)


def _value(reader: _Reader, kind: int, keep: bool) -> Any:
    if kind in _SCALARS:
        fmt, size = _SCALARS[kind]
        return reader.unpack(fmt, size)
    if kind == _STRING:
        return reader.string(MAX_STRING_BYTES, KEPT_STRING_CHARS if keep else None)
    if kind == _ARRAY:
        item_kind = reader.unpack("<I", 4)
        items = reader.unpack("<Q", 8)
        if items > MAX_ARRAY_ITEMS:
            raise _Bad(f"an array of {items} items (more than {MAX_ARRAY_ITEMS})")
        if item_kind == _ARRAY:
            raise _Bad("an array of arrays")
        if item_kind not in _SCALARS and item_kind != _STRING:
            raise _Bad(f"unknown array item type {item_kind}")
        each = _SCALARS[item_kind][1] if item_kind in _SCALARS else 8  # a string is at least its 8-byte length
        reader.claim(f"an array of {items} items", items, each)
        if item_kind in _SCALARS and not keep:
            reader.skip(items * each)  # walked over without decoding
            return None
        kept = []
        for index in range(items):
            if item_kind == _STRING:
                reader.walked_strings += 1
                if reader.walked_strings > MAX_WALKED_STRINGS:
                    raise _Bad(f"more than {MAX_WALKED_STRINGS} strings in arrays")
            value = _value(reader, item_kind, keep and index < KEPT_ARRAY_ITEMS)
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
