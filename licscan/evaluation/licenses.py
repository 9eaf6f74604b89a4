"""Identify a card's licence (Hub id, license_name slug) as a licence record and SPDX id."""

from __future__ import annotations

import functools
from typing import Iterable

from license_expression import get_spdx_licensing

from licscan.errors import RuleError
from licscan.evaluation.knowledge import Knowledge
from licscan.model import CardData, LicenseTerms, NodeLicense

# Hub ids that say nothing about the licence: the card must be read further.
_NON_ANSWERS = {"other", "unknown", "none", "noassertion", ""}


@functools.lru_cache(maxsize=1)
def _licensing():
    return get_spdx_licensing()


def spdx_normalize(identifier: str) -> str | None:
    """The SPDX id license-expression knows for an identifier (case-insensitive), or None."""
    info = _licensing().validate(identifier)
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
    ids = sorted(set(spdx_ids))
    if not ids:
        return None
    parsed = _licensing().parse(" AND ".join(ids), validate=False)
    return str(parsed.simplify()) if parsed is not None else None


def _lookup(knowledge: Knowledge, name: str, namespaces: Iterable[str]) -> tuple[LicenseTerms | None, str | None]:
    """The record for an id or slug; an ambiguous slug is decided by the publisher namespace."""
    keys = knowledge.aliases.get(name.strip().lower(), ())
    if len(keys) == 1:
        return knowledge.licenses[keys[0]], None
    if not keys:
        return None, None
    wanted = [namespace.lower() for namespace in namespaces]
    for namespace in wanted:
        for key in keys:
            if namespace in (ns.lower() for ns in knowledge.publishers.get(key, ())):
                return knowledge.licenses[key], None
    return None, f"{name!r} names different licence texts for different publishers ({', '.join(keys)})"


def identify(repo_id: str, card: CardData, knowledge: Knowledge, *, context_namespaces: Iterable[str] = ()) -> NodeLicense:
    """The node's licence from its card: the Hub id, else license_name; never a guess.

    context_namespaces are the namespaces of the node's ancestors, nearest first, used only to
    decide a slug that two publishers use for different texts.
    """
    namespaces = [repo_id.split("/", 1)[0], *context_namespaces]
    declared = card.license
    candidates: list[tuple[str, str]] = []
    if declared and declared not in _NON_ANSWERS:
        candidates.append(("license-id", declared))
    if card.license_name:
        candidates.append(("license_name", card.license_name))
    note = None
    for method, name in candidates:
        record, ambiguity = _lookup(knowledge, name, namespaces)
        if record is not None:
            return NodeLicense(repo_id, declared, card.license_name, record.key, record.spdx_id, method)
        note = note or ambiguity
    if declared is None and card.license_name is None:
        return NodeLicense(repo_id, None, None, None, None, "missing")
    spdx = spdx_normalize(declared) if declared and declared not in _NON_ANSWERS else None
    return NodeLicense(repo_id, declared, card.license_name, None, spdx, "ambiguous" if note else "unidentified")
