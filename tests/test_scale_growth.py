"""Scale without timing: operations counted at two sizes grow with the work, never with its square; the
store is read in batches; a warm re-scan sends nothing; the history stays small and `db prune` frees space."""

from __future__ import annotations

import itertools
import json
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from licscan.cli import app
from licscan.errors import CacheError
from licscan.model import Edge, Lineage, ModelRecord, ModelRef, CardData, Relation, ResolutionSettings
from licscan.resolution import RepoSnapshot, open_store, resolve
from licscan.resolution.interface import FetchFailure, SourceCounters

from synthetic_hub import SyntheticHub, generate, write_hub

runner = CliRunner()
LINEAR = 2.5  # doubling the input may at most multiply the operations by this (linear is 2, square 4)


def calls_made(work, *, within: str = "") -> int:
    """Function calls (Python and built-in) the current thread makes while work runs, only those made from
    code whose file name contains `within` when given: a count, not a time."""
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event in ("call", "c_call") and within in frame.f_code.co_filename:
            count += 1

    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(None)
    return count


class SyntheticSource:
    """The synthetic Hub in memory, each answer a little late so that many fetches are in flight at once."""

    name = "hub"

    def __init__(self, hub: SyntheticHub, delay: float = 0.0005) -> None:
        self.hub = hub
        self.delay = delay
        self.counters = SourceCounters()

    def fetch(self, repo_id: str, revision: str | None) -> RepoSnapshot | FetchFailure:
        time.sleep(self.delay)
        self.counters.add(api_calls=1)
        canonical = self.hub.renamed.get(repo_id, repo_id)
        return RepoSnapshot(repo_id, canonical, self.hub.sha(canonical), "hub",
                            readme=self.hub.readme(canonical).encode(), files=("README.md",))

    def close(self) -> None:
        pass


def test_the_walks_main_loop_grows_linearly_with_the_repos():
    """Completions are taken as they come: the loop's work grows with the repos, however many fetches are in
    flight (waiting on the whole running set at each completion was quadratic)."""

    def work(leaves: int) -> tuple[int, int, int]:
        hub = generate(leaves, seed=3)
        settings = ResolutionSettings(workers=8, resolve_datasets=False)
        roots = [ModelRef(leaf) for leaf in hub.leaves]
        # Answers 5 ms late, so hundreds of fetches wait in the pool while the loop takes each completion.
        busy = calls_made(lambda: resolve(roots, settings, source=SyntheticSource(hub, delay=0.005)))
        everything = calls_made(lambda: resolve(roots, settings, source=SyntheticSource(hub, delay=0)))
        return len(hub.repos) + len(hub.renamed), busy, everything

    (repos, busy, everything), (repos2, busy2, everything2) = work(200), work(400)
    assert repos2 / repos >= 1.8, (repos, repos2)
    assert busy2 / busy <= LINEAR and everything2 / everything <= LINEAR, (busy, busy2, everything, everything2)


def test_a_fetch_costs_the_walks_threads_two_queue_operations_not_an_executors_bookkeeping():
    """A fetch goes to a worker and its answer comes back through a queue each way: no future, condition
    variable, semaphore or callback per fetch (a ThreadPoolExecutor spent 33 Python calls on each, 1.4-1.9 CPU-s
    of a 2,000-model cold walk's 11-14)."""
    hub = generate(200, seed=3)
    source = SyntheticSource(hub, delay=0.002)
    counter = itertools.count()

    def profile(frame, event, arg):
        if event == "call" and any(name in frame.f_code.co_filename
                                   for name in ("threading.py", "concurrent/futures", "queue.py")):
            next(counter)  # one step under the GIL: safe from every thread

    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        resolve([ModelRef(leaf) for leaf in hub.leaves], ResolutionSettings(workers=8, resolve_datasets=False),
                source=source)
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
    fetches, machinery = source.counters.snapshot().api_calls, next(counter)
    assert fetches > 500 and machinery <= fetches, (fetches, machinery)  # the threads' start-up, not per fetch


class FailingSource(SyntheticSource):
    """The synthetic Hub whose store breaks at the tenth repo: the one error that ends a scan."""

    def __init__(self, hub: SyntheticHub) -> None:
        super().__init__(hub, delay=0.002)
        self.fetched = itertools.count()

    def fetch(self, repo_id: str, revision: str | None) -> RepoSnapshot | FetchFailure:
        if next(self.fetched) == 10:
            raise CacheError("the metadata cache cannot be written: disk full")
        return super().fetch(repo_id, revision)


def test_a_cache_error_in_a_worker_ends_the_walk_and_leaves_no_thread_behind():
    hub = generate(200, seed=3)
    source = FailingSource(hub)
    before = set(threading.enumerate())
    with pytest.raises(CacheError, match="disk full"):
        resolve([ModelRef(leaf) for leaf in hub.leaves], ResolutionSettings(workers=8, resolve_datasets=False),
                source=source)
    assert set(threading.enumerate()) <= before
    assert next(source.fetched) < 100  # what was queued after the error was dropped, not fetched


class CountedEdges(tuple):
    """A lineage's edges that count how many times any edge is looked at."""

    looked_at = 0

    def __iter__(self):
        for edge in tuple.__iter__(self):
            CountedEdges.looked_at += 1
            yield edge


def chain(length: int, edges_type=tuple) -> Lineage:
    ids = [f"org/m{index}" for index in range(length)]
    records = tuple(ModelRecord(repo_id=repo, revision="a" * 40, author="org", card=CardData()) for repo in ids)
    edges = edges_type(Edge(child, parent, Relation.FINETUNE) for child, parent in zip(ids, ids[1:]))
    return Lineage(root=ids[0], nodes=records, edges=edges)


