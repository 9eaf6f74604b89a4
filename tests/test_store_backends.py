"""The store on SQLite and PostgreSQL: Alembic migrations, upserts, history, and eight scans writing at once."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import textwrap
from pathlib import Path

import pytest

from licscan.errors import CacheError
from licscan.resolution import RepoSnapshot, open_store
from licscan.resolution.store import HEAD_REVISION, MIGRATIONS

ROOTS = ["licscan-test/merge", "unsloth/Meta-Llama-3.1-8B-Instruct", "licscan-test/peft-adapter",
         "Qwen/Qwen2.5-7B-Instruct"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_url")


def test_the_migrations_head_is_the_revision_the_store_expects():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_heads() == [HEAD_REVISION]


def test_a_new_database_is_migrated_to_the_head_once(db_url):
    store = open_store(db_url)
    assert store.revision() == HEAD_REVISION
    assert set(store.counts()) == {"metadata_snapshots", "repo_aliases", "repo_heads", "repo_misses", "scans",
                                   "scan_blobs", "kept_evaluations"}
    store.put_snapshot(RepoSnapshot("a/old", "a/new", "a" * 40, "hub", card_data={"license": "mit"}))
    store.close()
    again = open_store(db_url)  # opening a current database changes nothing
    assert again.get_snapshot("a/new", "a" * 40).card_data == {"license": "mit"}
    assert again.canonical("a/old") == "a/new"
    again.close()


def test_upserts_keep_one_row_per_key(db_url):
    store = open_store(db_url, now=lambda: 10.0)
    for license in ("mit", "apache-2.0"):
        store.put_snapshot(RepoSnapshot("a/b", "a/b", "b" * 40, "hub", card_data={"license": license}))
    assert store.counts()["metadata_snapshots"] == 1
    assert store.get_snapshot("a/b", "b" * 40).card_data == {"license": "apache-2.0"}
    store.put_miss("a/gone", "not-found", "Repository not found")
    store.put_miss("a/gone", "not-found", "Repository not found (again)")
    assert store.miss("a/gone").detail.endswith("(again)")
    store.close()


def test_history_round_trips_and_scrubs_tokens(db_url):
    store = open_store(db_url, now=lambda: 5.0)
    token = "hf_HistorySecret0123456789"
    report = {"schema": "licscan-report/1", "verdict": "fail", "generated_at": "2026-01-01T00:00:00Z",
              "tool": {"version": "0.1.0"}, "policy": "default", "summary": {"models": 1, "findings": 2},
              "models": [{"id": "a/b", "note": f"echoed {token}"}], "findings": []}
    first = store.record_scan("/p", "p", report, secrets=(token,))
    second = store.record_scan("/p", "p", dict(report, verdict="pass"))
    assert second > first
    assert [s.verdict for s in store.scans("/p")] == ["pass", "fail"]
    record, data = store.scan_report(first)
    assert record.models == 1 and record.findings == 2
    assert token not in json.dumps(data) and "***" in json.dumps(data)
    assert store.prune(older_than=0, keep_scans=1)["scans"] == 1
    store.close()


def test_a_legacy_cache_without_migrations_is_adopted(tmp_path):
    path = tmp_path / "legacy.db"
    with sqlite3.connect(path) as conn:  # what licscan 0.1 created, before Alembic
        conn.executescript(textwrap.dedent("""
            CREATE TABLE licscan_schema (component VARCHAR(64) PRIMARY KEY, version INTEGER NOT NULL);
            INSERT INTO licscan_schema VALUES ('metadata', 1);
            CREATE TABLE metadata_snapshots (repo_id VARCHAR(256), sha VARCHAR(64), data TEXT NOT NULL,
                fetched_at FLOAT NOT NULL, PRIMARY KEY (repo_id, sha));
            CREATE TABLE repo_aliases (requested_id VARCHAR(256) PRIMARY KEY, canonical_id VARCHAR(256) NOT NULL,
                seen_at FLOAT NOT NULL);
            CREATE TABLE repo_heads (repo_id VARCHAR(256) PRIMARY KEY, sha VARCHAR(64) NOT NULL,
                checked_at FLOAT NOT NULL);
            INSERT INTO metadata_snapshots VALUES ('a/b', 'cccccccccccccccccccccccccccccccccccccccc',
                '{"repo_id": "a/b", "sha": "cccccccccccccccccccccccccccccccccccccccc", "card_data": {"license": "mit"}}', 1);
        """))
    store = open_store(f"sqlite:///{path}")
    assert store.revision() == HEAD_REVISION
    assert store.get_snapshot("a/b", "c" * 40).card_data == {"license": "mit"}  # nothing lost
    assert store.counts()["scans"] == 0
    store.close()


def test_a_database_from_a_newer_licscan_is_refused(db_url):
    open_store(db_url).close()
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(CacheError, match="newer licscan"):
        open_store(db_url)


# ---------------------------------------------------------------------------------------------------------
# Eight scans writing at once (separate processes, as CI runners or two terminals would be)
# ---------------------------------------------------------------------------------------------------------


def _scan_in_a_process(project: str, db_url: str, endpoint: str, queue) -> None:
    import os

    os.environ["LICSCAN_DB_URL"] = db_url
    os.environ["HF_ENDPOINT"] = endpoint
    try:
        from licscan.config import load_config
        from licscan.scan import scan

        result = scan(load_config(Path(project), freshness_seconds=0))
        queue.put(("ok", result.verdict.value, len(result.models)))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        queue.put(("error", f"{type(exc).__name__}: {exc}", 0))


def test_eight_scans_at_once_lose_nothing(db_url, hub_stub, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text("from x import M\n" + "".join(f'M.from_pretrained("{r}")\n' for r in ROOTS))
    hub_stub.latency = 0.01
    context = multiprocessing.get_context("fork")  # inherits the tests' no-internet guard
    queue = context.Queue()
    workers = [context.Process(target=_scan_in_a_process, args=(str(project), db_url, hub_stub.url, queue))
               for _ in range(8)]
    for worker in workers:
        worker.start()
    outcomes = [queue.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert [kind for kind, *_ in outcomes] == ["ok"] * 8, outcomes
    assert len({(verdict, models) for _, verdict, models in outcomes}) == 1
    store = open_store(db_url)
    try:
        counts = store.counts()
        assert counts["scans"] == 8
        scans = store.scans(str(project.resolve()))
        assert len(scans) == 8 and all(store.scan_report(s.id)[1]["models"] for s in scans)
        unique = {node["id"] for model in store.scan_report(scans[0].id)[1]["models"]
                  for node in model["lineage"]["nodes"]}
        assert counts["metadata_snapshots"] == len(unique)  # one row per repo and sha, none lost or doubled
        for repo_id in unique:
            head = store.head(repo_id)
            assert head is not None and store.get_snapshot(repo_id, head.sha) is not None
    finally:
        store.close()


# ---------------------------------------------------------------------------------------------------------
# History that stays small, and prune that gives the space back
# ---------------------------------------------------------------------------------------------------------


def _report(models: int, *, salt: str = "", token: str = "") -> dict:
    """A report shaped like licscan's JSON: models with lineages that share ancestors, and findings."""
    nodes = [{"id": f"base/m{index}", "license": "llama3.1", "card": "text " * 60 + salt} for index in range(6)]
    return {
        "schema": "licscan-report/1", "generated_at": f"2026-12-07T00:00:{len(salt):02d}Z",
        "tool": {"version": "0.9"}, "policy": "default", "verdict": "fail",
        "summary": {"models": models, "findings": models},
        "models": [{"id": f"org/leaf-{index}", "lineage": {"nodes": [{"id": f"org/leaf-{index}"}, *nodes]},
                    "note": token} for index in range(models)],
        "findings": [{"rule": "LS101", "model": f"org/leaf-{index}", "message": "licence forbids " * 20}
                     for index in range(models)],
        "odd": {"$blob": "not a reference"}, "odder": {"$parts": "nor this"}, "list": [{"$lit": 1}],
    }


