"""Screenshots of the example's HTML report for a reviewer to look at: page 1 on screen at 1280 px wide and the
first printed page (A4 and Letter), written to reports-out/screenshots/ (not committed).

Run from the repository root: .venv/bin/python examples/screenshots.py
Needs Debian's chromium and poppler-utils (pdftoppm), as the test suite does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "reports-out" / "screenshots"
# Chromium without its own background traffic (updates, sync, sign-in): the page is all it loads.
CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-default-apps", "--disable-extensions", "--hide-scrollbars"]


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    report = OUT / "assistant-app.html"
    env = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "1767225600")}
    subprocess.run([str(Path(sys.executable).with_name("licscan")), "scan", str(ROOT / "examples" / "assistant-app"),
                    "--html", str(report), "-q"], env=env, check=False, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([*CHROMIUM, f"--user-data-dir={profile}", "--window-size=1280,1600",
                        f"--screenshot={OUT / 'page1-1280px.png'}", report.as_uri()],
                       check=True, stderr=subprocess.DEVNULL)
        html = report.read_text(encoding="utf-8")
        for paper in ("A4", "Letter"):
            sized = OUT / f"assistant-app-{paper}.html"
            sized.write_text(html.replace("</head>", f"<style>@page {{ size: {paper}; }}</style></head>", 1),
                             encoding="utf-8")
            pdf = OUT / f"assistant-app-{paper}.pdf"
            subprocess.run([*CHROMIUM, f"--user-data-dir={profile}", f"--print-to-pdf={pdf}", sized.as_uri()],
                           check=True, stderr=subprocess.DEVNULL)
            subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "110", "-png", "-singlefile", str(pdf),
                            str(OUT / f"printed-page1-{paper}")], check=True)
    for path in sorted(OUT.glob("*.png")):
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
