"""The ancestry walk: breadth-first over every root's base_model links, each repo fetched once per scan."""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping, Sequence

from licscan import safeyaml
from licscan.cards import card_from_mapping, normalize_repo_id, parse_card, split_front_matter
from licscan.errors import CacheError, ParseError, redact
from licscan.model import (
    CardData,
    Edge,
    Lineage,
    LocalModel,
    ModelRecord,
    ModelRef,
    ParentLink,
    RefKind,
    Relation,
    ResolutionResult,
    ResolutionSettings,
    ResolutionStats,
    Unresolved,
    UnresolvedReason,
)
from licscan.resolution.interface import SOURCES, FetchFailure, MetadataSource, RepoSnapshot
from licscan.resolution.store import MetadataStore, open_store

logger = logging.getLogger(__name__)

_RELATIONS = {r.value for r in Relation if r is not Relation.UNSPECIFIED}
_QUANT_TAGS = {"gguf", "mlx", "awq", "gptq", "exl2", "exl3", "bnb", "bitsandbytes", "fp8", "4-bit", "8-bit"}
_QUANT_NAME_TOKENS = {"gguf", "awq", "gptq", "mlx", "exl2", "exl3", "fp8", "bnb", "4bit", "8bit", "int4", "int8",
                      "quantized", "w8a8", "w4a16", "w8a16", "w4a8"}
_ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin")

_Key = tuple[str, "str | None"]  # (repo id lower-cased, revision): the Hub matches ids regardless of case


@dataclass
class _Node:
    """A fetched repo, ready to become a ModelRecord once its parents' canonical ids are known."""

    snapshot: RepoSnapshot | None  # None for a local model
    record: ModelRecord
    links: list[ParentLink]  # as the card names them (normalised ids)
    problems: list[Unresolved] = field(default_factory=list)  # what the card names that cannot be walked


def resolve(
    roots: Sequence[ModelRef | LocalModel],
    settings: ResolutionSettings,
    *,
    source: MetadataSource | None = None,
    store: MetadataStore | None = None,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.time,
) -> ResolutionResult:
    """Resolve the whole base_model ancestry of every root.

    The source is the mirror when settings.mirror is set, else the metadata cache when settings.offline,
    else the Hub (which answers from the cache alone under HF_HUB_OFFLINE). Lineages are keyed by the id
    as asked (or the local key); Lineage.root and the node ids are canonical, after renames. Dataset refs
    are not roots and get no lineage. Never raises on bad or missing data (those become Unresolved);
    raises CacheError only when the metadata cache cannot be used.
    """
    own_store = store is None and source is None and not settings.mirror
    if own_store:
        store = open_store(settings.db_url, now=now)
    own_source = source is None
    try:
        if source is None:
            name = "mirror" if settings.mirror else ("cache" if settings.offline else "hub")
            source = SOURCES[name](settings, store=store, sleep=sleep, now=now)
        try:
            return _Walk(source, settings).run(roots)
        finally:
            if own_source:
                source.close()
    finally:
        if own_store and store is not None:
            store.close()