def test_identical_scans_share_their_parts_and_read_back_whole(db_url):
    store = open_store(db_url)
    token = "hf_SecretToken12345"
    first = store.record_scan("p", "p", _report(300, token=token), secrets=(token,))
    after_one = store.stats()["history_bytes"]
    ids = [store.record_scan("p", "p", _report(300, token="***")) for _ in range(19)]
    stats = store.stats()
    # An unchanged re-scan costs a few references, not a copy (before: twenty whole reports).
    assert stats["last_scan_bytes"] < 1024, stats
    assert stats["history_bytes"] <= after_one + 19 * stats["last_scan_bytes"] + 4096, stats
    record, report = store.scan_report(ids[-1])
    assert report == _report(300, token="***") and record.models == 300
    _, with_token = store.scan_report(first)
    assert with_token["models"][0]["note"] == "***"
    store.close()


def test_a_scan_kept_before_the_parts_format_still_reads(tmp_path):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0002")
        conn.exec_driver_sql(
            "INSERT INTO scans (project, label, recorded_at, generated_at, tool_version, policy, verdict, models, "
            "findings, report) VALUES ('p', 'p', 1, 'then', '0.8', 'default', 'pass', 1, 0, ?)",
            (json.dumps({"schema": "licscan-report/1", "models": [{"id": "a/b"}]}),))
    engine.dispose()
    store = open_store(f"sqlite:///{path}")
    assert store.revision() == HEAD_REVISION
    (old,) = store.scans("p")
    assert store.scan_report(old.id)[1]["models"] == [{"id": "a/b"}]
    new = store.record_scan("p", "p", _report(3))
    assert store.scan_report(new)[1] == _report(3)
    store.close()


def test_prune_gives_the_space_back_and_says_how_much(db_url, tmp_path):
    store = open_store(db_url)
    for scan in range(12):  # every scan different: nothing shared
        store.record_scan("p", "p", _report(150, salt=f"scan {scan} " * (scan + 1)))
    store.close()
    store = open_store(db_url)
    before = store._size()
    removed = store.prune(older_than=10**9, keep_scans=1)
    after = store._size()
    assert removed["scans"] == 11 and removed["scan_blobs"] > 0
    assert after < before * 0.5 and removed["bytes_freed"] == before - after, (before, after, removed)
    if store.backend == "sqlite":
        path = Path(db_url.removeprefix("sqlite:///"))
        assert path.stat().st_size + (Path(f"{path}-wal").stat().st_size if Path(f"{path}-wal").exists() else 0) == after
    (kept,) = store.scans("p")
    assert store.scan_report(kept.id)[1] == _report(150, salt="scan 11 " * 12)  # what is kept reads whole
    store.close()
