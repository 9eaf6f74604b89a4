"""Print Hub traffic and wall time of resolution at scale, and of the pre-commit path; asserts nothing.

A generated project names 200 models whose ancestries share roots (depth up to 5, some merges). The Hub is
the loopback stand-in (tests/hubstub.py) serving a generated mirror-layout directory with 50 ms per request.
Run: .venv/bin/python benchmarks/bench_resolution.py
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

LATENCY = 0.05
LEAVES = 200
# repos per generation, from the foundations (depth 4 below a leaf) up to the leaves the project names
GENERATIONS = [8, 16, 32, 64, LEAVES]
MERGE_SHARE = 0.1
LICENSES = ["apache-2.0", "mit", "llama3.1", "gemma", "cc-by-nc-4.0"]
CHECK_FILES = 50
RUNS = 7


def generate_hub(root: Path) -> tuple[list[str], dict[str, list[str]]]:
    """A mirror-layout directory; returns the leaf ids and every repo's parents."""
    rng = random.Random(4)
    parents: dict[str, list[str]] = {}
    previous: list[str] = []
    for depth, count in enumerate(GENERATIONS):
        current = []
        for index in range(count):
            repo = f"gen{depth}/model-{index:03d}"
            chosen = []
            if previous:
                chosen = [rng.choice(previous)]
                if rng.random() < MERGE_SHARE:
                    chosen.append(rng.choice([p for p in previous if p != chosen[0]]))
            parents[repo] = chosen
            current.append(repo)
            licence = LICENSES[index % len(LICENSES)] if not chosen else rng.choice(LICENSES[:2] + [None])
            folder = root / repo
            folder.mkdir(parents=True)
            card = {"license": licence} if licence else {}
            if chosen:
                card["base_model"] = chosen if len(chosen) > 1 else chosen[0]
            front = "".join(
                f"{key}: {json.dumps(value)}\n" for key, value in card.items())
            (folder / "README.md").write_text(f"---\n{front}---\n# {repo}\n")
            files = ["README.md", "config.json"]
            # Listed, so served: a listed file the Hub does not serve is evidence missing, and a repo missing
            # evidence is never cached (every scan would ask for it again).
            (folder / "config.json").write_text(json.dumps({"model_type": "llama"}))
            if not chosen:
                (folder / "LICENSE").write_text(f"{licence} licence text of {repo}\n")
                files.append("LICENSE")
            sha = f"{abs(hash((repo, 'bench'))) % 16**40:040x}"
            info = {"id": repo, "sha": sha, "author": repo.split("/")[0], "gated": False, "tags": [],
                    "cardData": card, "siblings": [{"rfilename": name} for name in files]}
            (folder / "info.json").write_text(json.dumps(info))
        previous = current
    return previous, parents


def levels(leaves: list[str], parents: dict[str, list[str]]) -> list[int]:
    """Repos first reached at each depth from the leaves (what a walk can fetch in parallel)."""
    seen = set(leaves)
    frontier = list(leaves)
    counts = []
    while frontier:
        counts.append(len(frontier))
        nxt = []
        for repo in frontier:
            for parent in parents[repo]:
                if parent not in seen:
                    seen.add(parent)
                    nxt.append(parent)
        frontier = nxt
    return counts


def _serve(root: str, latency: float, conn) -> None:
    """The stand-in in its own process, so its CPU time is not the client's (commands over a pipe)."""
    from hubstub import HubStub

    with HubStub(root) as stub:
        stub.latency = latency
        conn.send(stub.url)
        while True:
            command = conn.recv()
            if command == "requests":
                conn.send(stub.requests)
            elif command == "clear":
                stub.clear()
                conn.send(True)
            else:
                return


class RemoteStub:
    def __init__(self, root: Path, latency: float) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(str(root), latency, child), daemon=True)
        self._process.start()
        self.url = self._conn.recv()

    @property
    def requests(self) -> list:
        self._conn.send("requests")
        return self._conn.recv()

    def clear(self) -> None:
        self._conn.send("clear")
        self._conn.recv()

    def __enter__(self) -> "RemoteStub":
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.send("stop")
        self._process.join(timeout=10)


