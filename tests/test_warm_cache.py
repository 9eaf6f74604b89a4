"""What a warm re-scan keeps from earlier scans: evaluation results by the digest of everything they read,
cards parsed, and the history's parts by digest. Reports are the same bytes with and without them; any change
of what an evaluation reads evaluates again; a damaged or hostile kept row is never trusted."""

from __future__ import annotations

import json
import sqlite3
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

import licscan.evaluation as evaluation
from licscan.cli import app
from licscan.resolution import RepoSnapshot, open_store

from synthetic_hub import generate, write_hub

runner = CliRunner()
FORMATS = ("json", "html", "sarif", "markdown", "junit", "cyclonedx", "spdx", "notice")


@pytest.fixture
def synthetic(tmp_path):
    """A 10-model project over a synthetic Hub (shared foundations, merges, a renamed leaf), served locally."""
    from hubstub import HubStub

    hub = generate(10, seed=29)
    write_hub(hub, tmp_path / "hub")
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text("from x import M\n" + "".join(f'M.from_pretrained("{leaf}")\n' for leaf in hub.leaves))
    stub = HubStub(tmp_path / "hub").start()
    try:
        yield hub, root, stub
    finally:
        stub.stop()


def _scan(tmp_path, root, stub, *extra, name="run", database="cache.db", env=None):
    """One `licscan scan` writing every report format; returns {format: bytes} and the exit code."""
    paths = {fmt: tmp_path / f"{name}.{fmt}" for fmt in FORMATS}
    options = [item for fmt, path in paths.items() for item in (f"--{fmt}", str(path))]
    result = runner.invoke(app, ["scan", str(root), "--quiet", *options, *extra], env={
        "HF_ENDPOINT": stub.url, "LICSCAN_DB_URL": f"sqlite:///{tmp_path / database}",
        "SOURCE_DATE_EPOCH": "1796083200", **(env or {})})
    assert result.exit_code in (0, 1, 3), result.output
    return {fmt: path.read_bytes() for fmt, path in paths.items()}


@pytest.fixture
def evaluated(monkeypatch):
    """The model keys evaluated afresh (not taken from kept results), per scan."""
    keys: list[str] = []
    real = evaluation.evaluate_lineage
    monkeypatch.setattr(evaluation, "evaluate_lineage",
                        lambda key, *args, **kwargs: keys.append(key) or real(key, *args, **kwargs))
    return keys


def test_reports_are_the_same_bytes_with_kept_evaluations_and_without(synthetic, tmp_path, evaluated):
    _, root, stub = synthetic
    fresh = _scan(tmp_path, root, stub, name="cold")
    models = len(set(evaluated))
    assert models == 10
    evaluated.clear()
    kept = _scan(tmp_path, root, stub, name="warm")
    assert evaluated == []  # every lineage's results came from the first scan
    assert kept == fresh
    # A scan with a database of its own (nothing kept, the cache warm from the stand-in) agrees as well.
    assert _scan(tmp_path, root, stub, name="other", database="other.db") == fresh


def _rules_copy(tmp_path) -> Path:
    from licscan.config import data_dir

    extra = tmp_path / "extra-rules"
    (extra / "licenses").mkdir(parents=True)
    source = Path(data_dir("rules")) / "licenses" / "mit.yaml"
    (extra / "licenses" / "mit.yaml").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return extra