class _Walk:
    def __init__(self, source: MetadataSource, settings: ResolutionSettings) -> None:
        self.source = source
        self.settings = settings
        self.max_depth = max(0, settings.max_depth)
        self.results: dict[_Key, RepoSnapshot | FetchFailure] = {}
        self.nodes: dict[str, _Node] = {}  # by canonical id (or local key)
        self.aliases: dict[str, set[str]] = {}  # canonical id -> other ids that reached it
        self.canonical: dict[str, str] = {}  # asked id -> canonical id
        self.by_lower: dict[str, str] = {}  # any id seen for a fetched repo, lower-cased -> canonical id

    # -- fetching, level by level over all roots ---------------------------------------------------------
    def run(self, roots: Sequence[ModelRef | LocalModel]) -> ResolutionResult:
        before = self.source.counters.snapshot()
        root_keys: list[tuple[str, ModelRef | LocalModel, _Key | None, Unresolved | None]] = []
        # levels[d]: the repos first named at depth d from some root (a local model's parents start at 1).
        levels: dict[int, list[tuple[str, str | None]]] = {0: [], 1: []}
        asked_roots: set[tuple[str, str | None]] = set()
        for root in roots:
            if isinstance(root, LocalModel):
                node = self._local_node(root)
                self.nodes[root.key] = node
                if self.max_depth >= 1:
                    levels[1].extend((link.repo_id, None) for link in node.links)
                root_keys.append((root.key, root, None, None))
                continue
            if root.kind is not RefKind.MODEL:
                continue  # datasets have no base_model ancestry to walk
            asked = root.repo_id
            if (asked, root.revision) in asked_roots:
                continue  # the same root twice is one lineage
            asked_roots.add((asked, root.revision))
            repo_id = normalize_repo_id(asked)
            if repo_id is None:
                bad = Unresolved(asked, UnresolvedReason.INVALID_ID, f"{asked[:100]!r} is not a Hub repo id")
                root_keys.append((root.key, root, None, bad))
                continue
            root_keys.append((root.key, root, _key(repo_id, root.revision), None))
            levels[0].append((repo_id, root.revision))

        with ThreadPoolExecutor(max_workers=max(1, self.settings.workers),
                                thread_name_prefix="licscan-resolve") as pool:
            depth = 0
            while levels.get(depth) or levels.get(depth + 1):
                found = self._fetch_level(pool, levels.pop(depth, []), depth)
                levels.setdefault(depth + 1, []).extend(found)
                depth += 1

        lineages: dict[str, Lineage] = {}
        for key, root, fetch_key, bad in root_keys:
            lineages[key] = self._lineage(key, root, fetch_key, bad)
        after = self.source.counters.snapshot()
        stats = ResolutionStats(
            api_calls=after.api_calls - before.api_calls,
            file_downloads=after.file_downloads - before.file_downloads,
            cache_hits=after.cache_hits - before.cache_hits,
            mirror_reads=after.mirror_reads - before.mirror_reads,
        )
        return ResolutionResult(lineages=lineages, canonical=dict(self.canonical), stats=stats)

    def _fetch_level(self, pool: ThreadPoolExecutor, frontier: list[tuple[str, str | None]],
                     depth: int) -> list[tuple[str, str | None]]:
        todo: dict[_Key, tuple[str, str | None]] = {}
        for repo_id, revision in frontier:
            key = _key(repo_id, revision)
            if key in self.results or key in todo:
                continue
            known = self._known(repo_id, revision)
            if known is not None:  # already fetched under its new name
                self.results[key] = known.with_request(repo_id)
                continue
            todo[key] = (repo_id, revision)
        for key, result in zip(todo, pool.map(lambda item: self._fetch(*item), todo.values())):
            self.results[key] = result
        next_frontier: list[tuple[str, str | None]] = []
        for repo_id, revision in frontier:
            result = self.results[_key(repo_id, revision)]
            if isinstance(result, FetchFailure):
                continue
            self.canonical[repo_id] = result.repo_id
            if repo_id != result.repo_id:
                self.aliases.setdefault(result.repo_id, set()).add(repo_id)
            if result.repo_id in self.nodes:
                continue
            if revision is None:
                self.by_lower[repo_id.lower()] = self.by_lower[result.repo_id.lower()] = result.repo_id
            node = self._hub_node(result)
            self.nodes[result.repo_id] = node
            if depth < self.max_depth:
                next_frontier.extend((link.repo_id, None) for link in node.links)
        return next_frontier

    def _known(self, repo_id: str, revision: str | None) -> RepoSnapshot | None:
        if revision is not None:
            return None
        canonical = self.by_lower.get(repo_id.lower())
        return self.nodes[canonical].snapshot if canonical is not None else None

    def _fetch(self, repo_id: str, revision: str | None) -> RepoSnapshot | FetchFailure:
        try:
            return self.source.fetch(repo_id, revision)
        except CacheError:
            raise
        except Exception as exc:  # noqa: BLE001 - a source bug must not end the scan; it is reported instead
            logger.exception("source %s failed on %s", self.source.name, repo_id)
            return FetchFailure(repo_id, UnresolvedReason.NETWORK,
                                redact(f"{self.source.name} source failed: {type(exc).__name__}: {exc}"))

    # -- reading one node --------------------------------------------------------------------------------
    def _local_node(self, local: LocalModel) -> _Node:
        links = list(local.parents)
        problems: list[Unresolved] = []
        if not links:
            links = _infer_links(local.card, list(local.card.base_models), tags=(), files=(), name=local.key)
        valid: list[ParentLink] = []
        for link in links:
            repo_id = normalize_repo_id(link.repo_id)
            if repo_id is None:
                problems.append(Unresolved(link.repo_id[:100], UnresolvedReason.INVALID_ID,
                                           f"{local.key} names {link.repo_id[:100]!r}, which is not a Hub repo id",
                                           referenced_by=local.key))
            else:
                valid.append(replace(link, repo_id=repo_id))
        record = ModelRecord(repo_id=local.key, revision=None, author=None, card=local.card,
                             parents=tuple(valid), source="local")
        return _Node(None, record, _dedupe(valid), problems)

    def _hub_node(self, snap: RepoSnapshot) -> _Node:
        card, raw, unreadable = _read_card(snap)
        problems: list[Unresolved] = []
        if unreadable:
            problems.append(Unresolved(snap.repo_id, UnresolvedReason.MALFORMED,
                                       f"the card of {snap.repo_id} cannot be read, so its base models are "
                                       f"unknown: {unreadable}", referenced_by=snap.repo_id))
        if raw is not None:
            problems.extend(_bad_base_models(raw, card, snap.repo_id))
        tags = tuple(dict.fromkeys((*snap.tags, *card.tags)))
        parents = list(card.base_models)
        if not parents and not unreadable:
            parents = _tag_parents(tags)  # lineage only in the Hub's tags (cards without base_model)
        links = _infer_links(card, parents, tags=tags, files=snap.files, name=snap.repo_id)
        record = ModelRecord(
            repo_id=snap.repo_id,
            revision=snap.sha,
            author=snap.author,
            card=card,
            parents=tuple(links),
            source=snap.source,
            license_text=snap.license_text,
            gated=snap.gated,
            provenance=snap.provenance,
        )
        return _Node(snap, record, links, problems)

    # -- one lineage per root ----------------------------------------------------------------------------
    def _resolved_parent(self, link: ParentLink) -> str | FetchFailure | None:
        """The canonical id of a parent, its fetch failure, or None when it was never fetched (too deep)."""
        result = self.results.get(_key(link.repo_id, None))
        if result is None:
            return None
        return result if isinstance(result, FetchFailure) else result.repo_id

    def _lineage(self, key: str, root: ModelRef | LocalModel, fetch_key: _Key | None,
                 bad: Unresolved | None) -> Lineage:
        if bad is not None:
            return Lineage(root=key, nodes=(), unresolved=(bad,))
        if isinstance(root, LocalModel):
            start = root.key
        else:
            result = self.results.get(fetch_key) if fetch_key else None
            if isinstance(result, FetchFailure) or result is None:
                failure = result or FetchFailure(root.repo_id, UnresolvedReason.NETWORK, "never fetched")
                return Lineage(root=key, nodes=(),
                               unresolved=(Unresolved(root.repo_id, failure.reason, failure.detail),))
            start = result.repo_id
            self.canonical[root.repo_id] = start

        back_edges = self._back_edges(start)
        order: list[str] = [start]
        seen = {start}
        edges: list[Edge] = []
        unresolved: list[Unresolved] = []
        queue: deque[tuple[str, int]] = deque([(start, 0)])
        while queue:
            child, depth = queue.popleft()
            node = self.nodes[child]
            unresolved.extend(node.problems)
            for link in node.links:
                target = self._resolved_parent(link)
                if depth + 1 > self.max_depth or target is None:
                    unresolved.append(Unresolved(link.repo_id, UnresolvedReason.DEPTH_LIMIT,
                                                 f"deeper than max_depth={self.max_depth} from {start}",
                                                 referenced_by=child))
                    continue
                if isinstance(target, FetchFailure):
                    unresolved.append(Unresolved(link.repo_id, target.reason, target.detail, referenced_by=child))
                    continue
                edges.append(Edge(child, target, link.relation, link.evidence))
                if (child, target) in back_edges:
                    unresolved.append(Unresolved(target, UnresolvedReason.CYCLE,
                                                 f"{child} names {target} as a base model, but {target} is "
                                                 f"already on the path from {start} to {child}",
                                                 referenced_by=child))
                    continue
                if target not in seen:
                    seen.add(target)
                    order.append(target)
                    queue.append((target, depth + 1))
        return Lineage(
            root=start,
            nodes=tuple(self._record(node_id) for node_id in order),
            edges=tuple(dict.fromkeys(edges)),
            unresolved=tuple(dict.fromkeys(unresolved)),
        )

    def _targets(self, node_id: str) -> list[str]:
        out = []
        for link in self.nodes[node_id].links:
            target = self._resolved_parent(link)
            if isinstance(target, str) and target in self.nodes:
                out.append(target)
        return out

    def _back_edges(self, start: str) -> set[tuple[str, str]]:
        """Edges that point at a node on the current path from the root (iterative DFS, no recursion limit)."""
        on_path: set[str] = {start}
        done: set[str] = set()
        back: set[tuple[str, str]] = set()
        stack: list[tuple[str, Iterable[str]]] = [(start, iter(self._targets(start)))]
        while stack:
            node_id, pending = stack[-1]
            nxt = next(pending, None)  # type: ignore[call-overload]
            if nxt is None:
                stack.pop()
                on_path.discard(node_id)
                done.add(node_id)
                continue
            if nxt in on_path:
                back.add((node_id, nxt))
            elif nxt not in done:
                on_path.add(nxt)
                stack.append((nxt, iter(self._targets(nxt))))
        return back

    def _record(self, node_id: str) -> ModelRecord:
        node = self.nodes[node_id]
        parents = []
        for link in node.record.parents:
            target = self._resolved_parent(link)
            parents.append(replace(link, repo_id=target) if isinstance(target, str) else link)
        aliases = tuple(sorted(a for a in self.aliases.get(node_id, ()) if a != node_id))
        return replace(node.record, parents=tuple(parents), aliases=aliases)


