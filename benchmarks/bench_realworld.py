"""Benchmark: recall and precision of `licscan discover` on ten real application repositories.

Unpacks ../shared/corpus/realworld-corpus.tar.xz to a temporary folder (never into the project), runs
`licscan discover --no-cache --json` on each repository, and scores the answer against
benchmarks/realworld_truth.tsv (built by realworld_harvest.py, without licscan). Prints figures; asserts nothing.

How it counts:
- an occurrence is a (repository, file, line, id) the truth marks `expected`; licscan recalls as many of a
  file's occurrences of an id as it reports there (the lines may differ: an id bound to a name is reported
  where the name is used, a notebook's line is counted within its cell);
- recall by id: the ids of expected rows (models, datasets, API/runtime models apart) that licscan reports
  anywhere in the same repository;
- precision: licscan's occurrences whose (repository, file, id) the truth marks `expected`, over all it reports;
- run-time references listed: the truth's `run-time` rows (a loading call or model flag whose argument is not a
  literal) at whose file and line licscan lists an unresolved reference or names a model.
- API-only names listed as Hub models: the truth's `api-model` ids (names a provider's API serves that no Hub repo
  holds, such as NVIDIA's meta/llama3-70b-instruct) that licscan reports as Hub models anywhere in the repository;
  each would be looked up on the Hub and not found. What discovery lists, before the scan's Hub answer.
- The same names in what a scan reports (`--skip-scan` leaves it out): `licscan scan --json` of the repositories
  that hold such names, against the loopback Hub stand-in (tests/hubstub.py) holding a minimal repo for every
  other Hub id discovery lists there and none for the truth's api-model ids: how many a scan still reports as a
  Hub model the Hub lacks (LS103/LS100: a defect), how many as the provider's hosted model, and whether the
  API-served names that are Hub ids (NVIDIA's mistralai/mixtral-8x7b-instruct-v0.1) are still Hub models.

Run: .venv/bin/python benchmarks/bench_realworld.py [--show-misses N] [--show-extra N] [--repo NAME] [--skip-scan]
"""

from __future__ import annotations

import argparse
import collections
import csv
import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARCHIVE = HERE.parent.parent / "shared" / "corpus" / "realworld-corpus.tar.xz"
TRUTH = HERE / "realworld_truth.tsv"
API_TRUTH = HERE / "realworld_api_truth.tsv"  # models used through an API or a local runtime (providers slice)
LICSCAN = Path(sys.executable).parent / "licscan"
DETAIL_LINE = re.compile(r"(?:cell (\d+), )?line (\d+)")  # a notebook's place is "cell:line" in the truth


def load_truth() -> list[dict[str, str]]:
    with TRUTH.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def run_discovery(root: Path, repos: list[str]) -> dict[str, dict]:
    answers = {}
    for repo in repos:
        completed = subprocess.run(
            [str(LICSCAN), "discover", "--no-cache", "--json", str(root / repo)], capture_output=True, text=True
        )
        if completed.returncode != 0:
            print(f"{repo}: licscan discover exited {completed.returncode}: {completed.stderr.strip()[-300:]}")
            answers[repo] = {"occurrences": [], "skipped": []}
            continue
        answers[repo] = json.loads(completed.stdout)
    return answers


def percent(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:6.2f}% ({part}/{whole})" if whole else "   n/a (0/0)"


