"""Benchmark: wall time and peak memory of `licscan scan` on the example project (offline mirror).

Prints the figures; asserts nothing. Run: .venv/bin/python benchmarks/bench_scan.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "assistant-app"
LICSCAN = Path(sys.executable).parent / "licscan"


def timed(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds of one run, and the peak resident memory (KiB) of the child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    completed = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if completed.returncode not in (0, 1, 3):
        sys.exit(f"{command} failed ({completed.returncode}): {completed.stderr}")
    return elapsed, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "XDG_CACHE_HOME": cache, "NO_COLOR": "1"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed licscan has its bytecode; so should this run
        baseline = [timed([sys.executable, "-c", "pass"], env)[0] for _ in range(args.runs)]
        help_runs = [timed([str(LICSCAN), "--help"], env)[0] for _ in range(args.runs)]
        scans, peak = [], 0
        for _ in range(args.runs):
            seconds, rss = timed([str(LICSCAN), "scan", str(EXAMPLE), "--quiet"], env)
            scans.append(seconds)
            peak = max(peak, rss)
    print(f"python -c pass                      median {statistics.median(baseline):.3f} s")
    print(f"licscan --help                      median {statistics.median(help_runs):.3f} s")
    print(f"licscan scan examples/assistant-app median {statistics.median(scans):.3f} s "
          f"(min {min(scans):.3f}, max {max(scans):.3f}, {args.runs} runs)")
    print(f"peak resident memory of a scan      {peak / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
