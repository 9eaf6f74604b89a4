"""Model-card metadata and Hub repo ids: the parsing that discovery and resolution share."""

from __future__ import annotations

import re
from typing import Any, Mapping

from licscan import lazy_re, safeyaml
from licscan.errors import ParseError
from licscan.model import CardData

# The Hub's rule for repo names: letters, digits, '-', '_', '.', at most 96 characters,
# no leading or trailing '-'/'.', no '--' or '..'. The namespace follows the same rule.
_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
_REPO_ID = lazy_re.compile(rf"^{_PART}/{_PART}$")
_FRONT_MATTER = lazy_re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)(?:\r?\n)?^(?:---|\.\.\.)[ \t]*$", re.S | re.M)
_HUB_URL_PREFIX = lazy_re.compile(r"^(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co)/(?:models/)?", re.I)
# First path segments the Hub reserves for site sections, pages and assets, never namespaces
# ("hf.co/datasets/org/name", "hf.co/docs/...", "hf.co/transformers/v4.2.2/..."): the one list of them.
HUB_SECTIONS = frozenset(
    {
        "datasets", "spaces", "docs", "blog", "collections", "papers", "settings", "organizations",
        "join", "login", "pricing", "api", "tasks", "learn", "chat", "new", "posts", "search",
        "enterprise", "terms-of-service", "privacy", "changelog", "inference-endpoints", "resolve",
        "front", "static", "avatars", "storage", "models", "model", "user", "users", "transformers",
        "course", "notifications", "billing", "oauth", "welcome", "huggingchat", "inference-api",
    }
)

MAX_CARD_BYTES = 1_000_000


def is_repo_id(value: str) -> bool:
    """Whether value has the shape of a Hub repo id ("namespace/name")."""
    if not isinstance(value, str) or not _REPO_ID.match(value):
        return False
    return "--" not in value and ".." not in value and not value.endswith(".git")


def normalize_repo_id(value: str) -> str | None:
    """Turn 'hf.co/org/name', 'https://huggingface.co/org/name/tree/main' into 'org/name'.

    Returns None when the value is not a repo id at all.
    """
    text = value.strip()
    stripped = _HUB_URL_PREFIX.sub("", text)
    if stripped != text:
        parts = stripped.split("/")
        if parts[0].lower() in HUB_SECTIONS:
            return None
        stripped = "/".join(parts[:2]) if len(parts) >= 2 else stripped
        stripped = stripped.split("?")[0].split("#")[0].split(":")[0]
    return stripped if is_repo_id(stripped) else None


def split_front_matter(text: str) -> str | None:
    """The YAML between the leading '---' fences of a model card, or None when there is none."""
    match = _FRONT_MATTER.match(text)
    return match.group(1) if match else None


def parse_card(text: str | bytes, *, what: str = "model card") -> CardData:
    """Parse a README.md into CardData. Never raises: problems are recorded on the result."""
    if isinstance(text, bytes):
        if len(text) > MAX_CARD_BYTES:
            return CardData(problems=(f"{what} is larger than {MAX_CARD_BYTES} bytes; not read",))
        if b"\x00" in text[:8192]:
            return CardData(problems=(f"{what} is binary, not text",))
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            return CardData(problems=(f"{what} is not UTF-8 (byte {exc.start}); front matter not read",))
    block = split_front_matter(text)
    if block is None:
        return CardData(problems=(f"{what} has no YAML front matter",))
    try:
        data = safeyaml.load(block, what=f"{what} front matter")
    except ParseError as exc:
        return CardData(problems=(str(exc),))
    if data is None:
        return CardData(problems=(f"{what} front matter is empty",))
    if not isinstance(data, Mapping):
        return CardData(problems=(f"{what} front matter is a {type(data).__name__}, not a mapping",))
    return card_from_mapping(data, what=what)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)):
        return tuple(str(item) for item in value if isinstance(item, (str, int, float)) and not isinstance(item, bool))
    return ()


def card_from_mapping(data: Mapping[str, Any], *, what: str = "model card") -> CardData:
    """CardData from card metadata (parsed front matter, or the Hub's cardData)."""
    problems: list[str] = []

    raw_license = data.get("license")
    if raw_license is None and "licence" in data:
        raw_license = data.get("licence")
        problems.append(f"{what} spells the key 'licence'; read as 'license'")
    if isinstance(raw_license, list):
        values = _strings(raw_license)
        if len(values) > 1:
            problems.append(f"{what} lists several licenses {list(values)}; the first is read as declared")
        raw_license = values[0] if values else None
    license_id = _text(raw_license)
    if raw_license is not None and license_id is None:
        problems.append(f"{what} field 'license' is a {type(raw_license).__name__}, not a string")

    raw_base = data.get("base_model")
    base_models: list[str] = []
    if raw_base is None:
        pass
    elif isinstance(raw_base, str):
        base_models = [raw_base]
    elif isinstance(raw_base, (list, tuple)):
        for item in raw_base:
            if isinstance(item, str):
                base_models.append(item)
            else:
                problems.append(f"{what} field 'base_model' has a {type(item).__name__} entry, not a string")
    else:
        problems.append(f"{what} field 'base_model' is a {type(raw_base).__name__}, not a string or list")
    cleaned: list[str] = []
    for item in base_models:
        repo_id = normalize_repo_id(item)
        if repo_id is None:
            problems.append(f"{what} field 'base_model' names {item[:100]!r}, which is not a Hub repo id")
        elif repo_id not in cleaned:
            cleaned.append(repo_id)

    gated = data.get("gated")
    gated_text = None if gated in (None, False) else ("manual" if gated is True else _text(gated))
    if gated_text is None and any(str(key).startswith("extra_gated_") for key in data):
        gated_text = "auto"

    return CardData(
        license=license_id.lower() if license_id else None,
        license_name=_text(data.get("license_name")),
        license_link=_text(data.get("license_link")),
        base_models=tuple(cleaned),
        base_model_relation=(_text(data.get("base_model_relation")) or "").lower() or None,
        tags=_strings(data.get("tags")),
        datasets=_strings(data.get("datasets")),
        library_name=_text(data.get("library_name")),
        pipeline_tag=_text(data.get("pipeline_tag")),
        gated=gated_text,
        eu_disallowed=bool(data.get("extra_gated_eu_disallowed")),
        problems=tuple(problems),
    )
