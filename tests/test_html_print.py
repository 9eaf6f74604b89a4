"""The HTML legal report printed for real: headless Chromium (Debian's package) to PDF, read back with poppler."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from licscan.cli import app

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "assistant-app"
# Chromium without its own background traffic (updates, sync, sign-in), so the network log holds the page's only.
CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-default-apps", "--disable-extensions", "--enable-logging=stderr", "--v=0"]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("print")
    project = folder / "assistant-app"
    shutil.copytree(EXAMPLE, project)
    out = folder / "report.html"
    # Module-scoped, so outside conftest's per-test isolation: the cache and history go to this folder too.
    env = {"SOURCE_DATE_EPOCH": "1767225600", "XDG_CACHE_HOME": str(folder / "cache"),
           "LICSCAN_DB_URL": f"sqlite:///{folder / 'licscan.db'}"}
    result = CliRunner().invoke(app, ["scan", str(project), "--html", str(out)], env=env)
    assert result.exit_code == 1, result.output
    return out


def print_pdf(html: Path, paper: str, folder: Path) -> tuple[Path, str, Path]:
    sized = folder / f"{paper}.html"
    sized.write_text(html.read_text(encoding="utf-8").replace(
        "</head>", f"<style>@page {{ size: {paper}; }}</style></head>", 1), encoding="utf-8")
    pdf, netlog = folder / f"{paper}.pdf", folder / f"{paper}-net.json"
    run = subprocess.run(
        [*CHROMIUM, f"--user-data-dir={folder / 'profile'}", f"--log-net-log={netlog}", f"--print-to-pdf={pdf}",
         sized.as_uri()], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and pdf.is_file(), run.stderr[-2000:]
    return pdf, run.stderr, netlog


def page_texts(pdf: Path) -> list[str]:
    pages = int(re.search(r"^Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                                               text=True, check=True).stdout, re.M).group(1))
    return [subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout for page in range(1, pages + 1)]


def page_requests(netlog: Path) -> list[str]:
    """URLs the page itself asked the network for (requests isolated under its file:// origin)."""
    data = json.loads(netlog.read_text(encoding="utf-8"))
    start = data["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [event["params"]["url"] for event in data["events"] if event["type"] == start
            and str(event.get("params", {}).get("network_isolation_key", "")).startswith("file://")]


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_the_printed_report_answers_on_page_one_and_fits_ten_pages(report, tmp_path, paper):
    pdf, log, netlog = print_pdf(report, paper, tmp_path)
    pages = page_texts(pdf)
    assert 2 <= len(pages) <= 10, len(pages)
    first = " ".join(pages[0].split())
    assert "Not cleared under the policy: of 10 models, 7 are blocked and 3 are OK with obligations." in first
    for heading in ("Decision per model", "Obligations", "Waivers", "Context assumed"):
        assert heading in first, heading
    for model in ("BAAI/bge-m3", "ubergarm/GLM-4.6-GGUF", "moonshotai/Kimi-K2-Instruct-0905"):
        assert model in first
    assert "Built with Llama" in first and "Model details" not in first
    # No page is under a third full, except the last page before a new part (or the last page).
    lines = [sum(1 for line in text.splitlines() if line.strip()) for text in pages]
    for index, count in enumerate(lines[:-1]):
        following = " ".join(pages[index + 1].split())
        assert count >= max(lines) / 3 or following.startswith(("Model details", "Appendix")), (index + 1, lines)
    # On paper a source cited in the model details is its number in Appendix C, where its entry stands once; the
    # caveat on listings not found is said once under the table, not in every row.
    whole = " ".join(" ".join(pages).split())
    assert "Source: Appendix C, no." in whole
    assert whole.count("Supplement No. 4 to part 744 (the Entity List)") == 1
    assert whole.count("not proof of absence") == 1
    # Nothing in the page logs to the console, and the page asks the network for nothing.
    assert "CONSOLE" not in log, [line for line in log.splitlines() if "CONSOLE" in line]
    assert page_requests(netlog) == []


def test_the_print_check_sees_a_request_and_a_console_message(tmp_path):
    """The checks above can fail: a page that loads an image from the network and logs is caught by both."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
                    '<img src="http://example.invalid/x.png"><script>console.error("boom")</script></body></html>')
    _, log, netlog = print_pdf(page, "A4", tmp_path)
    assert "CONSOLE" in log and page_requests(netlog) == ["http://example.invalid/x.png"]
