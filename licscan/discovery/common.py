"""Helpers the discovery sources share: local-path tests, text decoding, line lookup, URL fallback."""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Iterator

from licscan import lazy_re
from licscan.cards import HUB_SECTIONS, normalize_repo_id
from licscan.errors import ParseError
from licscan.model import Location, ModelRef, Occurrence, RefKind

MAX_TEXT = 120

# Host spellings searched with bytes.find (fast), then checked and extended by the patterns below.
HUB_HOSTS = (b"huggingface.co/", b"hf.co/", b"HuggingFace.co/", b"Huggingface.co/")  # (each ends with ".co/")
_BEFORE_HOST = lazy_re.compile(rb"(?:https?://)?(?:www\.)?\Z", re.I)
_URL_PATH = lazy_re.compile(rb"(?:(models|datasets)/)?([A-Za-z0-9][A-Za-z0-9._-]*)/([A-Za-z0-9][A-Za-z0-9._-]*)")
_HOST_BOUNDARY = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-")
_LOCAL_PREFIXES = ("./", "../", "/", "~", ".\\", "..\\", "\\")
# First folders of relative paths that projects write or keep models in ("models/Llama-2-7b",
# "outputs/run1", "checkpoints/step-100"): such a value is a local path, not a Hub id. (No Hub namespace
# of these names publishes models.)
_LOCAL_FIRST_FOLDERS = frozenset(
    {
        "models", "model", "checkpoints", "checkpoint", "ckpt", "ckpts", "output", "outputs", "out", "saves",
        "save", "weights", "pretrained_models", "experiments", "exp", "runs", "logs", "tmp", "cache", "results",
        "data", "local", "path", "workspace", "mnt", "home", "root", "datasets", "dataset", "src", "scripts", "configs",
        "work_dirs", "work_dir",
    }
)
# Namespaces of strings that are media types or file names rather than repos ("application/json").
_NOT_REPO_NAMESPACES = frozenset({"application", "text", "image", "audio", "video", "multipart"})
# A name ending like a file: a path to one, not a repo.
_FILE_ENDING = lazy_re.compile(
    r"\.(?:json|jsonl|txt|csv|tsv|py|sh|yaml|yml|md|parquet|arrow|pt|pth|bin|safetensors|gguf|onnx|ckpt|zip|gz|tar|pkl|npy|png|jpe?g|gif|webp|svg|wav|mp3|mp4|html?|ipynb|pdf|xlsx?|docx?|pptx?|xml)\Z",
    re.I,
)
# Namespaces of example values in docs and templates ("your-org/...", "username/...", "my_user/..."), a
# rate ("30/second" has a digit namespace).
_PLACEHOLDER = lazy_re.compile(r"(?i)(?:your|my)[-_]|(?:user_?name|your|your_?org)\Z")
_WINDOWS_DRIVE = lazy_re.compile(r"^[A-Za-z]:[\\/]")


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """One line of at most `limit` characters, for Occurrence.text."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "\u2026"


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
    except ValueError as exc:  # an integer past Python's 4,300-digit limit
        raise ParseError(f"not valid JSON: {str(exc)[:200]}") from None
    except RecursionError:
        raise ParseError("JSON nests too deeply") from None


def line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# How far after its key a value is looked for (a list's items come after it; a value written with escapes,
# which the raw text does not hold as such, is not looked for through the rest of a large file).
VALUE_REACH = 65_536


def find_value_line(
    text: str, key: str, value: str, start: int = 0, lines: "LineIndex | None" = None
) -> tuple[int | None, int]:
    """The line of `value` after the next `key` from `start` in raw JSON/TOML text.

    Returns (line, offset to continue from). Parsers of these formats give no positions,
    so the raw text is searched, in document order, the value after its key. `lines` counts lines from
    the last offset asked (cheap when asked in document order).
    """
    match = key_match(text, key, start)
    if match is None:
        return None, start
    line = lines.line if lines is not None else (lambda offset: line_at(text, offset))
    found = text.find(value, match.end(), match.end() + VALUE_REACH + len(value))
    if found < 0:
        return line(match.start()), match.end()
    return line(found), found + len(value)


@functools.lru_cache(maxsize=256)  # a file's hits share a few keys
def _key_pattern(key: str) -> "re.Pattern[str]":
    return re.compile(rf"(?<![A-Za-z0-9_-])[\"']?{re.escape(key)}[\"']?\s*[:=]")


def key_match(text: str, key: str, start: int = 0) -> "re.Match[str] | None":
    """The first `key` (quoted or not) followed by ":" or "=" from `start`: what _key_pattern's search finds.

    Fast path: the pattern opens with an optional quote, so `re` cannot skip ahead to the key and steps through
    the text a character at a time (7 ms per search of a 1 MB JSON file). The key is found with str.find
    instead and the pattern only tried where a match can start: at the key, or at a quote just before it.
    """
    pattern = _key_pattern(key)
    position = text.find(key, start)
    while position >= 0:
        match = (pattern.match(text, position - 1) if position > start else None) or pattern.match(text, position)
        if match is not None:
            return match
        position = text.find(key, position + 1)
    return None


def hub_urls(data: bytes, hosts: "list[tuple[int, int]] | None" = None) -> Iterator[tuple[ModelRef, int, int]]:
    """(ref, start, end) of every Hub model or dataset URL in data, in order; Spaces and site pages are not refs.

    `hosts`: the (start, end) of every HUB_HOSTS match in data, when the caller has already found them.
    """
    if hosts is None:
        # Every host ends with ".co/": one search for it, the hosts checked where it stands (a search per host
        # read each script and config four times: 10 ms over the sdists' 9 MB).
        hosts = []
        position = data.find(b".co/")
        while position >= 0:
            end = position + 4
            for host in HUB_HOSTS:
                if end >= len(host) and data.startswith(host, end - len(host)):
                    hosts.append((end - len(host), end))
                    break
            position = data.find(b".co/", end)
    found = [hit for hit in (_url_at(data, start, end) for start, end in hosts) if hit is not None]
    found.sort(key=lambda item: item[1])
    return iter(found)


def _url_at(data: bytes, host_start: int, path_start: int) -> tuple[ModelRef, int, int] | None:
    host_from = host_start - 4 if data[max(0, host_start - 4) : host_start].lower() == b"www." else host_start
    if host_from and data[host_from - 1] in _HOST_BOUNDARY:
        return None  # part of a longer host name (cdn-lfs.huggingface.co, nothf.co)
    match = _URL_PATH.match(data, path_start)
    if match is None:
        return None
    section = (match.group(1) or b"").lower()
    namespace = match.group(2).decode("ascii")
    name = match.group(3).decode("ascii").rstrip("._-")
    if namespace.lower() in HUB_SECTIONS:
        return None
    if name.endswith(".git"):
        name = name[:-4]
    repo_id = normalize_repo_id(f"{namespace}/{name}")
    if repo_id is None:
        return None
    prefix = _BEFORE_HOST.search(data, max(0, host_start - 12), host_start)
    start = prefix.start() if prefix is not None else host_start
    end = match.end()
    while data[end - 1 : end] in (b".", b"-", b"_"):
        end -= 1
    kind = RefKind.DATASET if section == b"datasets" else RefKind.MODEL
    return ModelRef(repo_id, None, kind), start, end


def url_fallback(data: bytes, relpath: str, source: str) -> tuple[Occurrence, ...]:
    """Hub URLs in a file no parser could read: a plain text search, safe on any bytes."""
    lines = LineIndex(data)
    return tuple(
        Occurrence(
            ref=ref,
            location=Location(relpath, lines.line(start)),
            source=source,
            text=clip(data[start:end].decode("ascii", errors="replace")),
            via="fallback",
        )
        for ref, start, end in hub_urls(data)
    )


class LineIndex:
    """Line numbers of offsets in bytes (or text), counted from the last offset asked (offsets mostly come in
    order)."""

    def __init__(self, data: bytes | str) -> None:
        self.data = data
        self._newline: bytes | str = b"\n" if isinstance(data, bytes) else "\n"
        self._offset = 0
        self._line = 1

    def line(self, offset: int) -> int:
        if offset >= self._offset:
            self._line += self.data.count(self._newline, self._offset, offset)  # type: ignore[arg-type]
        elif self._offset - offset < offset:
            # A short step back (a call's name asked after its parenthesis), counted back from the last offset:
            # counted from the start, each call the fast reading left undecided re-counted the file up to it,
            # the square of a file of thousands of them (bench_hostile: 10,000 defs 2.3 s, 7.9x per 4n).
            self._line -= self.data.count(self._newline, offset, self._offset)  # type: ignore[arg-type]
        else:
            self._line = self.data.count(self._newline, 0, offset) + 1  # type: ignore[arg-type]
        self._offset = offset
        return self._line

    def start_of(self, offset: int) -> int:
        """The offset at which the line holding `offset` starts."""
        return self.data.rfind(b"\n", 0, offset) + 1


def hub_id(value: str) -> str | None:
    """The Hub repo id a string names, judged by its text alone (no file-system check), or None."""
    if not isinstance(value, str):
        return None
    return _hub_id(value) if len(value) <= _MAX_JUDGED else _judged(value)


_MAX_JUDGED = 256  # longer strings are judged afresh each time, not remembered


@functools.lru_cache(maxsize=8192)  # a project names the same few ids in many places
def _hub_id(value: str) -> str | None:
    return _judged(value)


def _judged(value: str) -> str | None:
    text = value.strip()
    if not text or text.startswith(_LOCAL_PREFIXES) or _WINDOWS_DRIVE.match(text):
        return None
    repo_id = normalize_repo_id(text)
    if repo_id is None or (repo_id == text and _looks_local(repo_id)):
        return None
    return repo_id


INVALID_ID = "invalid-id"
# One "/" between two runs of anything but blanks, slashes and the marks of a variable or template: shaped like a
# repo id, whatever its characters.
_ID_SHAPED = lazy_re.compile(r"[^\s/\\$<>{}()\[\]|`'\"]{1,120}/[^\s/\\$<>{}()\[\]|`'\"]{1,120}")


def rejected_id(value: str) -> bool:
    """Whether a value in a model's place is shaped like a Hub id but is not one (`org/name@host`, `-org/name`,
    `org/na--me`): listed as an invalid-id entry rather than dropped without a word. Local paths, URLs, media
    types, file names and placeholders are not."""
    text = value.strip()
    namespace, _, name = text.partition("/")
    if ":" in namespace:
        return False  # a URL or a scheme
    text = f"{namespace}/{name.split(':', 1)[0]}"  # (an `org/name:tag` suffix says which file or subset)
    if not _ID_SHAPED.fullmatch(text) or hub_id(text) is not None or text.startswith(_LOCAL_PREFIXES):
        return False
    return not _looks_local(text)


def _looks_local(value: str) -> bool:
    """A relative path in a project's own folders, a media type or a file name rather than a repo id."""
    namespace, _, name = value.partition("/")
    lowered = namespace.lower()
    return (
        lowered in _LOCAL_FIRST_FOLDERS or lowered in _NOT_REPO_NAMESPACES or namespace.isdigit()
        or bool(_PLACEHOLDER.match(namespace)) or bool(_FILE_ENDING.search(name)) or "your-" in name.lower()
        or "your_" in name.lower()
    )