def timed(command: list[str], env: dict[str, str], cwd: Path, cpu: list[float] | None = None) -> float:
    """Wall time of one run; its CPU time (user + system, which a loaded machine disturbs less) into cpu."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(child.pid, 0)
    if cpu is not None:
        cpu.append(usage.ru_utime + usage.ru_stime)
    return time.perf_counter() - start


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="licscan-bench-"))
    try:
        run(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path) -> None:
    hub_dir = work / "hub"
    leaves, parents = generate_hub(hub_dir)
    project = work / "project"
    project.mkdir()
    # What a real project has beside its code, and what check reads or honours on every run.
    (project / ".gitignore").write_text(".venv/\n__pycache__/\n*.pyc\nbuild/\n")
    (project / "pyproject.toml").write_text('[project]\nname = "bench-app"\nversion = "0.1"\n\n'
                                            '[tool.licscan]\npolicy = "default"\n')
    (project / "app.py").write_text("from x import M\n" + "".join(f'M.from_pretrained("{leaf}")\n' for leaf in leaves))
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HF_", "LICSCAN_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed licscan has its bytecode; so should this run
    env.update(XDG_CACHE_HOME=str(work / "cache"), HOME=str(work / "home"), HF_HUB_DISABLE_TELEMETRY="1")
    os.environ.clear()
    os.environ.update(env)

    from licscan.config import load_config
    from licscan.model import ModelRef
    from licscan.resolution import resolve
    from licscan.scan import scan_models

    with RemoteStub(hub_dir, LATENCY) as stub:
        os.environ["HF_ENDPOINT"] = stub.url
        config = load_config(project, db_url=f"sqlite:///{work / 'bench.db'}")
        workers = config.workers
        stub.clear()
        roots = [ModelRef(leaf) for leaf in leaves]
        # One-time costs of a first scan, measured apart: the ideal below describes the walk, not start-up.
        start = time.perf_counter()
        import licscan.resolution.hub  # noqa: F401 - huggingface_hub and its HTTP client
        import_seconds = time.perf_counter() - start
        from licscan.resolution import open_store

        start = time.perf_counter()
        open_store(config.db_url).close()  # creates the tables (Alembic); the cache stays empty
        store_seconds = time.perf_counter() - start
        start, cpu_start = time.perf_counter(), time.process_time()
        resolved = resolve(roots, config.resolution())  # the walk alone: what the ideal below describes
        cold, cold_cpu = time.perf_counter() - start, time.process_time() - cpu_start
        requests = stub.requests
        api = Counter(path.split("?")[0] for method, path in requests if path.startswith("/api/models/"))
        file_gets = [path for method, path in requests if "/resolve/" in path and method == "GET"]
        file_heads = [path for method, path in requests if "/resolve/" in path and method == "HEAD"]
        unique = {node.repo_id for lineage in resolved.lineages.values() for node in lineage.nodes}
        per_level = levels(leaves, parents)
        ideal = sum(math.ceil(count / workers) for count in per_level) * LATENCY
        stub.clear()
        start = time.perf_counter()
        resolve(roots, config.resolution())
        warm = time.perf_counter() - start
        start = time.perf_counter()
        scan_models(config, leaves)  # resolution (warm), evaluation and the report of the 200 models
        whole = time.perf_counter() - start
        warm_requests = len(stub.requests)

    print(f"project: {LEAVES} models, {len(unique)} unique repos, levels {per_level}, "
          f"{LATENCY * 1000:.0f} ms per request, pool {workers}")
    print(f"{'measure':52} {'value':>10}   target")
    print(f"{'API calls (api bucket)':52} {sum(api.values()):>10}   <= unique repos ({len(unique)})")
    print(f"{'repos fetched twice':52} {sum(1 for n in api.values() if n > 1):>10}   0")
    print(f"{'file downloads (resolver bucket: GET / HEAD)':52} {f'{len(file_gets)} / {len(file_heads)}':>10}")
    print(f"{'requests, second scan within the freshness window':52} {warm_requests:>10}   0")
    print(f"{'one-time: import huggingface_hub (s)':52} {import_seconds:>10.2f}")
    print(f"{'one-time: create the metadata store (s)':52} {store_seconds:>10.2f}")
    print(f"{'cold walk wall time, empty cache (s)':52} {cold:>10.2f}")
    print(f"{'  of which CPU time of the client process (s)':52} {cold_cpu:>10.2f}")
    print(f"{'cold walk + one-time costs (s)':52} {cold + import_seconds + store_seconds:>10.2f}")
    print(f"{'ideal: sum over levels of ceil(repos / pool) x latency':52} {ideal:>10.2f}")
    print(f"{'cold / ideal':52} {cold / ideal:>10.2f}   <= 1.5")
    print(f"{'warm walk wall time (s)':52} {warm:>10.2f}")
    print(f"{'warm scan of the 200 models, with evaluation (s)':52} {whole:>10.2f}")

    # The pre-commit path: `licscan check` on 50 changed files, with a lockfile, next to `python -c pass`.
    for index, leaf in enumerate(leaves[:CHECK_FILES]):
        (project / f"mod_{index:02d}.py").write_text(f'from x import M\nM.from_pretrained("{leaf}")\n')
    locked = subprocess.run([str(Path(sys.executable).parent / "licscan"), "lock", str(project), "--mirror",
                             str(hub_dir)], env=env, stdout=subprocess.DEVNULL)
    if locked.returncode not in (0, 1):  # lock exits by the verdict it writes: 1 is a FAIL, written all the same
        raise SystemExit(f"licscan lock failed (exit {locked.returncode})")
    licscan = str(Path(sys.executable).parent / "licscan")
    changed = [f"mod_{index:02d}.py" for index in range(CHECK_FILES)]
    check_cmd = [licscan, "check", "--quiet", *changed]
    shown = subprocess.run(check_cmd, env=env, cwd=project, capture_output=True, text=True)  # warms the pyc too
    print(f"licscan check said (exit {shown.returncode}): {shown.stdout.strip().splitlines()[-1]}")
    checks, passes, shims, check_cpu, pass_cpu = [], [], [], [], []
    for _ in range(RUNS):
        checks.append(timed(check_cmd, env, project, check_cpu))
        passes.append(timed([sys.executable, "-c", "pass"], env, project, pass_cpu))
        shims.append(timed(["python3", "-c", "pass"], env, project))
    check, baseline, shim = statistics.median(checks), statistics.median(passes), statistics.median(shims)
    print(f"{'licscan check, 50 changed files, lockfile (s, median)':52} {check:>10.3f}")
    print(f"{'python -c pass, this interpreter (s, median)':52} {baseline:>10.3f}")
    print(f"{'python3 -c pass, python3 on PATH (s, median)':52} {shim:>10.3f}")
    print(f"{'check / python -c pass':52} {check / baseline:>10.1f}   <= 8")
    print(f"{'check / python3 -c pass (PATH)':52} {check / shim:>10.1f}   <= 8")
    cpu_check, cpu_pass = statistics.median(check_cpu), statistics.median(pass_cpu)
    print(f"{'CPU time: check / python -c pass (s, median)':52} {f'{cpu_check:.3f} / {cpu_pass:.3f}':>10}   "
          f"= {cpu_check / cpu_pass:.1f}x (load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
