"""Cold discovery of two licscan commands side by side, and whether a change kept discovery's output.

Runs `licscan discover --no-cache --json TREE` with each command in turn (interleaved, so both see the same
machine state), and prints the median CPU time (user + system, with the helper process) of each over the runs,
and their ratio. With --save DIR it also keeps the first command's JSON output per tree; with --same-as DIR it
checks the first command's output against what an earlier --save kept, byte for byte (a speed change must not
change what discovery finds). Prints numbers; asserts nothing; never writes into the project.

With --instructions it prints, instead of times, the instructions each command executes once per tree (all its
processes) under valgrind's cachegrind: a count other work on the machine does not move (CPU seconds under a
load of 6 wander by 10-20%). It is a proxy, not a time (a cache miss or a system call counts as little as an add),
and it moves by about 1% from run to run: the needle engine leaves re after a few milliseconds, which valgrind
stretches. Slow (about 60x): a run of the six sdists takes two minutes.

Run: .venv/bin/python benchmarks/discovery_sidebyside.py --baseline WRAPPER TREE [TREE ...] [--runs 5]
(WRAPPER: an executable running an older checkout, e.g. a shell script with
`PYTHONPATH=/tmp/old exec .venv/bin/python -P -c "from licscan.entry import main; main()" "$@"`;
TREE: bench_discovery.py's benchmarks/.corpus/src, or the unpacked real-world corpus's repositories.)
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

LICSCAN = Path(sys.executable).parent / "licscan"


def cold_run(command: str, tree: Path) -> tuple[float, bytes]:
    """CPU seconds of one whole `discover --no-cache --json` process (with its helpers), and its output."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HOME": home, "XDG_CACHE_HOME": home, "NO_COLOR": "1"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode as an installed package has it
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        completed = subprocess.run([command, "discover", "--no-cache", "--json", str(tree)], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode not in (0, 1):
        sys.exit(f"{command} on {tree} failed ({completed.returncode}): {completed.stderr.decode()[-2000:]}")
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, completed.stdout


def instructions(command: str, tree: Path) -> int:
    """Instructions of one whole `discover --no-cache --json` (its helper processes too), counted by cachegrind."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HOME": home, "XDG_CACHE_HOME": home, "NO_COLOR": "1"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        completed = subprocess.run(
            ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--trace-children=yes",
             f"--cachegrind-out-file={home}/cachegrind.%p", command, "discover", "--no-cache", "--json", str(tree)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    counts = [int(line.split()[-1].replace(",", "")) for line in completed.stderr.splitlines() if "I   refs:" in line]
    if completed.returncode not in (0, 1) or not counts:
        sys.exit(f"valgrind {command} on {tree} failed ({completed.returncode}): {completed.stderr[-2000:]}")
    return sum(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--licscan", default=str(LICSCAN), help="the command measured (default: this checkout's)")
    parser.add_argument("--baseline", default=None, help="the command it is compared with")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--save", type=Path, default=None, help="keep the measured command's outputs here")
    parser.add_argument("--same-as", type=Path, default=None, help="compare its outputs with an earlier --save")
    parser.add_argument("--instructions", action="store_true", help="count instructions under valgrind instead")
    args = parser.parse_args()
    commands = [args.licscan] + ([args.baseline] if args.baseline else [])
    if args.instructions:
        totals = [0] * len(commands)
        for tree in args.trees:
            counts = [instructions(command, tree) for command in commands]
            totals = [total + count for total, count in zip(totals, counts)]
            line = f"{tree.resolve().name:40s} " + "  ".join(f"{count / 1e6:,.0f} M" for count in counts)
            print(line + (f"  ratio {counts[0] / counts[1]:.3f}" if len(counts) == 2 else ""), flush=True)
        if len(args.trees) > 1:
            print(f"{'sum':40s} " + "  ".join(f"{total / 1e6:,.0f} M" for total in totals)
                  + (f"  ratio {totals[0] / totals[1]:.3f}" if len(totals) == 2 else ""))
        return
    print(f"load average {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    totals = [0.0] * len(commands)
    changed = []
    for tree in args.trees:
        name = tree.resolve().name
        times: list[list[float]] = [[] for _ in commands]
        for run in range(args.runs):
            for number, command in enumerate(commands):
                seconds, output = cold_run(command, tree)
                times[number].append(seconds)
                if run == 0 and number == 0:
                    if args.save is not None:
                        args.save.mkdir(parents=True, exist_ok=True)
                        (args.save / f"{name}.json").write_bytes(output)
                    if args.same_as is not None:
                        kept = args.same_as / f"{name}.json"
                        if not kept.is_file() or kept.read_bytes() != output:
                            changed.append(name)
        medians = [statistics.median(values) for values in times]
        for number, median in enumerate(medians):
            totals[number] += median
        line = f"{name:40s} " + "  ".join(
            f"{median:.3f} s ({min(values):.3f}-{max(values):.3f})" for median, values in zip(medians, times))
        if len(medians) == 2 and medians[1] > 0:
            line += f"  ratio {medians[0] / medians[1]:.2f}"
        print(line, flush=True)
    if len(args.trees) > 1:
        line = f"{'sum of medians':40s} " + "  ".join(f"{total:.3f} s" for total in totals)
        if len(totals) == 2 and totals[1] > 0:
            line += f"  ratio {totals[0] / totals[1]:.2f}"
        print(line)
    print(f"load average {' '.join(f'{value:.2f}' for value in os.getloadavg())}; runs {args.runs}")
    if args.same_as is not None:
        print("output: the same as kept" if not changed else f"output CHANGED in: {', '.join(changed)}")


if __name__ == "__main__":
    main()
