"""Identifiers the SBOM formats carry (purls, SPDX ids, LicenseRefs, supplier names), made valid from any id licscan accepted."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import quote

_NOT_SPDX_IDSTRING = re.compile(r"[^A-Za-z0-9.-]+")
_PARENTHESIS = re.compile(r"\([^()]*\)")  # blanks around it go with split(): "\s*\(" re-read every run of blanks
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def idstring(text: str) -> str:
    """`text` as an SPDX idstring ([A-Za-z0-9.-]+). Where characters had to be replaced, a digest of the original
    follows, so two ids that differ only in those characters ("a+b", "a-b") never meet."""
    cleaned = _NOT_SPDX_IDSTRING.sub("-", text.replace("+", "plus")).strip("-.") or "x"
    return cleaned if cleaned == text else f"{cleaned}-{_digest(text)}"


def spdx_ref(repo_id: str) -> str:
    """The SPDXID of a model's package: one per repository id, whatever characters the id holds."""
    return "SPDXRef-Model-" + idstring(repo_id)


def license_ref(spdx_id: str) -> str:
    """A licence reference valid in SPDX and CycloneDX: "LicenseRef-licscan-openrail++" (a real Hub id)
    becomes "LicenseRef-licscan-openrailplusplus-<digest>"."""
    rest = spdx_id.removeprefix("LicenseRef-")
    return "LicenseRef-" + idstring(rest)


def purl(repo_id: str, revision: str | None) -> str:
    """The package URL of a Hub model (type "huggingface"): each part percent-encoded as the purl specification
    asks, so a newline or a space in a malformed id yields a valid purl, not a broken one."""
    namespace, _, name = repo_id.partition("/")
    if not name:  # a legacy Hub id has no namespace ("gpt2")
        namespace, name = "", repo_id
    parts = [quote(part, safe="") for part in namespace.split("/") if part] if namespace else []
    path = "/".join([*parts, quote(name, safe="")])
    return f"pkg:huggingface/{path}" + (f"@{quote(revision, safe='')}" if revision else "")


def hub_url(repo_id: str) -> str:
    """The repository's page on the Hub, with anything a URL cannot hold percent-encoded."""
    return "https://huggingface.co/" + quote(repo_id, safe="/")


def supplier_name(organization: str) -> str:
    """The publisher's name alone: the registry's notes ("(licensor in the Qwen licences); ...") left out."""
    first = organization.split(";", 1)[0]
    name = " ".join(_PARENTHESIS.sub(" ", first).split())
    return _CONTROL.sub(" ", name or first.strip()) or organization


def split_pin(key: str) -> tuple[str, str | None]:
    """A model key ("org/name@rev") as its repository id and the revision the project pins, if any."""
    repo_id, at, revision = key.partition("@")
    return (repo_id, revision) if at and revision else (key, None)
