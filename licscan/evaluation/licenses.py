"""Identify a card's licence (Hub id, license_name slug) as a licence record and SPDX id."""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from license_expression import get_spdx_licensing

from licscan.errors import RuleError
from licscan.evaluation.knowledge import Knowledge
from licscan.model import CardData, LicenseTerms, Lineage, NodeLicense

# Hub ids that say nothing about the licence: the card must be read further.
_NON_ANSWERS = {"other", "unknown", "none", "noassertion", ""}
# Values card templates leave in place of a licence (TRL writes `licence: license`): no licence was declared.
PLACEHOLDERS = frozenset({"license", "licence", "[license]", "{license}", "<license>", "your-license", "your_license"})


_OPERATORS = {"AND", "OR", "WITH"}


@functools.lru_cache(maxsize=1)
def _licensing():
    return get_spdx_licensing()


def spdx_normalize(identifier: str) -> str | None:
    """The SPDX id license-expression knows for an identifier (case-insensitive), or None.

    None also for what license-expression cannot parse at all ("mit OR", "(mit", a lone surrogate): a card's
    text is untrusted, and an expression that does not parse is an unidentified licence, not a crash.
    """
    words = identifier.replace("(", " ( ").replace(")", " ) ").upper().split()
    if not words or words[0] in _OPERATORS or words[-1] in _OPERATORS or words.count("(") != words.count(")"):
        return None  # license-expression lets some through ("mit OR mit OR" reads as "MIT OR MIT")
    try:
        info = _licensing().validate(identifier)
    except Exception:  # noqa: BLE001 - the parser raises AttributeError, ExpressionError ... on broken input
        return None
    if info.errors or not info.normalized_expression:
        return None
    return str(info.normalized_expression)


def check_spdx_id(record: LicenseTerms, *, file: str = "rules/licenses") -> None:
    """A record's spdx_id must be a LicenseRef- or an id on the SPDX list."""
    if record.spdx_id.startswith("LicenseRef-"):
        return
    if spdx_normalize(record.spdx_id) != record.spdx_id:
        raise RuleError(
            f"spdx_id {record.spdx_id!r} is not on the SPDX licence list known to license-expression; "
            "use LicenseRef-licscan-<key>",
            file=file,
            rule=record.key,
        )


def spdx_expression(spdx_ids: Iterable[str]) -> str | None:
    """All binding licences as one simplified SPDX expression (conjunctive: every one applies)."""
    ids = tuple(sorted(set(spdx_ids)))
    return _simplified(ids) if ids else None


@functools.lru_cache(maxsize=4096)
def _simplified(ids: tuple[str, ...]) -> str | None:
    # A project's models share a few licence sets: each is parsed once, not once per model (the parser is
    # most of the expression's cost, about 0.4 ms a model).
    parsed = _licensing().parse(" AND ".join(ids), validate=False)
    return str(parsed.simplify()) if parsed is not None else None


def _lookup(knowledge: Knowledge, name: str, namespaces: Iterable[str],
            repos: Sequence[str] = ()) -> tuple[LicenseTerms | None, str | None]:
    """The record for an id or slug; a slug several records share is decided by the release, then the publisher.

    repos: the node's repo id, then its ancestors' (nearest first). A record whose `models` name the node's (or
    the nearest ancestor's) release decides; else the one record the publisher uses; else the record whose key is
    the slug itself (the text every release of the slug shares, its differences unconfirmed); else no answer.
    """
    keys = knowledge.aliases.get(name.strip().lower(), ())
    if len(keys) == 1:
        return knowledge.licenses[keys[0]], None
    if not keys:
        return None, None
    for repo in repos:
        for key in keys:
            if governs_release(knowledge.licenses[key], repo):
                return knowledge.licenses[key], None
    record, why = _by_publisher(knowledge, keys, namespaces, what=repr(name))
    if record is not None:
        return record, None
    own = name.strip().lower()
    if own in keys:
        return knowledge.licenses[own], None
    return None, why