# ---------------------------------------------------------------------------------------------------------
# Card reading and relation inference
# ---------------------------------------------------------------------------------------------------------


def _key(repo_id: str, revision: str | None) -> _Key:
    return (repo_id.lower(), revision)


def _dedupe(links: list[ParentLink]) -> list[ParentLink]:
    seen: set[str] = set()
    out = []
    for link in links:
        if link.repo_id.lower() not in seen:
            seen.add(link.repo_id.lower())
            out.append(link)
    return out


def _front_matter(readme: bytes) -> tuple[str, Mapping[str, Any] | None]:
    """("ok", mapping), ("none", None) when the card has no metadata, or ("bad", None) when it is unreadable."""
    try:
        text = readme.decode("utf-8")
    except UnicodeDecodeError:
        return "bad", None
    block = split_front_matter(text)
    if block is None:
        return "none", None
    try:
        data = safeyaml.load(block, what="model card front matter")
    except ParseError:
        return "bad", None
    if data is None:
        return "none", None
    return ("ok", data) if isinstance(data, Mapping) else ("bad", None)


def _read_card(snap: RepoSnapshot) -> tuple[CardData, Mapping[str, Any] | None, str | None]:
    """The card, the mapping it was read from, and why its lineage is unknowable (or None).

    The README is the publisher's own text, so it wins; the Hub's cardData stands in when the README could
    not be downloaded (gated files) or its front matter does not parse.
    """
    notes = tuple(f"{note}; card fields taken from the Hub's cardData" for note in snap.notes) if snap.api_only else ()
    if snap.readme is not None and len(snap.readme) <= 1_000_000 and b"\x00" not in snap.readme[:8192]:
        card = parse_card(snap.readme)
        state, raw = _front_matter(snap.readme)
        if state == "ok":
            return card, raw, None
        if snap.card_data:
            api = card_from_mapping(snap.card_data, what="the Hub's cardData")
            return replace(api, problems=card.problems + api.problems), snap.card_data, None
        return card, None, (card.problems[0] if state == "bad" and card.problems else None)
    if snap.readme is not None:
        card = parse_card(snap.readme)  # too large or binary: parse_card says which
        if snap.card_data:
            api = card_from_mapping(snap.card_data, what="the Hub's cardData")
            return replace(api, problems=card.problems + api.problems), snap.card_data, None
        return card, None, card.problems[0] if card.problems else "unreadable"
    if snap.card_data is not None:
        api = card_from_mapping(snap.card_data, what="the Hub's cardData")
        return replace(api, problems=notes + api.problems), snap.card_data, None
    missing = notes or tuple(snap.notes) or ("no model card",)
    return CardData(problems=missing), None, None


