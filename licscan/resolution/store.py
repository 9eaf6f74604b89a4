"""The metadata cache and scan history (the only importer of sqlalchemy): snapshots, renames, heads, scans."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import zlib
from collections.abc import Sequence as SequenceABC
from contextlib import contextmanager
from dataclasses import dataclass
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence, TypeVar

from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    tuple_,
    update,
)
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from licscan.errors import CacheError, ConfigError, redact
from licscan.resolution.interface import RepoSnapshot

SCHEMA_VERSION = 4  # licscan_schema.version: lets an older licscan refuse a cache it cannot read
HEAD_REVISION = "0004"  # the newest Alembic revision under migrations/ (a test checks they agree)
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004")
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 10_000
BUSY_RETRIES = 8  # after SQLite's own busy_timeout, or a PostgreSQL deadlock/serialization failure
DATASET_KEY = "datasets/"  # a dataset's rows are kept under this prefix: no model id starts with it
_ADVISORY_LOCK = 0x11C5CA4  # pg_advisory_xact_lock key: one migrator at a time across every runner

T = TypeVar("T")

_metadata = MetaData()
_schema = Table(
    "licscan_schema", _metadata,
    Column("component", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
)
_snapshots = Table(
    "metadata_snapshots", _metadata,
    Column("repo_id", String(256), primary_key=True),
    Column("sha", String(64), primary_key=True),
    Column("data", Text, nullable=False),  # RepoSnapshot as JSON
    Column("fetched_at", Float, nullable=False),
)
_aliases = Table(
    "repo_aliases", _metadata,
    Column("requested_id", String(256), primary_key=True),
    Column("canonical_id", String(256), nullable=False),
    Column("seen_at", Float, nullable=False),
)
_heads = Table(
    "repo_heads", _metadata,
    Column("repo_id", String(256), primary_key=True),
    Column("sha", String(64), nullable=False),
    Column("checked_at", Float, nullable=False),
)
_misses = Table(
    "repo_misses", _metadata,
    Column("repo_id", String(256), primary_key=True),
    Column("reason", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Column("checked_at", Float, nullable=False),
)
_scans = Table(
    "scans", _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", String(1024), nullable=False),
    Column("label", String(1024), nullable=False),
    Column("recorded_at", Float, nullable=False),
    Column("generated_at", String(32), nullable=False),
    Column("tool_version", String(32), nullable=False),
    Column("policy", String(256), nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("models", Integer, nullable=False),
    Column("findings", Integer, nullable=False),
    Column("report", Text, nullable=False),  # the licscan-report/1 JSON of a scan kept before 0003, else ""
    Column("body", LargeBinary, nullable=True),  # since 0003: the report's skeleton, compressed (see _pack)
    Column("stored_bytes", Integer, nullable=True),  # bytes this scan added: its skeleton and its new blobs
    Index("ix_scans_project_id", "project", "id"),
)
_blobs = Table(
    "scan_blobs", _metadata,
    Column("digest", String(64), primary_key=True),  # of the part's JSON: a part shared by scans is kept once
    Column("data", LargeBinary, nullable=False),  # the part's JSON, compressed, with its own large parts as refs
    Column("refs", Text, nullable=False),  # the digests it refers to, space-separated (prune follows them)
)
_kept = Table(
    "kept_evaluations", _metadata,
    Column("digest", String(64), primary_key=True),  # of everything the evaluation of one lineage reads
    Column("data", LargeBinary, nullable=False),  # its results as JSON (never pickle), compressed
    Column("used_at", Float, nullable=False),  # when a scan last used it (prune drops the long unused)
)
_TABLES = (_snapshots, _aliases, _heads, _misses, _scans, _blobs, _kept)
KEPT_TOUCH_AFTER = 86_400.0  # a kept evaluation used again is marked used at most once a day
PART_BYTES = 512  # a report part whose JSON is larger than this is stored once, as a blob, by its digest
_REF = "$blob"  # {"$blob": digest} stands for a part; a report mapping that looks like one is wrapped in "$lit"
_LITERAL = "$lit"
_PARTS = "$parts"  # {"$parts": digest}: a long top-level list, whose list of references is itself shared


@dataclass(frozen=True)
class Head:
    """The newest commit the Hub reported for a repo, and when it was asked."""

    repo_id: str
    sha: str
    checked_at: float


@dataclass(frozen=True)
class Miss:
    """A repo the Hub said does not exist, and when it said so (re-asked after the freshness window)."""

    repo_id: str
    reason: str
    detail: str
    checked_at: float


@dataclass(frozen=True)
class ScanRecord:
    """One scan in the history (the report itself is read with MetadataStore.scan_report)."""

    id: int
    project: str
    label: str
    recorded_at: float
    generated_at: str
    tool_version: str
    policy: str
    verdict: str
    models: int
    findings: int


def describe_url(url: str) -> str:
    """The URL or file path, with any password hidden (in the userinfo or a query `password=`), for messages."""
    try:
        parsed = _credentials_mended(make_url(url))
    except ArgumentError:
        return "the cache URL"
    if parsed.drivername.startswith("sqlite"):
        return parsed.database or "an in-memory database"
    if _PASSWORD_KEY in parsed.query:
        parsed = parsed.update_query_dict({_PASSWORD_KEY: "***"})
    return parsed.render_as_string(hide_password=True).replace("%2A%2A%2A", "***")  # the query's, as typed


_PASSWORD_KEY = "password"  # libpq's (and psycopg's) connection parameter, also accepted in the URL's query


def _credentials_mended(parsed: URL) -> URL:
    """An unencoded "@" in a password: SQLAlchemy ends the password at the first "@" and keeps the rest in
    the host ("tail@host"), where every message would show it. The userinfo ends at the last "@", as in libpq."""
    if parsed.host and "@" in parsed.host:
        tail, host = parsed.host.rsplit("@", 1)
        return parsed.set(password=f"{parsed.password or ''}@{tail}", host=host)
    return parsed


def _url_secrets(parsed: URL) -> tuple[str, ...]:
    """The password of a URL in every form it can take there, to scrub from messages."""
    mended = _credentials_mended(parsed)
    value = mended.query.get(_PASSWORD_KEY)
    found = [mended.password, parsed.password, *((value,) if isinstance(value, str) else (value or ()))]
    if parsed.host and "@" in parsed.host:
        found.append(parsed.host.rsplit("@", 1)[0])
    return tuple(item for item in found if isinstance(item, str) and item)


def _retryable(exc: SQLAlchemyError) -> bool:
    """SQLite still busy after its timeout, or PostgreSQL asking us to try again (deadlock, serialization)."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    code = getattr(getattr(exc, "orig", None), "sqlstate", None) or getattr(getattr(exc, "orig", None), "pgcode", None)
    return ("database is locked" in text or "database is busy" in text or "deadlock detected" in text
            or code in ("40001", "40P01"))


_describe = describe_url