def slug_keys(knowledge: Knowledge, name: str | None) -> tuple[str, ...]:
    """Every licence record a Hub id or slug may name (several when releases or publishers share it)."""
    return knowledge.aliases.get((name or "").strip().lower(), ())


def governs_release(record: LicenseTerms, repo_id: str) -> bool:
    """Whether a repo is one of the releases a record's `models` patterns name."""
    return names_release(record.models, repo_id)


def names_release(patterns: Iterable[str], repo_id: str) -> bool:
    """Whether repo id patterns of a release (any case, `*` wildcards) name a repo."""
    return any(fnmatch.fnmatchcase(repo_id.lower(), pattern.lower()) for pattern in patterns)


def record_for(knowledge: Knowledge, name: str, namespaces: Iterable[str] = ()) -> LicenseTerms | None:
    """The licence record a Hub id or slug names (a GGUF header's general.license), None when not one record."""
    if name.strip().lower() in _NON_ANSWERS or name.strip().lower() in PLACEHOLDERS:
        return None
    return _lookup(knowledge, name, namespaces)[0]


def _by_publisher(knowledge: Knowledge, keys: Sequence[str], namespaces: Iterable[str],
                  *, what: str) -> tuple[LicenseTerms | None, str | None]:
    """The one record among keys the nearest publisher uses; None when none, or several (releases decide those)."""
    for namespace in (ns.lower() for ns in namespaces):
        used = [key for key in keys if namespace in (ns.lower() for ns in knowledge.publishers.get(key, ()))]
        if len(used) == 1:
            return knowledge.licenses[used[0]], None
        if used:
            return None, (f"{what} names one licence text per release of {namespace} ({', '.join(used)}), and this "
                          "model is not one of the releases licscan's records name")
    return None, f"{what} names different licence texts for different publishers ({', '.join(keys)})"


_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u00a0": " "})
_SPACE = re.compile(r"\s+")
_MARKUP = re.compile(r"[*_`#>]+")


def _normal(text: str) -> str:
    """Text as marker phrases are compared: straight quotes, no Markdown emphasis, one space, any case."""
    return _SPACE.sub(" ", _MARKUP.sub("", text.translate(_QUOTES))).strip().casefold()


@dataclass(frozen=True)
class TextMatch:
    """What a licence text's marker phrases say: the record, the phrases found, or why there is no answer."""

    record: LicenseTerms | None
    markers: tuple[str, ...] = ()
    note: str | None = None


def identify_text(text: str, knowledge: Knowledge, namespaces: Iterable[str] = ()) -> TextMatch:
    """Which licence record a LICENSE text is, by the marker phrases the records store (never by shipped texts).

    A record whose phrases found are a strict subset of another's is dropped (shared phrases such as a
    "Built with ..." line do not decide); several records left over are decided by the publisher, else the
    text is ambiguous.
    """
    body = _normal(text[:400_000])
    wanted = {namespace.lower() for namespace in namespaces}
    found: dict[str, tuple[str, ...]] = {}
    for key, markers in knowledge.markers.items():
        hits = tuple(marker for marker in markers if _normal(marker) in body)
        publishers = {ns.lower() for ns in knowledge.publishers.get(key, ())}
        # A text whose slug other publishers share (modified-mit) needs its publisher, or more than one phrase:
        # a single generic title line is what the other publisher's text may say too.
        if publishers and not publishers & wanted and len(hits) < 2:
            continue
        if hits:
            found[key] = hits
    if not found:
        return TextMatch(None)
    best = [
        key for key, hits in found.items()
        if not any(set(hits) < set(other) for other_key, other in found.items() if other_key != key)
    ]
    if len(best) > 1:
        best_count = max(len(found[key]) for key in best)
        best = [key for key in best if len(found[key]) == best_count]
    if len(best) == 1:
        return TextMatch(knowledge.licenses[best[0]], found[best[0]])
    record, note = _by_publisher(knowledge, sorted(best), namespaces, what="the licence text")
    if record is not None:
        return TextMatch(record, found[record.key])
    return TextMatch(None, tuple(sorted({m for key in best for m in found[key]})), note)


