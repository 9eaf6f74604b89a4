"""Model folders inside the project: config.json, adapter_config.json and model cards, with their lineage."""

from __future__ import annotations

import re
from typing import Iterable

from licscan import lazy_re
from licscan.cards import parse_card, split_front_matter
from licscan.errors import ParseError
from licscan.model import CardData, LocalModel, Location, ParentLink, Relation, Skipped

from .common import decode_utf8, hub_id, load_json, not_utf8_detail
from .config_files import is_model_config
from .interface import ProjectFile, SourceOutput

CONFIG = "config.json"
ADAPTER_CONFIG = "adapter_config.json"
README = "readme.md"

# Evidence order when one folder has several files: the card first, as the publisher's word.
_EVIDENCE_ORDER = {"base_model": 0, "adapter_config": 1, "config.json": 2}
# Which file the folder's location points at: the one that most clearly makes it a model.
_LOCATION_ORDER = {ADAPTER_CONFIG: 0, CONFIG: 1, README: 2}
_SPACE_CARD = lazy_re.compile(r"^sdk\s*:", re.M)


def _folder(relpath: str) -> str:
    return relpath.rsplit("/", 1)[0] if "/" in relpath else "."


def _filename(relpath: str) -> str:
    return relpath.rsplit("/", 1)[-1].lower()


def _relation(value: str | None) -> Relation:
    try:
        return Relation(value) if value else Relation.UNSPECIFIED
    except ValueError:
        return Relation.UNSPECIFIED


class ModelDirSource:
    """A folder holding a model: its card, its config and the base model it names."""

    name = "model-dir"
    header_only = False

    def wants(self, relpath: str) -> bool:
        return _filename(relpath) in (CONFIG, ADAPTER_CONFIG, README)

    def scan(self, file: ProjectFile) -> SourceOutput:
        filename = _filename(file.relpath)
        if filename == README:
            return self._card(file)
        try:
            data = load_json(decode_utf8(file.data))
        except UnicodeDecodeError as exc:
            return SourceOutput(skipped=(Skipped(file.relpath, "not-utf8", not_utf8_detail(exc)),))
        except ParseError as exc:
            return SourceOutput(skipped=(Skipped(file.relpath, "parse-error", str(exc)),))
        if filename == ADAPTER_CONFIG:
            if not isinstance(data, dict):
                return SourceOutput(skipped=(Skipped(file.relpath, "parse-error", "adapter config is not an object"),))
            parents = self._parent(file, data.get("base_model_name_or_path"), Relation.ADAPTER, "adapter_config")
        else:
            if not is_model_config(data):
                return SourceOutput()  # some other tool's config.json; config_files reads it
            parents = self._parent(file, data.get("_name_or_path"), Relation.UNSPECIFIED, "config.json")
        return SourceOutput(local_models=(self._model(file, CardData(), parents),))

    def _parent(self, file: ProjectFile, value: object, relation: Relation, evidence: str) -> tuple[ParentLink, ...]:
        if not isinstance(value, str):
            return ()
        repo_id = hub_id(value)
        return (ParentLink(repo_id, relation, evidence),) if repo_id else ()

    def _card(self, file: ProjectFile) -> SourceOutput:
        # Most READMEs are project docs without front matter: skip them before parsing.
        if not file.data.lstrip(b"\xef\xbb\xbf").startswith(b"---"):
            return SourceOutput()
        try:
            block = split_front_matter(decode_utf8(file.data))
        except UnicodeDecodeError:
            block = ""  # parse_card records the problem on the card
        if block and _SPACE_CARD.search(block):
            return SourceOutput()  # a Space's card describes an app, not a model
        card = parse_card(file.data, what=file.relpath)
        relation = _relation(card.base_model_relation)
        parents = tuple(ParentLink(repo_id, relation, "base_model") for repo_id in card.base_models)
        return SourceOutput(local_models=(self._model(file, card, parents),))

    def _model(self, file: ProjectFile, card: CardData, parents: tuple[ParentLink, ...]) -> LocalModel:
        return LocalModel(
            key=f"local:{_folder(file.relpath)}",
            location=Location(file.relpath),
            card=card,
            parents=parents,
        )


def merge_local_models(candidates: Iterable[LocalModel]) -> tuple[LocalModel, ...]:
    """One LocalModel per folder from the per-file finds, sorted by key.

    A README alone makes a folder a model only when its card names a base model or a licence;
    conflicting parents (card vs config.json) are all kept, for resolution and the report to weigh.
    """
    by_key: dict[str, list[LocalModel]] = {}
    for candidate in candidates:
        by_key.setdefault(candidate.key, []).append(candidate)
    merged = []
    for key in sorted(by_key):
        group = sorted(by_key[key], key=lambda m: _LOCATION_ORDER.get(_filename(m.location.path), 9))
        cards = [m for m in group if _filename(m.location.path) == README]
        # A weights file (GGUF, safetensors) carries its own card in its header.
        card = cards[0].card if cards else next((m.card for m in group if m.card != CardData()), CardData())
        has_config = any(_filename(m.location.path) != README for m in group)
        if not has_config and not (card.base_models or card.license):
            continue
        links = sorted(
            (link for m in group for link in m.parents),
            key=lambda link: _EVIDENCE_ORDER.get(link.evidence, 9),
        )
        parents: dict[str, ParentLink] = {}
        for link in links:
            known = parents.get(link.repo_id)
            if known is None:
                parents[link.repo_id] = link
            elif known.relation is Relation.UNSPECIFIED and link.relation is not Relation.UNSPECIFIED:
                # The card names the base; adapter_config.json says what kind of edge it is.
                parents[link.repo_id] = ParentLink(link.repo_id, link.relation, f"{known.evidence}+{link.evidence}")
        merged.append(LocalModel(key=key, location=group[0].location, card=card, parents=tuple(parents.values())))
    return tuple(merged)

