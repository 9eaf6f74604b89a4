"""The Hub source (the only importer of huggingface_hub): one model_info call, then README/LICENSE as files."""

from __future__ import annotations

import json
import logging
import re
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Callable

import huggingface_hub
from huggingface_hub import HfApi, constants, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from licscan.errors import redact
from licscan.model import ResolutionSettings, UnresolvedReason
from licscan.resolution.cache import CacheSource
from licscan.resolution.interface import FetchFailure, RepoSnapshot, SourceCounters
from licscan.resolution.store import MetadataStore

try:  # huggingface_hub 2.x speaks httpx2, 1.x httpx; both name their transport errors alike.
    import httpx2 as _httpx
except ImportError:  # pragma: no cover - depends on the installed huggingface_hub
    import httpx as _httpx  # type: ignore[no-redef]

try:
    from huggingface_hub.utils.tqdm import silent_tqdm as _silent_bar
except ImportError:  # pragma: no cover
    _silent_bar = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

EXPAND = ["author", "cardData", "sha", "gated", "tags", "siblings"]
MAX_RETRY_AFTER = 60.0  # never sleep longer than this on one Retry-After, whatever the server asks
BACKOFF_START = 1.0
BACKOFF_MAX = 8.0
MAX_FILE_BYTES = 2_000_000
_LICENSE_NAMES = ("license", "license.md", "license.txt")
_COMMIT = re.compile(r"[0-9a-f]{40}")
_RATELIMIT_T = re.compile(r"\bt\s*=\s*(\d+)")
_TRANSIENT_STATUS = {408, 500, 502, 503, 504}


@dataclass(frozen=True)
class _Retry:
    """An attempt failed in a way that trying again may fix; wait is what the server asked for, if anything."""

    reason: UnresolvedReason
    detail: str
    wait: float | None = None