def test_ancestors_are_computed_once_per_lineage_in_linear_time():
    def work(length: int) -> int:
        lineage = chain(length, CountedEdges)
        CountedEdges.looked_at = 0
        for _ in range(3):  # evaluation asks more than once per node
            for record in lineage.nodes[:20]:
                lineage.ancestors(record.repo_id)
                lineage.node(record.repo_id)
        return CountedEdges.looked_at

    small, large = work(200), work(400)
    assert large <= 2 * small + 2 and large <= 400, (small, large)
    lineage = chain(5)
    assert lineage.ancestors("org/m1") == ("org/m2", "org/m3", "org/m4")
    assert lineage.node("org/m3").repo_id == "org/m3" and lineage.node("org/nope") is None


def test_evaluation_identifies_each_shared_ancestor_once_and_grows_linearly(tmp_path, monkeypatch):
    import licscan.evaluation as evaluation
    from licscan.config import load_config
    from licscan.model import Location, Occurrence

    (tmp_path / "app.py").write_text("")
    knowledge, policy = evaluation.load(load_config(tmp_path).evaluation())
    identified = []
    real_identify = evaluation.identify
    monkeypatch.setattr(evaluation, "identify", lambda repo_id, *args, **kwargs: identified.append(repo_id)
                        or real_identify(repo_id, *args, **kwargs))

    def work(leaves: int) -> tuple[int, int, int]:
        hub = generate(leaves, seed=5)
        roots = [ModelRef(leaf) for leaf in hub.leaves]
        lineages = dict(resolve(roots, ResolutionSettings(workers=4, resolve_datasets=False),
                                source=SyntheticSource(hub, delay=0)).lineages)
        by_key = {key: [Occurrence(ref=ModelRef(key), location=Location(path="app.py"), source="python",
                                   via="call")] for key in lineages}
        identified.clear()
        calls = calls_made(lambda: evaluation.evaluate(lineages, by_key, knowledge, policy))
        return len(hub.repos), len(identified), calls

    repos, identifications, calls = work(100)
    repos2, identifications2, calls2 = work(200)
    # A foundation under every model is identified once per scan, not once per model that descends from it.
    assert identifications == repos and identifications2 == repos2, (repos, identifications, repos2,
                                                                      identifications2)
    assert calls2 / calls <= LINEAR, (calls, calls2)


# ---------------------------------------------------------------------------------------------------------
# The store in batches; a warm re-scan sends nothing
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def synthetic_hub(tmp_path):
    """A stand-in serving a synthetic Hub; yields a function (leaves) -> (stub, hub), one private Hub each."""
    from hubstub import HubStub

    stubs = []

    def make(leaves: int) -> tuple[HubStub, SyntheticHub]:
        hub = generate(leaves, seed=11)
        root = tmp_path / f"hub-{leaves}"
        write_hub(hub, root)
        stub = HubStub(root).start()
        stubs.append(stub)
        return stub, hub

    yield make
    for stub in stubs:
        stub.stop()


def counted_statements(store) -> list[str]:
    from sqlalchemy import event

    statements: list[str] = []
    event.listen(store._engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: statements.append(statement.split()[0].upper()))
    return statements


def test_the_store_is_read_and_written_in_batches_not_per_repo(synthetic_hub, tmp_path):
    def walk(leaves: int) -> tuple[int, int, int, int]:
        stub, hub = synthetic_hub(leaves)
        settings = ResolutionSettings(endpoint=stub.url, timeout=5.0, workers=8, freshness_seconds=3600)
        store = open_store(f"sqlite:///{tmp_path / f'cache-{leaves}.db'}")
        statements = counted_statements(store)
        roots = [ModelRef(leaf) for leaf in hub.leaves]
        try:
            resolve(roots, settings, store=store)
            cold = len(statements)
            statements.clear()
            stub.clear()
            warm_result = resolve(roots, settings, store=store)
            assert stub.requests == [] and warm_result.stats.api_calls == 0
        finally:
            store.close()
        return len(hub.repos), cold, len(statements), len(hub.levels())

    repos, cold, warm, levels = walk(40)
    repos2, cold2, warm2, levels2 = walk(160)
    # A few statements per level and per few hundred rows written, never several per repository.
    assert cold2 <= repos2 / 4 and warm2 <= 4 * levels2 + 12, (repos2, cold2, warm2)
    assert warm2 <= warm + 4 * (levels2 - levels) + 4, (warm, warm2)


def test_a_warm_rescan_sends_no_request_for_renamed_leaves_and_missing_datasets(synthetic_hub, tmp_path):
    stub, hub = synthetic_hub(30)
    assert hub.renamed and hub.missing_datasets & {d for names in hub.datasets.values() for d in names}
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text("from x import M\n" + "".join(f'M.from_pretrained("{leaf}")\n' for leaf in hub.leaves))
    env = {"HF_ENDPOINT": stub.url, "LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'team.db'}"}
    first = runner.invoke(app, ["scan", str(root), "--json", str(tmp_path / "1.json")], env=env)
    assert stub.requests and first.exit_code in (0, 1, 3), first.output
    asked = {path.split("?")[0] for _, path in stub.requests}
    assert any(path.startswith("/api/datasets/") for path in asked)
    stub.clear()
    second = runner.invoke(app, ["scan", str(root), "--json", str(tmp_path / "2.json")], env=env)
    assert stub.requests == [] and second.exit_code == first.exit_code
    one, two = (json.loads((tmp_path / f"{n}.json").read_text()) for n in (1, 2))
    assert one["models"] == two["models"] and one["findings"] == two["findings"]