_HUB_FILE_LINK = re.compile(
    r"^https?://(?:www\.)?(?:huggingface\.co|hf\.co)/(?P<repo>[^/\s]+/[^/\s]+)/(?:blob|resolve|raw)/[^/\s]+/"
    r"(?P<file>[^?#\s]+)", re.I)


def _link_key(url: str) -> str:
    """A URL as links are compared: no scheme, no 'www.', no query or fragment, no trailing slash, any case."""
    url = re.sub(r"^https?://(?:www\.)?", "", url.strip(), flags=re.I).split("#")[0].split("?")[0]
    return url.rstrip("/").lower()


def linked_repo_file(link: str | None) -> tuple[str, str] | None:
    """(repo id, file) when a license_link points at a file in a Hub model repo."""
    match = _HUB_FILE_LINK.match(link or "")
    return (match["repo"], match["file"]) if match else None


def _by_link(knowledge: Knowledge, link: str) -> LicenseTerms | None:
    wanted = _link_key(link)
    matches = [record for record in knowledge.licenses.values() if any(_link_key(u) == wanted for u in record.links)]
    return matches[0] if len(matches) == 1 else None


def identify(repo_id: str, card: CardData, knowledge: Knowledge, *, context_namespaces: Iterable[str] = (),
             license_text: str | None = None, license_file: str | None = None,
             linked_text: str | None = None, linked_from: str | None = None,
             tags: Iterable[str] = (), context_repos: Iterable[str] = ()) -> NodeLicense:
    """The node's licence from the evidence, in order; never a guess.

    The text a card's license_link points to (fetched by resolution) or, when the link names a published
    licence URL licscan's records know, that record; then the repo's own LICENSE / LICENSE.md /
    LICENSE-MODEL text; then the Hub id or license_name slug; then a `license:<id>` tag. A text identified
    by its marker phrases wins over what the card declares; `declared_key` then keeps the declaration, so
    the disagreement becomes a finding. context_namespaces are the ancestors' namespaces, nearest first,
    used only to decide a slug or text that two publishers use for different licences; context_repos are the
    ancestors' repo ids, nearest first, used to decide a slug whose releases have texts of their own (Tencent
    Hunyuan's, Kimi's): a release's own text under that shared slug agrees with it, it is not a relabel.
    """
    namespaces = [repo_id.split("/", 1)[0], *context_namespaces]
    repos = [repo_id, *context_repos]
    declared = card.license
    evidence: list[tuple[str, str]] = []
    notes: list[str] = []
    # A template's placeholder is not a declaration: noted, then read as if the field were absent.
    license_name = card.license_name
    for field, value in (("license", declared), ("license_name", license_name)):
        if value is not None and value.strip().lower() in PLACEHOLDERS:
            evidence.append(("placeholder", f"{field}: {value} (a card template's placeholder, not a licence)"))
    if declared is not None and declared.strip().lower() in PLACEHOLDERS:
        declared = None
    if license_name is not None and license_name.strip().lower() in PLACEHOLDERS:
        license_name = None
        if declared == "other":
            declared = None  # `license: other` is only the template's way to introduce the placeholder name

    # What the text says: the linked text, the linked licence URL, then the repo's own licence file.
    text_record: LicenseTerms | None = None
    text_method = None
    link = (card.license_link or "").strip()
    linked = linked_repo_file(link)
    own_link = bool(link) and (linked is None and not re.match(r"^[a-z]+://", link, re.I)
                               or (linked is not None and linked[0].lower() == repo_id.lower()))
    if linked_text:
        match = identify_text(linked_text, knowledge, namespaces)
        if match.record is not None:
            text_record, text_method = match.record, "license_link"
            evidence += [("license_link", link), ("linked_text", linked_from or link),
                         ("markers", "; ".join(match.markers))]
        elif match.note:
            notes.append(f"linked text: {match.note}")
    elif linked_from and link:
        evidence.append(("license_link", f"{link} (not read: {linked_from})"))
    if text_record is None and link and not own_link:
        record = _by_link(knowledge, link)
        if record is not None:
            text_record, text_method = record, "license_link"
            evidence.append(("license_link", f"{link} is where {record.name} is published"))
    if text_record is None and license_text:
        match = identify_text(license_text, knowledge, namespaces)
        if match.record is not None:
            text_record, text_method = match.record, "license-file"
            evidence += [("license_file", license_file or "LICENSE"), ("markers", "; ".join(match.markers))]
        elif match.note:
            notes.append(f"{license_file or 'LICENSE'}: {match.note}")

    # What the card declares: the Hub id, else license_name, else a license:<id> tag.
    candidates: list[tuple[str, str]] = []
    if declared and declared not in _NON_ANSWERS:
        candidates.append(("license-id", declared))
    if license_name:
        candidates.append(("license_name", license_name))
    for tag in dict.fromkeys(tags):
        if isinstance(tag, str) and tag.lower().startswith("license:"):
            value = tag.split(":", 1)[1].strip()
            if value.lower() not in _NON_ANSWERS:
                candidates.append(("tag", value))
    slug_record: LicenseTerms | None = None
    slug_method = None
    slug_names: tuple[str, ...] = ()  # every record the matched slug may name
    ambiguity = None
    for method, name in candidates:
        record, why = _lookup(knowledge, name, namespaces, repos)
        if record is not None:
            slug_record, slug_method, slug_names = record, method, slug_keys(knowledge, name)
            evidence.append((method.replace("-", "_"), name))
            break
        ambiguity = ambiguity or why
    if ambiguity and not (text_record is not None and text_record.key in _all_keys(knowledge, candidates)):
        notes.append(ambiguity)  # a text that is one of the slug's records settles what the slug left open
    evidence += [("note", note) for note in notes]

    if text_record is not None:
        # A slug shared by one text per release agrees with any of them: the text says which release it is.
        disagrees = slug_record is not None and text_record.key not in slug_names
        return NodeLicense(repo_id, card.license, card.license_name, text_record.key, text_record.spdx_id,
                           text_method or "license-file", evidence=tuple(evidence),
                           declared_key=slug_record.key if disagrees else None)
    if slug_record is not None:
        return NodeLicense(repo_id, card.license, card.license_name, slug_record.key, slug_record.spdx_id,
                           slug_method or "license-id", evidence=tuple(evidence))
    if declared is None and license_name is None:
        return NodeLicense(repo_id, card.license, card.license_name, None, None, "missing", evidence=tuple(evidence))
    spdx = spdx_normalize(declared) if declared and declared not in _NON_ANSWERS else None
    return NodeLicense(repo_id, card.license, card.license_name, None, spdx,
                       "ambiguous" if ambiguity else "unidentified", evidence=tuple(evidence))