def _bad_base_models(raw: Mapping[str, Any], card: CardData, child: str) -> list[Unresolved]:
    """Unresolved entries for base_model values that cannot be walked, so they are never silently lost."""
    value = raw.get("base_model")
    if value is None or value == []:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[Unresolved] = []
    for item in items:
        if isinstance(item, str):
            if not item.strip() or normalize_repo_id(item) is not None:
                continue
            reason, shown = UnresolvedReason.INVALID_ID, item[:100]
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            reason, shown = UnresolvedReason.INVALID_ID, str(item)
        else:
            reason, shown = UnresolvedReason.MALFORMED, repr(item)[:100]
        detail = next((p for p in card.problems if "base_model" in p and (shown in p or type(item).__name__ in p)),
                      f"base_model names {shown!r}, which is not a Hub repo id")
        out.append(Unresolved(shown, reason, f"{child}: {detail}", referenced_by=child))
    return out


def _tag_parents(tags: Sequence[str]) -> list[str]:
    """Parents from the Hub's base_model:<id> / base_model:<relation>:<id> tags."""
    out: list[str] = []
    for tag in tags:
        if not tag.startswith("base_model:"):
            continue
        repo_id = normalize_repo_id(tag.split(":")[-1])
        if repo_id and repo_id.lower() not in {p.lower() for p in out}:
            out.append(repo_id)
    return out