def score(truth: list[dict[str, str]], answers: dict[str, dict], show_misses: int, show_extra: int) -> None:
    # Rows with path "*" come from the review: ids licscan reported that the harvest did not see, judged a
    # use (or not) wherever they stand; they count for precision, not for recall.
    anywhere = {(row["repo"], row["id"]) for row in truth if row["path"] == "*" and row["status"] == "expected"}
    not_anywhere = {(row["repo"], row["id"]) for row in truth if row["path"] == "*" and row["status"] != "expected"}
    truth = [row for row in truth if row["path"] != "*"]
    expected = [row for row in truth if row["status"] == "expected"]
    not_uses = {(row["repo"], row["path"], row["id"]) for row in truth if row["status"] in ("prose", "placeholder")}
    runtime = [row for row in truth if row["status"] == "run-time"]
    found_by_file: collections.Counter = collections.Counter()
    found_ids: dict[str, set[str]] = collections.defaultdict(set)
    found_lines: set[tuple[str, str, int]] = set()
    for repo, answer in answers.items():
        for occurrence in answer["occurrences"]:
            if occurrence["kind"] in ("hosted-api", "runtime"):
                continue  # scored against realworld_api_truth.tsv by score_api
            found_by_file[(repo, occurrence["path"], occurrence["id"])] += 1
            found_ids[repo].add(occurrence["id"])
            if occurrence.get("line"):
                place = f'{occurrence["cell"]}:{occurrence["line"]}' if occurrence.get("cell") else str(occurrence["line"])
                found_lines.add((repo, occurrence["path"], place))
        for skipped in answer["skipped"]:
            if skipped["reason"] == "unresolved-reference":
                match = DETAIL_LINE.match(skipped["detail"])
                if match:
                    place = f"{match.group(1)}:{match.group(2)}" if match.group(1) else match.group(2)
                    found_lines.add((repo, skipped["path"], place))
    expected_by_file: collections.Counter = collections.Counter(
        (row["repo"], row["path"], row["id"]) for row in expected
    )
    print(f"{'':34} {'recall':>22}")
    hit = sum(min(count, found_by_file[key]) for key, count in expected_by_file.items())
    print(f"{'occurrences':34} {percent(hit, len(expected)):>22}")
    misses = [key for key, count in expected_by_file.items() if found_by_file[key] < count]
    for kind in ("model", "dataset", "api-model"):
        ids = {(row["repo"], row["id"]) for row in expected if row["kind"] == kind}
        got = {key for key in ids if key[1] in found_ids[key[0]]}
        print(f"{'ids, ' + kind + 's':34} {percent(len(got), len(ids)):>22}")
    reported = sum(found_by_file.values())
    def is_use(key: tuple[str, str, str]) -> bool:
        return key in expected_by_file or ((key[0], key[2]) in anywhere and key not in not_uses)

    true_positive = sum(count for key, count in found_by_file.items() if is_use(key))
    print(f"{'precision (occurrences)':34} {percent(true_positive, reported):>22}")
    listed = [row for row in runtime if (row["repo"], row["path"], row["line"]) in found_lines]
    print(f"{'run-time references listed':34} {percent(len(listed), len(runtime)):>22}")
    extra = [key for key in found_by_file if not is_use(key)]
    unjudged = [key for key in extra if key not in not_uses and (key[0], key[2]) not in not_anywhere]
    print(f"\nnot reported where the truth expects them: {len(misses)} (file, id) pairs; "
          f"reported where the truth has no use: {len(extra)} (judged not a use: {len(extra) - len(unjudged)}; "
          f"not yet judged: {len(unjudged)})")
    # The truth's api-model rows are names a provider's API serves that are not Hub repos (NVIDIA's
    # meta/llama3-70b-instruct, Replicate's meta/meta-llama-3-70b-instruct). Listed as Hub models they would be
    # resolved on the Hub and not found; the second count is those licscan also reads as a hosted API there.
    api_ids = {(row["repo"], row["id"]) for row in truth if row["kind"] == "api-model"} | {
        (row["repo"], row["id"]) for row in load_truth() if row["kind"] == "api-model"}
    as_hub = {(repo, occurrence["id"]) for repo, answer in answers.items() for occurrence in answer["occurrences"]
              if (repo, occurrence["id"]) in api_ids and occurrence["kind"] == "model"}
    api_places = {(repo, item["path"], item.get("line"), item.get("cell"), item["text"].lower())
                  for repo, answer in answers.items() for item in answer["occurrences"] if item["kind"] == "hosted-api"}
    beside_api = {(repo, item["id"]) for repo, answer in answers.items() for item in answer["occurrences"]
                  if (repo, item["id"]) in as_hub
                  and (repo, item["path"], item.get("line"), item.get("cell"), item["id"].lower()) in api_places}
    print(f"API-only model names (truth kind api-model: not Hub repos) that licscan lists as Hub models: {len(as_hub)} "
          f"of {len(api_ids)} ({len(beside_api)} of them also read as a hosted API at the same place)")
    for key in sorted(misses)[:show_misses]:
        print("  miss ", *key)
    for key in sorted(extra)[:show_extra]:
        print("  extra", *key, "" if key in unjudged else "(judged not a use)")
    unlisted = [row for row in runtime if row not in listed]
    for row in unlisted[:show_misses]:
        print("  unlisted run-time", row["repo"], row["path"], row["line"], row["id"])


