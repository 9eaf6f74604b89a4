"""A seeded synthetic Hub for scale tests and benchmarks: model ancestries as realistic DAGs (few shared
foundations, wider generations below them, some merges), with datasets and renamed ids."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

LICENSES = ["apache-2.0", "mit", "llama3.1", "gemma", "cc-by-nc-4.0"]
# Repos per generation as shares of the leaves, from the foundations down to the leaves a project names:
# at 2,000 leaves about 5,100 repos over 6 levels, as in issue #17's measurements.
SHARES = [0.02, 0.0625, 0.1667, 0.4, 0.9, 1.0]
MERGE_SHARE = 0.06


@dataclass
class SyntheticHub:
    leaves: list[str]  # what the project names (a few by an old, renamed id)
    parents: dict[str, list[str]]  # every repo's parents (canonical ids)
    licences: dict[str, str | None]
    datasets: dict[str, list[str]] = field(default_factory=dict)  # repo -> datasets its card names
    missing_datasets: set[str] = field(default_factory=set)  # named by cards, absent from the Hub
    renamed: dict[str, str] = field(default_factory=dict)  # old id -> new id

    @property
    def repos(self) -> list[str]:
        return list(self.parents)

    def levels(self) -> list[int]:
        """Repos first reached at each depth from the leaves (what a walk can fetch in parallel)."""
        seen = {self.renamed.get(leaf, leaf) for leaf in self.leaves}
        frontier = sorted(seen)
        counts = []
        while frontier:
            counts.append(len(frontier))
            nxt = []
            for repo in frontier:
                for parent in self.parents[repo]:
                    if parent not in seen:
                        seen.add(parent)
                        nxt.append(parent)
            frontier = nxt
        return counts

    def card(self, repo: str) -> dict:
        fields: dict = {}
        if self.licences[repo]:
            fields["license"] = self.licences[repo]
        chosen = self.parents[repo]
        if chosen:
            fields["base_model"] = chosen if len(chosen) > 1 else chosen[0]
        if self.datasets.get(repo):
            fields["datasets"] = self.datasets[repo]
        return fields

    def readme(self, repo: str) -> str:
        front = "".join(f"{key}: {json.dumps(value)}\n" for key, value in self.card(repo).items())
        return f"---\n{front}---\n# {repo}\n\nA synthetic model card.\n"

    def sha(self, repo: str) -> str:
        return hashlib.sha1(f"{repo}\n{self.readme(repo)}".encode()).hexdigest()


def generate(leaves: int, *, seed: int = 17) -> SyntheticHub:
    rng = random.Random(seed)
    parents: dict[str, list[str]] = {}
    licences: dict[str, str | None] = {}
    previous: list[str] = []
    for depth, share in enumerate(SHARES):
        count = leaves if depth == len(SHARES) - 1 else max(2, round(leaves * share))
        order = previous[:]
        rng.shuffle(order)
        current = []
        for index in range(count):
            repo = f"gen{depth}/model-{index:05d}"
            chosen = []
            if previous:
                chosen = [order[index % len(order)]]  # every repo of the generation above has a child
                if rng.random() < MERGE_SHARE:
                    other = rng.choice(previous)
                    if other != chosen[0]:
                        chosen.append(other)
            parents[repo] = chosen
            licences[repo] = (LICENSES[index % len(LICENSES)] if not chosen
                              else rng.choice(LICENSES[:2] + [None, None]))
            current.append(repo)
        previous = current
    hub = SyntheticHub(leaves=list(previous), parents=parents, licences=licences)
    pool = [f"data-org/corpus-{index:03d}" for index in range(max(4, leaves // 50))]
    hub.missing_datasets = set(pool[:2])
    for repo in previous:
        if rng.random() < 0.1:
            hub.datasets[repo] = [rng.choice(pool)]
    # A few leaves are named by the id they had before a rename.
    for index in range(0, len(previous), max(1, len(previous) // 5)):
        old = previous[index].replace("model-", "old-name-")
        hub.renamed[old] = previous[index]
        hub.leaves[index] = old
    return hub


def write_hub(hub: SyntheticHub, root: Path) -> None:
    """The Hub in the mirror layout tests/hubstub.py serves (and `--mirror` reads)."""
    for repo in hub.repos:
        folder = root / repo
        folder.mkdir(parents=True)
        (folder / "README.md").write_text(hub.readme(repo))
        files = ["README.md"]
        if not hub.parents[repo] and hub.licences[repo]:
            (folder / "LICENSE").write_text(f"{hub.licences[repo]} licence text of {repo}\n")
            files.append("LICENSE")
        info = {"id": repo, "sha": hub.sha(repo), "author": repo.split("/")[0], "gated": False,
                "tags": [], "cardData": hub.card(repo), "siblings": [{"rfilename": name} for name in files]}
        (folder / "info.json").write_text(json.dumps(info))
    for old, new in hub.renamed.items():
        (root / old).mkdir(parents=True)
        (root / old / "info.json").write_text(json.dumps({"renamed_to": new}))
    named = {name for names in hub.datasets.values() for name in names}
    for name in sorted(named - hub.missing_datasets):
        folder = root / "datasets" / name
        folder.mkdir(parents=True)
        card = {"license": "cc-by-4.0"}
        (folder / "README.md").write_text(f"---\nlicense: cc-by-4.0\n---\n# {name}\n")
        info = {"id": name, "sha": hashlib.sha1(name.encode()).hexdigest(), "author": name.split("/")[0],
                "gated": False, "tags": [], "cardData": card, "siblings": [{"rfilename": "README.md"}]}
        (folder / "info.json").write_text(json.dumps(info))
