"""Benchmark: discovery on files built to be slow (long lines, thousands of names, defs or keys), at two sizes.

A reading that does per-find work proportional to the line or the file grows with the square of the size; this
prints each case at n and 4n so that the growth shows (about 4x is linear). Asserts nothing.

Run: .venv/bin/python benchmarks/bench_hostile.py [WORDS...]   (only the cases whose name holds one of the words)
"""

from __future__ import annotations

import pathlib
import sys
import time

from licscan.discovery.interface import ProjectFile
from licscan.discovery.runner import scan_file
from licscan.model import DiscoverySettings

IMPORT = b"from transformers import AutoModel\n"

# name -> (file name, content for size n); each file is read by every source that wants it, as in a scan.
CASES = {
    "py: Hub URLs in one string on one line": ("a.py", lambda n: b'x = "' + b"https://hf.co/org/model " * n + b'"\n'),
    "py: calls on one line": ("a.py", lambda n: IMPORT + b"x = [" + b'AutoModel.from_pretrained("org/m"), ' * n + b"]\n"),
    "py: calls, 100 on each 3.6 KB line": ("a.py", lambda n: IMPORT + (
        b"x = [" + b'AutoModel.from_pretrained("org/m"), ' * 100 + b"]\n") * (n // 100)),
    "py: calls, each with a model keyword": (
        "a.py", lambda n: IMPORT + b"m = AutoModel.from_pretrained(x, model_name_or_path=y)\n" * n),
    "py: model keywords on one line": ("a.py", lambda n: b"x = dict(" + b'model_name_or_path="org/m", ' * n + b")\n"),
    "py: calls inside one long string": (
        "a.py", lambda n: b'x = "' + b'AutoModel.from_pretrained(\\"org/m\\") ' * n + b'"\n'),
    "py: triple-quoted strings on one line": ("a.py", lambda n: b"x = " + b'"""a""" + ' * n + b'"""b"""\n'),
    "py: distinct names, assigned and used": ("a.py", lambda n: IMPORT + b"".join(
        b'name%d = "org/m%d"\n' % (i, i) for i in range(n)) + b"".join(
        b"AutoModel.from_pretrained(name%d)\n" % i for i in range(n))),
    "py: defs, each with its own local id": ("a.py", lambda n: IMPORT + b"".join(
        b'def f%d():\n    name = "org/m%d"\n    return AutoModel.from_pretrained(name)\n' % (i, i) for i in range(n))),
    "py: global statements in one function": ("a.py", lambda n: IMPORT + b"def f():\n" + b"".join(
        b"    global g%d\n" % i for i in range(n)) + b"    g0 = 'org/a'\n\ndef h():\n"
        b"    return AutoModel.from_pretrained(g0)\n"),
    "sh: downloads on one line": ("run.sh", lambda n: b"huggingface-cli download org/m ; " * n + b"\n"),
    "sh: --model flags on one line": ("run.sh", lambda n: b"serve --model org/m " * n + b"\n"),
    "sh: links to other .co/ hosts on one line": ("run.sh", lambda n: b"curl https://t.co/a https://hf.co/o/m " * n
                                                  + b"\n"),
    "sh: MODEL_ID= on one line": ("run.sh", lambda n: b"MODEL_ID=org/m " * n + b"\n"),
    "yaml: --model flags in one list": ("ci.yml", lambda n: b"args: [" + b'"--model", "org/m", ' * n + b"]\n"),
    "json: a model key per object": ("c.json", lambda n: b"[" + b",".join(
        b'{"model": "org/m%d"}' % i for i in range(n)) + b"]"),
    "json: escaped ids under one key, prose": ("c.json", lambda n: b'{"notes": "' + b"base_model x " * n
        + b'", "base_model": [' + b", ".join(b'"org\\/m%d"' % i for i in range(n)) + b"]}"),
    "toml: a model key per table": ("c.toml", lambda n: b"".join(
        b'[t%d]\nmodel = "org/m%d"\n' % (i, i) for i in range(n))),
    "py: one long list of ids under a model name": ("a.py", lambda n: b"MODELS = [\n" + b"".join(
        b'    "org/m%d",\n' % i for i in range(n)) + b"]\n"),
    "py: ids in nested lists, one per line": ("a.py", lambda n: b"x = [\n" + b"".join(
        b'    ["org/m%d",\n     "org/n%d"],\n' % (i, i) for i in range(n)) + b"]\n"),
    "sh: quoted model keys on one line": ("run.sh", lambda n: b"run --lock=\"[" + b"{'base_model': 'org/m'}, " * n + b"]\"\n"),
    "md: Python blocks": ("d.md", lambda n: b"".join(
        b'```python\nmodel_id = "org/m%d"\n```\n' % i for i in range(n))),
    "py: lists of ids under names of no word": ("a.py", lambda n: b"".join(
        b'LIST%d = ["org/a%d", "org/b%d"]\n' % (i, i, i) for i in range(n)) + b"print(LIST0)\n"),
    "py: f-string commands on one line": ("a.py", lambda n: b"x = [" + b'f"--port {p} --model org/m", ' * n + b"]\n"),
    "py: lazy config calls, one per statement": ("a.py", lambda n: IMPORT + b"base = 'org/m'\n" + b"".join(
        b"m%d = dict(type=AutoModel.from_pretrained, pretrained_model_name_or_path=base)\n" % i for i in range(n))),
    "py: a helper named for ollama, every line": ("a.py", lambda n: b"import os\n" + b"x = to_ollama(1)\n" * n),
    "py: helpers named for ollama, one line": ("a.py", lambda n: b"import os\nx = [" + b"to_ollama(1), " * n + b"]\n"),
    "py: ollama names in one bracketed import": ("a.py", lambda n: b"from x import (\n" + b"".join(
        b"    to_ollama%d,\n" % i for i in range(n)) + b")\nto_ollama0(model='mistral')\n"),
    "py: model literals beyond ASCII, ollama named": ("a.py", lambda n: "# é\nimport os\n".encode() + b"".join(
        b"m%d = to_ollama(model='qwen:%d')\n" % (i, i) for i in range(n))),
    "md: ollama commands on one line": ("d.md", lambda n: b"```\n" + b"ollama pull m; ollama create x; " * n + b"\n```\n"),
    "ipynb: cells that write YAML files": ("n.ipynb", lambda n: (b'{"cells": [' + b",".join(
        b'{"cell_type": "code", "source": "%%%%writefile c%d.yaml\\nbase_model: org/m%d\\n"}' % (i, i)
        for i in range(n)) + b"]}")),
}


def main() -> None:
    settings = DiscoverySettings()
    root = pathlib.Path(".")
    print(f"{'case':40} {'n':>6} {'bytes':>8} {'seconds':>8}   {'4n':>6} {'bytes':>8} {'seconds':>8}  growth")
    for name, (filename, build) in CASES.items():
        if sys.argv[1:] and not any(word in name for word in sys.argv[1:]):
            continue
        row = []
        for n in (2_500, 10_000):
            data = build(n)
            start = time.perf_counter()
            scan_file(ProjectFile(filename, filename, data, root, settings))
            row.append((n, len(data), time.perf_counter() - start))
        (n1, b1, t1), (n2, b2, t2) = row
        print(f"{name:40} {n1:>6} {b1:>8} {t1:>8.3f}   {n2:>6} {b2:>8} {t2:>8.3f}  {t2 / t1 if t1 else 0:5.1f}x")


if __name__ == "__main__":
    main()