class HubSource:
    """Read model metadata from the Hugging Face Hub (or settings.endpoint).

    Per repo: one API call (model_info with expand) for the sha, gating, tags, siblings and cardData;
    then README.md and a LICENSE file through the file resolver, unless the metadata cache already holds
    them for that sha. Files go to a private temporary directory, not the user's HF cache: licscan keeps
    what it needs in its own cache keyed by sha, and an audit should not fill ~/.cache/huggingface with
    the cards of every ancestor (nor depend on what is already there).
    """

    name = "hub"

    def __init__(self, settings: ResolutionSettings, *, store: MetadataStore | None = None,
                 sleep: Callable[[float], None] = time.sleep, now: Callable[[], float] = time.time) -> None:
        self._settings = settings
        self._endpoint = settings.endpoint.rstrip("/") if settings.endpoint else None
        self._api = HfApi(endpoint=self._endpoint)
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
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._tmp_lock = threading.Lock()

    def close(self) -> None:
        with self._tmp_lock:
            if self._tmp is not None:
                self._tmp.cleanup()
                self._tmp = None

    def _redact(self, text: str) -> str:
        return redact(text, *self.secrets)

    def _cache_dir(self) -> str:
        with self._tmp_lock:  # workers race here on the first download; two directories would leak one
            if self._tmp is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="licscan-hub-")
            return self._tmp.name

    # -- fetch -------------------------------------------------------------------------------------------
    def fetch(self, repo_id: str, revision: str | None) -> RepoSnapshot | FetchFailure:
        if self.offline:  # HF_HUB_OFFLINE as huggingface_hub users expect: answer from the cache alone
            return self._cache_only.fetch(repo_id, revision)
        fresh = self._from_cache_without_asking(repo_id, revision)
        if fresh is not None:
            return fresh
        info = self._model_info(repo_id, revision)
        if isinstance(info, FetchFailure):
            return info
        canonical = info.id or repo_id
        sha = info.sha
        files = tuple(s.rfilename for s in (info.siblings or ()) if getattr(s, "rfilename", None))
        card_data = _card_data(info)
        gated = info.gated if isinstance(info.gated, str) else ("manual" if info.gated is True else None)
        base = RepoSnapshot(
            requested_id=repo_id,
            repo_id=canonical,
            sha=sha,
            source=self.name,
            author=info.author,
            gated=gated,
            tags=tuple(str(t) for t in (info.tags or ())),
            card_data=card_data,
            files=files,
            authenticated=bool(self.secrets),
        )
        cached = self._store.get_snapshot(canonical, sha) if (self._store is not None and sha) else None
        if cached is not None and self._reusable(cached):
            self.counters.add(cache_hits=1)
            snapshot = replace(base, readme=cached.readme, license_text=cached.license_text, notes=cached.notes,
                               api_only=cached.api_only)
            cacheable = True
        else:
            snapshot, cacheable = self._with_files(base)
        if cacheable:
            self._remember(snapshot, revision)
        elif self._store is not None and snapshot.requested_id != snapshot.repo_id:
            self._store.set_alias(snapshot.requested_id, snapshot.repo_id, at=self._now())
        return snapshot

    def _from_cache_without_asking(self, repo_id: str, revision: str | None) -> RepoSnapshot | None:
        """A cached snapshot good enough to skip the API call: a pinned commit, or a fresh enough head."""
        if self._store is None:
            return None
        canonical = self._store.canonical(repo_id) or repo_id
        snapshot = None
        if revision and _COMMIT.fullmatch(revision):
            snapshot = self._store.get_snapshot(canonical, revision)  # a commit never changes
        elif revision in (None, "main") and self._settings.freshness_seconds > 0:
            head = self._store.head(canonical)
            if head is not None and self._now() - head.checked_at <= self._settings.freshness_seconds:
                snapshot = self._store.get_snapshot(canonical, head.sha)
        if snapshot is None or not self._reusable(snapshot):
            return None
        self.counters.add(cache_hits=1)
        return snapshot.with_request(repo_id)  # keeps the original source: reports must not depend on cache state

    def _reusable(self, cached: RepoSnapshot) -> bool:
        """A cached snapshot serves unless its README was refused for want of a token we now have."""
        return not (cached.api_only and self.secrets and not cached.authenticated)

    def _remember(self, snapshot: RepoSnapshot, revision: str | None) -> None:
        if self._store is None or not snapshot.sha:
            return
        # Only an unpinned (or main) fetch tells us where the repo's head is now.
        self._store.put_snapshot(snapshot, secrets=self.secrets, at=self._now(), head=revision in (None, "main"))

    # -- the API call ------------------------------------------------------------------------------------
    def _model_info(self, repo_id: str, revision: str | None) -> Any:
        backoff = BACKOFF_START
        attempts = 0
        while True:
            attempts += 1
            self.counters.add(api_calls=1)
            try:
                return self._api.model_info(repo_id, revision=revision, expand=EXPAND,
                                            timeout=self._settings.timeout)
            except Exception as exc:  # noqa: BLE001 - every failure becomes a value, never a crash
                failure = self._classify(repo_id, revision, exc)
                if isinstance(failure, FetchFailure):
                    return failure
            if attempts > self._settings.max_retries:
                tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
                return FetchFailure(repo_id, failure.reason, self._redact(f"{failure.detail} (gave up after {tries})"))
            wait = failure.wait if failure.wait is not None else backoff
            backoff = min(BACKOFF_MAX, backoff * 2)
            logger.warning("%s", self._redact(f"{repo_id}: {failure.detail}; retrying in {wait:g}s"))
            self._sleep(wait)

    def _classify(self, repo_id: str, revision: str | None, exc: Exception) -> FetchFailure | _Retry:
        """Turn what model_info raised into a final failure or a retry. Order matters: subclasses first."""
        if isinstance(exc, GatedRepoError):
            return FetchFailure(repo_id, UnresolvedReason.GATED,
                                "gated: the Hub refuses its metadata without an accepted access request"
                                + ("" if self.secrets else " (no Hugging Face token is configured: set HF_TOKEN)"))
        if isinstance(exc, RevisionNotFoundError):
            return FetchFailure(repo_id, UnresolvedReason.NOT_FOUND, f"revision {revision} not found")
        if isinstance(exc, RepositoryNotFoundError):
            return FetchFailure(repo_id, UnresolvedReason.NOT_FOUND, "not found, or private/gated without access")
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

        A file refused for gating is a stable fact about this sha and this token; a file lost to a network
        error is not, so such a snapshot is used for this scan but never cached.
        """
        notes: list[str] = []
        readme: bytes | None = None
        license_text: str | None = None
        api_only = False
        cacheable = True
        if "README.md" in snapshot.files or not snapshot.files:
            got = self._download(snapshot, "README.md")
            if isinstance(got, bytes):
                readme = got
            else:
                notes.append(got.note)
                api_only = True
                cacheable = cacheable and not got.transient
        else:
            notes.append("the repo has no README.md")
        license_name = next((f for f in snapshot.files if f.lower() in _LICENSE_NAMES), None)
        if license_name and not api_only:
            got = self._download(snapshot, license_name)
            if isinstance(got, bytes):
                license_text = got.decode("utf-8", errors="replace")
            else:
                notes.append(got.note)
                cacheable = cacheable and not got.transient
        updated = replace(snapshot, readme=readme, license_text=license_text, api_only=api_only, notes=tuple(notes))
        return updated, cacheable

    def _download(self, snapshot: RepoSnapshot, filename: str) -> bytes | _Missing:
        """The file's bytes, or why there are none (the card then comes from cardData)."""
        self.counters.add(file_downloads=1)
        try:
            path = hf_hub_download(
                snapshot.repo_id, filename, revision=snapshot.sha or None, endpoint=self._endpoint,
                cache_dir=self._cache_dir(), etag_timeout=self._settings.timeout, tqdm_class=_silent_bar,
            )
            with open(path, "rb") as handle:
                return handle.read(MAX_FILE_BYTES)
        except GatedRepoError:
            return _Missing(f"{filename} not read: the repo's files are gated (they need an accepted access "
                            "request)", transient=False)
        except LocalEntryNotFoundError as exc:  # the HEAD call failed (network, 5xx) and nothing is cached
            return _Missing(self._redact(f"{filename} could not be downloaded: {_first_line(exc)}"))
        except EntryNotFoundError:
            return _Missing(f"{filename} is listed but not found at {snapshot.sha}", transient=False)
        except RepositoryNotFoundError:
            return _Missing(f"{filename} cannot be read (repo not found, or private/gated without access)")
        except Exception as exc:  # noqa: BLE001 - a file we cannot read degrades the record, never the scan
            return _Missing(self._redact(f"{filename} could not be downloaded: {type(exc).__name__}: "
                                         f"{_first_line(exc)}"))


@dataclass(frozen=True)
class _Missing:
    """Why a file could not be read; transient when trying again later might work."""

    note: str
    transient: bool = True


def _card_data(info: Any) -> dict[str, Any] | None:
    card = getattr(info, "card_data", None)
    if card is None:
        return None
    try:
        data = card.to_dict() if hasattr(card, "to_dict") else dict(card)
    except Exception:  # noqa: BLE001 - odd cardData is treated as absent
        return None
    return data if isinstance(data, dict) else None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


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
        lowered = key.lower()
        if lowered == "retry-after" and str(headers[key]).strip().isdigit():
            value = float(str(headers[key]).strip())
            break
        if lowered == "ratelimit" and value is None and (match := _RATELIMIT_T.search(str(headers[key]))):
            value = float(match.group(1))
    return min(value, MAX_RETRY_AFTER) if value is not None else None