def _all_keys(knowledge: Knowledge, candidates: Iterable[tuple[str, str]]) -> set[str]:
    return {key for _, name in candidates for key in slug_keys(knowledge, name)}


def through_family(lineage: Lineage, licenses: Mapping[str, NodeLicense],
                   knowledge: Knowledge) -> dict[str, NodeLicense]:
    """Nodes declaring a generic family id (openrail, cc, bsd) read as the nearest ancestor's text of that family.

    A ControlNet declaring `openrail` over `creativeml-openrail-m` is under the CreativeML text; with no such
    ancestor the family id stays as identified (its terms unconfirmed, so unknown, never clear).
    """
    resolved = dict(licenses)
    for record in reversed(lineage.nodes):  # ancestors are settled before the nodes that derive from them
        own = resolved.get(record.repo_id)
        family = knowledge.licenses.get(own.key) if own is not None and own.key else None
        if family is None or not family.members:
            continue
        for ancestor in lineage.ancestors(record.repo_id):
            theirs = resolved.get(ancestor)
            if theirs is not None and theirs.key in family.members:
                member = knowledge.licenses[theirs.key]
                resolved[record.repo_id] = dataclasses.replace(
                    own, key=member.key, spdx_id=member.spdx_id, method="family",
                    evidence=(*own.evidence, ("family", f"{family.key} names a family of texts; read as "
                                              f"{member.name} ({member.key}) of its ancestor {ancestor}")))
                break
    return resolved
