"""The Hub source (the only importer of huggingface_hub): one model_info call, then README/LICENSE as files."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import weakref
from dataclasses import dataclass, replace
from typing import Any, Callable
from urllib.parse import quote, urlencode

import huggingface_hub
from huggingface_hub import HfApi, constants, get_hf_file_metadata, hf_hub_url
from huggingface_hub.hf_api import ModelInfo
from huggingface_hub.utils import (
    build_hf_headers,
    get_session,
    hf_raise_for_status,
    parse_ratelimit_headers,
    set_client_factory,
    validate_repo_id,
)
from huggingface_hub.utils._http import default_client_factory  # the client huggingface_hub builds by default
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from licscan.cards import is_repo_id
from licscan.errors import redact
from licscan.gguf_header import PREFIX_BYTES, gguf_file_of, read_general
from licscan.model import NO_SUCH_REPO, ResolutionSettings, UnresolvedReason
from licscan.resolution.cache import CacheSource
from licscan.resolution.interface import FetchFailure, PendingFiles, RepoSnapshot, SourceCounters, license_file_of
from licscan.resolution.store import DATASET_KEY, Head, MetadataStore, StoreSession
from licscan.untrusted import valid_text

try:  # huggingface_hub 2.x speaks httpx2 (over httpcore2), 1.x httpx (over httpcore); both alike.
    import httpcore2 as _httpcore
    import httpx2 as _httpx
except ImportError:  # pragma: no cover - depends on the installed huggingface_hub
    import httpcore as _httpcore  # type: ignore[no-redef]
    import httpx as _httpx  # type: ignore[no-redef]

logger = logging.getLogger(__name__)

EXPAND = ["author", "cardData", "sha", "gated", "tags", "siblings", "safetensors"]
_EXPAND_QUERY = urlencode([("expand", name) for name in EXPAND])  # as httpx writes params={"expand": EXPAND}
DATASET_EXPAND = ["author", "cardData", "sha", "gated", "tags", "siblings"]
MAX_RETRY_AFTER = 60.0  # never sleep longer than this on one Retry-After, whatever the server asks
BACKOFF_START = 1.0
BACKOFF_MAX = 8.0
MAX_FILE_BYTES = 2_000_000  # README, LICENSE, config.json: a larger one is not read, and the node is incomplete
MAX_ANSWER_BYTES = 64_000_000  # any one answer (a model_info with a very long file list is a few MB)
REQUEST_DEADLINE = 120.0  # seconds one request may take in all, however its bytes trickle in
_COMMIT = re.compile(r"[0-9a-f]{40}")
_TRANSIENT_STATUS = {408, 500, 502, 503, 504}


@dataclass(frozen=True)
class _Retry:
    """An attempt failed in a way that trying again may fix; wait is what the server asked for, if anything."""

    reason: UnresolvedReason
    detail: str
    wait: float | None = None


class _Unbounded(Exception):
    """An answer licscan will not read further: past its size cap, or compressed."""


class _BoundedStream(_httpx.SyncByteStream):
    """A response body read chunk by chunk, refused once it passes max_bytes (its time is _DeadlineStream's)."""

    def __init__(self, inner: Any, max_bytes: int) -> None:
        self._inner = inner
        self._max_bytes = max_bytes

    def __iter__(self) -> Any:
        total = 0
        for chunk in self._inner:
            total += len(chunk)
            if total > self._max_bytes:
                raise _Unbounded(f"the answer is larger than {self._max_bytes:,} bytes: not read further")
            yield chunk

    def close(self) -> None:
        self._inner.close()


_LATE = "the Hub did not answer within"  # how a request cut off at its deadline is reported


@dataclass(frozen=True)
class _Deadline:
    """When a request must be over (time.monotonic()), and the seconds it was given, for the message."""

    at: float
    seconds: float

    def message(self) -> str:
        return f"{_LATE} {self.seconds:g} s"


_DEADLINE = "licscan.deadline"  # a request extension holding its _Deadline (kept across the redirects it follows)
# The deadline of the request this thread is sending or reading. A synchronous httpx client sends a request,
# reads its headers and its body in the caller's thread, so the connection's reads see their own request's.
_current = threading.local()


def _limit_request(request: Any) -> None:
    deadline = request.extensions.get(_DEADLINE)
    if deadline is None:
        deadline = request.extensions[_DEADLINE] = _Deadline(time.monotonic() + REQUEST_DEADLINE, REQUEST_DEADLINE)
    _current.deadline = deadline
    # A compressed body could expand far past the size cap after it was counted, as huggingface_hub's own
    # downloads say: no compression.
    request.headers["Accept-Encoding"] = "identity"


def _limit_response(response: Any) -> None:
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        response.close()
        raise _Unbounded(f"the server compressed its answer ({encoding[:40]}) though asked not to: not read")
    response.stream = _BoundedStream(response.stream, MAX_ANSWER_BYTES)


def _step(call: Callable[[float | None], Any], timeout: float | None, late: type[Exception]) -> Any:
    """Run one blocking step of a connection (connect, TLS, a read, a write) within its request's deadline.

    The step waits for its own timeout or for what is left of the request's time, whichever is shorter;
    `late`, with the deadline's message, when the deadline has passed or is what cut the wait short.
    """
    deadline = getattr(_current, "deadline", None)
    if deadline is None:
        return call(timeout)
    left = deadline.at - time.monotonic()
    if left <= 0:
        raise late(deadline.message())
    if timeout is not None and timeout <= left:
        return call(timeout)
    try:
        return call(left)
    except late:
        raise late(deadline.message()) from None


class _DeadlineStream(_httpcore.NetworkStream):
    """A connection whose every read and write ends by its request's deadline.

    httpcore gives each read the read timeout afresh, so a server that sends its status line, its headers or
    its body one byte at a time, each within the timeout, would hold the request for ever; here each read
    waits at most what is left of the request's time.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return _step(lambda limit: self._inner.read(max_bytes, limit), timeout, _httpcore.ReadTimeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        _step(lambda limit: self._inner.write(buffer, limit), timeout, _httpcore.WriteTimeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
        return _DeadlineStream(_step(lambda limit: self._inner.start_tls(ssl_context, server_hostname, limit),
                                     timeout, _httpcore.ConnectTimeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(_httpcore.NetworkBackend):
    """httpcore's network backend, its connections made within their request's deadline and kept to it."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> Any:
        return _DeadlineStream(_step(lambda limit: self._inner.connect_tcp(host, port, limit, local_address,
                                                                           socket_options),
                                     timeout, _httpcore.ConnectTimeout))

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> Any:
        return _DeadlineStream(_step(lambda limit: self._inner.connect_unix_socket(path, limit, socket_options),
                                     timeout, _httpcore.ConnectTimeout))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


_OURS: "weakref.WeakSet[Any]" = weakref.WeakSet()  # the clients _bounded_client built
_CLIENT_LOCK = threading.Lock()


def _bounded_client() -> Any:
    """huggingface_hub's own client (its request hook, redirects, proxies from the environment), with licscan's
    bounds on every request: the size of an answer, and a deadline on all of it from connecting to the body's
    last byte.

    The deadline goes below httpx, into the network backend of each of the client's connection pools (the
    direct one and one per proxy): neither httpx nor huggingface_hub has a setting for a request's total time,
    and only there does every read of the status line and headers pass through licscan's code.
    """
    client = default_client_factory()
    hooks = client.event_hooks
    client.event_hooks = {"request": [*hooks["request"], _limit_request],
                          "response": [*hooks["response"], _limit_response]}
    for transport in (client._transport, *client._mounts.values()):
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if backend is None:
            if transport is not None:
                logger.warning("no request deadline on %s: its connections are bounded only per read",
                               type(transport).__name__)
            continue
        pool._network_backend = _DeadlineBackend(backend)
    _OURS.add(client)
    return client


def _bounded_session() -> Any:
    """The client huggingface_hub shares, built by _bounded_client: set as huggingface_hub's client factory the
    first time, and again whenever something has set another (set_client_factory closes the old client)."""
    if get_session() not in _OURS:
        with _CLIENT_LOCK:
            if get_session() not in _OURS:
                set_client_factory(_bounded_client)
    return get_session()


class HubSource:
    """Read model metadata from the Hugging Face Hub (or settings.endpoint).

    Per repo: one API call (model_info with expand) for the sha, gating, tags, siblings and cardData; then
    README.md and a LICENSE file through the file resolver (one GET each, pinned to the sha), unless the
    metadata cache already holds them for that sha. Nothing goes to the user's HF cache: licscan keeps what
    it needs in its own cache keyed by sha. Within the freshness window a cached head answers without a
    request; after it, one file-resolver request tells whether main moved before any API call is spent.
    """

    name = "hub"

    def __init__(self, settings: ResolutionSettings, *, store: MetadataStore | StoreSession | None = None,
                 sleep: Callable[[float], None] = time.sleep, now: Callable[[], float] = time.time) -> None:
        self._settings = settings
        self._endpoint = settings.endpoint.rstrip("/") if settings.endpoint else None
        # The headers (and token) huggingface_hub would send, by its own rules (HF_TOKEN, the saved login,
        # HF_HUB_DISABLE_IMPLICIT_TOKEN), worked out once per scan: looking the token up costs ~0.3 ms, on
        # every request when left to huggingface_hub (3 CPU-s of a 2,000-model cold walk).
        self._headers = build_hf_headers()
        sent = self._headers.get("authorization", "")
        self._api = HfApi(endpoint=self._endpoint,
                          token=sent[len("Bearer "):] if sent.startswith("Bearer ") else False)
        self._store = store
        self._sleep = sleep
        self._now = now
        # huggingface_hub reads HF_TOKEN (or the saved login) itself; we only need it to scrub it from text.
        token = huggingface_hub.get_token()
        self.secrets: tuple[str, ...] = (token,) if token else ()
        self.offline = bool(settings.offline or constants.HF_HUB_OFFLINE)
        self.counters = SourceCounters()
        self._cache_only = CacheSource(store)
        self._cache_only.counters = self.counters
        self._gate = threading.Lock()
        self._pause_until = 0.0  # no request before this time (a 429's Retry-After, shared by every worker)
        self._exhausted: str | None = None  # set once a repo gave up on the rate limit: fail the rest fast

    def close(self) -> None:
        pass  # huggingface_hub's session is shared by the process and closes with it

    def _redact(self, text: str) -> str:
        return redact(text, *self.secrets)

    # -- fetch ---------------------------------------------------------------------------------------------
    def fetch(self, repo_id: str, revision: str | None) -> RepoSnapshot | FetchFailure:
        first = self.fetch_info(repo_id, revision)
        return self.fetch_files(first) if isinstance(first, PendingFiles) else first

    def answer_from_cache(self, repo_id: str, revision: str | None) -> RepoSnapshot | FetchFailure | None:
        """The answer when the cache alone gives it without a request (fresh head, pinned commit, remembered
        not-found, or offline), else None: the walk takes these without a thread."""
        if self.offline:
            return self._cache_only.fetch(repo_id, revision)
        known = self._store.canonical(repo_id) if self._store is not None else None
        head = self._store.head(known or repo_id) if self._store is not None else None
        return self._from_cache_without_asking(repo_id, revision, known, head)

    def fetch_info(self, repo_id: str, revision: str | None) -> RepoSnapshot | FetchFailure | PendingFiles:
        """The repo from the cache when that is good enough, else its one API call (files still to read)."""
        if self.offline:  # HF_HUB_OFFLINE as huggingface_hub users expect: answer from the cache alone
            return self._cache_only.fetch(repo_id, revision)
        # One look at the cache per repo: where a rename seen before points, and that repo's last known head.
        known = self._store.canonical(repo_id) if self._store is not None else None
        head = self._store.head(known or repo_id) if self._store is not None else None
        fresh = self._from_cache_without_asking(repo_id, revision, known, head)
        if fresh is not None:
            return fresh
        revalidated = self._revalidate(repo_id, revision, known, head)
        if revalidated is not None:
            return revalidated
        # A rename seen before is asked for under its new id: the redirect would cost a request of its own.
        info = self._model_info(known or repo_id, revision)
        if isinstance(info, FetchFailure) and known is not None:
            info = replace(info, repo_id=repo_id)
        if isinstance(info, FetchFailure):
            if info.reason is UnresolvedReason.NOT_FOUND and self._store is not None and revision is None:
                self._store.put_miss(repo_id, _miss_reason(bool(self.secrets)), info.detail, secrets=self.secrets,
                                     at=self._now())
            return info
        base = _snapshot_of(info, repo_id, self.name, authenticated=bool(self.secrets))
        if isinstance(base, FetchFailure):
            return base
        canonical, sha = base.repo_id, base.sha
        cached = self._store.get_snapshot(canonical, sha) if (self._store is not None and sha) else None
        if cached is not None and self._reusable(cached):
            self.counters.add(cache_hits=1)
            snapshot = replace(base, readme=cached.readme, license_text=cached.license_text, notes=cached.notes,
                               api_only=cached.api_only, license_file=cached.license_file,
                               config_name_or_path=cached.config_name_or_path, gguf_file=cached.gguf_file,
                               gguf_header=cached.gguf_header, gguf_problem=cached.gguf_problem)
            self._remember(snapshot, revision)
            return snapshot
        return PendingFiles(base, revision)

    def fetch_files(self, pending: PendingFiles) -> RepoSnapshot:
        """README.md and LICENSE through the file resolver; the snapshot is cached when nothing was lost."""
        snapshot, cacheable = self._with_files(pending.snapshot)
        if cacheable:
            self._remember(snapshot, pending.revision)
        elif self._store is not None and snapshot.requested_id != snapshot.repo_id:
            self._store.set_alias(snapshot.requested_id, snapshot.repo_id, at=self._now())
        return snapshot

    def _from_cache_without_asking(self, repo_id: str, revision: str | None, known: str | None,
                                   head: Head | None) -> RepoSnapshot | FetchFailure | None:
        """A cached answer good enough to skip the Hub: a pinned commit, or a head (or a not-found) younger
        than the freshness window."""
        if self._store is None:
            return None
        canonical = known or repo_id
        snapshot = None
        window = 0 if self._settings.refresh else self._settings.freshness_seconds
        if revision and _COMMIT.fullmatch(revision):
            snapshot = self._store.get_snapshot(canonical, revision)  # a commit never changes
        elif revision in (None, "main") and window > 0:
            if head is not None and self._now() - head.checked_at <= window:
                snapshot = self._store.get_snapshot(canonical, head.sha)
            elif head is None and revision is None:
                miss = self._store.miss(repo_id)
                if (miss is not None and self._now() - miss.checked_at <= window
                        and miss.reason == _miss_reason(bool(self.secrets))):
                    self.counters.add(cache_hits=1)
                    # The detail as the Hub gave it: a report must not depend on whether the cache answered.
                    return FetchFailure(repo_id, UnresolvedReason.NOT_FOUND, miss.detail)
        if snapshot is None or not self._reusable(snapshot):
            return None
        self.counters.add(cache_hits=1)
        return snapshot.with_request(repo_id)  # keeps the original source: reports must not depend on cache state

    def _revalidate(self, repo_id: str, revision: str | None, known: str | None,
                    head: Head | None) -> RepoSnapshot | None:
        """After the freshness window: ask the file resolver (the larger bucket) which commit main is at; when
        it is the cached head, the cached snapshot serves and no API call is spent."""
        if self._store is None or self._settings.refresh or self._settings.freshness_seconds <= 0:
            return None
        if revision not in (None, "main"):
            return None
        canonical = known or repo_id
        if head is None:
            return None
        cached = self._store.get_snapshot(canonical, head.sha)
        if cached is None or not self._reusable(cached) or cached.gated:
            return None  # a gated repo's files answer 403 without access: its API call is the cheap way
        probe = "README.md" if ("README.md" in cached.files or not cached.files) else cached.files[0]
        self.counters.add(revalidations=1)
        try:
            self._wait_turn()
            _bounded_session()
            meta = get_hf_file_metadata(hf_hub_url(canonical, probe, revision="main", endpoint=self._endpoint),
                                        timeout=self._settings.timeout)
        except Exception:  # noqa: BLE001 - any doubt is settled by the API call that follows
            return None
        if meta.commit_hash != head.sha:
            return None
        self._store.set_head(canonical, head.sha, at=self._now())
        self.counters.add(cache_hits=1)
        return cached.with_request(repo_id)

    def _reusable(self, cached: RepoSnapshot) -> bool:
        """A cached snapshot serves unless its README was refused for want of a token we now have."""
        return not (cached.api_only and self.secrets and not cached.authenticated)

    def _remember(self, snapshot: RepoSnapshot, revision: str | None) -> None:
        if self._store is None or not snapshot.sha:
            return
        # Only an unpinned (or main) fetch tells us where the repo's head is now.
        self._store.put_snapshot(snapshot, secrets=self.secrets, at=self._now(), head=revision in (None, "main"))

    # -- the API call ------------------------------------------------------------------------------------
    def _wait_turn(self) -> None:
        """Wait out a pause the Hub asked for (429) before any request: the limit is per caller, not per repo."""
        with self._gate:
            until = self._pause_until
        delay = until - self._now()
        if delay > 0:
            self._sleep(min(delay, MAX_RETRY_AFTER))
            with self._gate:
                if self._pause_until == until:
                    self._pause_until = 0.0

    def _model_info(self, repo_id: str, revision: str | None) -> Any:
        return self._api_call(repo_id, revision, lambda: self._model_info_once(repo_id, revision))

    def _model_info_once(self, repo_id: str, revision: str | None) -> ModelInfo:
        """The request HfApi.model_info(repo_id, revision=revision, expand=EXPAND) sends, read as it reads it
        (huggingface_hub's session, error classes and ModelInfo), with the query written into the URL once:
        given as params, httpx parses the URL a second time to add them, 15% of the call's CPU (74 of 499 us)."""
        validate_repo_id(repo_id)
        path = f"{self._api.endpoint}/api/models/{repo_id}"
        if revision is not None:
            path += f"/revision/{quote(revision, safe='')}"
        response = get_session().get(f"{path}?{_EXPAND_QUERY}", headers=self._headers,
                                     timeout=self._settings.timeout)
        hf_raise_for_status(response)
        return ModelInfo(**response.json())

    def _api_call(self, repo_id: str, revision: str | None, call: Callable[[], Any]) -> Any:
        """One API call, retried on what trying again may fix (429 after Retry-After, 5xx, resets, timeouts)."""
        backoff = BACKOFF_START
        attempts = 0
        while True:
            if self._exhausted is not None:  # retrying more repos would only spend more of the same limit
                return FetchFailure(repo_id, UnresolvedReason.RATE_LIMITED,
                                    f"not asked: the Hub's rate limit was exhausted earlier in this scan "
                                    f"({self._exhausted})")
            self._wait_turn()
            attempts += 1
            self.counters.add(api_calls=1)
            try:
                _bounded_session()
                return call()
            except Exception as exc:  # noqa: BLE001 - every failure becomes a value, never a crash
                failure = self._classify(repo_id, revision, exc)
                if isinstance(failure, FetchFailure):
                    return failure
            if attempts > self._settings.max_retries:
                tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
                if failure.reason is UnresolvedReason.RATE_LIMITED:
                    with self._gate:
                        self._exhausted = self._exhausted or f"{repo_id} gave up after {tries}"
                return FetchFailure(repo_id, failure.reason, self._redact(f"{failure.detail} (gave up after {tries})"))
            backoff = self._back_off(repo_id, failure, backoff)

    def _back_off(self, what: str, failure: _Retry, backoff: float) -> float:
        """Wait before the next attempt (what the server asked, else backoff); returns the next backoff."""
        wait = failure.wait if failure.wait is not None else backoff
        logger.warning("%s", self._redact(f"{what}: {failure.detail}; retrying in {wait:g}s"))
        if failure.reason is UnresolvedReason.RATE_LIMITED:
            with self._gate:  # every worker waits: the next request from any of them would be refused too
                until = self._pause_until = max(self._pause_until, self._now() + wait)
            self._sleep(wait)
            with self._gate:
                if self._pause_until == until:
                    self._pause_until = 0.0
        else:
            self._sleep(wait)
        return min(BACKOFF_MAX, backoff * 2)

    def _classify(self, repo_id: str, revision: str | None, exc: Exception) -> FetchFailure | _Retry:
        """Turn what model_info raised into a final failure or a retry. Order matters: subclasses first."""
        if isinstance(exc, _Unbounded):
            return FetchFailure(repo_id, UnresolvedReason.MALFORMED, str(exc))
        if isinstance(exc, GatedRepoError):
            return FetchFailure(repo_id, UnresolvedReason.GATED,
                                "gated: the Hub refuses its metadata without an accepted access request"
                                + ("" if self.secrets else " (no Hugging Face token is configured: set HF_TOKEN)"))
        if isinstance(exc, RevisionNotFoundError):
            return FetchFailure(repo_id, UnresolvedReason.NOT_FOUND, f"revision {revision} not found")
        if isinstance(exc, RepositoryNotFoundError):
            return FetchFailure(repo_id, UnresolvedReason.NOT_FOUND, NO_SUCH_REPO)
        if isinstance(exc, OfflineModeIsEnabled):
            return FetchFailure(repo_id, UnresolvedReason.OFFLINE, "offline mode (HF_HUB_OFFLINE) is enabled")
        if isinstance(exc, HfHubHTTPError):
            response = getattr(exc, "response", None)
            status = getattr(response, "status_code", None)
            message = self._redact(_server_message(exc))
            if status == 429:
                wait = _retry_after(response.headers if response is not None else {})
                return _Retry(UnresolvedReason.RATE_LIMITED, f"rate limited by the Hub (HTTP 429){message}", wait)
            if status in _TRANSIENT_STATUS or (status is not None and status >= 500):
                return _Retry(UnresolvedReason.NETWORK, f"the Hub answered HTTP {status}{message}")
            if status in (401, 403, 404, 410):
                return FetchFailure(repo_id, UnresolvedReason.NOT_FOUND,
                                    f"not found, or private/gated without access (HTTP {status}{message})")
            return FetchFailure(repo_id, UnresolvedReason.MALFORMED, f"the Hub answered HTTP {status}{message}")
        if isinstance(exc, _httpx.TimeoutException):
            if str(exc).startswith(_LATE):  # the request's deadline (_step), not one read's timeout
                return _Retry(UnresolvedReason.NETWORK, str(exc))
            return _Retry(UnresolvedReason.NETWORK, f"timed out after {self._settings.timeout:g}s")
        if isinstance(exc, _httpx.TransportError):
            return _Retry(UnresolvedReason.NETWORK, f"connection failed: {type(exc).__name__}: {exc}")
        if isinstance(exc, json.JSONDecodeError):
            # A cut or garbled body is usually a dropped connection; ask again before calling it malformed.
            return _Retry(UnresolvedReason.NETWORK, "the Hub's answer is not valid JSON (truncated?)")
        if isinstance(exc, (KeyError, TypeError, ValueError, AttributeError)):
            return FetchFailure(repo_id, UnresolvedReason.MALFORMED,
                                self._redact(f"the Hub's answer cannot be read: {type(exc).__name__}: {exc}"))
        return _Retry(UnresolvedReason.NETWORK, self._redact(f"{type(exc).__name__}: {exc}"))

    # -- the files ---------------------------------------------------------------------------------------
    def _with_files(self, snapshot: RepoSnapshot) -> tuple[RepoSnapshot, bool]:
        """The snapshot with README.md and LICENSE read, and whether it may be cached for its sha.

        A file refused for gating is a stable fact about this sha and this token. Any other file that is
        listed but could not be read (after retries) is evidence missing: the snapshot says so in `missing`,
        the walk makes the node incomplete, and such a snapshot is used for this scan but never cached.
        """
        notes: list[str] = []
        missing: list[tuple[str, str]] = []
        readme: bytes | None = None
        license_text: str | None = None
        api_only = False
        refused = False  # the repo's files are gated for this caller: every other file would be refused too

        def read(filename: str, **kwargs: Any) -> bytes | None:
            nonlocal refused
            got = self._download(snapshot, filename, **kwargs)
            if isinstance(got, bytes):
                return got
            if got.incomplete:
                missing.append((got.reason.value, got.note))
            refused = refused or not got.incomplete
            if filename == "README.md":
                notes.append(got.note)
            return None

        if "README.md" in snapshot.files or not snapshot.files:
            readme = read("README.md")
            api_only = readme is None
        else:
            notes.append("the repo has no README.md")
        license_name = license_file_of(snapshot.files)
        if license_name and not refused:
            got = read(license_name)
            license_text = got.decode("utf-8", errors="replace") if got is not None else None
        config_name = None
        # One more file only where it can contradict something: a card that names a base model.
        if "config.json" in snapshot.files and not refused and (snapshot.card_data or {}).get("base_model"):
            got = read("config.json")
            config_name = name_or_path(got) if got is not None else None
        gguf: dict[str, Any] = {}
        gguf_name = gguf_file_of(snapshot.files)
        # A GGUF quantization's header names the model it was converted from: read only its first bytes
        # (an HTTP Range request), and only where the card names a base model it could contradict.
        if gguf_name and not refused and (snapshot.card_data or {}).get("base_model"):
            got = read(gguf_name, max_bytes=PREFIX_BYTES)
            if got is not None:
                header = read_general(got, whole=len(got) < PREFIX_BYTES)
                gguf = {"gguf_file": gguf_name, "gguf_header": header.general,
                        "gguf_problem": f"{gguf_name}: {header.problem}" if header.problem else None}
        updated = replace(snapshot, readme=readme, license_text=license_text, api_only=api_only, notes=tuple(notes),
                          license_file=license_name if license_text is not None else None,
                          config_name_or_path=config_name, missing=tuple(missing), **gguf)
        return updated, not missing

    def fetch_dataset(self, repo_id: str) -> RepoSnapshot | FetchFailure:
        """A dataset's card and LICENSE, remembered like a model's: within the freshness window the cached card,
        or the Hub's not-found, answers without a request; offline, the cached card is all there is."""
        key = DATASET_KEY + repo_id
        window = 0 if self._settings.refresh else self._settings.freshness_seconds
        if self._store is not None and (window > 0 or self.offline):
            canonical = self._store.canonical(key) or key
            head = self._store.head(canonical)
            if head is not None and (self.offline or self._now() - head.checked_at <= window):
                cached = self._store.get_snapshot(canonical, head.sha)
                if cached is not None:
                    self.counters.add(cache_hits=1)
                    return replace(cached, requested_id=repo_id, repo_id=cached.repo_id[len(DATASET_KEY):])
            miss = self._store.miss(key) if head is None else None
            if (miss is not None and not self.offline and self._now() - miss.checked_at <= window
                    and miss.reason == _miss_reason(bool(self.secrets))):
                self.counters.add(cache_hits=1)
                return FetchFailure(repo_id, UnresolvedReason.NOT_FOUND, miss.detail)
        got = self._read_dataset(repo_id)
        if self._store is not None and isinstance(got, RepoSnapshot) and got.sha and not got.notes and not got.missing:
            self._store.put_snapshot(replace(got, requested_id=key, repo_id=DATASET_KEY + got.repo_id),
                                     secrets=self.secrets, at=self._now())  # a rename is remembered with it
        elif self._store is not None and isinstance(got, FetchFailure) and got.reason is UnresolvedReason.NOT_FOUND:
            self._store.put_miss(key, _miss_reason(bool(self.secrets)), got.detail, secrets=self.secrets,
                                 at=self._now())
        return got

    def _read_dataset(self, repo_id: str) -> RepoSnapshot | FetchFailure:
        """A dataset's card and LICENSE at its current revision: one API call, then README.md as a file.

        Retried like a model's reads (fetch_dataset keeps what it returns in the metadata cache). A file listed
        but not read is evidence missing (`missing`), as for a model.
        """
        if self.offline:
            return FetchFailure(repo_id, UnresolvedReason.OFFLINE, "offline: datasets are read from the Hub only")
        info = self._api_call(repo_id, None, lambda: self._api.dataset_info(repo_id, expand=DATASET_EXPAND,
                                                                              timeout=self._settings.timeout))
        if isinstance(info, FetchFailure):
            return info
        snapshot = _snapshot_of(info, repo_id, self.name)
        if isinstance(snapshot, FetchFailure):
            return snapshot
        files = snapshot.files
        notes: list[str] = []
        missing: list[tuple[str, str]] = []
        texts: dict[str, bytes | None] = {}
        for name in ("README.md" if "README.md" in files else None, license_file_of(files)):
            if name is None:
                continue
            got = self._download(snapshot, name, repo_type="dataset")
            texts[name] = got if isinstance(got, bytes) else None
            if isinstance(got, _Missing):
                if name == "README.md":
                    notes.append(got.note)
                if got.incomplete:
                    missing.append((got.reason.value, got.note))
        readme = texts.get("README.md")
        license_name = license_file_of(files)
        license_bytes = texts.get(license_name) if license_name else None
        license_text = license_bytes.decode("utf-8", errors="replace") if license_bytes is not None else None
        return replace(snapshot, readme=readme, license_text=license_text, notes=tuple(notes), missing=tuple(missing),
                       license_file=license_name if license_text is not None else None, api_only=readme is None)

    def _download(self, snapshot: RepoSnapshot, filename: str, *, repo_type: str = "model",
                  max_bytes: int | None = None) -> bytes | _Missing:
        """The file's bytes (at most max_bytes, asked for with a Range request), or why there are none.

        Retried like the API call (Retry-After honoured, backoff otherwise). One GET per attempt on the file
        resolver, pinned to the sha, through huggingface_hub's session (its headers and token, its error
        classes): hf_hub_download would add a HEAD per file and a copy on disk we never use. With max_bytes
        the request carries Range: bytes=0-(max_bytes-1), so a multi-GB GGUF sends only its header; a server
        that ignores the Range is read only that far all the same. Without it, a file larger than
        MAX_FILE_BYTES is not read (it is streamed up to the cap, never whole).
        """
        url = hf_hub_url(snapshot.repo_id, filename, revision=snapshot.sha or "main", endpoint=self._endpoint,
                         repo_type=repo_type)
        backoff = BACKOFF_START
        attempts = 0
        while True:
            attempts += 1
            got = self._download_once(snapshot, filename, url, max_bytes)
            if not isinstance(got, _Retry):
                return got
            if attempts > self._settings.max_retries:
                tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
                return _Missing(self._redact(f"{filename} could not be read: {got.detail} (gave up after {tries})"),
                                reason=got.reason)
            backoff = self._back_off(f"{snapshot.repo_id}/{filename}", got, backoff)

    def _download_once(self, snapshot: RepoSnapshot, filename: str, url: str,
                       max_bytes: int | None) -> bytes | _Missing | _Retry:
        self.counters.add(file_downloads=1)
        limit = MAX_FILE_BYTES if max_bytes is None else max_bytes
        headers = dict(self._headers)
        if max_bytes is not None:
            headers["Range"] = f"bytes=0-{max_bytes - 1}"
        try:
            self._wait_turn()
            with _bounded_session().stream("GET", url, headers=headers, follow_redirects=True,
                                           timeout=self._settings.timeout) as response:
                hf_raise_for_status(response)
                data = bytearray()
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > limit:
                        break
        except GatedRepoError:
            return _Missing(f"{filename} not read: the repo's files are gated (they need an accepted access "
                            "request)", transient=False, incomplete=False)
        except EntryNotFoundError:
            return _Missing(f"{filename} is listed but not found at {snapshot.sha}", transient=False)
        except RepositoryNotFoundError:
            return _Missing(f"{filename} cannot be read (repo not found, or private/gated without access)")
        except Exception as exc:  # noqa: BLE001 - a file we cannot read degrades the record, never the scan
            failure = self._classify(snapshot.repo_id, snapshot.sha, exc)
            if isinstance(failure, _Retry):
                return failure
            return _Missing(self._redact(f"{filename} could not be read: {failure.detail}"),
                            transient=False, reason=failure.reason)
        if len(data) > limit and max_bytes is None:
            return _Missing(f"{filename} is larger than {limit:,} bytes: not read", transient=False,
                            reason=UnresolvedReason.MALFORMED)
        return bytes(data[:limit])


@dataclass(frozen=True)
class _Missing:
    """Why a file could not be read; transient when trying again later might work; incomplete when the
    file is evidence licscan lacks (everything but a gated refusal, which the card's own notes explain)."""

    note: str
    transient: bool = True
    incomplete: bool = True
    reason: UnresolvedReason = UnresolvedReason.NETWORK


def _snapshot_of(info: Any, repo_id: str, source: str, *, authenticated: bool = False) -> RepoSnapshot | FetchFailure:
    """What an API answer says of a repo, its files still to read; every string made valid Unicode. An answer
    whose id or sha is not one (`../../etc`) is refused: the id becomes a node id, a cache key and a folder."""
    named = getattr(info, "id", None) or repo_id
    sha = getattr(info, "sha", None)
    if not (isinstance(named, str) and is_repo_id(named)):
        return FetchFailure(repo_id, UnresolvedReason.MALFORMED,
                            f"the Hub's answer names the repo {str(named)[:100]!r}, which is not a repo id")
    if sha is not None and not (isinstance(sha, str) and _COMMIT.fullmatch(sha)):
        return FetchFailure(repo_id, UnresolvedReason.MALFORMED,
                            f"the Hub's answer gives the revision {str(sha)[:100]!r}, which is not a commit id")
    files = valid_text([s.rfilename for s in (info.siblings or ()) if isinstance(getattr(s, "rfilename", None), str)])
    gated = info.gated if isinstance(info.gated, str) else ("manual" if info.gated is True else None)
    return RepoSnapshot(
        requested_id=repo_id,
        repo_id=named,
        sha=sha,
        source=source,
        author=valid_text(info.author) if isinstance(info.author, str) else None,  # type: ignore[arg-type]
        gated=valid_text(gated) if gated else None,  # type: ignore[arg-type]
        tags=tuple(valid_text([str(t) for t in (info.tags or ())])),  # type: ignore[arg-type]
        card_data=valid_text(_card_data(info)),  # type: ignore[arg-type]
        files=tuple(files),  # type: ignore[arg-type]
        authenticated=authenticated,
        parameters=_parameters(info),
    )


def _card_data(info: Any) -> dict[str, Any] | None:
    card = getattr(info, "card_data", None)
    if card is None:
        return None
    try:
        data = card.to_dict() if hasattr(card, "to_dict") else dict(card)
    except Exception:  # noqa: BLE001 - odd cardData is treated as absent
        return None
    return data if isinstance(data, dict) else None


def name_or_path(config: bytes) -> str | None:
    """config.json's _name_or_path: the checkpoint the model was saved from, as transformers records it."""
    try:
        data = json.loads(config[:MAX_FILE_BYTES])
    except (ValueError, RecursionError):  # nested too deeply: not read
        return None
    value = data.get("_name_or_path") if isinstance(data, dict) else None
    return valid_text(value.strip()[:300]) if isinstance(value, str) and value.strip() else None  # type: ignore[return-value]


def _parameters(info: Any) -> int | None:
    """The total parameter count from the API's safetensors metadata, when the Hub computed it."""
    total = getattr(getattr(info, "safetensors", None), "total", None)
    return total if isinstance(total, int) and not isinstance(total, bool) and total > 0 else None


def _server_message(exc: Exception) -> str:
    message = getattr(exc, "server_message", None)
    if not message:
        response = getattr(exc, "response", None)
        message = response.headers.get("X-Error-Message") if response is not None else None
    message = " ".join(str(message).split())[:300] if message else ""
    return f": {message}" if message else ""


def _retry_after(headers: Any) -> float | None:
    """Seconds the Hub asks us to wait: Retry-After, else the reset time of its RateLimit header; capped."""
    value = None
    for key in headers:
        if key.lower() == "retry-after" and str(headers[key]).strip().isdigit():
            value = float(str(headers[key]).strip())
            break
    if value is None:
        try:
            info = parse_ratelimit_headers(headers)
        except (ValueError, TypeError):
            info = None
        if info is not None:
            value = float(info.reset_in_seconds)
    return min(value, MAX_RETRY_AFTER) if value is not None else None


def _miss_reason(authenticated: bool) -> str:
    """How a remembered not-found is stored: one seen without a token says nothing to a caller with one."""
    return "not-found:token" if authenticated else "not-found"