@pytest.mark.parametrize("change", ["rules file", "policy", "context", "waiver"])
def test_each_change_of_what_evaluation_reads_evaluates_again(synthetic, tmp_path, evaluated, change):
    _, root, stub = synthetic
    extra = _rules_copy(tmp_path)
    base = ["--rules-dir", str(extra)]
    before = _scan(tmp_path, root, stub, *base, name="before")
    evaluated.clear()
    if change == "rules file":
        record = extra / "licenses" / "mit.yaml"
        record.write_text(record.read_text(encoding="utf-8") + "\n# reviewed again\n", encoding="utf-8")
        after = _scan(tmp_path, root, stub, *base, name="after")
        assert after == before  # a comment changes no result, but the rules are not what was kept
    elif change == "policy":
        after = _scan(tmp_path, root, stub, *base, "--policy", "strict", name="after")
        assert after != before
    elif change == "context":
        (root / "pyproject.toml").write_text('[tool.licscan.context]\nuser_regions = ["EU"]\n', encoding="utf-8")
        after = _scan(tmp_path, root, stub, *base, name="after")
        assert after["json"] != before["json"]
    else:
        policy = tmp_path / "mine.yaml"
        policy.write_text("schema: licscan-policy/1\nname: mine\nextends: default\nwaivers:\n  - rule: LS112\n"
                          "    reason: reviewed\n    approved_by: legal\n    expires: 2099-01-01\n", encoding="utf-8")
        after = _scan(tmp_path, root, stub, *base, "--policy", str(policy), name="after")
        assert b"reviewed" in after["json"]
    assert len(set(evaluated)) == 10
    evaluated.clear()
    extra_options = {"rules file": [], "policy": ["--policy", "strict"], "context": [],
                     "waiver": ["--policy", str(tmp_path / "mine.yaml")]}[change]
    assert _scan(tmp_path, root, stub, *base, *extra_options, name="again") == after
    assert evaluated == []


def test_a_changed_card_in_the_ancestry_evaluates_the_models_under_it_again(synthetic, tmp_path, evaluated):
    hub, root, stub = synthetic
    _scan(tmp_path, root, stub, name="before")
    evaluated.clear()
    foundation = next(repo for repo in hub.repos if not hub.parents[repo])
    under = {leaf for leaf in hub.leaves if foundation in _ancestry(hub, hub.renamed.get(leaf, leaf))}
    assert 0 < len(under) < len(hub.leaves)
    folder = tmp_path / "hub" / foundation
    info = json.loads((folder / "info.json").read_text())
    info["sha"] = "f" * 40
    info["cardData"] = {"license": "cc-by-nc-4.0"}
    (folder / "info.json").write_text(json.dumps(info))
    (folder / "README.md").write_text("---\nlicense: cc-by-nc-4.0\n---\n# a foundation, relicensed\n")
    after = _scan(tmp_path, root, stub, "--refresh", name="after")
    assert set(evaluated) == under
    assert b"cc-by-nc-4.0" in after["json"]


def _ancestry(hub, repo: str) -> set[str]:
    seen, todo = set(), [repo]
    while todo:
        item = todo.pop()
        if item not in seen:
            seen.add(item)
            todo.extend(hub.parents.get(item, ()))
    return seen


def _kept_rows(database: Path) -> dict[str, bytes]:
    with sqlite3.connect(database) as conn:
        return dict(conn.execute("SELECT digest, data FROM kept_evaluations"))


def _set_rows(database: Path, rows: dict[str, bytes]) -> None:
    with sqlite3.connect(database) as conn:
        conn.executemany("UPDATE kept_evaluations SET data = ? WHERE digest = ?",
                         [(data, digest) for digest, data in rows.items()])


def test_damaged_or_hostile_kept_rows_are_evaluated_again(synthetic, tmp_path, evaluated):
    _, root, stub = synthetic
    reference = _scan(tmp_path, root, stub, name="before")
    rows = _kept_rows(tmp_path / "cache.db")
    results = {digest: data for digest, data in rows.items() if len(data) > 64}  # not the parts' digests
    assert len(results) == 10
    digests = sorted(results)
    body = json.loads(zlib.decompress(results[digests[0]]))
    bomb = zlib.compress(b"[" * 100_000 + b"]" * 100_000)
    wrong_type = list(body)
    wrong_type[3] = [["LS100", "no-such-kind", "high", "a", "a", "m", [], True, None]]  # findings
    damage = {
        digests[0]: b"not zlib",
        digests[1]: zlib.compress(b'{"not": "a kept result"}'),
        digests[2]: bomb,
        digests[3]: zlib.compress(json.dumps(wrong_type).encode()),
        digests[4]: results[digests[5]],  # another lineage's results under this digest
        digests[6]: zlib.compress(b"[" + b"1," * 9_000_000 + b"1]"),  # past the size a kept result has
        digests[7]: results[digests[7]][:20],  # truncated
    }
    _set_rows(tmp_path / "cache.db", damage)
    evaluated.clear()
    after = _scan(tmp_path, root, stub, name="after")
    assert after == reference
    assert len(set(evaluated)) == len(damage)


