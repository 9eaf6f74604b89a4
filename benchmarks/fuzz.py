"""Benchmark: the fuzzing channels of tests/fuzz_channels.py with thousands of cases each (issue #16).

Prints, per channel: cases tried, crashes (an exception other than licscan's own errors), hangs (an example
running over 30 s), peak memory of the channel's own process, and false clears (input whose evidence should
fail that passed), then the first few failing inputs. Each channel runs in a fresh process, so its peak memory
is its own. Exits 1 when a channel has a crash, a hang or a false clear, or peaks at 500 MB or more.

Run: .venv/bin/python benchmarks/fuzz.py [--cases N] [--channel NAME ...] [--seed S]
(default 10,000 cases per channel; the scan channels, card-mirror and card-hub, scan 50 generated cards at a
time, each card its own model with its own verdict, and split a scan that goes wrong until they find the card).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import traceback
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
MEMORY_LIMIT_MB = 500
BATCH = 500
SCAN_BATCH = 50  # cards per scan in the scan channels
ALL_CHANNELS = ["card-text", "card-mirror", "card-hub", "license-expression", "gguf-header", "safetensors-header",
                "notebook", "config-file", "project-settings", "reports"]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def run_channel(name: str, cases: int, seed: int) -> dict:
    """Run one channel in this process; never raises for a failing case, counts it.

    The scan channels (card-mirror, card-hub) scan SCAN_BATCH generated cards at a time, each card its own
    model judged on its own (tests/fuzz_channels.CardScanChannel); every other channel checks one example at
    a time.
    """
    sys.path.insert(0, str(TESTS))
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as fixed_seed

    import fuzz_channels
    from fuzz_channels import CHANNELS, SCAN_CHANNELS, FalseClear, Hang, cards, hang_guard

    scanner = SCAN_CHANNELS[name]() if name in SCAN_CHANNELS else None
    strategy = cards() if scanner is not None else CHANNELS[name][0]
    counts = {"channel": name, "cases": 0, "crashes": 0, "hangs": 0, "false_clears": 0, "examples": []}
    pending: list = []

    def count(example, problem: Exception | None) -> None:
        counts["cases"] += 1
        if problem is None:
            return
        if isinstance(problem, Hang):
            counts["hangs"] += 1
            kind = "hang"
        elif isinstance(problem, FalseClear):
            counts["false_clears"] += 1
            kind = "false clear"
        else:  # a crash is what this counts
            counts["crashes"] += 1
            where = traceback.extract_tb(problem.__traceback__)[-1] if problem.__traceback__ else None
            kind = f"crash: {type(problem).__name__}: {str(problem)[:300]}" + (
                f" (at {where.filename}:{where.lineno})" if where else "")
        if len(counts["examples"]) < 3:
            counts["examples"].append(f"{kind} on {example!r}"[:1200])

    def flush() -> None:
        for example, problem in zip(pending, scanner.check_many(pending)):
            count(example, problem)
        pending.clear()

    def one(example):
        if scanner is not None:
            pending.append(example)
            if len(pending) >= SCAN_BATCH:
                flush()
            return
        try:
            with hang_guard(fuzz_channels.HANG_SECONDS):
                CHANNELS[name][1](example)
        except Exception as exc:  # noqa: BLE001 - counted, by kind
            count(example, exc)
        else:
            count(example, None)

    started = time.monotonic()
    try:
        # In batches, each from its own seed: Hypothesis keeps what it has generated in a run, which for 10,000
        # cases would be its memory, not licscan's, in the peak.
        for batch in range(0, cases, BATCH):
            run = fixed_seed(seed * 1_000_003 + batch)(settings(
                max_examples=min(BATCH, cases - batch), deadline=None, database=None, phases=[Phase.generate],
                suppress_health_check=list(HealthCheck))(given(strategy)(one)))
            run()
            if pending:
                flush()
    finally:
        if scanner is not None:
            scanner.close()
    counts["seconds"] = round(time.monotonic() - started, 1)
    counts["peak_mb"] = round(_peak_mb(), 1)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="cases per channel (default 10,000)")
    parser.add_argument("--channel", action="append", choices=ALL_CHANNELS, help="only these channels")
    parser.add_argument("--seed", type=int, default=16, help="the generator's seed (default 16)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_channel(args.worker, args.cases, args.seed)))
        return 0

    rows = []
    for name in args.channel or ALL_CHANNELS:
        done = subprocess.run([sys.executable, __file__, "--worker", name, "--cases", str(args.cases),
                               "--seed", str(args.seed)], capture_output=True, text=True)
        try:
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        except (IndexError, ValueError):
            rows.append({"channel": name, "cases": 0, "crashes": 1, "hangs": 0, "false_clears": 0, "peak_mb": 0,
                         "seconds": 0, "examples": [f"the worker died (exit {done.returncode}): {done.stderr[-800:]}"]})
        row = rows[-1]
        print(f"{row['channel']:<20} cases {row['cases']:>6}  crashes {row['crashes']:>3}  hangs>30s {row['hangs']:>3}  "
              f"peak {row['peak_mb']:>6.1f} MB  false-clears {row['false_clears']:>3}  ({row['seconds']} s)", flush=True)
        for example in row["examples"]:
            print(f"    {example}")
    bad = [row["channel"] for row in rows if row["crashes"] or row["hangs"] or row["false_clears"]
           or row["peak_mb"] >= MEMORY_LIMIT_MB]
    print(f"total: {sum(row['cases'] for row in rows)} cases; "
          + (f"FAILING channels: {', '.join(bad)}" if bad else "0 crashes, 0 hangs, 0 false clears, "
             f"peak under {MEMORY_LIMIT_MB} MB in every channel"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