def score_api_names_in_scan(root: Path, truth: list[dict[str, str]], answers: dict[str, dict],
                            show_misses: int = 0) -> None:
    """The truth's api-model ids in what a scan reports, against a stand-in Hub that lacks exactly those."""
    sys.path.insert(0, str(HERE.parent / "tests"))
    from hubstub import HubStub

    api_ids: dict[str, set[str]] = collections.defaultdict(set)
    for row in truth:
        if row["kind"] == "api-model" and row["repo"] in answers:
            api_ids[row["repo"]].add(row["id"].lower())
    with tempfile.TemporaryDirectory(prefix="licscan-apinames-") as folder:
        hub = Path(folder) / "hub"
        for repo in api_ids:
            for item in answers[repo]["occurrences"]:
                if item["kind"] == "model" and item["id"].lower() not in api_ids[repo] and "/" in item["id"]:
                    _stand_in_repo(hub / item["id"], item["id"])
        reports = {}
        with HubStub(hub) as stub:
            for repo in sorted(api_ids):
                out = Path(folder) / f"{repo}.json"
                subprocess.run([str(LICSCAN), "scan", str(root / repo), "--json", str(out), "--quiet", "--no-color"],
                               capture_output=True, text=True,
                               env={**os.environ, "HF_ENDPOINT": stub.url, "HOME": folder,
                                    "LICSCAN_DB_URL": f"sqlite:///{folder}/{repo}.db"})
                reports[repo] = json.loads(out.read_text()) if out.exists() else {"models": []}
    total = missing = hosted = missing_places = 0
    still_missing: list[tuple[str, str, list[str]]] = []
    served_hub = kept_hub = 0
    for repo, names in sorted(api_ids.items()):
        models = {item["id"]: item for item in reports[repo]["models"]}
        lowered = {key.lower(): key for key in models}
        hosted_names = {key.partition("/")[2].lower() for key in models if key.startswith("api:")}
        for name in sorted(names):
            total += 1
            missing += name in lowered
            missing_places += len(models[lowered[name]]["occurrences"]) if name in lowered else 0
            if name in lowered:
                still_missing.append((repo, name, [f"{item['path']}:{item.get('line')}"
                                                   for item in models[lowered[name]]["occurrences"]]))
            hosted += name in hosted_names
        for name in hosted_names - names:  # an API-served name that is a Hub id the stand-in holds
            if (hub_id := next((item["id"] for item in answers[repo]["occurrences"] if item["kind"] == "model"
                                and item["id"].lower() == name), None)) is not None:
                served_hub += 1
                kept_hub += hub_id.lower() in lowered and bool(models[lowered[hub_id.lower()]]["lineage"]["nodes"])
    print(f"API-only model names in a scan (stand-in Hub without them): reported as a Hub model the Hub lacks: "
          f"{missing} of {total} ({missing_places} places); as the provider's hosted model: {hosted} of {total}")
    print(f"API-served names that are Hub ids the stand-in holds, still Hub models with their ancestry in the scan: "
          f"{kept_hub} of {served_hub}")
    for repo, name, places in still_missing[:show_misses]:
        print("  still a missing Hub model", repo, name, *places[:4], "..." if len(places) > 4 else "")


def _stand_in_repo(folder: Path, repo_id: str) -> None:
    """A minimal Hub repo (an Apache-2.0 card, no parents) for the stand-in: the scan needs the id to exist."""
    if (folder / "info.json").exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    sha = hashlib.sha1(repo_id.encode()).hexdigest()
    info = {"id": repo_id, "author": repo_id.split("/")[0], "sha": sha, "gated": False, "private": False,
            "tags": ["license:apache-2.0"], "cardData": {"license": "apache-2.0"},
            "siblings": [{"rfilename": "README.md"}]}
    (folder / "info.json").write_text(json.dumps(info), encoding="utf-8")
    (folder / "README.md").write_text("---\nlicense: apache-2.0\n---\n\n(benchmark stand-in)\n", encoding="utf-8")


def score_api(answers: dict[str, dict]) -> None:
    """Hosted-API and runtime-tag dependencies against realworld_api_truth.tsv (read by hand, see benchmarks/README)."""
    with API_TRUTH.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle, delimiter="\t") if row["repo"] in answers]
    expected = collections.Counter((r["repo"], r["path"], r["id"]) for r in rows if r["status"] == "expected")
    found: collections.Counter = collections.Counter()
    for repo, answer in answers.items():
        for item in answer["occurrences"]:
            if item["kind"] in ("hosted-api", "runtime") or item["source"] == "hosted-api" and item["via"] != "fallback":
                found[(repo, item["path"], item["id"])] += 1
    hit = sum(min(count, found[key]) for key, count in expected.items())
    ids = {(repo, ident) for repo, _, ident in expected}
    seen = {(repo, ident) for repo, _, ident in found}
    right = sum(count for key, count in found.items() if key in expected)
    listed = {(repo, item["path"], (DETAIL_LINE.match(item["detail"]) or [None, None, None])[2])
              for repo, answer in answers.items() for item in answer["skipped"] if item["reason"] == "unresolved-reference"}
    runtime = [r for r in rows if r["status"] == "run-time"]
    print(f"\n{'API/runtime occurrences':34} {percent(hit, sum(expected.values())):>22}")
    print(f"{'API/runtime ids':34} {percent(len(ids & seen), len(ids)):>22}")
    print(f"{'API/runtime precision':34} {percent(right, sum(found.values())):>22}")
    print(f"{'API/runtime run-time listed':34} "
          f"{percent(sum((r['repo'], r['path'], r['line']) in listed for r in runtime), len(runtime)):>22}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show-misses", type=int, default=0)
    parser.add_argument("--show-extra", type=int, default=0)
    parser.add_argument("--repo", action="append", help="score only these repositories (folder names)")
    parser.add_argument("--skip-scan", action="store_true", help="leave out the scan of the API-only names")
    options = parser.parse_args()
    truth = load_truth()
    repos = sorted({row["repo"] for row in truth})
    if options.repo:
        repos = [repo for repo in repos if repo in options.repo]
        truth = [row for row in truth if row["repo"] in options.repo]
    with tempfile.TemporaryDirectory(prefix="licscan-realworld-") as folder:
        with tarfile.open(ARCHIVE) as archive:
            archive.extractall(folder, filter="data")
        answers = run_discovery(Path(folder), repos)
        score(truth, answers, options.show_misses, options.show_extra)
        if not options.skip_scan:
            score_api_names_in_scan(Path(folder), load_truth(), answers, options.show_misses)
    score_api(answers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
