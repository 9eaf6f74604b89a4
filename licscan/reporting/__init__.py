"""Reporting stage: the registry of output formats, each rendering a ScanResult to text."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from licscan.model import ScanResult


class ReportFormat(Protocol):
    name: str
    suffix: str

    def render(self, result: ScanResult) -> str: ...


def formats(templates: Path) -> dict[str, ReportFormat]:
    """Every report format by name (templates: the reports/ directory); imported on demand."""
    from licscan.reporting.html import HtmlFormat
    from licscan.reporting.json_report import JsonFormat
    from licscan.reporting.junit import JunitFormat
    from licscan.reporting.markdown import MarkdownFormat
    from licscan.reporting.sarif import SarifFormat
    from licscan.reporting.terminal import TerminalFormat

    registry: list[ReportFormat] = [
        HtmlFormat(templates), JsonFormat(), JunitFormat(), MarkdownFormat(templates), SarifFormat(), TerminalFormat(),
    ]
    return {item.name: item for item in registry}
