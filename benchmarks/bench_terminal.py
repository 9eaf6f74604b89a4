"""Terminal summary time against the number of models: the example's ten models copied to n = 250, 1,000 and
2,000 (each copy renamed), rendered as the default summary, --verbose and -q; prints wall and CPU seconds,
the lines printed and the CPU growth from one n to the next (4x then 2x is linear), and the load average.
Run: .venv/bin/python benchmarks/bench_terminal.py"""

from __future__ import annotations

import dataclasses
import datetime
import os
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        os.environ["XDG_CACHE_HOME"] = str(Path(folder) / "cache")  # never the user's discovery cache
        project = Path(folder) / "assistant-app"
        shutil.copytree(ROOT / "examples" / "assistant-app", project)
        from licscan.config import load_config
        from licscan.evaluation import load
        from licscan.evaluation.answers import answer
        from licscan.reporting.terminal import render, render_quiet
        from licscan.scan import scan

        config = load_config(project)
        base = scan(config, clock=lambda: datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc), history=False)
        knowledge, _ = load(config.evaluation())
        previous: dict[str, float] = {}
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        for n in (250, 1000, 2000):
            models = []
            for index in range(n // len(base.models)):
                for report in base.models:
                    key = f"{report.key}-{index}"
                    models.append(dataclasses.replace(report, key=key, findings=tuple(
                        dataclasses.replace(finding, model=key) for finding in report.findings)))
            findings = tuple(finding for report in models for finding in report.findings)
            result = dataclasses.replace(base, models=tuple(models), findings=findings,
                                         answers=answer(models, knowledge, knowledge.answers, None))
            for name, call in (("default", lambda: render(result, width=120)),
                               ("verbose", lambda: render(result, width=120, verbose=True)),
                               ("quiet", lambda: render_quiet(result))):
                start, cpu = time.perf_counter(), time.process_time()
                lines = call().count("\n")
                seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
                # CPU time, not wall: on a shared machine the wall clock also counts other people's work.
                growth = f" (CPU {cpu / previous[name]:.1f}x the previous n)" if name in previous and previous[name] else ""
                print(f"{len(models):>5} models, {name:<7} {seconds:7.3f} s, CPU {cpu:6.3f} s, {lines:>6} lines{growth}")
                previous[name] = cpu


if __name__ == "__main__":
    main()