class MetadataStore:
    """A thread-safe cache of repo snapshots and the scan history. Never stores tokens: callers pass the
    secrets to scrub."""

    def __init__(self, engine: Engine, *, where: str, now: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._where = where
        self._now = now
        # One lock for the whole store: SQLite serialises writers anyway, the in-memory store shares one
        # connection across the scan's worker threads, and one connection per process is kind to a shared
        # PostgreSQL that many CI runners use at once.
        self._lock = threading.RLock()

    @property
    def where(self) -> str:
        return self._where

    @property
    def backend(self) -> str:
        return self._engine.dialect.name

    # -- plumbing ----------------------------------------------------------------------------------------
    @contextmanager
    def _tx(self, *, write: bool = False) -> Iterator[Connection]:
        with self._lock:
            try:
                with self._engine.connect().execution_options(licscan_write=write) as conn:
                    with conn.begin():
                        yield conn
            except CacheError:
                raise
            except SQLAlchemyError as exc:
                raise CacheError(self._explain(exc)) from None

    def _run(self, work: Callable[[Connection], T], *, write: bool = False) -> T:
        """Run work in one short transaction, retrying when another writer holds the database."""
        for attempt in range(BUSY_RETRIES + 1):
            try:
                with self._lock:
                    with self._engine.connect().execution_options(licscan_write=write) as conn:
                        with conn.begin():
                            return work(conn)
            except CacheError:
                raise
            except OperationalError as exc:
                if attempt < BUSY_RETRIES and _retryable(exc):
                    time.sleep(min(1.0, 0.02 * 2 ** attempt))
                    continue
                raise CacheError(self._explain(exc)) from None
            except SQLAlchemyError as exc:
                if attempt < BUSY_RETRIES and _retryable(exc):
                    time.sleep(min(1.0, 0.02 * 2 ** attempt))
                    continue
                raise CacheError(self._explain(exc)) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _explain(self, exc: SQLAlchemyError) -> str:
        reason = redact(" ".join(str(getattr(exc, "orig", None) or exc).split()),
                        *_url_secrets(self._engine.url))[:300]
        if "not a database" in reason or "malformed" in reason:
            return (f"the metadata cache {self._where} is not a licscan cache database ({reason}); "
                    "move the file away or point the cache somewhere else")
        return f"the metadata cache {self._where} cannot be used: {reason}"

    def create(self) -> None:
        """Bring the schema to this licscan's revision (Alembic), atomically and one migrator at a time.

        Opening a current database costs one SELECT; only an outdated one imports Alembic.
        """
        if self._run(_revision) == HEAD_REVISION:
            self._check_component()
            return
        self._run(self._migrate, write=True)

    def _check_component(self) -> None:
        version = self._run(lambda conn: conn.execute(
            select(_schema.c.version).where(_schema.c.component == "metadata")).scalar())
        if version is not None and version > SCHEMA_VERSION:
            raise CacheError(f"the metadata cache {self._where} was written by a newer licscan "
                             f"(schema {version}, this one reads {SCHEMA_VERSION})")

    def _migrate(self, conn: Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCK})")
        current = _revision(conn)  # again, under the lock: another runner may have just migrated
        if current is not None and current not in KNOWN_REVISIONS:
            raise CacheError(f"the metadata cache {self._where} was written by a newer licscan "
                             f"(schema revision {current}, this one knows up to {HEAD_REVISION})")
        if inspect(conn).has_table("licscan_schema"):
            version = conn.execute(select(_schema.c.version).where(_schema.c.component == "metadata")).scalar()
            if version is not None and version > SCHEMA_VERSION:
                raise CacheError(f"the metadata cache {self._where} was written by a newer licscan "
                                 f"(schema {version}, this one reads {SCHEMA_VERSION})")
        if current == HEAD_REVISION:
            return
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn  # migrate inside this transaction (atomic, under the lock)
        command.upgrade(config, HEAD_REVISION)

    def session(self) -> "StoreSession":
        """A scan's view of the store: reads in batches, kept in memory; writes gathered (see StoreSession)."""
        return StoreSession(self)

    def revision(self) -> str | None:
        """The schema's Alembic revision."""
        return self._run(_revision)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> "MetadataStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- snapshots ---------------------------------------------------------------------------------------
    def get_snapshot(self, repo_id: str, sha: str) -> RepoSnapshot | None:
        data = self._run(lambda conn: conn.execute(
            select(_snapshots.c.data).where(_snapshots.c.repo_id == repo_id, _snapshots.c.sha == sha)).scalar())
        return _decode(data, repo_id) if data is not None else None

    def latest_snapshot(self, repo_id: str) -> RepoSnapshot | None:
        """The snapshot at the repo's last known head, else the most recently fetched one."""

        def work(conn: Connection) -> str | None:
            head = conn.execute(select(_heads.c.sha).where(_heads.c.repo_id == repo_id)).scalar()
            data = None
            if head is not None:
                data = conn.execute(
                    select(_snapshots.c.data).where(_snapshots.c.repo_id == repo_id, _snapshots.c.sha == head)
                ).scalar()
            if data is None:
                data = conn.execute(
                    select(_snapshots.c.data).where(_snapshots.c.repo_id == repo_id)
                    .order_by(_snapshots.c.fetched_at.desc()).limit(1)
                ).scalar()
            return data

        data = self._run(work)
        return _decode(data, repo_id) if data is not None else None

    def put_snapshot(self, snapshot: RepoSnapshot, *, secrets: Sequence[str] = (), at: float | None = None,
                     head: bool = True) -> None:
        """Store a snapshot (and, unless head=False, record its sha as the repo's head and its alias)."""
        if not snapshot.sha:
            return
        when = self._now() if at is None else at
        data = _encode(snapshot, secrets)

        def work(conn: Connection) -> None:
            _upsert(conn, _snapshots, {"repo_id": snapshot.repo_id, "sha": snapshot.sha},
                    {"data": data, "fetched_at": when})
            if head:
                _upsert(conn, _heads, {"repo_id": snapshot.repo_id}, {"sha": snapshot.sha, "checked_at": when})
                conn.execute(delete(_misses).where(_misses.c.repo_id.in_({snapshot.repo_id, snapshot.requested_id})))
            if snapshot.requested_id != snapshot.repo_id:
                _upsert(conn, _aliases, {"requested_id": snapshot.requested_id},
                        {"canonical_id": snapshot.repo_id, "seen_at": when})

        self._run(work, write=True)

    # -- heads, aliases and misses -----------------------------------------------------------------------
    def head(self, repo_id: str) -> Head | None:
        row = self._run(lambda conn: conn.execute(select(_heads).where(_heads.c.repo_id == repo_id)).first())
        return Head(row.repo_id, row.sha, row.checked_at) if row is not None else None

    def set_head(self, repo_id: str, sha: str, *, at: float | None = None) -> None:
        when = self._now() if at is None else at
        self._run(lambda conn: _upsert(conn, _heads, {"repo_id": repo_id}, {"sha": sha, "checked_at": when}),
                  write=True)

    def canonical(self, requested_id: str) -> str | None:
        """Where a requested id was last seen to redirect, or None when it never did."""
        return self._run(lambda conn: conn.execute(
            select(_aliases.c.canonical_id).where(_aliases.c.requested_id == requested_id)).scalar())

    def set_alias(self, requested_id: str, canonical_id: str, *, at: float | None = None) -> None:
        when = self._now() if at is None else at

        def work(conn: Connection) -> None:
            if requested_id == canonical_id:
                conn.execute(delete(_aliases).where(_aliases.c.requested_id == requested_id))
            else:
                _upsert(conn, _aliases, {"requested_id": requested_id},
                        {"canonical_id": canonical_id, "seen_at": when})

        self._run(work, write=True)

    def miss(self, repo_id: str) -> Miss | None:
        row = self._run(lambda conn: conn.execute(select(_misses).where(_misses.c.repo_id == repo_id)).first())
        return Miss(row.repo_id, row.reason, row.detail, row.checked_at) if row is not None else None

    def put_miss(self, repo_id: str, reason: str, detail: str, *, secrets: Sequence[str] = (),
                 at: float | None = None) -> None:
        """Remember that a repo does not exist (never a transient failure: those are asked again)."""
        when = self._now() if at is None else at
        self._run(lambda conn: _upsert(conn, _misses, {"repo_id": repo_id},
                                       {"reason": reason, "detail": _scrub(detail, secrets), "checked_at": when}),
                  write=True)

    # -- scan history ------------------------------------------------------------------------------------
    def record_scan(self, project: str, label: str, report: Mapping[str, Any], *, secrets: Sequence[str] = (),
                    at: float | None = None, known_parts: Mapping[int, str] | None = None,
                    part_digests: dict[int, str] | None = None, known_lists: Mapping[str, str] | None = None,
                    list_digests: dict[str, str] | None = None) -> int:
        """Keep one scan's report (models, lineage, findings); returns its id in the history.

        The report is kept as a compressed skeleton whose large parts are blobs by digest: what an earlier
        scan already stored (an unchanged model, lineage or finding) costs a reference, not a copy.
        known_parts: the digest an earlier scan stored models[i]'s part under, when the caller knows the part
        is the same (scan.py, from kept evaluations): a part the store still holds is referenced without
        being encoded again. part_digests is filled with the digest of each model's part as stored.
        known_lists and list_digests do the same for long top-level lists ({"$parts": digest}) by name.
        """
        when = self._now() if at is None else at
        summary = report.get("summary") or {}
        values = {
            "project": project[:1024], "label": str(label)[:1024], "recorded_at": when,
            "generated_at": str(report.get("generated_at") or "")[:32],
            "tool_version": str((report.get("tool") or {}).get("version") or "")[:32],
            "policy": str(report.get("policy") or "")[:256], "verdict": str(report.get("verdict") or "")[:16],
            "models": int(summary.get("models") or len(report.get("models") or ())),
            "findings": int(summary.get("findings") or len(report.get("findings") or ())),
            "report": "",
        }
        wanted = sorted(set((known_parts or {}).values()) | set((known_lists or {}).values()))

        def work(conn: Connection) -> int:
            _history_lock(conn)
            held: set[str] = set()  # under the lock: a part found here is not swept before this scan refers to it
            for start in range(0, len(wanted), _CHUNK):
                held.update(conn.execute(select(_blobs.c.digest).where(
                    _blobs.c.digest.in_(wanted[start:start + _CHUNK]))).scalars())
            known = {index: digest for index, digest in (known_parts or {}).items() if digest in held}
            lists = {name: digest for name, digest in (known_lists or {}).items() if digest in held}
            blobs: dict[str, tuple[bytes, str]] = {}
            stored: dict[int, str] = {}
            stored_lists: dict[str, str] = {}
            skeleton = _pack(report, blobs, secrets, known_models=known, model_digests=stored, known_lists=lists,
                             list_digests=stored_lists)
            body = zlib.compress(skeleton.encode("utf-8"), 6)
            digests = sorted(blobs)
            present: set[str] = set()
            for start in range(0, len(digests), _CHUNK):
                present.update(conn.execute(select(_blobs.c.digest).where(
                    _blobs.c.digest.in_(digests[start:start + _CHUNK]))).scalars())
            new = [{"digest": digest, "data": zlib.compress(blobs[digest][0], 6), "refs": blobs[digest][1]}
                   for digest in digests if digest not in present]
            per_statement = 300
            for start in range(0, len(new), per_statement):
                conn.execute(insert(_blobs), new[start:start + per_statement])
            added = len(body) + sum(len(row["data"]) + len(row["digest"]) + len(row["refs"]) for row in new)
            scan_id = int(conn.execute(insert(_scans).values(**values, body=body, stored_bytes=added))
                          .inserted_primary_key[0])
            if part_digests is not None:
                part_digests.clear()
                part_digests.update(stored)
            if list_digests is not None:
                list_digests.clear()
                list_digests.update(stored_lists)
            return scan_id

        return self._run(work, write=True)

    def scans(self, project: str | None = None, *, limit: int = 50) -> list[ScanRecord]:
        """The newest scans first, of one project or of all."""
        columns = [c for c in _scans.c if c.name not in ("report", "body", "stored_bytes")]
        query = select(*columns).order_by(_scans.c.id.desc()).limit(limit)
        if project is not None:
            query = query.where(_scans.c.project == project)
        rows = self._run(lambda conn: conn.execute(query).all())
        return [ScanRecord(**row._asdict()) for row in rows]

    def scan_report(self, scan_id: int) -> tuple[ScanRecord, dict[str, Any]] | None:
        """One scan's record and its report, as it was recorded (either storage format)."""
        columns = [c for c in _scans.c if c.name != "stored_bytes"]

        def work(conn: Connection) -> tuple[dict[str, Any], Any] | None:
            row = conn.execute(select(*columns).where(_scans.c.id == scan_id)).first()
            if row is None:
                return None
            values = row._asdict()
            text, body = values.pop("report"), values.pop("body")
            if body is None:
                return values, text
            damaged = CacheError(f"scan {scan_id} in {self._where} is damaged (its report cannot be read)")
            try:
                return values, _unpack(json.loads(zlib.decompress(body)), _BlobReader(conn, damaged))
            except (ValueError, zlib.error):
                raise damaged from None

        found = self._run(work)
        if found is None:
            return None
        values, report = found
        if isinstance(report, str):
            try:
                report = json.loads(report)
            except ValueError:
                raise CacheError(f"scan {scan_id} in {self._where} is damaged (its report is not JSON)") from None
        return ScanRecord(**values), report

    # -- kept evaluations --------------------------------------------------------------------------------
    def kept_evaluations(self, digests: Sequence[str]) -> dict[str, bytes]:
        """The kept evaluation results (compressed JSON, as put) of these digests that the store holds; rows
        used long ago are marked used now, so prune keeps what scans still read."""
        wanted = sorted(set(digests))
        found: dict[str, bytes] = {}
        stale: list[str] = []
        now = self._now()

        def read(conn: Connection) -> None:
            for start in range(0, len(wanted), _CHUNK):
                for row in conn.execute(select(_kept.c.digest, _kept.c.data, _kept.c.used_at)
                                        .where(_kept.c.digest.in_(wanted[start:start + _CHUNK]))):
                    found[row.digest] = bytes(row.data)
                    if row.used_at < now - KEPT_TOUCH_AFTER:
                        stale.append(row.digest)

        self._run(read)
        if stale:
            def touch(conn: Connection) -> None:
                for start in range(0, len(stale), _CHUNK):
                    conn.execute(update(_kept).where(_kept.c.digest.in_(stale[start:start + _CHUNK]))
                                 .values(used_at=now))

            self._run(touch, write=True)
        return found

    def keep_evaluations(self, rows: Mapping[str, bytes]) -> None:
        """Keep evaluation results by digest (compressed JSON); a digest already kept is overwritten."""
        if not rows:
            return
        now = self._now()
        values = [{"digest": digest, "data": data, "used_at": now} for digest, data in sorted(rows.items())]
        self._run(lambda conn: _upsert_many(conn, _kept, ("digest",), values), write=True)

    # -- maintenance -------------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Rows per table, for `licscan db` and tests."""
        return self._run(lambda conn: {
            table.name: int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)
            for table in _TABLES
        })

    def stats(self) -> dict[str, Any]:
        """What `licscan db stats` shows: where, which schema, rows per table, age of the data."""

        def work(conn: Connection) -> dict[str, Any]:
            oldest, newest = conn.execute(select(func.min(_snapshots.c.fetched_at),
                                                 func.max(_snapshots.c.fetched_at))).one()
            projects = conn.execute(select(func.count(func.distinct(_scans.c.project)))).scalar()
            # What the history holds, in bytes as stored (compressed): skeletons, shared parts, older reports.
            history = sum(int(value or 0) for value in conn.execute(select(
                func.sum(func.length(_scans.c.body)), func.sum(func.length(_scans.c.report)))).one())
            history += sum(int(value or 0) for value in conn.execute(select(
                func.sum(func.length(_blobs.c.data)), func.sum(func.length(_blobs.c.refs)),
                func.sum(func.length(_blobs.c.digest)))).one())
            scans = int(conn.execute(select(func.count()).select_from(_scans)).scalar() or 0)
            last = conn.execute(select(_scans.c.stored_bytes).order_by(_scans.c.id.desc()).limit(1)).scalar()
            return {"oldest_fetch": oldest, "newest_fetch": newest, "projects": int(projects or 0),
                    "history_bytes": history, "bytes_per_scan": history // scans if scans else None,
                    "last_scan_bytes": last}

        out: dict[str, Any] = {"where": self._where, "backend": self.backend, "revision": self.revision()}
        out["tables"] = self.counts()
        out.update(self._run(work))
        out["bytes"] = self._size()
        return out

    def prune(self, *, older_than: float, keep_scans: int) -> dict[str, int]:
        """Drop snapshots that are no repo's head and were fetched before the cutoff, misses, aliases and kept
        evaluations older than it, and all but the newest keep_scans scans of each project. Returns rows
        removed."""
        cutoff = self._now() - older_than

        def work(conn: Connection) -> dict[str, int]:
            heads = select(_heads.c.repo_id, _heads.c.sha)
            current = conn.execute(heads).all()
            keep = {(row.repo_id, row.sha) for row in current}
            old = conn.execute(select(_snapshots.c.repo_id, _snapshots.c.sha)
                               .where(_snapshots.c.fetched_at < cutoff)).all()
            removed = {"metadata_snapshots": 0}
            for row in old:
                if (row.repo_id, row.sha) not in keep:
                    conn.execute(delete(_snapshots).where(_snapshots.c.repo_id == row.repo_id,
                                                          _snapshots.c.sha == row.sha))
                    removed["metadata_snapshots"] += 1
            removed["repo_misses"] = conn.execute(delete(_misses).where(_misses.c.checked_at < cutoff)).rowcount
            removed["repo_aliases"] = conn.execute(delete(_aliases).where(_aliases.c.seen_at < cutoff)).rowcount
            removed["kept_evaluations"] = conn.execute(delete(_kept).where(_kept.c.used_at < cutoff)).rowcount
            scans = 0
            for project in conn.execute(select(func.distinct(_scans.c.project))).scalars().all():
                ids = conn.execute(select(_scans.c.id).where(_scans.c.project == project)
                                   .order_by(_scans.c.id.desc()).offset(keep_scans)).scalars().all()
                if ids:
                    scans += conn.execute(delete(_scans).where(_scans.c.id.in_(ids))).rowcount
            removed["scans"] = scans
            removed["scan_blobs"] = _sweep_blobs(conn) if scans else 0
            return removed

        before = self._size()
        removed = self._run(work, write=True)
        if any(removed.values()):
            self._compact([name for name, count in removed.items() if count])
        removed["bytes_freed"] = max(0, before - self._size()) if before is not None else 0
        return removed

    def _size(self) -> int | None:
        """Bytes the database takes on disk (SQLite: the file and its WAL; PostgreSQL: licscan's tables)."""
        if self.backend == "sqlite":
            database = self._engine.url.database
            if not database or not Path(database).is_file():
                return None
            return sum(Path(database + suffix).stat().st_size
                       for suffix in ("", "-wal") if Path(database + suffix).is_file())
        if self.backend == "postgresql":  # licscan's tables only: the database may hold other schemas
            names = ", ".join(f"'{table.name}'" for table in (*_TABLES, _schema))
            return int(self._run(lambda conn: conn.exec_driver_sql(
                f"SELECT coalesce(sum(pg_total_relation_size(to_regclass(name))), 0) FROM unnest(ARRAY[{names}]) "
                "AS name").scalar()) or 0)
        return None

    def _compact(self, tables: Sequence[str]) -> None:
        """Give the space of deleted rows back to the file system. VACUUM cannot run inside a transaction, so it
        runs on a connection in autocommit mode, which the begin listener leaves alone; on SQLite the WAL is then
        checkpointed and truncated too. On PostgreSQL only the tables rows left are rewritten (VACUUM FULL locks
        each while it runs)."""
        with self._lock:
            try:
                with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT",
                                                              licscan_autocommit=True) as conn:
                    if self.backend == "sqlite":
                        conn.exec_driver_sql("VACUUM")
                        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                    elif self.backend == "postgresql":
                        for table in _TABLES:
                            if table.name in tables:
                                conn.exec_driver_sql(f"VACUUM FULL {table.name}")
            except SQLAlchemyError as exc:
                raise CacheError(f"the rows are removed, but {self._where} could not give their space back: "
                                 f"{self._explain(exc)}") from None