def test_a_kept_part_the_history_no_longer_holds_is_stored_again(synthetic, tmp_path, monkeypatch):
    from licscan.config import load_config
    from licscan.scan import open_database

    _, root, stub = synthetic
    _scan(tmp_path, root, stub, name="first")
    _scan(tmp_path, root, stub, name="second")  # models referred to by the digests kept with their results
    with sqlite3.connect(tmp_path / "cache.db") as conn:
        conn.execute("DELETE FROM scans")
        conn.execute("DELETE FROM scan_blobs")
    third = _scan(tmp_path, root, stub, name="third")
    monkeypatch.setenv("LICSCAN_DB_URL", f"sqlite:///{tmp_path / 'cache.db'}")
    store = open_database(load_config(root))
    (record,) = store.scans()
    _, report = store.scan_report(record.id)
    store.close()
    assert report == json.loads(third["json"])


def test_kept_evaluations_on_both_backends(db_url):
    clock = [1_000_000.0]
    store = open_store(db_url, now=lambda: clock[0])
    store.keep_evaluations({"a" * 64: b"one", "b" * 64: b"two"})
    assert store.kept_evaluations(["a" * 64, "c" * 64]) == {"a" * 64: b"one"}
    store.keep_evaluations({"a" * 64: b"three"})
    assert store.kept_evaluations(["a" * 64, "b" * 64]) == {"a" * 64: b"three", "b" * 64: b"two"}
    clock[0] += 10 * 86_400  # used again ten days later: marked used, so prune keeps it
    assert store.kept_evaluations(["a" * 64]) == {"a" * 64: b"three"}
    clock[0] += 86_400
    assert store.prune(older_than=5 * 86_400, keep_scans=10)["kept_evaluations"] == 1
    assert store.kept_evaluations(["a" * 64, "b" * 64]) == {"a" * 64: b"three"}
    store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_url")


# ---------------------------------------------------------------------------------------------------------
# Cards kept parsed
# ---------------------------------------------------------------------------------------------------------


def test_a_warm_walk_parses_no_card_yaml(synthetic, tmp_path, monkeypatch):
    import licscan.safeyaml as safeyaml

    _, root, stub = synthetic
    cold_parsed = []
    real = safeyaml.load

    def counting(text, *args, what="", **kwargs):
        if what == "model card front matter":
            cold_parsed.append(what)
        return real(text, *args, what=what, **kwargs)

    monkeypatch.setattr(safeyaml, "load", counting)
    cold = _scan(tmp_path, root, stub, name="cold")
    assert cold_parsed  # the cold walk read the cards
    cold_parsed.clear()
    assert _scan(tmp_path, root, stub, name="warm") == cold
    assert cold_parsed == []


def test_a_stored_front_matter_stands_only_beside_its_readme(tmp_path):
    readme = b"---\nlicense: mit\nbase_model: a/base\nreleased: 2024-01-02\n---\n# card\n"
    store = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    store.put_snapshot(RepoSnapshot("a/dated", "a/dated", "1" * 40, "hub", readme=readme))
    plain = readme.replace(b"released: 2024-01-02\n", b"")
    store.put_snapshot(RepoSnapshot("a/plain", "a/plain", "2" * 40, "hub", readme=plain))
    dated = store.get_snapshot("a/dated", "1" * 40)
    assert dated.front_matter is None  # a date is not JSON: this card is parsed when read, as before
    assert dated.card_front_matter() == ("ok", {"license": "mit", "base_model": "a/base",
                                                "released": __import__("datetime").date(2024, 1, 2)})
    assert store.get_snapshot("a/plain", "2" * 40).front_matter == ("ok", {"license": "mit", "base_model": "a/base"})
    store.close()
    with sqlite3.connect(tmp_path / "c.db") as conn:
        (data,) = conn.execute("SELECT data FROM metadata_snapshots WHERE repo_id = 'a/plain'").fetchone()
        body = json.loads(data)
        for forged in (["ok", {"license": "apache-2.0"}, body["front_matter"][2][::-1]],  # not this README's
                       ["ok", "not a mapping", body["front_matter"][2]], ["maybe", None, "x"], "ok", None):
            body["front_matter"] = forged
            conn.execute("UPDATE metadata_snapshots SET data = ? WHERE repo_id = 'a/plain'", (json.dumps(body),))
            conn.commit()
            again = open_store(f"sqlite:///{tmp_path / 'c.db'}")
            snapshot = again.get_snapshot("a/plain", "2" * 40)
            again.close()
            assert snapshot.front_matter is None
            assert snapshot.card_front_matter() == ("ok", {"license": "mit", "base_model": "a/base"})


