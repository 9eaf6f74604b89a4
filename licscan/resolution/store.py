"""The metadata cache (the only importer of sqlalchemy): snapshots by (repo, sha), renames, and last-seen heads."""

from __future__ import annotations

import base64
import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from licscan.errors import CacheError
from licscan.resolution.interface import RepoSnapshot

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 10_000

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


@dataclass(frozen=True)
class Head:
    """The newest commit the Hub reported for a repo, and when it was asked."""

    repo_id: str
    sha: str
    checked_at: float


def _describe(url: str) -> str:
    """The URL or file path, with any password hidden, for messages."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "the cache URL"
    if parsed.drivername.startswith("sqlite"):
        return parsed.database or "an in-memory database"
    return parsed.render_as_string(hide_password=True)


class MetadataStore:
    """A thread-safe cache of repo snapshots. Never stores tokens: callers pass the secrets to scrub."""

    def __init__(self, engine: Engine, *, where: str, now: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._where = where
        self._now = now
        # One lock for the whole store: SQLite serialises writers anyway, and the in-memory store shares one
        # connection across the scan's worker threads.
        self._lock = threading.RLock()

    @property
    def where(self) -> str:
        return self._where

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

    def _explain(self, exc: SQLAlchemyError) -> str:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        if "not a database" in reason or "malformed" in reason:
            return (f"the metadata cache {self._where} is not a licscan cache database ({reason}); "
                    "move the file away or point the cache somewhere else")
        return f"the metadata cache {self._where} cannot be used: {reason}"

    def create(self) -> None:
        """Create the tables in one transaction, so a half-made cache is never left behind."""
        with self._tx(write=True) as conn:
            _metadata.create_all(conn, checkfirst=True)
            row = conn.execute(select(_schema.c.version).where(_schema.c.component == "metadata")).first()
            if row is None:
                conn.execute(insert(_schema).values(component="metadata", version=SCHEMA_VERSION))
            elif row.version > SCHEMA_VERSION:
                raise CacheError(f"the metadata cache {self._where} was written by a newer licscan "
                                 f"(schema {row.version}, this one reads {SCHEMA_VERSION})")

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> "MetadataStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- snapshots ---------------------------------------------------------------------------------------
    def get_snapshot(self, repo_id: str, sha: str) -> RepoSnapshot | None:
        with self._tx() as conn:
            data = conn.execute(
                select(_snapshots.c.data).where(_snapshots.c.repo_id == repo_id, _snapshots.c.sha == sha)
            ).scalar()
        return _decode(data, repo_id) if data is not None else None

    def latest_snapshot(self, repo_id: str) -> RepoSnapshot | None:
        """The snapshot at the repo's last known head, else the most recently fetched one."""
        with self._tx() as conn:
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
        return _decode(data, repo_id) if data is not None else None

    def put_snapshot(self, snapshot: RepoSnapshot, *, secrets: Sequence[str] = (), at: float | None = None,
                     head: bool = True) -> None:
        """Store a snapshot (and, unless head=False, record its sha as the repo's head and its alias)."""
        if not snapshot.sha:
            return
        when = self._now() if at is None else at
        data = _encode(snapshot, secrets)
        with self._tx(write=True) as conn:
            _upsert(conn, _snapshots, {"repo_id": snapshot.repo_id, "sha": snapshot.sha},
                    {"data": data, "fetched_at": when})
            if head:
                _upsert(conn, _heads, {"repo_id": snapshot.repo_id}, {"sha": snapshot.sha, "checked_at": when})
            if snapshot.requested_id != snapshot.repo_id:
                _upsert(conn, _aliases, {"requested_id": snapshot.requested_id},
                        {"canonical_id": snapshot.repo_id, "seen_at": when})

    # -- heads and aliases -------------------------------------------------------------------------------
    def head(self, repo_id: str) -> Head | None:
        with self._tx() as conn:
            row = conn.execute(select(_heads).where(_heads.c.repo_id == repo_id)).first()
        return Head(row.repo_id, row.sha, row.checked_at) if row is not None else None

    def set_head(self, repo_id: str, sha: str, *, at: float | None = None) -> None:
        when = self._now() if at is None else at
        with self._tx(write=True) as conn:
            _upsert(conn, _heads, {"repo_id": repo_id}, {"sha": sha, "checked_at": when})

    def canonical(self, requested_id: str) -> str | None:
        """Where a requested id was last seen to redirect, or None when it never did."""
        with self._tx() as conn:
            return conn.execute(
                select(_aliases.c.canonical_id).where(_aliases.c.requested_id == requested_id)
            ).scalar()

    def set_alias(self, requested_id: str, canonical_id: str, *, at: float | None = None) -> None:
        when = self._now() if at is None else at
        with self._tx(write=True) as conn:
            if requested_id == canonical_id:
                conn.execute(delete(_aliases).where(_aliases.c.requested_id == requested_id))
            else:
                _upsert(conn, _aliases, {"requested_id": requested_id},
                        {"canonical_id": canonical_id, "seen_at": when})

    def counts(self) -> dict[str, int]:
        """Rows per table, for `licscan db` and tests."""
        with self._tx() as conn:
            return {table.name: int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)
                    for table in (_snapshots, _aliases, _heads)}


def _upsert(conn: Connection, table: Table, key: dict[str, Any], values: dict[str, Any]) -> None:
    """Update-or-insert that works on every backend (no dialect-specific ON CONFLICT)."""
    where = [table.c[name] == value for name, value in key.items()]
    if conn.execute(update(table).where(*where).values(**values)).rowcount:
        return
    try:
        with conn.begin_nested():
            conn.execute(insert(table).values(**key, **values))
    except IntegrityError:
        # Another process inserted the row between our UPDATE and INSERT.
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
        "files": list(snapshot.files),
        "provenance": snapshot.provenance,
        "api_only": snapshot.api_only,
        "authenticated": snapshot.authenticated,
        "notes": list(snapshot.notes),
        "source": snapshot.source,
    }
    return _scrub(json.dumps(body, ensure_ascii=False, sort_keys=True, default=str), secrets)


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
            files=tuple(str(f) for f in body.get("files") or ()),
            provenance=body.get("provenance"),
            api_only=bool(body.get("api_only")),
            authenticated=bool(body.get("authenticated")),
            notes=tuple(str(n) for n in body.get("notes") or ()),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None  # a damaged row is a cache miss, not a crash


def open_store(url: str | None, *, now: Callable[[], float] = time.time) -> MetadataStore:
    """Open (creating if needed) the metadata cache at a SQLAlchemy URL; None gives a private in-memory one.

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
        parsed = make_url(url)
    except ArgumentError:
        raise CacheError(f"the metadata cache URL {url.split('://')[0]}://... is not a valid SQLAlchemy URL") from None
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
    try:
        if is_sqlite:
            engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
            _sqlite_transactions(engine, wal=True)
        else:
            engine = create_engine(parsed, pool_pre_ping=True)
    except (ArgumentError, ImportError, SQLAlchemyError) as exc:
        raise CacheError(f"the metadata cache {where} cannot be opened: {str(exc).splitlines()[0]}") from None
    store = MetadataStore(engine, where=where, now=now)
    try:
        store.create()
    except CacheError:
        engine.dispose()
        raise
    return store


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
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
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
