"""Benchmark: recall and speed of `licscan discover` on real source distributions, next to ripgrep.

Downloads the corpus at benchmark time (pip download --no-deps --no-binary :all:), caches it under
benchmarks/.corpus/ (git-ignored), and prints the figures; asserts nothing. Not part of the test run.

Run: .venv/bin/python benchmarks/bench_discovery.py [--runs N] [--packages transformers peft ...] [--licscan PATH]
(--licscan: another licscan executable, e.g. a wrapper running an older commit's code, to measure two commits side
by side on the same machine state; --cold-only: only the cold and unchanged-tree figures, next to ripgrep.)
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / ".corpus"
LICSCAN = Path(sys.executable).parent / "licscan"
PACKAGES = ["transformers", "sentence-transformers", "peft", "diffusers", "axolotl", "llamafactory"]
RG_PATTERN = "from_pretrained|base_model|hf_hub_download|huggingface.co"
# The independent count's notion of a Hub id: namespace/name, each part starting with a letter or digit.
REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
YAML_KEYS = ("base_model", "model_name_or_path")
# A relative path in a project's own folders ("models/Llama-2-7b", an output a recipe wrote) is a local path,
# not a Hub id (issue 15): the independent count leaves such values out as licscan does.
LOCAL_FOLDERS = {"models", "model", "checkpoints", "checkpoint", "outputs", "output", "saves", "data"}


def hub_shaped(value: str) -> bool:
    return bool(REPO_ID.match(value)) and value.split("/", 1)[0].lower() not in LOCAL_FOLDERS


# ---------------------------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------------------------


def build_corpus(packages: list[str]) -> Path:
    downloads = CORPUS / "sdists"
    source = CORPUS / "src"
    downloads.mkdir(parents=True, exist_ok=True)
    for package in packages:
        stem = package.replace("-", "_").lower()
        # An sdist is named {normalized name}-{version}.tar.gz.
        if any(path.name.rsplit("-", 1)[0].lower().replace("-", "_") == stem for path in downloads.iterdir()):
            continue
        print(f"downloading the {package} source distribution ...", flush=True)
        completed = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
             "--dest", str(downloads), package],
            capture_output=True, text=True,
        )
        if completed.returncode != 0:
            print(f"  {package}: not downloaded ({completed.stderr.strip().splitlines()[-1:]})")
    for archive in sorted(downloads.iterdir()):
        target = source / archive.name.split(".tar")[0].removesuffix(".zip")
        if target.exists():
            continue
        target.mkdir(parents=True)
        if archive.name.endswith((".tar.gz", ".tgz", ".tar")):
            with tarfile.open(archive) as bundle:
                bundle.extractall(target, filter="data")
        elif archive.suffix == ".zip":
            with zipfile.ZipFile(archive) as bundle:
                bundle.extractall(target)
    return source


def corpus_size(source: Path) -> tuple[int, int, int]:
    files = python = size = 0
    for path in source.rglob("*"):
        if path.is_file():
            files += 1
            size += path.stat().st_size
            python += path.suffix == ".py"
    return files, python, size


# ---------------------------------------------------------------------------------------------
# The independent count: plain ast and PyYAML, nothing from licscan
# ---------------------------------------------------------------------------------------------


def expected_references(source: Path) -> tuple[set[tuple[str, int, str]], set[tuple[str, str]]]:
    """(path, line, id) of literal "org/name" first arguments of from_pretrained calls, and (path, id) of
    base_model / model_name_or_path string values in YAML files."""
    import yaml

    calls: set[tuple[str, int, str]] = set()
    yaml_values: set[tuple[str, str]] = set()
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        relpath = path.relative_to(source).as_posix()
        if path.suffix == ".py":
            try:
                tree = ast.parse(path.read_bytes())
            except (SyntaxError, ValueError):
                continue
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "from_pretrained"):
                    continue
                argument = node.args[0] if node.args else next(
                    (k.value for k in node.keywords if k.arg == "pretrained_model_name_or_path"), None)
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str) and hub_shaped(argument.value):
                    calls.add((relpath, node.lineno, argument.value))
        elif path.suffix in (".yaml", ".yml"):
            try:
                documents = list(yaml.safe_load_all(path.read_bytes()))
            except (yaml.YAMLError, ValueError):
                continue
            stack = list(documents)
            while stack:
                node = stack.pop()
                if isinstance(node, dict):
                    for key, value in node.items():
                        if key in YAML_KEYS and isinstance(value, str) and hub_shaped(value):
                            yaml_values.add((relpath, value))
                        stack.append(value)
                elif isinstance(node, list):
                    stack.extend(node)
    return calls, yaml_values


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------


# CPU seconds (user + system) of the last process timed() ran, with its helper processes: on a machine shared with
# other work, wall time moves with the load and CPU time much less, so two commits are compared by it.
LAST_CPU = [0.0]


def timed(command: list[str], env: dict[str, str], stdout=subprocess.DEVNULL) -> tuple[float, int, bytes]:
    """Wall seconds of one whole process, the peak resident memory (KiB) of it and its children, its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    completed = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if completed.returncode not in (0, 1):
        sys.exit(f"{command} failed ({completed.returncode}): {completed.stderr.decode()[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    LAST_CPU[0] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return elapsed, max(before.ru_maxrss, after.ru_maxrss), completed.stdout


def _median_printed(code: str, source: Path, runs: int) -> float:
    """The median of the seconds that `code` prints, run in a fresh interpreter with the corpus as its argument."""
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code, str(source)], capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip()))
    return statistics.median(times)


