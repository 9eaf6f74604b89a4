"""Network bounds against the loopback Hub stand-in: peak memory on a huge model-info answer; wall time on one
whose body drips, one whose status line and headers drip, and a server that accepts and says nothing (each
ended by the request deadline, not the read timeout); a mirror LICENSE far over the cap. Prints numbers;
asserts nothing.

Run: .venv/bin/python benchmarks/bench_network_bounds.py [--answer-mb 1536] [--drip-deadline 5]
The stand-in runs in a child process, so the peak memory printed is the scanning process's alone.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def _serve(root: str, fault: str, size: int, drip: float, ready: "multiprocessing.Queue[str]") -> None:
    from hubstub import HubStub

    stub = HubStub(root).start()
    stub.oversized_bytes = size
    stub.drip_seconds = drip
    stub.faults["acme/model"] = [fault] * 100
    ready.put(stub.url)
    while True:
        time.sleep(3600)


def _repo(root: Path) -> None:
    folder = root / "acme" / "model"
    folder.mkdir(parents=True)
    info = {"id": "acme/model", "sha": "0" * 40, "cardData": {"license": "apache-2.0"},
            "siblings": [{"rfilename": "README.md"}], "tags": []}
    (folder / "info.json").write_text(json.dumps(info))
    (folder / "README.md").write_text("---\nlicense: apache-2.0\n---\n")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _walk(url: str, **settings: object) -> tuple[float, str]:
    from licscan.model import ModelRef, ResolutionSettings
    from licscan.resolution import resolve

    started = time.perf_counter()
    result = resolve([ModelRef("acme/model")], ResolutionSettings(endpoint=url, **settings),  # type: ignore[arg-type]
                     sleep=lambda seconds: None)
    gaps = result.lineages["acme/model"].unresolved
    return time.perf_counter() - started, (gaps[0].detail if gaps else "resolved")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--answer-mb", type=int, default=1536, help="size of the oversized model-info answer")
    parser.add_argument("--drip-deadline", type=float, default=5.0,
                        help="REQUEST_DEADLINE for the drip, header-drip and silent cases")
    args = parser.parse_args()
    from licscan.resolution import hub

    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "hub"
        _repo(root)
        slow = {"drip": "a body byte every second", "drip-headers": "a status-line or header byte every second",
                "silent": "the connection accepted, nothing ever sent"}
        for fault, size, drip in (("oversized", args.answer_mb * 1024 * 1024, 0.0), ("drip", 0, 1.0),
                                  ("drip-headers", 0, 1.0), ("silent", 0, 0.0)):
            ready: multiprocessing.Queue[str] = context.Queue()
            server = context.Process(target=_serve, args=(str(root), fault, size, drip, ready), daemon=True)
            server.start()
            url = ready.get(timeout=30)
            try:
                before = _peak_mib()
                if fault in slow:
                    hub.REQUEST_DEADLINE = args.drip_deadline
                    seconds, detail = _walk(url, timeout=10.0, max_retries=0)
                    print(f"{fault} ({slow[fault]}; read timeout 10 s, deadline {args.drip_deadline:g} s): "
                          f"{seconds:.2f} s wall; {detail}")
                else:
                    seconds, detail = _walk(url, timeout=30.0, max_retries=0)
                    print(f"model-info answer of {args.answer_mb} MiB (cap {hub.MAX_ANSWER_BYTES / 1e6:g} MB): "
                          f"{seconds:.2f} s wall; peak memory {_peak_mib():.0f} MiB (before: {before:.0f} MiB); "
                          f"{detail}")
            finally:
                server.terminate()
                server.join()

    from licscan.confined import Unreadable, read_confined

    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "LICENSE"
        with big.open("wb") as handle:
            handle.truncate(512 * 1024 * 1024)  # sparse: 512 MiB that costs no disk
        before = _peak_mib()
        started = time.perf_counter()
        try:
            read_confined(Path(tmp), big, 2_000_000)
            outcome = "read"
        except Unreadable as exc:
            outcome = str(exc)
        print(f"mirror LICENSE of 512 MiB: {time.perf_counter() - started:.3f} s; peak memory {_peak_mib():.0f} MiB "
              f"(before: {before:.0f} MiB); {outcome}")


if __name__ == "__main__":
    main()
