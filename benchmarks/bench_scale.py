"""Print how a scan scales with the models a project names (issue #17's measures); asserts nothing.

For each size (10, 200, 2,000 models; 10,000 with --huge) a seeded synthetic Hub (tests/synthetic_hub.py: shared
foundations, six generations, about 6% merges, datasets, a few leaves named by a renamed id) is served by the
loopback stand-in (its own process) with 50 ms per request. Printed per size, one table:
  cold and warm whole-process `licscan scan --quiet --json FILE` (wall, CPU, peak memory, requests by kind),
  the warm re-scan again with --quiet alone and with the default summary (no report file), the walk
  alone in-process against its ideal (sum over levels of ceil(repos / pool) x latency) with its CPU time,
  the store's statements per scan, the CPU time of each report format (the writer alone, in-process) and the
  same format as a whole warm `licscan scan --quiet --FORMAT FILE` process next to one writing no report, and
  the history's bytes per scan.
With --team URL (a PostgreSQL database of your own): 8 CI runners at once, each a `licscan scan` process
of a 500-model project against that one database, next to one runner alone on an empty database: Hub
requests (what the shared cache saves) and the database's load (transactions and rows per scan).
With --cold-only: only the cold walk in-process (and a cold whole-process scan, unless --no-scan-process), --runs
times per size on an empty database each, one line per run and the medians: old and new code compared quickly.
Run: .venv/bin/python benchmarks/bench_scale.py [--sizes 10,200,2000] [--huge] [--history-scans 50]
     .venv/bin/python benchmarks/bench_scale.py --cold-only --sizes 200,2000 --runs 3 [--no-scan-process]
     .venv/bin/python benchmarks/bench_scale.py --team postgresql://licscan:licscan@127.0.0.1:5432/licscan_scale
"""

from __future__ import annotations

import argparse
import compileall
import gc
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_resolution import RemoteStub  # noqa: E402 - the stand-in in its own process
from synthetic_hub import generate, write_hub  # noqa: E402

LATENCY = 0.05
FORMATS = ["text", "json", "html", "markdown", "sarif", "junit", "cyclonedx", "spdx"]


