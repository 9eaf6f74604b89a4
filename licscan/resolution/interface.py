"""What a metadata source gives the lineage walk: the MetadataSource protocol, RepoSnapshot and FetchFailure."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol, runtime_checkable

from licscan import safeyaml
from licscan.cards import MAX_CARD_BYTES, split_front_matter
from licscan.errors import ParseError
from licscan.model import ResolutionSettings, ResolutionStats, UnresolvedReason

if TYPE_CHECKING:
    from licscan.resolution.store import MetadataStore


def copied(record: Any, **changes: Any) -> Any:
    """dataclasses.replace for the walk's frozen records (no __post_init__, no init=False field), in a fifth of
    its time: a warm walk of 5,000 repos makes some 15,000 of these copies."""
    copy = object.__new__(type(record))
    copy.__dict__.update(record.__dict__, **changes)
    return copy


@dataclass(frozen=True)
class RepoSnapshot:
    """The metadata of one model repo at one revision, as a source found it."""

    requested_id: str  # the id that was asked for
    repo_id: str  # the canonical id (after following renames)
    sha: str | None  # the commit the metadata was read at
    source: str  # "hub", "mirror", "cache"
    author: str | None = None
    gated: str | None = None  # "auto", "manual" or None
    tags: tuple[str, ...] = ()
    card_data: Mapping[str, Any] | None = None  # the Hub API's cardData (parsed front matter)
    readme: bytes | None = None  # README.md as stored in the repo
    license_text: str | None = None  # LICENSE / LICENSE.md / LICENSE.txt, when the repo has one
    files: tuple[str, ...] = ()  # file names in the repo (the API's siblings)
    provenance: str | None = None  # "recorded" / "reconstructed" in a recorded mirror
    api_only: bool = False  # the README could not be read; card_data is all there is
    authenticated: bool = False  # a token was sent; an api_only snapshot made without one is worth retrying
    notes: tuple[str, ...] = ()  # why api_only, or what else went wrong along the way
    license_file: str | None = None  # which file license_text was read from (LICENSE-MODEL, LICENSE, ...)
    config_name_or_path: str | None = None  # config.json's _name_or_path, read when the card names a base_model
    parameters: int | None = None  # total parameter count from the Hub's safetensors metadata
    gguf_file: str | None = None  # the GGUF file whose header prefix was read (when the card names a base_model)
    gguf_header: Mapping[str, Any] | None = None  # its general.* keys
    gguf_problem: str | None = None  # why its header could not be read
    # Evidence the repo lists but the source could not read (a file lost to errors after retries, or past the
    # size cap): (UnresolvedReason value, why). The node is incomplete: a fail-closed gate never counts it clear.
    missing: tuple[tuple[str, str], ...] = ()
    # The README's front matter once parsed: ("ok", mapping), ("none", None) when there is none, ("bad", None)
    # when it cannot be read. The store keeps it beside the README (as JSON), so a warm scan does not parse
    # thousands of cards' YAML again; None until parsed (see card_front_matter).
    front_matter: tuple[str, Mapping[str, Any] | None] | None = field(default=None, compare=False, repr=False)

    def card_front_matter(self) -> tuple[str, Mapping[str, Any] | None] | None:
        """The README's front matter (see front_matter), parsed at most once per snapshot; None when there is
        no README, or it is too large or binary to be a card (the walk then reads the card another way)."""
        if self.front_matter is not None:
            return self.front_matter
        readme = self.readme
        if readme is None or len(readme) > MAX_CARD_BYTES or b"\x00" in readme[:8192]:
            return None
        parsed = parse_front_matter(readme)
        object.__setattr__(self, "front_matter", parsed)  # a memo of what the frozen fields already say
        return parsed

    def with_request(self, requested_id: str, *, source: str | None = None) -> "RepoSnapshot":
        return copied(self, requested_id=requested_id, source=source or self.source)


# A repo with a LICENSE-MODEL usually keeps its code licence in LICENSE: the weights' licence is read first.
# Case does not matter (Tencent's repos hold `License.txt`): every source picks the same file by this order.
LICENSE_NAMES = ("license-model", "license-model.md", "license-model.txt", "license", "license.md", "license.txt")


def license_file_of(files: Any) -> str | None:
    """The licence file licscan reads from a repo's top-level file names, by LICENSE_NAMES' order."""
    by_name = {str(name).lower(): str(name) for name in files if "/" not in str(name)}
    return next((by_name[name] for name in LICENSE_NAMES if name in by_name), None)


def parse_front_matter(readme: bytes) -> tuple[str, Mapping[str, Any] | None]:
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


@dataclass(frozen=True)
class FetchFailure:
    """A repo a source could not read, and why; it becomes an Unresolved in the lineage."""

    repo_id: str
    reason: UnresolvedReason
    detail: str = ""


@dataclass(frozen=True)
class PendingFiles:
    """A two-phase source's answer to fetch_info: the API's metadata, with README/LICENSE still to read.

    A source that has fetch_info(repo_id, revision) -> RepoSnapshot | FetchFailure | PendingFiles and
    fetch_files(PendingFiles) -> RepoSnapshot | FetchFailure lets the walk ask for a repo's parents while its
    files download (see lineage._Walk._crawl); fetch() stays the one-call form of the same thing.
    """

    snapshot: RepoSnapshot  # without readme/license_text
    revision: str | None  # the revision as asked


@dataclass
class SourceCounters:
    """What a source spent; thread-safe because a level's repos are fetched concurrently."""

    api_calls: int = 0
    file_downloads: int = 0
    cache_hits: int = 0
    mirror_reads: int = 0
    revalidations: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def snapshot(self) -> ResolutionStats:
        with self._lock:
            return ResolutionStats(self.api_calls, self.file_downloads, self.cache_hits, self.mirror_reads,
                                   self.revalidations)


