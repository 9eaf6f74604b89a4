"""Scale without timing: operations counted at two sizes grow with the work, never with its square; the
store is read in batches; a warm re-scan sends nothing; the history stays small and `db prune` frees space."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from licscan.cli import app
from licscan.model import Edge, Lineage, ModelRecord, ModelRef, CardData, Relation, ResolutionSettings
from licscan.resolution import RepoSnapshot, open_store, resolve
from licscan.resolution.interface import FetchFailure, SourceCounters

from synthetic import SyntheticHub, generate, write_hub

runner = CliRunner()
LINEAR = 2.5  # doubling the input may at most multiply the operations by this (linear is 2, square 4)


def calls_made(work) -> int:
    """Function calls (Python and built-in) the current thread makes while work runs: a count, not a time."""
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event in ("call", "c_call"):
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
    def work(leaves: int) -> int:
        hub = generate(leaves, seed=3)
        settings = ResolutionSettings(workers=8, resolve_datasets=False)
        return calls_made(lambda: resolve([ModelRef(leaf) for leaf in hub.leaves], settings,
                                          source=SyntheticSource(hub)))

    small, large = work(300), work(600)
    assert large / small <= LINEAR, (small, large)


def chain(length: int) -> Lineage:
    ids = [f"org/m{index}" for index in range(length)]
    records = tuple(ModelRecord(repo_id=repo, revision="a" * 40, author="org", card=CardData()) for repo in ids)
    edges = tuple(Edge(child, parent, Relation.FINETUNE) for child, parent in zip(ids, ids[1:]))
    return Lineage(root=ids[0], nodes=records, edges=edges)


def test_ancestors_of_every_node_cost_linear_time_in_the_chain():
    def work(length: int) -> int:
        lineage = chain(length)

        def ask() -> None:
            for _ in range(3):  # evaluation asks more than once per node: computed once
                for record in lineage.nodes[:50]:
                    lineage.ancestors(record.repo_id)
                    lineage.node(record.repo_id)

        return calls_made(ask)

    small, large = work(200), work(400)
    assert large / small <= LINEAR, (small, large)
    lineage = chain(5)
    assert lineage.ancestors("org/m1") == ("org/m2", "org/m3", "org/m4")
    assert lineage.node("org/m3").repo_id == "org/m3" and lineage.node("org/nope") is None


def test_evaluation_grows_linearly_with_the_models(tmp_path):
    from licscan import evaluation
    from licscan.config import load_config
    from licscan.model import Location, Occurrence

    (tmp_path / "app.py").write_text("")
    knowledge, policy = evaluation.load(load_config(tmp_path).evaluation())

    def work(leaves: int) -> int:
        hub = generate(leaves, seed=5)
        roots = [ModelRef(leaf) for leaf in hub.leaves]
        lineages = dict(resolve(roots, ResolutionSettings(workers=4, resolve_datasets=False),
                                source=SyntheticSource(hub, delay=0)).lineages)
        by_key = {key: [Occurrence(ref=ModelRef(key), location=Location(path="app.py"), source="python",
                                   via="call")] for key in lineages}
        return calls_made(lambda: evaluation.evaluate(lineages, by_key, knowledge, policy))

    small, large = work(100), work(200)
    assert large / small <= LINEAR, (small, large)
