"""The warm re-scan of bench_scale.py's 2,000-model project with two licscan checkouts side by side.

One cold scan (with this checkout) fills a cache; each checkout then gets its own copy of it and re-scans
warm, the two interleaved round after round so both see the same machine state. Printed: the median and the
lowest whole-process CPU time (user + system) and wall time of each, the Hub requests (0 when everything is
fresh), and the load average. A checkout's first warm scan evaluates again (kept evaluations are keyed by
licscan's own code) and is not counted. Prints numbers; asserts nothing.

Run: .venv/bin/python benchmarks/warm_sidebyside.py OLD_CHECKOUT [--rounds 5] [--models 2000] [-- SCAN OPTIONS]
(OLD_CHECKOUT: a folder holding licscan/, rules/ and reports/ of another commit, e.g.
`git archive COMMIT | tar -x -C /tmp/old`; scan options default to `--quiet`, and REPORT in them stands for a
file in the checkout's own state folder, e.g. `-- --quiet --json REPORT`.)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_resolution import RemoteStub  # noqa: E402 - the stand-in in its own process
from synthetic_hub import generate, write_hub  # noqa: E402

LATENCY = 0.05
# A checkout's code on the path first, however this venv installed licscan.
ENTRY = "import sys; from licscan.entry import main; sys.argv[0] = 'licscan'; main()"


def environment(state: Path, checkout: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HF_", "LICSCAN_", "PYTHON"))}
    env.update(XDG_CACHE_HOME=str(state / "cache"), HOME=str(state / "home"), HF_HUB_DISABLE_TELEMETRY="1",
               LICSCAN_DB_URL=f"sqlite:///{state / 'scan.db'}", PYTHONPATH=str(checkout))
    return env


def run(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one whole process."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(child.pid, 0)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path, help="a folder holding another commit's licscan/, rules/, reports/")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--models", type=int, default=2000)
    own, scan_options = sys.argv[1:], []
    if "--" in own:  # the scan's options, REPORT standing for a report file
        own, scan_options = own[:own.index("--")], own[own.index("--") + 1:]
    args = parser.parse_args(own)
    args.options = scan_options
    checkouts = {"old": args.old.resolve(), "new": ROOT}
    with tempfile.TemporaryDirectory(prefix="licscan-warm-") as folder:
        work = Path(folder)
        hub = generate(args.models)
        write_hub(hub, work / "hub")
        project = work / "project"
        project.mkdir()
        (project / "pyproject.toml").write_text('[project]\nname = "bench"\nversion = "0.1"\n')
        (project / "app.py").write_text("from x import M\n" + "".join(f'M.from_pretrained("{leaf}")\n'
                                                                       for leaf in hub.leaves))
        with RemoteStub(work / "hub", LATENCY) as stub:
            cold = work / "cold"
            cold.mkdir()
            env = environment(cold, ROOT)
            env["HF_ENDPOINT"] = stub.url
            run([sys.executable, "-c", ENTRY, "scan", str(project), "--quiet"], env, project)
            states = {}
            for name, checkout in checkouts.items():
                state = work / name
                shutil.copytree(cold, state)
                env = environment(state, checkout)
                env["HF_ENDPOINT"] = stub.url
                options = [item.replace("REPORT", str(state / "report")) for item in args.options or ["--quiet"]]
                states[name] = ([sys.executable, "-c", ENTRY, "scan", str(project), *options], env)
                run(*states[name], project)  # evaluates again under this checkout's code: not counted
            times: dict[str, list[tuple[float, float, int]]] = {name: [] for name in checkouts}
            for _ in range(args.rounds):
                for name, (command, env) in states.items():
                    stub.clear()
                    wall, cpu = run(command, env, project)
                    times[name].append((wall, cpu, len(stub.requests)))
    print(f"warm re-scan of {args.models} models, {args.rounds} interleaved rounds, options "
          f"{' '.join(args.options or ['--quiet'])}; load average {os.getloadavg()[0]:.1f}")
    for name, rows in times.items():
        walls, cpus = [row[0] for row in rows], [row[1] for row in rows]
        print(f"  {name} ({checkouts[name]}): CPU median {statistics.median(cpus):.2f} s, lowest {min(cpus):.2f}; "
              f"wall median {statistics.median(walls):.2f} s; requests {[row[2] for row in rows]}")


if __name__ == "__main__":
    main()