_CHUNK = 500  # ids per IN (...) of a batched read: under every backend's bound on bound parameters


class StoreSession:
    """The store as one scan sees it: what it knows at the start, read in one query per table and kept in
    memory; a batch of repos' snapshots read in one query; writes gathered and written in one transaction
    per batch. Same reading and writing methods as MetadataStore, so a source takes either.

    Reads answer from memory (a few dictionary look-ups under a lock, nothing that waits on the database),
    so the Hub is the only thing a walk waits for. Two scans sharing a database each see what the other had
    written when they started; upserts keep both sides' rows.
    """

    def __init__(self, store: MetadataStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        known = store._run(_read_known)
        self.queries = 4  # statements this session ran, for benchmarks and tests
        self.transactions = 1
        self._heads: dict[str, Head] = known["heads"]
        self._aliases: dict[str, str] = known["aliases"]
        self._misses: dict[str, Miss] = known["misses"]
        self._stored: set[tuple[str, str]] = known["keys"]  # (repo id, sha) of every stored snapshot
        self._stored_repos = {repo_id for repo_id, _ in self._stored}
        self._snapshots: dict[tuple[str, str], RepoSnapshot | None] = {}  # read or written this scan
        # Writes not yet in the database, the newest value per key; None deletes the row.
        self._put_snapshots: dict[tuple[str, str], dict[str, Any]] = {}
        self._put_heads: dict[str, dict[str, Any]] = {}
        self._put_aliases: dict[str, dict[str, Any] | None] = {}
        self._put_misses: dict[str, dict[str, Any] | None] = {}

    @property
    def where(self) -> str:
        return self._store.where

    @property
    def backend(self) -> str:
        return self._store.backend

    def _when(self, at: float | None) -> float:
        return self._store._now() if at is None else at

    def _count(self, queries: int) -> None:
        with self._lock:
            self.queries += queries
            self.transactions += 1

    # -- reads -------------------------------------------------------------------------------------------
    def prefetch(self, repo_ids: Sequence[str]) -> None:
        """Read the snapshots at the known heads of these repos (after known renames), in one query."""
        with self._lock:
            wanted = set()
            for repo_id in repo_ids:
                canonical = self._aliases.get(repo_id) or repo_id
                head = self._heads.get(canonical)
                if head is not None and (canonical, head.sha) in self._stored \
                        and (canonical, head.sha) not in self._snapshots:
                    wanted.add((canonical, head.sha))
        if not wanted:
            return
        keys = sorted(wanted)
        found: dict[tuple[str, str], RepoSnapshot | None] = dict.fromkeys(keys)

        def work(conn: Connection) -> None:
            for start in range(0, len(keys), _CHUNK):
                rows = conn.execute(select(_snapshots.c.repo_id, _snapshots.c.sha, _snapshots.c.data).where(
                    tuple_(_snapshots.c.repo_id, _snapshots.c.sha).in_(keys[start:start + _CHUNK]))).all()
                for row in rows:
                    found[(row.repo_id, row.sha)] = _decode(row.data, row.repo_id)

        self._store._run(work)
        self._count(-(-len(keys) // _CHUNK))
        with self._lock:
            for key, snapshot in found.items():
                self._snapshots.setdefault(key, snapshot)

    def get_snapshot(self, repo_id: str, sha: str) -> RepoSnapshot | None:
        key = (repo_id, sha)
        with self._lock:
            if key in self._snapshots:
                return self._snapshots[key]
            if key not in self._stored:
                return None
            written = self._put_snapshots.get(key)
            if written is not None:  # written this scan, not flushed yet
                self._snapshots[key] = _decode(written["data"], repo_id)
                return self._snapshots[key]
        snapshot = self._store.get_snapshot(repo_id, sha)  # stored, but not at a head this scan read: rare
        self._count(1)
        with self._lock:
            self._snapshots[key] = snapshot
        return snapshot

    def latest_snapshot(self, repo_id: str) -> RepoSnapshot | None:
        head = self.head(repo_id)
        if head is not None:
            snapshot = self.get_snapshot(repo_id, head.sha)
            if snapshot is not None:
                return snapshot
        with self._lock:
            if repo_id not in self._stored_repos:
                return None
        self._count(3)
        return self._store.latest_snapshot(repo_id)

    def head(self, repo_id: str) -> Head | None:
        with self._lock:
            return self._heads.get(repo_id)

    def canonical(self, requested_id: str) -> str | None:
        with self._lock:
            return self._aliases.get(requested_id)

    def miss(self, repo_id: str) -> Miss | None:
        with self._lock:
            return self._misses.get(repo_id)

    # -- writes, kept until flush ------------------------------------------------------------------------
    def put_snapshot(self, snapshot: RepoSnapshot, *, secrets: Sequence[str] = (), at: float | None = None,
                     head: bool = True) -> None:
        if not snapshot.sha:
            return
        when = self._when(at)
        data = _encode(snapshot, secrets)
        key = (snapshot.repo_id, snapshot.sha)
        with self._lock:
            self._snapshots.pop(key, None)  # read back (rarely) from the row below, as the database would give it
            self._stored.add(key)
            self._stored_repos.add(key[0])
            self._put_snapshots[key] = {"repo_id": key[0], "sha": key[1], "data": data, "fetched_at": when}
            if head:
                self._set_head(snapshot.repo_id, snapshot.sha, when)
                for repo_id in {snapshot.repo_id, snapshot.requested_id}:
                    if self._misses.pop(repo_id, None) is not None or repo_id in self._put_misses:
                        self._put_misses[repo_id] = None
            if snapshot.requested_id != snapshot.repo_id:
                self._set_alias(snapshot.requested_id, snapshot.repo_id, when)

    def set_head(self, repo_id: str, sha: str, *, at: float | None = None) -> None:
        with self._lock:
            self._set_head(repo_id, sha, self._when(at))

    def _set_head(self, repo_id: str, sha: str, when: float) -> None:
        self._heads[repo_id] = Head(repo_id, sha, when)
        self._put_heads[repo_id] = {"repo_id": repo_id, "sha": sha, "checked_at": when}

    def set_alias(self, requested_id: str, canonical_id: str, *, at: float | None = None) -> None:
        with self._lock:
            if requested_id == canonical_id:
                if self._aliases.pop(requested_id, None) is not None or requested_id in self._put_aliases:
                    self._put_aliases[requested_id] = None
            elif self._aliases.get(requested_id) != canonical_id:
                self._set_alias(requested_id, canonical_id, self._when(at))

    def _set_alias(self, requested_id: str, canonical_id: str, when: float) -> None:
        self._aliases[requested_id] = canonical_id
        self._put_aliases[requested_id] = {"requested_id": requested_id, "canonical_id": canonical_id,
                                           "seen_at": when}

    def put_miss(self, repo_id: str, reason: str, detail: str, *, secrets: Sequence[str] = (),
                 at: float | None = None) -> None:
        when = self._when(at)
        detail = _scrub(detail, secrets)
        with self._lock:
            self._misses[repo_id] = Miss(repo_id, reason, detail, when)
            self._put_misses[repo_id] = {"repo_id": repo_id, "reason": reason, "detail": detail, "checked_at": when}

    def flush(self, *, when_over: int = 0) -> None:
        """Write what was gathered in one transaction (when more than when_over rows wait)."""
        with self._lock:
            waiting = (len(self._put_snapshots) + len(self._put_heads) + len(self._put_aliases)
                       + len(self._put_misses))
            if not waiting or waiting < when_over:
                return
            snapshots, heads = list(self._put_snapshots.values()), list(self._put_heads.values())
            aliases, misses = self._put_aliases, self._put_misses
            self._put_snapshots, self._put_heads, self._put_aliases, self._put_misses = {}, {}, {}, {}

        def work(conn: Connection) -> int:
            statements = _upsert_many(conn, _snapshots, ("repo_id", "sha"), snapshots)
            statements += _upsert_many(conn, _heads, ("repo_id",), heads)
            for table, column, rows in ((_aliases, _aliases.c.requested_id, aliases),
                                        (_misses, _misses.c.repo_id, misses)):
                statements += _upsert_many(conn, table, (column.name,), [row for row in rows.values() if row])
                dropped = sorted(key for key, row in rows.items() if row is None)
                for start in range(0, len(dropped), _CHUNK):
                    conn.execute(delete(table).where(column.in_(dropped[start:start + _CHUNK])))
                    statements += 1
            return statements

        self._count(self._store._run(work, write=True))


def _read_known(conn: Connection) -> dict[str, Any]:
    """Heads, renames, misses and the keys of the stored snapshots: one query each."""
    return {
        "heads": {row.repo_id: Head(row.repo_id, row.sha, row.checked_at) for row in conn.execute(select(_heads))},
        "aliases": {row.requested_id: row.canonical_id
                    for row in conn.execute(select(_aliases.c.requested_id, _aliases.c.canonical_id))},
        "misses": {row.repo_id: Miss(row.repo_id, row.reason, row.detail, row.checked_at)
                   for row in conn.execute(select(_misses))},
        "keys": {(row.repo_id, row.sha) for row in conn.execute(select(_snapshots.c.repo_id, _snapshots.c.sha))},
    }


def _upsert_many(conn: Connection, table: Table, key: Sequence[str], rows: Sequence[dict[str, Any]]) -> int:
    """Many rows in few INSERT ... ON CONFLICT DO UPDATE statements; returns how many statements ran."""
    if not rows:
        return 0
    if conn.dialect.name not in ("sqlite", "postgresql"):
        for row in rows:
            _upsert(conn, table, {name: row[name] for name in key},
                    {name: value for name, value in row.items() if name not in key})
        return len(rows)
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        # One statement run for every row (executemany): compiled once and cached, where a multi-row VALUES
        # is compiled anew for each batch (0.7 CPU-s of a 2,000-model cold walk). SQLite is in-process: the
        # round trips a multi-row statement saves on PostgreSQL cost nothing here.
        statement = sqlite_insert(table)
        updated = {name: statement.excluded[name] for name in rows[0] if name not in key}
        conn.execute(statement.on_conflict_do_update(index_elements=list(key), set_=updated), list(rows))
        return 1
    from sqlalchemy.dialects.postgresql import insert as dialect_insert

    per_statement = max(1, 30_000 // len(rows[0]))  # bound parameters per statement stay under every limit
    statements = 0
    for start in range(0, len(rows), per_statement):
        statement = dialect_insert(table).values(list(rows[start:start + per_statement]))
        updated = {name: statement.excluded[name] for name in rows[0] if name not in key}
        conn.execute(statement.on_conflict_do_update(index_elements=list(key), set_=updated))
        statements += 1
    return statements


class _BlobReader:
    """Parts of a stored report, read from scan_blobs as the skeleton names them (each at most once)."""

    def __init__(self, conn: Connection, damaged: CacheError) -> None:
        self._conn = conn
        self._damaged = damaged
        self._read: dict[str, Any] = {}

    def __call__(self, digest: str) -> Any:
        if digest not in self._read:
            data = self._conn.execute(select(_blobs.c.data).where(_blobs.c.digest == digest)).scalar()
            if data is None:
                raise self._damaged
            self._read[digest] = json.loads(zlib.decompress(data))
        return self._read[digest]


def _pack(report: Mapping[str, Any], blobs: dict[str, tuple[bytes, str]], secrets: Sequence[str], *,
          known_models: Mapping[int, str] | None = None, model_digests: dict[int, str] | None = None,
          known_lists: Mapping[str, str] | None = None, list_digests: dict[str, str] | None = None) -> str:
    """The report's skeleton: each element of a top-level list (a model with its lineage, a finding, ...) and
    each other top-level value whose JSON is larger than PART_BYTES becomes {"$blob": digest}; the parts go
    into blobs (digest -> (JSON, the digests it refers to)). Tokens are scrubbed from every part.

    The text is exactly json.dumps(value, ensure_ascii=False, sort_keys=True, default=str) of each part (so
    a part keeps its digest across licscan versions), but put together by _Compact: a dict the report
    shares (a foundation's node under many models, a finding listed under its model and in the report's
    list) is encoded once, and a small part goes into the skeleton as the text it was encoded to, not decoded
    and encoded again. models[i] in known_models is referenced by that digest, not encoded (its blob is
    stored already); model_digests gets the digest of each model's part. A long top-level list named in
    known_lists is referenced by that digest ({"$parts": digest}), and list_digests gets each one stored."""
    compact = _Compact()
    known_models = known_models or {}
    known_lists = known_lists or {}

    def part(item: Any) -> tuple[str, str | None]:
        text = _scrub(compact.text(item), secrets)
        if len(text) <= PART_BYTES:
            if isinstance(item, dict) and item and {str(key) for key in item} <= _MARKERS:
                return '{"' + _LITERAL + '": ' + text + "}", None
            return text, None
        data = text.encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()[:32]
        blobs.setdefault(digest, (data, ""))
        return '{"' + _REF + '": "' + digest + '"}', digest

    def parts(name: str, items: Sequence[Any]) -> str:
        """A list of parts; when long, the list of references is itself a part ({"$parts": digest}), so an
        unchanged list costs a later scan one reference."""
        if name in known_lists:
            return '{"' + _PARTS + '": "' + known_lists[name] + '"}'
        models = name == "models"
        texts = []
        for index in range(len(items)):
            digest = known_models.get(index) if models else None
            if digest is not None:  # items[index] is not read: a report's lazy list never builds it
                texts.append('{"' + _REF + '": "' + digest + '"}')
            else:
                text, digest = part(items[index])
                texts.append(text)
            if models and digest is not None and model_digests is not None:
                model_digests[index] = digest
        text = "[" + ", ".join(texts) + "]"
        if len(text) <= PART_BYTES:
            return text
        data = text.encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()[:32]
        blobs.setdefault(digest, (data, " ".join(_refs_in(text))))
        if list_digests is not None:
            list_digests[name] = digest
        return '{"' + _PARTS + '": "' + digest + '"}'

    packed = {str(key): parts(str(key), value) if _is_list(value) else part(value)[0]
              for key, value in report.items()}
    return "{" + ", ".join(encode_basestring(key) + ": " + packed[key] for key in sorted(packed)) + "}"


def _is_list(value: Any) -> bool:
    """A list of the report, or a sequence that builds its items when read (the JSON report's lazy lists)."""
    return isinstance(value, SequenceABC) and not isinstance(value, (str, bytes, bytearray, tuple))


_MARKERS = frozenset({_REF, _LITERAL, _PARTS})
_SHARED_LISTS = frozenset({"findings", "nodes"})  # lists whose dicts the JSON report shares (json_report._Shared)
_ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str).encode


class _Compact:
    """json.dumps(value, ensure_ascii=False, sort_keys=True, default=str), written by the C encoder but put
    together here down to the elements of the lists named in _SHARED_LISTS, whose text is kept by identity:
    a shared dict is encoded once per report. Identity is safe as a key because each kept text holds its
    dict, which so cannot be freed and its id reused."""

    def __init__(self) -> None:
        self._kept: dict[int, tuple[Any, str]] = {}

    def text(self, value: Any, depth: int = 3) -> str:
        held = self._kept.get(id(value))
        if held is not None and held[0] is value:  # a finding of the report's list, already under its model
            return held[1]
        if type(value) is dict and value and depth:
            if not all(type(key) is str for key in value):
                return _ENCODE(value)
            return "{" + ", ".join(
                encode_basestring(key) + ": " + (self._shared(value[key]) if key in _SHARED_LISTS
                                                 else self.text(value[key], depth - 1))
                for key in sorted(value)) + "}"
        return _ENCODE(value)

    def _shared(self, items: Any) -> str:
        if type(items) not in (list, tuple) or not items:
            return _ENCODE(items)
        out = []
        for item in items:
            held = self._kept.get(id(item))
            if held is None or held[0] is not item:
                held = self._kept[id(item)] = (item, _ENCODE(item))
            out.append(held[1])
        return "[" + ", ".join(out) + "]"


def _refs_in(text: str) -> list[str]:
    """The digests a skeleton or a list of parts refers to (as _pack writes them)."""
    out = []
    for marker in ('{"' + _REF + '": "', '{"' + _PARTS + '": "'):
        start = text.find(marker)
        while start >= 0:
            begin = start + len(marker)
            out.append(text[begin:text.index('"', begin)])
            start = text.find(marker, begin)
    return out


def _unpack(skeleton: Any, read: Callable[[str], Any]) -> dict[str, Any]:
    """The report _pack was given: references only stand where _pack puts them (top-level values and the
    elements of top-level lists), so a report value that merely looks like one is never followed."""

    def part(item: Any) -> Any:
        if isinstance(item, dict) and len(item) == 1:
            if isinstance(item.get(_REF), str):
                return read(item[_REF])
            if _LITERAL in item:
                return item[_LITERAL]
        return item

    def parts(value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1 and isinstance(value.get(_PARTS), str):
            value = read(value[_PARTS])
            if not isinstance(value, list):
                raise ValueError("a list of parts is a JSON array")
        return [part(item) for item in value] if isinstance(value, list) else part(value)

    if not isinstance(skeleton, dict):
        raise ValueError("a report skeleton is a JSON object")
    return {key: parts(value) for key, value in skeleton.items()}


def _history_lock(conn: Connection) -> None:
    """Recording a scan and sweeping unreferenced parts never interleave (a part a new scan relies on is never
    swept). SQLite's write transactions already take turns; PostgreSQL takes a transaction-level lock."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCK + 1})")


def _sweep_blobs(conn: Connection) -> int:
    """Delete the parts no remaining scan reaches (mark from the skeletons, follow each part's refs)."""
    _history_lock(conn)
    refs = {row.digest: row.refs.split() for row in conn.execute(select(_blobs.c.digest, _blobs.c.refs))}
    live: set[str] = set()
    todo: list[str] = []
    for body in conn.execute(select(_scans.c.body).where(_scans.c.body.is_not(None))).scalars():
        try:
            todo.extend(_refs_in(zlib.decompress(body).decode("utf-8")))
        except (zlib.error, UnicodeDecodeError):
            continue  # a damaged skeleton keeps nothing alive; reading that scan already says it is damaged
    while todo:
        digest = todo.pop()
        if digest in live:
            continue
        live.add(digest)
        todo.extend(refs.get(digest, ()))
    dead = sorted(set(refs) - live)
    for start in range(0, len(dead), _CHUNK):
        conn.execute(delete(_blobs).where(_blobs.c.digest.in_(dead[start:start + _CHUNK])))
    return len(dead)


def _revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def _upsert(conn: Connection, table: Table, key: dict[str, Any], values: dict[str, Any]) -> None:
    """INSERT ... ON CONFLICT DO UPDATE: one atomic statement, so concurrent writers never lose a row."""
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        statement = dialect_insert(table).values(**key, **values)
        conn.execute(statement.on_conflict_do_update(index_elements=list(key), set_=values))
        return
    # Other backends: update, else insert, and update again if another writer inserted in between.
    where = [table.c[name] == value for name, value in key.items()]
    if conn.execute(update(table).where(*where).values(**values)).rowcount:
        return
    try:
        with conn.begin_nested():
            conn.execute(insert(table).values(**key, **values))
    except IntegrityError:
        conn.execute(update(table).where(*where).values(**values))


def _scrub(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def _encode(snapshot: RepoSnapshot, secrets: Sequence[str]) -> str:
    readme: dict[str, str] | None = None
    if snapshot.readme is not None:
        try:
            readme = {"text": snapshot.readme.decode("utf-8")}
        except UnicodeDecodeError:
            readme = {"base64": base64.b64encode(snapshot.readme).decode("ascii")}
    body = {
        "repo_id": snapshot.repo_id,
        "sha": snapshot.sha,
        "source": snapshot.source,
        "author": snapshot.author,
        "gated": snapshot.gated,
        "tags": list(snapshot.tags),
        "card_data": snapshot.card_data,
        "readme": readme,
        "license_text": snapshot.license_text,
        "license_file": snapshot.license_file,
        "config_name_or_path": snapshot.config_name_or_path,
        "parameters": snapshot.parameters,
        "gguf_file": snapshot.gguf_file,
        "gguf_header": dict(snapshot.gguf_header) if snapshot.gguf_header is not None else None,
        "gguf_problem": snapshot.gguf_problem,
        "files": list(snapshot.files),
        "provenance": snapshot.provenance,
        "api_only": snapshot.api_only,
        "authenticated": snapshot.authenticated,
        "notes": list(snapshot.notes),
        "source": snapshot.source,
        "front_matter": _stored_front_matter(snapshot),
    }
    return _scrub(json.dumps(body, ensure_ascii=False, sort_keys=True, default=str), secrets)


_FRONT_MATTER_STATES = frozenset({"ok", "none", "bad"})
MAX_FRONT_MATTER_VALUES = 50_000  # a card's metadata is a few dozen values; past this it is parsed when read


def _stored_front_matter(snapshot: RepoSnapshot) -> list[Any] | None:
    """The README's parsed front matter as [state, mapping, digest of the README], when JSON holds it exactly
    (strings, finite numbers, booleans, null, lists, objects with string keys: what YAML gives a card, but
    not dates or other keys); otherwise None and a warm scan parses the README as a cold one does."""
    parsed = snapshot.card_front_matter()
    if parsed is None or snapshot.readme is None:
        return None
    state, data = parsed
    if data is not None and not _plain_json(data):
        return None
    return [state, data, _readme_digest(snapshot.readme)]


def _readme_digest(readme: bytes) -> str:
    return hashlib.sha256(readme).hexdigest()[:32]


def _plain_json(value: Any) -> bool:
    """Whether JSON gives back exactly this value (no tuple, date, non-string key, NaN; bounded in size)."""
    stack = [value]
    seen = 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > MAX_FRONT_MATTER_VALUES:
            return False
        kind = type(item)
        if kind is dict:
            if not all(type(key) is str for key in item):
                return False
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind is float:
            if item != item or item in (float("inf"), float("-inf")):
                return False
        elif item is not None and kind not in (str, int, bool):
            return False
    return True


def _front_matter_field(value: Any, readme: bytes | None) -> tuple[str, Any] | None:
    """A stored front matter, checked: it stands only beside the very README it was parsed from, and anything
    but [state, mapping-or-null, that README's digest] is ignored (the README is parsed again)."""
    if readme is None or not isinstance(value, list) or len(value) != 3 or value[0] not in _FRONT_MATTER_STATES:
        return None
    state, data, digest = value
    if (state == "ok") != isinstance(data, dict) or (state != "ok" and data is not None):
        return None
    return (state, data) if digest == _readme_digest(readme) else None


def _decode(data: str, repo_id: str) -> RepoSnapshot | None:
    try:
        body = json.loads(data)
        readme_field = body.get("readme")
        readme = None
        if isinstance(readme_field, dict):
            readme = (readme_field["text"].encode("utf-8") if "text" in readme_field
                      else base64.b64decode(readme_field["base64"]))
        card_data = body.get("card_data")
        return RepoSnapshot(
            requested_id=repo_id,
            repo_id=str(body.get("repo_id") or repo_id),
            sha=body.get("sha"),
            source=str(body.get("source") or "hub"),  # where it was read, so reports match cold or warm
            author=body.get("author"),
            gated=body.get("gated"),
            tags=tuple(str(t) for t in body.get("tags") or ()),
            card_data=card_data if isinstance(card_data, dict) else None,
            readme=readme,
            license_text=body.get("license_text"),
            license_file=body.get("license_file"),
            config_name_or_path=body.get("config_name_or_path"),
            parameters=body.get("parameters") if isinstance(body.get("parameters"), int) else None,
            gguf_file=body.get("gguf_file") if isinstance(body.get("gguf_file"), str) else None,
            gguf_header=body.get("gguf_header") if isinstance(body.get("gguf_header"), dict) else None,
            gguf_problem=body.get("gguf_problem") if isinstance(body.get("gguf_problem"), str) else None,
            files=tuple(str(f) for f in body.get("files") or ()),
            provenance=body.get("provenance"),
            api_only=bool(body.get("api_only")),
            authenticated=bool(body.get("authenticated")),
            notes=tuple(str(n) for n in body.get("notes") or ()),
            front_matter=_front_matter_field(body.get("front_matter"), readme),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None  # a damaged row is a cache miss, not a crash


def open_store(url: str | None, *, now: Callable[[], float] = time.time, pool_size: int = 2,
               connect_timeout: float = 10.0) -> MetadataStore:
    """Open (creating or migrating if needed) the metadata cache at a SQLAlchemy URL; None gives a private
    in-memory one. pool_size bounds the connections this process keeps to a server database.

    Raises CacheError, naming the location, when the cache cannot be used.
    """
    if url is None or url in ("sqlite://", "sqlite:///:memory:"):
        engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
        _sqlite_transactions(engine, wal=False)
        store = MetadataStore(engine, where="an in-memory database", now=now)
        store.create()
        return store
    where = _describe(url)
    try:
        parsed = _credentials_mended(make_url(url))
    except ArgumentError:
        # A URL that does not parse is the configuration's fault (exit 2), not an unavailable cache (exit 3).
        raise ConfigError(f"the metadata cache URL {url.split('://')[0]}://... (LICSCAN_DB_URL or db_url) is not "
                          "a valid SQLAlchemy URL, e.g. sqlite:///path/cache.db or postgresql://host/db") from None
    is_sqlite = parsed.drivername.startswith("sqlite")
    if is_sqlite and parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
        path = Path(parsed.database).expanduser()
        if path.is_dir():
            raise CacheError(f"the metadata cache {path} is a directory, not a database file")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(f"cannot create the folder of the metadata cache {path}: {exc.strerror}") from None
        parsed = parsed.set(database=str(path))
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername=_postgres_driver())
    try:
        if is_sqlite:
            engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
            _sqlite_transactions(engine, wal=True)
        else:
            options: dict[str, Any] = {"pool_pre_ping": True}
            if not parsed.drivername.startswith(("sqlite",)):
                options.update(pool_size=max(1, pool_size), max_overflow=0, pool_timeout=60)
            if parsed.drivername.startswith("postgresql"):
                # A server that is down or unreachable must fail the scan in seconds, not hang it.
                options["connect_args"] = {"connect_timeout": max(1, int(connect_timeout))}
            engine = create_engine(parsed, **options)
    except ImportError as exc:
        raise CacheError(f"the metadata cache {where} needs a database driver that is not installed ({exc}); "
                         "for PostgreSQL: pip install 'licscan[postgres]'") from None
    except (ArgumentError, SQLAlchemyError) as exc:
        raise CacheError(f"the metadata cache {where} cannot be opened: "
                         f"{redact(str(exc).splitlines()[0], *_url_secrets(parsed))}") from None
    store = MetadataStore(engine, where=where, now=now)
    try:
        store.create()
    except CacheError:
        engine.dispose()
        raise
    return store


def _postgres_driver() -> str:
    """A bare postgresql:// URL means psycopg2 to SQLAlchemy; use psycopg (3) when that is what is installed."""
    import importlib.util

    if importlib.util.find_spec("psycopg2") is None and importlib.util.find_spec("psycopg") is not None:
        return "postgresql+psycopg"
    return "postgresql"


def _sqlite_transactions(engine: Engine, *, wal: bool) -> None:
    """Let SQLAlchemy, not the sqlite3 module, emit BEGIN: DDL then runs inside the transaction (atomic
    table creation), and writers take the write lock up front (BEGIN IMMEDIATE) instead of failing mid-way."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if wal:
                _enable_wal(cursor)
                # In WAL mode NORMAL never corrupts the file; a power cut may lose the last commits, which for a
                # cache means asking the Hub again. FULL would fsync every one of a scan's hundreds of writes.
                cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("licscan_autocommit"):
            return  # VACUUM: no transaction may be open
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("licscan_write") else "BEGIN")


def _enable_wal(cursor: Any) -> None:
    """Switch the file to WAL once (the mode is stored in the file). Changing it needs a moment alone with the
    database and SQLite does not wait for that (busy_timeout is not consulted), so retry briefly; without WAL
    the cache still works, only with readers blocking writers."""
    for attempt in range(40):
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except Exception as exc:  # noqa: BLE001 - sqlite3.OperationalError; the driver module is not imported here
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            time.sleep(0.005 * (attempt + 1))
