"""The ancestry walk: breadth-first over every root's base_model links, each repo fetched once per scan."""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping, Sequence

from licscan.cards import card_from_mapping, normalize_repo_id, parse_card
from licscan.errors import CacheError, redact
from licscan.model import (
    CardData,
    DatasetRecord,
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
from licscan.resolution.interface import (
    SOURCES, FetchFailure, MetadataSource, PendingFiles, RepoSnapshot, copied,
)
from licscan.resolution.local import read_local_license
from licscan.resolution.store import DATASET_KEY, MetadataStore, StoreSession, open_store

logger = logging.getLogger(__name__)

_RELATIONS = {r.value for r in Relation if r is not Relation.UNSPECIFIED}
_QUANT_TAGS = {"gguf", "mlx", "awq", "gptq", "exl2", "exl3", "bnb", "bitsandbytes", "fp8", "4-bit", "8-bit"}
_QUANT_NAME_TOKENS = {"gguf", "awq", "gptq", "mlx", "exl2", "exl3", "fp8", "bnb", "4bit", "8bit", "int4", "int8",
                      "quantized", "w8a8", "w4a16", "w8a16", "w4a8"}
_ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin")

FLUSH_EVERY = 256  # rows of cache writes gathered before they go to the store in one transaction
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
    if settings.progress is not None:
        report, pause = settings.progress, sleep

        def sleep(seconds: float) -> None:  # a rate-limit or retry wait, shown while it lasts
            report("wait", seconds=seconds)
            pause(seconds)

    own_store = store is None and source is None and not settings.mirror
    if own_store:
        store = open_store(settings.db_url, now=now, pool_size=settings.db_pool_size)
    own_source = source is None
    # The walk and the source it builds share one session of the store: what the store knows is read once
    # (or once per level), and writes go in batches. A source handed in keeps the store it was given.
    session = store.session() if (own_source and store is not None) else None
    try:
        if source is None:
            name = "mirror" if settings.mirror else ("cache" if settings.offline else "hub")
            source = SOURCES[name](settings, store=session, sleep=sleep, now=now)
        try:
            result = _Walk(source, settings, session=session).run(roots)
            if session is not None:
                session.flush()
            return result
        finally:
            if own_source:
                source.close()
    finally:
        if own_store and store is not None:
            store.close()


@dataclass(frozen=True)
class _Task:
    """One fetch in flight: its phase (info, files, or fetch for a one-phase source), what was asked, and, for
    a files phase, the (canonical id, sha) that other ids of the same repo wait on."""

    phase: str
    repo_id: str
    revision: str | None
    depth: int
    same: tuple[str, str | None] | None = None


class _Workers:
    """Up to `size` threads, started as work arrives and kept for the walk, each taking tasks from one queue and
    putting (task, result, raised) on the walk's queue of completions.

    A task costs two queue operations. A ThreadPoolExecutor's future costs a condition variable, an idle
    semaphore, a work item and a done callback, each a few Python-level lock operations: about a tenth of the
    walk's CPU at 10,000 requests. Only the walk's thread calls submit, taken and close.
    """

    def __init__(self, size: int, name: str, done: "queue.SimpleQueue[tuple[_Task, Any, bool]]") -> None:
        self._size = size
        self._name = name
        self._done = done
        self._tasks: queue.SimpleQueue[tuple[_Task, Callable[..., Any], tuple[Any, ...]] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._outstanding = 0  # submitted, and not yet taken from the completions by the walk
        self._closed = False

    def submit(self, task: _Task, work: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self._outstanding += 1
        if len(self._threads) < min(self._size, self._outstanding):
            thread = threading.Thread(target=self._work, name=f"{self._name}_{len(self._threads)}", daemon=True)
            thread.start()
            self._threads.append(thread)
        self._tasks.put((task, work, args))

    def taken(self) -> None:
        self._outstanding -= 1

    def _work(self) -> None:
        tasks, done = self._tasks, self._done
        while True:
            item = tasks.get()
            if item is None or self._closed:  # closed: what is still queued is dropped, never started
                return
            task, work, args = item
            try:
                done.put((task, work(*args), False))
            except BaseException as exc:  # noqa: BLE001 - handed to the walk's thread, which raises it
                done.put((task, exc, True))

    def close(self) -> None:
        """Drop the tasks not started and wait for the running ones to end (a request ends by its deadline)."""
        self._closed = True
        for _ in self._threads:
            self._tasks.put(None)
        for thread in self._threads:
            thread.join()


class _Walk:
    def __init__(self, source: MetadataSource, settings: ResolutionSettings, *,
                 session: StoreSession | None = None) -> None:
        self.source = source
        self.session = session
        self.settings = settings
        self.max_depth = max(0, settings.max_depth)
        self.results: dict[_Key, RepoSnapshot | FetchFailure] = {}
        self.nodes: dict[str, _Node] = {}  # by canonical id (or local key)
        self.aliases: dict[str, set[str]] = {}  # canonical id -> other ids that reached it
        self.canonical: dict[str, str] = {}  # asked id -> canonical id
        self.by_lower: dict[str, str] = {}  # any id seen for a fetched repo, lower-cased -> canonical id
        self._records: dict[str, ModelRecord] = {}  # node id -> its finished record (once the walk is over)

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
            if root.kind in (RefKind.HOSTED_API, RefKind.RUNTIME):
                bad = self._service_node(root, levels[1])
                if root.key not in {key for key, *_ in root_keys}:
                    root_keys.append((root.key, root, None, bad))
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

        self._crawl(levels)
        self._fetch_evidence()

        lineages: dict[str, Lineage] = {}
        for key, root, fetch_key, bad in root_keys:
            lineages[key] = self._lineage(key, root, fetch_key, bad)
        after = self.source.counters.snapshot()
        stats = ResolutionStats(
            api_calls=after.api_calls - before.api_calls,
            file_downloads=after.file_downloads - before.file_downloads,
            cache_hits=after.cache_hits - before.cache_hits,
            mirror_reads=after.mirror_reads - before.mirror_reads,
            revalidations=after.revalidations - before.revalidations,
        )
        return ResolutionResult(lineages=lineages, canonical=dict(self.canonical), stats=stats)

    def _crawl(self, start: dict[int, list[tuple[str, str | None]]]) -> None:
        """Fetch every repo within max_depth of a root, each once, as a pipeline rather than level by level.

        A source with two phases (the Hub: one API call, then README/LICENSE from the file resolver) has
        its API calls on one bounded pool and its file downloads on another, and a repo's parents, as the
        API's cardData names them, are asked for as soon as its API answer arrives. The walk down the
        ancestry then waits one API round trip per level, never for files; a card whose README names other
        parents than its cardData gets them asked for when the README arrives.
        """
        workers = max(1, self.settings.workers)
        two_phase = callable(getattr(self.source, "fetch_info", None))
        # Each task puts its answer here when it is done: the loop takes completions as they come, in time
        # independent of how many are still running (waiting on the whole running set each time is quadratic).
        self._completed: queue.SimpleQueue[tuple[_Task, Any, bool]] = queue.SimpleQueue()
        api = _Workers(workers, "licscan-api", self._completed)
        # A repo costs one API call and two or three file reads (README, config.json, LICENSE); the resolver
        # bucket allows six times the API bucket's requests, so files get twice the API pool: the walk then
        # waits on API calls, the scarce bucket, not on downloads.
        files = _Workers(2 * workers, "licscan-files", self._completed) if two_phase else None
        self._in_flight = 0
        self._depth: dict[_Key, int] = {}
        self._expanded: dict[str, int] = {}  # canonical id -> depth its parents were asked for at
        self._pending: list[tuple[str, str | None, int]] = []  # asked, neither answered nor submitted yet
        self._api, self._files = api, files
        waiting: dict[tuple[str, str | None], list[tuple[str, str | None, int]]] = {}  # files in flight
        try:
            for depth in sorted(start):
                for repo_id, revision in start[depth]:
                    self._ask(repo_id, revision, depth)
            while True:
                self._dispatch()
                if self.settings.progress is not None:
                    counts = self.source.counters.snapshot()
                    self.settings.progress("resolve", done=len(self._depth) - self._in_flight,
                                           known=len(self._depth), requests=counts.api_calls + counts.file_downloads)
                if not self._in_flight:
                    break
                task, result, raised = self._completed.get()
                self._in_flight -= 1
                (files if task.phase == "files" else api).taken()
                if raised:  # _fetch* never raise but for CacheError, which ends the scan
                    raise result
                repo_id, revision, depth = task.repo_id, task.revision, task.depth
                if task.phase == "info" and isinstance(result, PendingFiles):
                    same = (result.snapshot.repo_id, result.snapshot.sha)
                    node = self.nodes.get(same[0])
                    if node is not None and node.snapshot is not None and node.snapshot.sha == same[1]:
                        # Its other id (a rename) already brought the files: never download them twice.
                        self._settle(repo_id, revision, node.snapshot.with_request(repo_id), depth)
                    elif same in waiting:
                        waiting[same].append((repo_id, revision, depth))
                    else:
                        waiting[same] = []
                        self._expand_ids(self._parent_ids(result.snapshot), depth)  # speculative
                        assert files is not None
                        self._submit(files, _Task("files", repo_id, revision, depth, same), self._fetch_files, result)
                    continue
                self._settle(repo_id, revision, result, depth)
                for other_id, other_revision, other_depth in waiting.pop(task.same, []) if task.same else ():
                    self._settle(other_id, other_revision, result.with_request(other_id)
                                 if isinstance(result, RepoSnapshot) else replace(result, repo_id=other_id),
                                 other_depth)
        finally:
            api.close()
            if files is not None:
                files.close()

    def _submit(self, pool: "_Workers", task: "_Task", work: Callable[..., Any], *args: Any) -> None:
        self._in_flight += 1
        pool.submit(task, work, args)

    def _dispatch(self) -> None:
        """Answer what was asked since the last completion: the store is read for the whole batch at once, what
        it answers (fresh heads, remembered renames and misses) settles here without a thread or a request,
        and only the rest goes to the pool. Answers from the store ask for their parents, the next batch: a
        warm walk reads the store once per level of the ancestry."""
        answer = getattr(self.source, "answer_from_cache", None)
        while self._pending:
            batch, self._pending = self._pending, []
            if self.session is not None:
                self.session.prefetch([repo_id for repo_id, revision, _ in batch if revision is None])
            for repo_id, revision, depth in batch:
                known = self._known(repo_id, revision)
                if known is not None:  # fetched under its new name since it was asked
                    self._settle(repo_id, revision, known.with_request(repo_id), depth)
                    continue
                got = self._guarded(repo_id, lambda: answer(repo_id, revision)) if answer is not None else None
                if got is not None:
                    self._settle(repo_id, revision, got, depth)
                elif self._files is not None:
                    self._submit(self._api, _Task("info", repo_id, revision, depth), self._fetch_info, repo_id, revision)
                else:
                    self._submit(self._api, _Task("fetch", repo_id, revision, depth), self._fetch, repo_id, revision)
            if self.session is not None:
                self.session.flush(when_over=FLUSH_EVERY)

    def _ask(self, repo_id: str, revision: str | None, depth: int) -> None:
        key = _key(repo_id, revision)
        before = self._depth.get(key)
        if before is not None:
            if depth < before:  # reached again, nearer a root: its parents may now be within max_depth
                self._depth[key] = depth
                result = self.results.get(key)
                if isinstance(result, RepoSnapshot) and result.repo_id in self.nodes:
                    self._expand(result.repo_id, depth)
            return
        self._depth[key] = depth
        known = self._known(repo_id, revision)
        if known is not None:  # already fetched under its new name
            self._settle(repo_id, revision, known.with_request(repo_id), depth)
            return
        self._pending.append((repo_id, revision, depth))

    def _settle(self, repo_id: str, revision: str | None, result: RepoSnapshot | FetchFailure, depth: int) -> None:
        self.results[_key(repo_id, revision)] = result
        if isinstance(result, FetchFailure):
            return
        self.canonical[repo_id] = result.repo_id
        if repo_id != result.repo_id:
            self.aliases.setdefault(result.repo_id, set()).add(repo_id)
            if self.session is not None and revision is None:
                # However the walk learnt it (a redirect, the other id's files, a case): the next scan asks
                # the new id directly, or nothing at all within the freshness window.
                self.session.set_alias(repo_id, result.repo_id)
        if revision is None:
            self.by_lower[repo_id.lower()] = self.by_lower[result.repo_id.lower()] = result.repo_id
        if result.repo_id not in self.nodes:
            self.nodes[result.repo_id] = self._hub_node(result)
        self._expand(result.repo_id, depth)

    def _expand(self, node_id: str, depth: int) -> None:
        if self._expanded.get(node_id, self.max_depth + 1) <= depth:
            return
        self._expanded[node_id] = depth
        self._expand_ids((link.repo_id for link in self.nodes[node_id].links), depth)

    def _expand_ids(self, repo_ids: Iterable[str], depth: int) -> None:
        if depth < self.max_depth:
            for repo_id in repo_ids:
                self._ask(repo_id, None, depth + 1)

    def _guarded(self, repo_id: str, fetch: Callable[[], Any]) -> Any:
        """A source call whose bug must not end the scan: it becomes an unresolved node with the reason."""
        try:
            return fetch()
        except CacheError:
            raise
        except Exception as exc:  # noqa: BLE001 - reported as a value, with the traceback in the log
            logger.exception("source %s failed on %s", self.source.name, repo_id)
            return FetchFailure(repo_id, UnresolvedReason.NETWORK,
                                redact(f"{self.source.name} source failed: {type(exc).__name__}: {exc}"))

    def _fetch_info(self, repo_id: str, revision: str | None) -> RepoSnapshot | FetchFailure | PendingFiles:
        return self._guarded(repo_id, lambda: self.source.fetch_info(repo_id, revision))  # type: ignore[attr-defined]

    def _fetch_files(self, pending: PendingFiles) -> RepoSnapshot | FetchFailure:
        return self._guarded(pending.snapshot.requested_id,
                             lambda: self.source.fetch_files(pending))  # type: ignore[attr-defined]

    def _known(self, repo_id: str, revision: str | None) -> RepoSnapshot | None:
        if revision is not None:
            return None
        canonical = self.by_lower.get(repo_id.lower())
        return self.nodes[canonical].snapshot if canonical is not None else None

    def _fetch(self, repo_id: str, revision: str | None) -> RepoSnapshot | FetchFailure:
        return self._guarded(repo_id, lambda: self.source.fetch(repo_id, revision))

    # -- reading one node --------------------------------------------------------------------------------
    def _service_node(self, root: ModelRef, parents: list[tuple[str, str | None]]) -> Unresolved | None:
        """A hosted API is a node of its own (its provider is evaluation's to judge; nothing to fetch). A runtime
        tag is a node whose parent is the Hub model the rules map it to, walked like any model."""
        links: tuple[ParentLink, ...] = ()
        if root.kind is RefKind.RUNTIME:
            hub_model = self.settings.runtime_parents.get(root.key)
            if hub_model is None or normalize_repo_id(hub_model) is None:
                runtime, _, tag = root.key.partition(":")
                return Unresolved(root.key, UnresolvedReason.UNMAPPED_TAG,
                                  f"licscan's rules (providers.yaml) do not say which Hub model the {runtime} tag "
                                  f"{tag!r} packages; its terms are unknown")
            links = (ParentLink(hub_model, Relation.QUANTIZED, "runtime-tag"),)
            if self.max_depth >= 1:
                parents.append((hub_model, None))
        record = ModelRecord(repo_id=root.key, revision=None, author=None, card=CardData(), parents=links,
                             source=root.kind.value)
        self.nodes[root.key] = _Node(None, record, list(links))
        return None

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
        # The folder's licence file is read like a Hub repo's, so its text meets the card's declaration.
        license_file, license_text = read_local_license(self.settings.project_root, local.location.path)
        record = ModelRecord(repo_id=local.key, revision=None, author=None, card=local.card,
                             parents=tuple(valid), source="local", license_text=license_text,
                             license_file=license_file)
        return _Node(None, record, _dedupe(valid), problems)

    def _hub_node(self, snap: RepoSnapshot) -> _Node:
        card, raw, unreadable = _read_card(snap)
        problems: list[Unresolved] = []
        if unreadable:
            problems.append(Unresolved(snap.repo_id, UnresolvedReason.MALFORMED,
                                       f"the card of {snap.repo_id} cannot be read, so its base models are "
                                       f"unknown: {unreadable}", referenced_by=snap.repo_id))
        for reason, why in snap.missing:  # evidence that could have failed the node is missing: never clear
            problems.append(Unresolved(snap.repo_id, _reason(reason), f"evidence missing: {why}",
                                       referenced_by=snap.repo_id))
        if raw is not None:
            problems.extend(_bad_base_models(raw, card, snap.repo_id))
        tags = tuple(dict.fromkeys((*snap.tags, *card.tags)))
        links = _infer_links(card, _parents(card, tags, unreadable), tags=tags, files=snap.files, name=snap.repo_id)
        for extra in self._extra_parents(snap):
            if extra.repo_id.lower() not in {link.repo_id.lower() for link in links}:
                links.append(extra)
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
            license_file=snap.license_file,
            tags=tuple(snap.tags),
            config_name_or_path=snap.config_name_or_path,
            parameters=snap.parameters,
            parameters_source="the Hub's safetensors metadata (total parameters)" if snap.parameters else None,
            card_text=_card_text(snap.readme),
            gguf_file=snap.gguf_file,
            gguf_header=snap.gguf_header,
            gguf_problem=snap.gguf_problem,
        )
        return _Node(snap, record, links, problems)

    def _parent_ids(self, snap: RepoSnapshot) -> list[str]:
        """The ids _hub_node(snap) links to, without building the node: what the walk asks for as soon as a
        repo's API answer arrives (its README, still to come, builds the node and may name others)."""
        card, _, unreadable = _read_card(snap)
        ids = _parents(card, tuple(dict.fromkeys((*snap.tags, *card.tags))), unreadable)
        return ids + [extra.repo_id for extra in self._extra_parents(snap)]

    def _extra_parents(self, snap: RepoSnapshot) -> tuple[ParentLink, ...]:
        """Bases licscan's rules record for cards that omit them: walked like the card's own."""
        return (self.settings.extra_parents.get(snap.repo_id.lower(), ())
                + self.settings.extra_parents.get(snap.requested_id.lower(), ()))

    # -- evidence beyond the ancestry: linked licence texts and training datasets ----------------------------
    def _fetch_evidence(self) -> None:
        """Read what the nodes' cards point at: the repo a license_link names, and the datasets they list.

        Each linked repo and each dataset is read once per scan; a linked repo that is already a node costs
        nothing. Failures are kept as values (the report says why a text or a dataset is missing).
        """
        self.linked: dict[str, tuple[str | None, str]] = {}  # node id -> (text, where from or why not)
        self.datasets: dict[str, DatasetRecord] = {}
        wanted: dict[str, tuple[str, str | None]] = {}  # node id -> (linked repo, file)
        for node_id, node in self.nodes.items():
            target = _linked_license(node.record)
            if target is not None:
                wanted[node_id] = target
        todo = {repo.lower(): repo for repo, _ in wanted.values()
                if _key(repo, None) not in self.results and self._known(repo, None) is None}
        names: dict[str, str] = {}
        if self.settings.resolve_datasets:
            for node in self.nodes.values():
                for name in node.record.card.datasets:
                    names.setdefault(name, normalize_repo_id(name) or "")
        reader = getattr(self.source, "fetch_dataset", None)

        def fetch_dataset(repo_id: str) -> RepoSnapshot | FetchFailure:
            try:
                return reader(repo_id)  # type: ignore[misc]
            except CacheError:
                raise
            except Exception as exc:  # noqa: BLE001 - a dataset that cannot be read is a finding, not a crash
                logger.exception("source %s failed on dataset %s", self.source.name, repo_id)
                return FetchFailure(repo_id, UnresolvedReason.NETWORK, redact(f"{type(exc).__name__}: {exc}"))

        if self.session is not None and reader is not None:
            self.session.prefetch([DATASET_KEY + repo_id for repo_id in names.values() if repo_id])
        with ThreadPoolExecutor(max_workers=max(1, self.settings.workers),
                                thread_name_prefix="licscan-evidence") as pool:
            linked = dict(zip(todo, pool.map(lambda repo: self._fetch(repo, None), todo.values())))
            valid = sorted({repo_id for repo_id in names.values() if repo_id})
            fetched = dict(zip(valid, pool.map(fetch_dataset, valid))) if reader is not None else {}
        for node_id, (repo, filename) in wanted.items():
            result = linked.get(repo.lower()) or self.results.get(_key(repo, None)) or self._known(repo, None)
            if result is None or isinstance(result, FetchFailure):
                why = result.detail if isinstance(result, FetchFailure) else "never fetched"
                self.linked[node_id] = (None, f"{repo} could not be read: {why}")
            elif result.license_text is None or (filename and (result.license_file or "").lower() != filename.lower()):
                self.linked[node_id] = (None, f"{repo}@{result.sha} has no {filename or 'licence file'} licscan reads"
                                        + (f" (it read {result.license_file})" if result.license_file else ""))
            else:
                self.linked[node_id] = (result.license_text, f"{result.repo_id}/{result.license_file}@{result.sha}")
        for name, repo_id in names.items():
            if not repo_id:
                self.datasets[name.lower()] = DatasetRecord(name[:100], unresolved=UnresolvedReason.INVALID_ID,
                                                            detail=f"{name[:100]!r} is not a Hub dataset id")
                continue
            got = fetched.get(repo_id) if reader is not None else FetchFailure(
                repo_id, UnresolvedReason.OFFLINE, f"the {self.source.name} source does not read datasets")
            lost: list[tuple[UnresolvedReason, str]] = []
            if isinstance(got, RepoSnapshot):
                card, _, _ = _read_card(got)
                self.datasets[repo_id.lower()] = DatasetRecord(
                    repo_id=repo_id, revision=got.sha, card=card, source=got.source, provenance=got.provenance,
                    license_text=got.license_text, license_file=got.license_file)
                lost = [(_reason(reason), why) for reason, why in got.missing]
            else:
                failure = got or FetchFailure(repo_id, UnresolvedReason.NETWORK, "never fetched")
                self.datasets[repo_id.lower()] = DatasetRecord(repo_id, source=self.source.name,
                                                               unresolved=failure.reason, detail=failure.detail)
                if failure.reason in (UnresolvedReason.NETWORK, UnresolvedReason.RATE_LIMITED):
                    lost = [(failure.reason, failure.detail)]
            # A dataset card that could not be read might have failed the model that names it: never clear.
            for node_id, node in (self.nodes.items() if lost else ()):  # only when lost: datasets x nodes
                if name in node.record.card.datasets:
                    node.problems.extend(Unresolved(repo_id, reason, f"training dataset {repo_id}: evidence "
                                                    f"missing: {why}", referenced_by=node_id) for reason, why in lost)

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
        if isinstance(root, LocalModel) or root.kind in (RefKind.HOSTED_API, RefKind.RUNTIME):
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
        named = [normalize_repo_id(name) or name for node_id in order for name in self.nodes[node_id].record.card.datasets]
        datasets = getattr(self, "datasets", {})
        return Lineage(
            root=start,
            nodes=tuple(self._record(node_id) for node_id in order),
            edges=tuple(dict.fromkeys(edges)),
            unresolved=tuple(dict.fromkeys(unresolved)),
            datasets=tuple(dict.fromkeys(datasets[name.lower()] for name in named if name.lower() in datasets)),
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
        """The node's record with its parents' canonical ids: built once, then shared by every lineage that holds
        the node (a foundation under 2,000 models is one object, not 2,000 copies)."""
        built = self._records.get(node_id)
        if built is None:
            built = self._records[node_id] = self._build_record(node_id)
        return built

    def _build_record(self, node_id: str) -> ModelRecord:
        node = self.nodes[node_id]
        parents = []
        for link in node.record.parents:
            target = self._resolved_parent(link)
            parents.append(copied(link, repo_id=target) if isinstance(target, str) else link)
        aliases = tuple(sorted(a for a in self.aliases.get(node_id, ()) if a != node_id))
        text, where = getattr(self, "linked", {}).get(node_id, (None, None))
        return copied(node.record, parents=tuple(parents), aliases=aliases, linked_license_text=text,
                      linked_license_from=where)


# ---------------------------------------------------------------------------------------------------------
# Card reading and relation inference
# ---------------------------------------------------------------------------------------------------------


_HUB_FILE_LINK = re.compile(
    r"^https?://(?:www\.)?(?:huggingface\.co|hf\.co)/(?P<repo>[^/\s]+/[^/\s]+)/(?:blob|resolve|raw)/[^/\s]+/"
    r"(?P<file>[^?#\s]+)$", re.I)
MAX_CARD_TEXT = 200_000


def _linked_license(record: ModelRecord) -> tuple[str, str | None] | None:
    """(repo, file) when the card's license_link points at a licence file in another Hub model repo."""
    match = _HUB_FILE_LINK.match((record.card.license_link or "").strip())
    if match is None or match["repo"].lower() == record.repo_id.lower():
        return None  # no link, not a Hub file, or this repo's own file (read with the repo)
    repo_id = normalize_repo_id(match["repo"])
    filename = match["file"].split("/")[-1]
    if repo_id is None or not filename.lower().startswith("license"):
        return None
    return repo_id, filename


def _card_text(readme: bytes | None) -> str | None:
    if not readme:
        return None
    return readme[:MAX_CARD_TEXT].decode("utf-8", errors="replace")


def _key(repo_id: str, revision: str | None) -> _Key:
    return (repo_id.lower(), revision)


def _reason(value: str) -> UnresolvedReason:
    try:
        return UnresolvedReason(value)
    except ValueError:
        return UnresolvedReason.MALFORMED


def _dedupe(links: list[ParentLink]) -> list[ParentLink]:
    seen: set[str] = set()
    out = []
    for link in links:
        if link.repo_id.lower() not in seen:
            seen.add(link.repo_id.lower())
            out.append(link)
    return out


def _read_card(snap: RepoSnapshot) -> tuple[CardData, Mapping[str, Any] | None, str | None]:
    """The card, the mapping it was read from, and why its lineage is unknowable (or None).

    The README is the publisher's own text, so it wins; the Hub's cardData stands in when the README could
    not be downloaded (gated files) or its front matter does not parse.
    """
    notes = tuple(f"{note}; card fields taken from the Hub's cardData" for note in snap.notes) if snap.api_only else ()
    parsed = snap.card_front_matter()  # kept parsed in the store: a warm scan parses no YAML
    if parsed is not None:
        state, raw = parsed
        if state == "ok" and raw is not None:
            # What parse_card would build from the same front matter, without parsing the YAML a second time.
            return card_from_mapping(raw, what="model card"), raw, None
        card = parse_card(snap.readme)
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


def _parents(card: CardData, tags: Sequence[str], unreadable: str | None) -> list[str]:
    """A node's parents: its card's base models, else (a card that names none) the Hub's base_model tags."""
    if card.base_models or unreadable:
        return list(card.base_models)
    return _tag_parents(tags)  # lineage only in the Hub's tags (cards without base_model)


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