def run_process(command: list[str], env: dict[str, str], cwd: Path) -> dict[str, float]:
    """Wall time, CPU time (user + system) and peak memory of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    error = child.stderr.read().decode(errors="replace").strip() if child.stderr else ""
    if child.returncode not in (0, 1, 3):
        print(f"  ! {' '.join(command[-3:])} exited {child.returncode}: {error[-300:]}", file=sys.stderr)
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024,
            "exit": child.returncode}


def kinds(requests: list[tuple[str, str]]) -> Counter:
    out: Counter = Counter()
    for method, path in requests:
        if path.startswith("/api/models/"):
            out["api models"] += 1
        elif path.startswith("/api/datasets/"):
            out["api datasets"] += 1
        elif method == "HEAD":
            out["file HEAD"] += 1
        else:
            out["file GET"] += 1
    return out


def measure(size: int, work: Path, history_scans: int, format_processes: bool = True) -> dict[str, object]:
    hub = generate(size)
    hub_dir = work / f"hub-{size}"
    write_hub(hub, hub_dir)
    project = work / f"project-{size}"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "bench"\nversion = "0.1"\n')
    (project / "app.py").write_text("from x import M\n" + "".join(f'M.from_pretrained("{leaf}")\n' for leaf in hub.leaves))
    database = work / f"scan-{size}.db"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HF_", "LICSCAN_"))}
    env.update(XDG_CACHE_HOME=str(work / "cache"), HOME=str(work / "home"), HF_HUB_DISABLE_TELEMETRY="1",
               LICSCAN_DB_URL=f"sqlite:///{database}")
    licscan = str(Path(sys.executable).parent / "licscan")
    out: dict[str, object] = {"models": size, "repos": len(hub.repos), "levels": hub.levels()}
    with RemoteStub(hub_dir, LATENCY) as stub:
        env["HF_ENDPOINT"] = stub.url
        command = [licscan, "scan", str(project), "--quiet", "--json", str(work / f"report-{size}.json")]
        stub.clear()
        out["cold"] = run_process(command, env, project)
        out["cold_requests"] = kinds(stub.requests)
        stub.clear()
        out["warm"] = run_process(command, env, project)
        out["warm_requests"] = kinds(stub.requests)
        # The same warm re-scan without the JSON report: --quiet, and the default summary a person reads.
        out["warm_quiet"] = run_process(command[:4], env, project)
        out["warm_summary"] = run_process(command[:3], env, project)
        out["warm_other_requests"] = len(stub.requests) - sum(out["warm_requests"].values())
        # Each report format as a user pays for it: a warm `licscan scan --quiet --FORMAT FILE` process, next to
        # the same scan writing no report (warm_quiet; the writer alone is timed in-process below).
        out["format_processes"] = {
            name: run_process(command[:4] + [f"--{name}", str(work / f"report-{size}.{name}")], env, project)
            for name in FORMATS if name != "text" and format_processes}

        # The walk alone, in this process, against an empty cache: what the ideal describes.
        out.update(walk(hub, project, work / f"walk-{size}.db", env, stub))
        from licscan.config import data_dir, load_config

        # Each report format on the warm scan's result; then the history, scan after unchanged scan.
        from licscan.reporting import get_format
        from licscan.scan import open_database, record_history, scan


        result = scan(load_config(project), history=False)
        times = {}
        for name in FORMATS:  # CPU time: on a shared machine the wall clock also counts other people's work
            start = time.process_time()
            get_format(name, data_dir("reports")).render(result)
            times[name] = time.process_time() - start
        out["formats"] = times
        store = open_database(load_config(project))
        start = time.perf_counter()
        for _ in range(history_scans - 2):  # the two scans above are already in it
            record_history(store, load_config(project), result)
        out["record"] = (time.perf_counter() - start) / max(1, history_scans - 2)
        stats = store.stats()
        store.close()
        out["history"] = {"scans": stats["tables"]["scans"], "bytes": stats["history_bytes"],
                          "per_scan": stats["bytes_per_scan"], "last": stats["last_scan_bytes"],
                          "file": database.stat().st_size}
    return out


def walk(hub: object, project: Path, database: Path, env: dict[str, str], stub: RemoteStub, *,
         warm: bool = True) -> dict[str, object]:
    """The cold walk in this process against an empty database (then, with warm, the warm walk after it): wall
    and CPU time (every thread of this process; the stand-in runs in its own), store statements, the ideal."""
    os.environ.clear()
    os.environ.update(env)
    from sqlalchemy import event

    from licscan.config import load_config
    from licscan.model import ModelRef
    from licscan.resolution import open_store, resolve
    import licscan.resolution.hub  # noqa: F401 - import costs are not the walk's

    config = load_config(project, db_url=f"sqlite:///{database}")
    store = open_store(config.db_url)
    statements: list[str] = []
    event.listen(store._engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    roots = [ModelRef(leaf) for leaf in hub.leaves]  # type: ignore[attr-defined]
    out: dict[str, object] = {}
    stub.clear()
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    resolve(roots, config.resolution(), store=store)
    out["walk"] = time.perf_counter() - start
    out["walk_cpu"] = time.process_time() - cpu
    out["walk_statements"] = len(statements)
    out["walk_requests"] = len(stub.requests)
    if warm:
        statements.clear()
        start = time.perf_counter()
        resolve(roots, config.resolution(), store=store)
        out["warm_walk"] = time.perf_counter() - start
        out["warm_walk_statements"] = len(statements)
    store.close()
    out["ideal"] = sum(math.ceil(count / config.workers) for count in hub.levels()) * LATENCY  # type: ignore[attr-defined]
    out["pool"] = config.workers
    return out


def cold_only(size: int, work: Path, runs: int, scan_process: bool) -> None:
    """The cold walk alone, runs times on a fresh database each (and, with scan_process, a cold whole-process
    `licscan scan --quiet --json FILE` before each): one line per run, then the medians."""
    hub = generate(size)
    hub_dir = work / f"hub-{size}"
    write_hub(hub, hub_dir)
    project = work / f"project-{size}"
    project.mkdir()
    (project / "app.py").write_text("from x import M\n" + "".join(f'M.from_pretrained("{leaf}")\n' for leaf in hub.leaves))
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HF_", "LICSCAN_"))}
    env.update(XDG_CACHE_HOME=str(work / "cache"), HOME=str(work / "home"), HF_HUB_DISABLE_TELEMETRY="1")
    licscan = str(Path(sys.executable).parent / "licscan")
    rows = []
    with RemoteStub(hub_dir, LATENCY) as stub:
        env["HF_ENDPOINT"] = stub.url
        for run in range(runs):
            row: dict[str, object] = {"load": os.getloadavg()[0]}
            if scan_process:
                database = work / f"scan-{size}-{run}.db"
                scan_env = dict(env, LICSCAN_DB_URL=f"sqlite:///{database}")
                command = [licscan, "scan", str(project), "--quiet", "--json", str(work / f"report-{size}.json")]
                row["cold"] = run_process(command, scan_env, project)
                database.unlink()
            row.update(walk(hub, project, work / f"walk-{size}-{run}.db", env, stub, warm=False))
            (work / f"walk-{size}-{run}.db").unlink()
            rows.append(row)
            cold = (f"cold scan {row['cold']['wall']:.2f} s / {row['cold']['cpu']:.2f} CPU-s / "
                    f"{row['cold']['peak_mib']:.0f} MiB; " if scan_process else "")
            print(f"{size:,} models, run {run + 1} (load {row['load']:.1f}): {cold}walk {row['walk']:.2f} s, "
                  f"ideal {row['ideal']:.2f} s, ratio {row['walk'] / row['ideal']:.3f}, CPU {row['walk_cpu']:.2f} s, "
                  f"CPU / wall {row['walk_cpu'] / row['walk']:.3f}, requests {row['walk_requests']:,}, "
                  f"statements {row['walk_statements']}", flush=True)

    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2] if len(values) % 2 else sum(sorted(values)[len(values) // 2 - 1:
                                                                                       len(values) // 2 + 1]) / 2

    walks = [row["walk"] for row in rows]
    cpus = [row["walk_cpu"] for row in rows]
    line = (f"{size:,} models, median of {runs}: walk {median(walks):.2f} s = {median(walks) / rows[0]['ideal']:.3f}x "
            f"its ideal, CPU {median(cpus):.2f} s, CPU / wall {median([c / w for c, w in zip(cpus, walks)]):.3f}")
    if scan_process:
        line += (f"; cold scan {median([row['cold']['wall'] for row in rows]):.2f} s, "
                 f"{median([row['cold']['cpu'] for row in rows]):.2f} CPU-s, "
                 f"{median([row['cold']['peak_mib'] for row in rows]):.0f} MiB peak")
    print(line, flush=True)


def table(rows: list[dict[str, object]]) -> None:
    def line(label: str, cells: list[str]) -> None:
        print(f"| {label} | " + " | ".join(cells) + " |")

    print("| measure | " + " | ".join(f"{row['models']:,} models" for row in rows) + " |")
    print("|---|" + "---|" * len(rows))
    line("unique repos / levels", [f"{row['repos']:,} / {len(row['levels'])}" for row in rows])
    line("cold scan, whole process (s)", [f"{row['cold']['wall']:.2f}" for row in rows])
    line("  its CPU time (s)", [f"{row['cold']['cpu']:.2f}" for row in rows])
    line("  its peak memory (MiB)", [f"{row['cold']['peak_mib']:.0f}" for row in rows])
    line("  requests: API models / datasets / file GET / HEAD", [
        "{} / {} / {} / {}".format(*(row["cold_requests"].get(k, 0) for k in
                                     ("api models", "api datasets", "file GET", "file HEAD"))) for row in rows])
    line("walk alone, cold (s)", [f"{row['walk']:.2f}" for row in rows])
    line("  ideal: sum over levels of ceil(repos / pool) x 50 ms (s)", [f"{row['ideal']:.2f}" for row in rows])
    line("  walk / ideal (target <= 1.2)", [f"{row['walk'] / row['ideal']:.2f}" for row in rows])
    line("  walk CPU / wall (target <= 0.33)", [f"{row['walk_cpu'] / row['walk']:.2f}" for row in rows])
    line("  store statements, cold walk", [f"{row['walk_statements']}" for row in rows])
    line("warm re-scan, whole process (s, target <= 3 at 2,000)", [f"{row['warm']['wall']:.2f}" for row in rows])
    line("  its CPU time (s) / peak memory (MiB)", [f"{row['warm']['cpu']:.2f} / {row['warm']['peak_mib']:.0f}"
                                                   for row in rows])
    line("  requests (target 0)", [f"{sum(row['warm_requests'].values())}" for row in rows])
    line("warm re-scan --quiet, no report file: wall / CPU (s)", [
        f"{row['warm_quiet']['wall']:.2f} / {row['warm_quiet']['cpu']:.2f}" for row in rows])
    line("warm re-scan, default summary, no report file: wall / CPU (s)", [
        f"{row['warm_summary']['wall']:.2f} / {row['warm_summary']['cpu']:.2f}" for row in rows])
    line("  their requests (target 0)", [f"{row['warm_other_requests']}" for row in rows])
    line("warm walk alone (s) / store statements", [f"{row['warm_walk']:.2f} / {row['warm_walk_statements']}"
                                                   for row in rows])
    for name in FORMATS:
        line(f"report: {name}, the writer alone in-process (CPU s)", [f"{row['formats'][name]:.2f}" for row in rows])
    for name in FORMATS:
        if all(name in row["format_processes"] for row in rows):
            line(f"  --{name}: warm `scan --quiet --{name}`, whole process: wall / CPU (s), peak (MiB)", [
                f"{row['format_processes'][name]['wall']:.2f} / {row['format_processes'][name]['cpu']:.2f}, "
                f"{row['format_processes'][name]['peak_mib']:.0f}" for row in rows])
    line("history: scans kept / bytes per scan (KiB)", [
        f"{row['history']['scans']} / {row['history']['per_scan'] / 1024:.0f}" for row in rows])
    line("  a re-scan adds (KiB) / records in (s)", [
        f"{(row['history']['last'] or 0) / 1024:.1f} / {row['record']:.2f}" for row in rows])
    line("  database file (MiB)", [f"{row['history']['file'] / 1_048_576:.1f}" for row in rows])


def _database_load(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_stat_force_next_flush()"))
            conn.execute(text("SELECT pg_stat_clear_snapshot()"))
            row = conn.execute(text(
                "SELECT xact_commit + xact_rollback, tup_returned + tup_fetched, tup_inserted + tup_updated + "
                "tup_deleted FROM pg_stat_database WHERE datname = current_database()")).one()
        return {"transactions": int(row[0]), "rows read": int(row[1]), "rows written": int(row[2])}
    finally:
        engine.dispose()


def _reset(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        for table in ("kept_evaluations", "scan_blobs", "scans", "repo_misses", "repo_heads", "repo_aliases", "metadata_snapshots",
                      "alembic_version", "licscan_schema"):
            conn.execute(text(f"DROP TABLE IF EXISTS {table} CASCADE"))
    engine.dispose()


def team(url: str, runners: int, models: int) -> None:
    """Runners scanning one project at once against one PostgreSQL; one runner alone for comparison."""
    work = Path(tempfile.mkdtemp(prefix="licscan-team-"))
    try:
        hub = generate(models)
        write_hub(hub, work / "hub")
        project = work / "project"
        project.mkdir()
        (project / "app.py").write_text("from x import M\n" + "".join(f'M.from_pretrained("{leaf}")\n'
                                                                      for leaf in hub.leaves))
        env = {key: value for key, value in os.environ.items() if not key.startswith(("HF_", "LICSCAN_"))}
        env.update(XDG_CACHE_HOME=str(work / "cache"), HOME=str(work / "home"), HF_HUB_DISABLE_TELEMETRY="1",
                   LICSCAN_DB_URL=url)
        licscan = str(Path(sys.executable).parent / "licscan")
        command = [licscan, "scan", str(project), "--quiet"]
        rows = []
        with RemoteStub(work / "hub", LATENCY) as stub:
            env["HF_ENDPOINT"] = stub.url
            for label, count in (("1 runner, empty database", 1), (f"{runners} runners at once, empty database",
                                                                    runners),
                                 (f"{runners} runners at once, warm database", runners)):
                if "empty" in label:
                    _reset(url)
                stub.clear()
                before = _database_load(url)
                start = time.perf_counter()
                children = [subprocess.Popen(command, env=env, cwd=project, stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL) for _ in range(count)]
                codes = [child.wait() for child in children]
                wall = time.perf_counter() - start
                time.sleep(1.0)
                after = _database_load(url)
                load = {key: (after[key] - before[key]) / count for key in after}
                rows.append((label, count, wall, len(stub.requests), load, codes))
        solo = rows[0][3]
        print(f"{models}-model project ({len(hub.repos):,} repos), {LATENCY * 1000:.0f} ms per Hub request; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print("| runs | wall (s) | Hub requests | saved vs each alone | transactions / scan | rows read / scan | "
              "rows written / scan | exit codes |")
        print("|---|---|---|---|---|---|---|---|")
        for label, count, wall, requests, load, codes in rows:
            saved = 1 - requests / (solo * count) if solo else 0.0
            print(f"| {label} | {wall:.1f} | {requests:,} | {saved:.0%} | {load['transactions']:.0f} | "
                  f"{load['rows read']:,.0f} | {load['rows written']:,.0f} | {sorted(set(codes))} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,200,2000")
    parser.add_argument("--huge", action="store_true", help="also 10,000 models")
    parser.add_argument("--history-scans", type=int, default=10, help="scans kept in the history of each size")
    parser.add_argument("--no-format-processes", action="store_true",
                        help="skip the whole-process scan per report format (seven warm scans per size)")
    parser.add_argument("--team", metavar="URL", help="a PostgreSQL URL of your own: measure runners sharing it")
    parser.add_argument("--runners", type=int, default=8)
    parser.add_argument("--team-models", type=int, default=500)
    parser.add_argument("--cold-only", action="store_true",
                        help="only the cold walk in-process (and, unless --no-scan-process, a cold whole-process "
                             "scan), --runs times per size, each on an empty database; medians printed")
    parser.add_argument("--runs", type=int, default=3, help="with --cold-only: runs per size")
    parser.add_argument("--no-scan-process", action="store_true", help="with --cold-only: the walk alone")
    args = parser.parse_args()
    if args.team:
        team(args.team, args.runners, args.team_models)
        return
    sizes = [int(item) for item in args.sizes.split(",") if item] + ([10_000] if args.huge else [])
    gc.set_threshold(50_000, 50, 100)  # as the licscan command runs (licscan/entry.py), for the in-process parts
    # An installed licscan has its modules' bytecode (pip compiles it); without it (PYTHONDONTWRITEBYTECODE in
    # this environment) every process compiles about a hundred modules first, which is not the scan's cost.
    compileall.compile_dir(ROOT / "licscan", quiet=1)
    load = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="licscan-scale-"))
    if args.cold_only:
        try:
            for size in sizes:
                cold_only(size, work, max(1, args.runs), not args.no_scan_process)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(f"latency {LATENCY * 1000:.0f} ms per request; load average before {load[0]:.1f}, "
              f"after {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        return
    try:
        rows = [measure(size, work, max(2, args.history_scans), not args.no_format_processes) for size in sizes]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"latency {LATENCY * 1000:.0f} ms per request, pool {rows[0]['pool']}; "
          f"load average before {load[0]:.1f}, after {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    table(rows)


if __name__ == "__main__":
    main()
