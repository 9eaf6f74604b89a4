"""The metadata cache: offline scans, re-used cards, freshness, and a cache file that is not a database."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from licscan.errors import CacheError
from licscan.model import ModelRef, UnresolvedReason
from licscan.resolution import RepoSnapshot, open_store, resolve

ROOTS = ["unsloth/Meta-Llama-3.1-8B-Instruct", "licscan-test/with-license", "licscan-test/child-of-missing",
         "Qwen/Qwen2.5-Math-PRM-7B"]


def _no_sleep(seconds: float) -> None:
    raise AssertionError("no retry expected")


def _walk(settings, *ids, **kwargs):
    return resolve([ModelRef(i) for i in ids or ROOTS], settings, sleep=_no_sleep, **kwargs)


def _shape(result):
    """What a user sees of a lineage, without where each node was read from."""
    return {
        key: (
            [(n.repo_id, n.revision, n.aliases, n.card.license, n.card.base_models, n.parents, n.license_text)
             for n in lineage.nodes],
            lineage.edges,
            [(u.repo_id, u.reason, u.referenced_by) for u in lineage.unresolved],
        )
        for key, lineage in result.lineages.items()
    }


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'cache' / 'licscan.db'}"


def test_offline_with_an_empty_cache_is_offline(stub_settings, hub_stub, db_url):
    result = _walk(stub_settings(offline=True, db_url=db_url), "licscan-test/base")
    (gap,) = result.lineages["licscan-test/base"].unresolved
    assert gap.reason is UnresolvedReason.OFFLINE and gap.reason.transient
    assert "not in the metadata cache" in gap.detail
    assert hub_stub.requests == []


def test_offline_without_any_cache_configured_is_offline(stub_settings, hub_stub):
    result = _walk(stub_settings(offline=True), "licscan-test/base")
    assert [u.reason for u in result.lineages["licscan-test/base"].unresolved] == [UnresolvedReason.OFFLINE]
    assert hub_stub.requests == []


def test_offline_after_an_online_scan_gives_the_same_lineages_without_a_request(stub_settings, hub_stub, db_url):
    online = _walk(stub_settings(db_url=db_url))
    assert hub_stub.requests
    hub_stub.clear()
    offline = _walk(stub_settings(db_url=db_url, offline=True))
    assert hub_stub.requests == []
    # Missing repos were never cached, so they are OFFLINE now instead of NOT_FOUND; everything else matches.
    same = {k: v for k, v in _shape(offline).items() if k != "licscan-test/child-of-missing"}
    assert same == {k: v for k, v in _shape(online).items() if k != "licscan-test/child-of-missing"}
    gap = offline.lineages["licscan-test/child-of-missing"].unresolved[0]
    assert (gap.repo_id, gap.reason) == ("licscan-test/does-not-exist", UnresolvedReason.OFFLINE)
    # Records say where the metadata was read, not whether this scan took it from the cache,
    # so the same project gives the same report cold or warm.
    assert {n.source for lin in offline.lineages.values() for n in lin.nodes} == {"hub"}
    unique = {n.repo_id for lineage in offline.lineages.values() for n in lineage.nodes}
    assert offline.stats.api_calls == 0 and offline.stats.cache_hits == len(unique) == 11
    # The renamed id is answered from the cached alias.
    assert offline.canonical["meta-llama/Meta-Llama-3.1-8B-Instruct"] == "meta-llama/Llama-3.1-8B-Instruct"


def test_second_online_scan_reuses_cached_cards(stub_settings, hub_stub, db_url):
    first = _walk(stub_settings(db_url=db_url))
    assert first.stats.file_downloads > 0 and first.stats.cache_hits == 0
    hub_stub.clear()
    second = _walk(stub_settings(db_url=db_url))
    assert hub_stub.file_calls() == []
    assert second.stats.file_downloads == 0
    # Every repo is still asked once, so a new commit would be noticed.
    assert second.stats.api_calls == first.stats.api_calls
    assert _shape(second) == _shape(first)


def test_a_token_retries_cards_that_were_refused_without_one(stub_settings, hub_stub, db_url, monkeypatch):
    first = _walk(stub_settings(db_url=db_url), "licscan-test/gated-files")
    assert any("gated" in p for p in first.lineages["licscan-test/gated-files"].nodes[0].card.problems)
    monkeypatch.setenv("HF_TOKEN", hub_stub.token)
    hub_stub.clear()
    second = _walk(stub_settings(db_url=db_url), "licscan-test/gated-files")
    assert ("GET", f"/licscan-test/gated-files/resolve/{second.lineages['licscan-test/gated-files'].nodes[0].revision}"
            "/README.md") in hub_stub.requests
    assert not any("gated" in p for p in second.lineages["licscan-test/gated-files"].nodes[0].card.problems)


def test_new_commit_is_noticed_and_read(stub_settings, hub_stub, db_url, tmp_path):
    import json
    import shutil

    from hubstub import HubStub

    mirror = tmp_path / "hub"
    shutil.copytree(hub_stub.root / "licscan-test", mirror / "licscan-test")
    with HubStub(mirror) as stub:
        settings = stub_settings(endpoint=stub.url, db_url=db_url)
        before = _walk(settings, "licscan-test/base").lineages["licscan-test/base"].nodes[0]
        info_path = mirror / "licscan-test/base/info.json"
        info = json.loads(info_path.read_text())
        info["sha"] = "1" * 40
        info_path.write_text(json.dumps(info))
        (mirror / "licscan-test/base/README.md").write_text("---\nlicense: mit\n---\n")
        stub.clear()
        after = _walk(settings, "licscan-test/base").lineages["licscan-test/base"].nodes[0]
        assert stub.file_calls("GET")  # a new sha means the README is read again
    assert (before.card.license, after.card.license) == ("apache-2.0", "mit")
    assert after.revision == "1" * 40


def test_fresh_heads_skip_the_api(stub_settings, hub_stub, db_url):
    clock = {"now": 1_000_000.0}
    settings = stub_settings(db_url=db_url, freshness_seconds=3600)
    _walk(settings, now=lambda: clock["now"])
    hub_stub.clear()
    clock["now"] += 600
    result = _walk(settings, now=lambda: clock["now"])
    # Within the window nothing is asked, not even the parent that does not exist (remembered as missing).
    assert hub_stub.requests == []
    assert result.stats.api_calls == 0
    gap = result.lineages["licscan-test/child-of-missing"].unresolved[0]
    assert gap.reason is UnresolvedReason.NOT_FOUND
    clock["now"] += 7200  # older than the freshness window: revalidate
    hub_stub.clear()
    again = _walk(settings, now=lambda: clock["now"])
    # One file-resolver HEAD per cached repo says main has not moved: no API call, no download. The API is
    # asked only about the missing repo and the gated ones (whose files answer 403 without access).
    gated = {n.repo_id for lin in result.lineages.values() for n in lin.nodes if n.gated}
    assert gated and sorted(path for _, path in hub_stub.api_calls()) == sorted(
        ["/api/models/licscan-test/does-not-exist"] + [f"/api/models/{repo}" for repo in gated])
    assert hub_stub.file_calls("GET") == [] and hub_stub.file_calls("HEAD")
    assert again.stats.revalidations == len(hub_stub.file_calls("HEAD"))
    assert _shape(again) == _shape(result) | {"licscan-test/child-of-missing": _shape(again)["licscan-test/child-of-missing"]}


def test_store_records_heads_with_the_injected_clock(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'c.db'}", now=lambda: 42.0)
    snap = RepoSnapshot("a/old", "a/new", "a" * 40, "hub", readme=b"\xff\xfe binary-ish", card_data={"license": "mit"})
    store.put_snapshot(snap)
    assert store.head("a/new").checked_at == 42.0
    assert store.canonical("a/old") == "a/new"
    assert store.get_snapshot("a/new", "a" * 40).readme == b"\xff\xfe binary-ish"
    assert store.latest_snapshot("a/new").card_data == {"license": "mit"}
    store.close()


def test_cache_file_that_is_not_a_database(stub_settings, tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_text("these are my notes, not a database\n" * 50)
    with pytest.raises(CacheError) as caught:
        _walk(stub_settings(db_url=f"sqlite:///{bogus}"), "licscan-test/base")
    message = str(caught.value)
    assert str(bogus) in message and "not a licscan cache database" in message
    assert "Traceback" not in message and caught.value.exit_code == 3


def test_cache_path_that_is_a_directory(tmp_path):
    with pytest.raises(CacheError, match="is a directory"):
        open_store(f"sqlite:///{tmp_path}")


def test_cache_is_created_with_its_folders_in_wal_mode(tmp_path):
    path = tmp_path / "a" / "b" / "licscan.db"
    store = open_store(f"sqlite:///{path}")
    store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"metadata_snapshots", "repo_aliases", "repo_heads", "licscan_schema"} <= tables


def test_concurrent_openers_create_the_tables_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'race.db'}"
    errors: list[BaseException] = []

    def open_and_write(n: int) -> None:
        try:
            store = open_store(url)
            store.put_snapshot(RepoSnapshot(f"a/m{n}", f"a/m{n}", f"{n:040d}", "hub"))
            store.close()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=open_and_write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store = open_store(url)
    assert store.counts()["metadata_snapshots"] == 8
    store.close()


def test_cache_from_a_newer_licscan_is_refused(tmp_path):
    path = tmp_path / "future.db"
    open_store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE licscan_schema SET version = 99")
    with pytest.raises(CacheError, match="newer licscan"):
        open_store(f"sqlite:///{path}")


def test_card_lost_to_a_network_error_is_not_cached(stub_settings, hub_stub, db_url, monkeypatch):
    import time as time_module

    # huggingface_hub retries a failed file HEAD itself, sleeping with time.sleep; skip those waits here.
    monkeypatch.setattr(time_module, "sleep", lambda seconds: None)
    hub_stub.faults["licscan-test/peft-adapter"] = ["pass"] + [503] * 12
    first = resolve([ModelRef("licscan-test/peft-adapter")], stub_settings(db_url=db_url), sleep=lambda s: None)
    node = first.lineages["licscan-test/peft-adapter"].nodes[0]
    # The scan still knows the card from the API's cardData, and says why; the node is incomplete.
    assert node.card.license == "apache-2.0" and node.card.base_models == ("licscan-test/base",)
    assert any("README.md could not be read" in p for p in node.card.problems)
    assert any(gap.repo_id == node.repo_id and "evidence missing" in gap.detail
               for gap in first.lineages["licscan-test/peft-adapter"].unresolved)
    hub_stub.faults.clear()
    hub_stub.clear()
    second = _walk(stub_settings(db_url=db_url), "licscan-test/peft-adapter")
    assert ("GET", f"/licscan-test/peft-adapter/resolve/{node.revision}/README.md") in hub_stub.requests
    assert second.lineages["licscan-test/peft-adapter"].nodes[0].card.problems == ()


def test_hf_hub_offline_answers_from_the_cache_without_a_request(stub_settings, hub_stub, db_url, monkeypatch):
    import huggingface_hub

    online = _walk(stub_settings(db_url=db_url), "licscan-test/merge")
    hub_stub.clear()
    # What HF_HUB_OFFLINE=1 sets when huggingface_hub is imported; licscan's own offline flag stays off.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    offline = _walk(stub_settings(db_url=db_url), "licscan-test/merge", "licscan-test/cycle-a")
    assert hub_stub.requests == []
    assert _shape(offline)["licscan-test/merge"] == _shape(online)["licscan-test/merge"]
    assert [u.reason for u in offline.lineages["licscan-test/cycle-a"].unresolved] == [UnresolvedReason.OFFLINE]
