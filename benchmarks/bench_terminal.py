"""Terminal summary time against the number of models: the example's ten models copied to n = 250, 1,000 and
4,000 (each copy renamed), rendered as the default summary, --verbose and -q; prints seconds and the growth
from one n to the next (about 4x is linear). Run: .venv/bin/python benchmarks/bench_terminal.py"""

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
        for n in (250, 1000, 4000):
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
                start = time.perf_counter()
                call()
                seconds = time.perf_counter() - start
                growth = f" ({seconds / previous[name]:.1f}x the previous n)" if name in previous else ""
                print(f"{len(models):>5} models, {name:<7} {seconds:7.3f} s{growth}")
                previous[name] = seconds


if __name__ == "__main__":
    main()