def _tag_relation(tags: Sequence[str], parent: str) -> Relation | None:
    for tag in tags:
        parts = tag.split(":")
        if len(parts) == 3 and parts[0] == "base_model" and parts[2].lower() == parent.lower():
            if parts[1].lower() in _RELATIONS:
                return Relation(parts[1].lower())
    return None


def _looks_quantized(card: CardData, tags: Sequence[str], name: str) -> bool:
    lowered = {t.lower() for t in tags}
    if (card.library_name or "").lower() in _QUANT_TAGS or lowered & _QUANT_TAGS:
        return True
    if any(t.startswith("gguf") for t in lowered):
        return True
    repo_name = name.split("/")[-1].lower()
    tokens = set(re.split(r"[-_.]", repo_name))
    return bool(tokens & _QUANT_NAME_TOKENS) or "gguf" in repo_name or "gptq" in repo_name or "awq" in repo_name


def _infer_links(card: CardData, parents: Sequence[str], *, tags: Sequence[str], files: Sequence[str],
                 name: str) -> list[ParentLink]:
    """A ParentLink per parent: the card's base_model_relation, else the Hub's tag, else inferred."""
    declared = (card.base_model_relation or "").lower()
    links = []
    for parent in parents:
        if declared in _RELATIONS:
            links.append(ParentLink(parent, Relation(declared), "base_model_relation"))
            continue
        tagged = _tag_relation(tags, parent)
        if tagged is not None:
            links.append(ParentLink(parent, tagged, "tag"))
            continue
        if len(parents) > 1:
            relation = Relation.MERGE
        elif (card.library_name or "").lower() == "peft" or any(f.split("/")[-1] in _ADAPTER_FILES for f in files):
            relation = Relation.ADAPTER
        elif _looks_quantized(card, tags, name):
            relation = Relation.QUANTIZED
        else:
            relation = Relation.FINETUNE
        links.append(ParentLink(parent, relation, "inferred"))
    return _dedupe(links)