@runtime_checkable
class MetadataSource(Protocol):
    """Somewhere model metadata comes from. fetch() never raises for bad or missing data."""

    name: str
    counters: SourceCounters

    def fetch(self, repo_id: str, revision: str | None) -> RepoSnapshot | FetchFailure:
        ...

    def close(self) -> None:
        ...


class SourceFactory(Protocol):
    def __call__(self, settings: ResolutionSettings, *, store: "MetadataStore | None",
                 sleep: Callable[[float], None], now: Callable[[], float]) -> MetadataSource:
        ...


# Factories import their module on first use, so a mirror or offline scan never loads huggingface_hub.
def _hub(settings: ResolutionSettings, *, store: "MetadataStore | None" = None,
         sleep: Callable[[float], None] = time.sleep, now: Callable[[], float] = time.time) -> MetadataSource:
    from licscan.resolution.hub import HubSource

    return HubSource(settings, store=store, sleep=sleep, now=now)


def _mirror(settings: ResolutionSettings, *, store: "MetadataStore | None" = None,
            sleep: Callable[[float], None] = time.sleep, now: Callable[[], float] = time.time) -> MetadataSource:
    from licscan.resolution.mirror import MirrorSource

    if not settings.mirror:
        raise ValueError("the mirror source needs settings.mirror, the directory to read")
    return MirrorSource(settings.mirror, label=settings.mirror_label)


def _cache(settings: ResolutionSettings, *, store: "MetadataStore | None" = None,
           sleep: Callable[[float], None] = time.sleep, now: Callable[[], float] = time.time) -> MetadataSource:
    from licscan.resolution.cache import CacheSource

    return CacheSource(store)


SOURCES: dict[str, SourceFactory] = {
    "hub": _hub,  # the Hugging Face Hub (or HF_ENDPOINT) through huggingface_hub
    "mirror": _mirror,  # a directory of recorded metadata (settings.mirror), never the network
    "cache": _cache,  # offline: the latest snapshots in the metadata cache
}
