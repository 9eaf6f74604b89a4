"""Benchmark: Python discovery on files built to be slow (long lines, thousands of names or defs), at two sizes.

A reading that does per-find work proportional to the line or the file grows with the square of the size; this
prints each case at n and 4n so that the growth shows (about 4x is linear). Asserts nothing.

Run: .venv/bin/python benchmarks/bench_hostile_python.py
"""

from __future__ import annotations

import time

from licscan.discovery.python_source import analyze

CASES = {
    "Hub URLs in one string on one line": lambda n: b'x = "' + b"https://hf.co/org/model " * n + b'"\n',
    "calls on one line": lambda n: b"x = [" + b'AutoModel.from_pretrained("org/model"), ' * n + b"]\n",
    "model keywords on one line": lambda n: b"x = dict(" + b'model_name_or_path="org/model", ' * n + b")\n",
    "calls inside one long string": lambda n: b'x = "' + b'AutoModel.from_pretrained(\\"org/model\\") ' * n + b'"\n',
    "triple-quoted strings on one line": lambda n: b"x = " + b'"""a""" + ' * n + b'"""b"""\n',
    "distinct names, each assigned and used": lambda n: b"".join(b'name%d = "org/m%d"\n' % (i, i) for i in range(n))
    + b"".join(b"AutoModel.from_pretrained(name%d)\n" % i for i in range(n)),
    "defs, each with its own local id": lambda n: b"".join(
        b'def f%d():\n    name = "org/m%d"\n    return AutoModel.from_pretrained(name)\n' % (i, i) for i in range(n)
    ),
    "global statements in one function": lambda n: b"def f():\n"
    + b"".join(b"    global g%d\n" % i for i in range(n))
    + b"    g0 = 'org/a'\n\ndef h():\n    return AutoModel.from_pretrained(g0)\n",
}


def main() -> None:
    print(f"{'case':42} {'n':>6} {'bytes':>9} {'seconds':>8}   {'4n':>6} {'bytes':>9} {'seconds':>8}  growth")
    for name, build in CASES.items():
        row = []
        for n in (2_500, 10_000):
            data = b"from transformers import AutoModel\n" + build(n)
            start = time.perf_counter()
            analyze(data, "hostile.py")
            row.append((n, len(data), time.perf_counter() - start))
        (n1, b1, t1), (n2, b2, t2) = row
        print(f"{name:42} {n1:>6} {b1:>9} {t1:>8.3f}   {n2:>6} {b2:>9} {t2:>8.3f}  {t2 / t1 if t1 else 0:5.1f}x")


if __name__ == "__main__":
    main()
