"""Benchmark: seconds to write each SBOM (and SARIF, JUnit) for 100, 1,000 and 5,000 models, and the library
validators' seconds with --validate (what `licscan scan --validate` adds; cyclonedx-python-lib's strict validator takes
minutes from a few hundred models on: keep --sizes small with it).

Scan results are built in memory (tests/synthetic.py: each model a fine-tune of a quantization of one of four
shared foundations, every tenth with an unresolved base), so the figures are the writers' alone. Prints the
figures; asserts nothing. Run: .venv/bin/python benchmarks/bench_sbom.py [--sizes 100 1000 5000] [--validate]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from synthetic import synthetic_result  # noqa: E402

from licscan.reporting import get_format, validate_document  # noqa: E402
from licscan.config import data_dir  # noqa: E402


def best_of(runs: int, action) -> tuple[float, object]:
    best, value = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        value = action()
        best = min(best, time.perf_counter() - start)
    return best, value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--validate", action="store_true", help="also time the library validators")
    args = parser.parse_args()
    formats = ("cyclonedx", "spdx", "sarif", "junit")
    print(f"{'models':>7} " + " ".join(f"{name + ' s':>12}" for name in formats)
          + ("   validate: cyclonedx s   spdx s" if args.validate else ""))
    for size in args.sizes:
        result = synthetic_result(size)
        cells, bodies = [], {}
        for name in formats:
            writer = get_format(name, data_dir("reports"))
            seconds, bodies[name] = best_of(args.runs, lambda: writer.render(result))
            cells.append(f"{seconds:12.3f}")
        line = f"{size:>7} " + " ".join(cells)
        if args.validate:
            for name in ("cyclonedx", "spdx"):
                seconds, problems = best_of(1, lambda: validate_document(name, bodies[name]))
                line += f" {seconds:18.3f}" + ("" if not problems else " (invalid!)")
        print(line, flush=True)


if __name__ == "__main__":
    main()