# ---------------------------------------------------------------------------------------------------------
# Shared parts encoded once
# ---------------------------------------------------------------------------------------------------------


def _shared_report():
    node = {"id": "base/model", "license": {"key": "mit", "text": "x" * 600}}
    findings = [{"rule_id": f"LS{index}", "model": "m", "message": "y" * 600} for index in range(3)]
    models = [{"id": f"m{index}", "lineage": {"nodes": [node, {"id": f"m{index}"}]}, "findings": findings}
              for index in range(4)]
    return {"schema": "licscan-report/1", "models": models, "findings": findings, "summary": {"models": 4}}


def test_the_history_encodes_a_shared_dict_once_and_keeps_the_same_parts(monkeypatch):
    import hashlib

    from licscan.resolution import store as store_module

    report = _shared_report()
    encoded = []
    real = store_module._ENCODE
    monkeypatch.setattr(store_module, "_ENCODE", lambda value: encoded.append(value) or real(value))
    blobs: dict = {}
    skeleton = json.loads(store_module._pack(report, blobs, ()))
    node, findings = report["models"][0]["lineage"]["nodes"][0], report["findings"]
    assert sum(1 for value in encoded if value is node) == 1  # not once per model
    assert all(sum(1 for value in encoded if value is finding) == 1 for finding in findings)  # not twice
    # Each part is what json.dumps writes, stored under its digest.
    for model in report["models"]:
        text = json.dumps(model, ensure_ascii=False, sort_keys=True, default=str)
        assert hashlib.sha256(text.encode()).hexdigest()[:32] in blobs
    assert set(skeleton) == set(report)


def test_kept_results_are_found_again_by_another_process(synthetic, tmp_path):
    """The digests say the same in every process: string hashing differs from one process to the next, so a
    digest that followed a set's order would never match again (nothing would ever be reused)."""
    import os
    import subprocess
    import sys

    _, root, stub = synthetic
    database = tmp_path / "cache.db"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HF_", "LICSCAN_"))}
    env.update(HF_ENDPOINT=stub.url, LICSCAN_DB_URL=f"sqlite:///{database}", SOURCE_DATE_EPOCH="1796083200")
    counts = []
    for seed in ("1", "2", "3"):
        done = subprocess.run([sys.executable, "-m", "licscan.entry", "scan", str(root), "--quiet", "--policy",
                               "strict"], env={**env, "PYTHONHASHSEED": seed}, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode in (0, 1, 3), done.stderr
        counts.append(len(_kept_rows(database)))
    assert counts[0] > 10 and counts[1] == counts[2] == counts[0]  # nothing evaluated or stored anew


def test_an_unchanged_rescan_keeps_its_history_without_building_a_model_of_the_report(synthetic, tmp_path,
                                                                                       monkeypatch):
    """The history refers to the parts an earlier scan stored by their digests, and only those it stores anew
    are built: a re-scan writing no report builds no model's part of the JSON report (at 2,000 models building
    them all was half a second), and the history reads back the same report."""
    import licscan.reporting.json_report as json_report
    from licscan.config import load_config
    from licscan.scan import open_database

    _, root, stub = synthetic
    first = _scan(tmp_path, root, stub, name="first")
    built = []
    real = json_report._model
    monkeypatch.setattr(json_report, "_model", lambda report, *args: built.append(report.key) or real(report, *args))
    result = runner.invoke(app, ["scan", str(root), "--quiet"], env={
        "HF_ENDPOINT": stub.url, "LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'cache.db'}",
        "SOURCE_DATE_EPOCH": "1796083200"})
    assert result.exit_code in (0, 1, 3), result.output
    assert built == []
    monkeypatch.setenv("LICSCAN_DB_URL", f"sqlite:///{tmp_path / 'cache.db'}")
    store = open_database(load_config(root))
    try:
        latest, earlier = store.scans()[:2]
        assert store.scan_report(latest.id)[1] == store.scan_report(earlier.id)[1] == json.loads(first["json"])
    finally:
        store.close()