def in_process(source: Path, workers: int, runs: int) -> float:
    """Median seconds of discover() alone (no start-up, no cache) with the given number of processes."""
    code = (
        "import sys, time, pathlib\n"
        "from licscan.discovery import discover\n"
        "from licscan.model import DiscoverySettings\n"
        "start = time.perf_counter()\n"
        f"discover(pathlib.Path(sys.argv[1]), DiscoverySettings(workers={workers}))\n"
        "print(time.perf_counter() - start)\n"
    )
    return _median_printed(code, source, runs)


def floor(source: Path, runs: int) -> float:
    """Median seconds, in one process, of what any Python discovery pays before analysing anything: list every
    file (os.scandir), read it whole, and search it for licscan's Python needles in one pass. No ignore rules,
    no analysis, no cache; the needle database is compiled before the clock starts."""
    code = (
        "import os, sys, time\n"
        # (The benchmark reaches into the Python source for its needle set: the realistic one.)
        "from licscan.discovery.python_source import _NEEDLES\n"
        "_NEEDLES.find(b' ' * 3_000_000)  # past the re warm-up: the one-pass engine is compiled\n"
        "start = time.perf_counter()\n"
        "stack, hits = [sys.argv[1]], 0\n"
        "while stack:\n"
        "    with os.scandir(stack.pop()) as entries:\n"
        "        for entry in entries:\n"
        "            if entry.is_dir(follow_symlinks=False):\n"
        "                stack.append(entry.path)\n"
        "            elif entry.is_file(follow_symlinks=False):\n"
        "                descriptor = os.open(entry.path, os.O_RDONLY)\n"
        "                try:\n"
        "                    data = os.read(descriptor, entry.stat().st_size + 1)\n"
        "                finally:\n"
        "                    os.close(descriptor)\n"
        "                hits += len(_NEEDLES.find(data))\n"
        "print(time.perf_counter() - start)\n"
    )
    return _median_printed(code, source, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--packages", nargs="*", default=PACKAGES)
    parser.add_argument("--licscan", type=Path, default=None, help="the licscan executable to measure")
    parser.add_argument("--cold-only", action="store_true", help="skip the in-process, floor and start-up figures")
    args = parser.parse_args()
    global LICSCAN
    if args.licscan is not None:
        LICSCAN = args.licscan
    rg = shutil.which("rg")
    if rg is None:
        sys.exit("ripgrep is needed for the comparison: apt-get update && apt-get install -y ripgrep")

    source = build_corpus(args.packages)
    files, python_files, size = corpus_size(source)
    versions = ", ".join(sorted(path.name for path in source.iterdir()))
    # Bytecode of licscan itself is compiled once, as an installed package's would be.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "licscan")], check=False)

    calls, yaml_values = expected_references(source)
    with tempfile.TemporaryDirectory() as cache_home:
        env = {**os.environ, "XDG_CACHE_HOME": cache_home, "NO_COLOR": "1"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        _, _, output = timed([str(LICSCAN), "discover", str(source), "--json", "--no-cache"], env)
    import json

    found = json.loads(output)
    occurrences = found["occurrences"]
    at_line = {(o["path"], o["line"], o["id"]) for o in occurrences}
    in_file = {(o["path"], o["id"]) for o in occurrences}
    missed_calls = sorted(item for item in calls if item not in at_line)
    missed_yaml = sorted(item for item in yaml_values if item not in in_file)
    expected = len(calls) + len(yaml_values)
    recall = 1 - (len(missed_calls) + len(missed_yaml)) / expected if expected else 1.0

    rg_runs, cold_runs, cold_cpu, warm_runs, peaks = [], [], [], [], []
    for _ in range(args.runs):
        rg_runs.append(timed([rg, "--no-messages", "-e", RG_PATTERN, str(source)], dict(os.environ))[0])
        with tempfile.TemporaryDirectory() as cache_home:
            env = {**os.environ, "XDG_CACHE_HOME": cache_home, "NO_COLOR": "1"}
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            seconds, peak, _ = timed([str(LICSCAN), "discover", str(source), "--json"], env)
            cold_runs.append(seconds)
            cold_cpu.append(LAST_CPU[0])
            peaks.append(peak)
            seconds, peak, _ = timed([str(LICSCAN), "discover", str(source), "--json"], env)
            warm_runs.append(seconds)
            peaks.append(peak)
    rg_median, cold, warm = statistics.median(rg_runs), statistics.median(cold_runs), statistics.median(warm_runs)
    if args.cold_only:
        print(f"licscan {LICSCAN}: recall {recall:.2%}; cold median {cold:.3f} s = {cold / rg_median:.1f}x ripgrep "
              f"({rg_median:.3f} s); cold CPU (user + system, all processes) median "
              f"{statistics.median(cold_cpu):.3f} s ({min(cold_cpu):.3f}-{max(cold_cpu):.3f}); "
              f"unchanged median {warm:.3f} s = {warm / rg_median:.1f}x; "
              f"peak {max(peaks) / 1024:.1f} MiB; {len(occurrences)} occurrences; runs {args.runs}")
        return
    startup = statistics.median(timed([str(LICSCAN), "--help"], dict(os.environ))[0] for _ in range(args.runs))
    with tempfile.TemporaryDirectory() as empty, tempfile.TemporaryDirectory() as cache_home:
        env = {**os.environ, "XDG_CACHE_HOME": cache_home}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        fixed = statistics.median(
            timed([str(LICSCAN), "discover", empty, "--json"], env)[0] for _ in range(args.runs)
        )
    one_core = in_process(source, 1, max(1, args.runs // 2))
    two_cores = in_process(source, 2, max(1, args.runs // 2))
    bare = floor(source, max(1, args.runs // 2))

    print()
    print(f"corpus                      {versions}")
    print(f"                            {files} files ({python_files} Python), {size / 1e6:.1f} MB")
    print(f"expected (independent ast)  {len(calls)} literal from_pretrained ids, {len(yaml_values)} YAML values")
    print(f"licscan found               {len(occurrences)} occurrences in all; recall {recall:.2%} "
          f"({expected - len(missed_calls) - len(missed_yaml)}/{expected})")
    for item in (missed_calls + missed_yaml)[:10]:
        print(f"  missed: {item}")
    print(f"ripgrep ({RG_PATTERN})  median {rg_median:.3f} s")
    print(f"licscan discover, cold      median {cold:.3f} s  = {cold / rg_median:.1f}x ripgrep (target <= 5x)")
    print(f"licscan discover, cold CPU  median {statistics.median(cold_cpu):.3f} s (user + system, all processes)")
    print(f"licscan discover, unchanged median {warm:.3f} s  = {warm / rg_median:.1f}x ripgrep (target <= 3x)")
    print(f"licscan --help (start-up)   median {startup:.3f} s")
    print(f"licscan discover, empty dir median {fixed:.3f} s  (start-up of the command: imports, configuration)")
    print(f"discover() in process       1 process {one_core:.3f} s, 2 processes {two_cores:.3f} s")
    print(f"walk + read + needle search {bare:.3f} s in one process, no analysis (the floor of a Python discovery)")
    # What the 5x target leaves for analysis, on two cores: the command's start-up runs before any fork, the
    # floor splits over both cores at best, and what is left of 5x ripgrep is two cores' worth of analysis.
    bound = fixed + bare / 2
    budget = max(0.0, 5 * rg_median - bound) * 2
    print(f"bound with no analysis      {bound:.3f} s = {bound / rg_median:.1f}x ripgrep "
          "(empty-dir start-up + the floor over two cores)")
    print(f"analysis, one process       {max(0.0, one_core - bare):.3f} CPU-s (discover() less the floor); "
          f"5x leaves {budget:.3f} CPU-s for it on two cores")
    print(f"peak resident memory        {max(peaks) / 1024:.1f} MiB (target <= 200 MiB)")
    print(f"runs                        {args.runs}")


if __name__ == "__main__":
    main()
