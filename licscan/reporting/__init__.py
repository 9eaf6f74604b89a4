"""Reporting stage: the registry of output formats, each rendering a ScanResult to text."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Iterable, Iterator, Protocol

from licscan.model import ScanResult


class ReportFormat(Protocol):
    name: str
    suffix: str

    def render(self, result: ScanResult) -> str: ...


class StreamedFormat(ReportFormat, Protocol):
    """A format whose document can be written piece by piece (render_parts joined is render)."""

    def render_parts(self, result: ScanResult) -> Iterator[str]: ...


def report_parts(writer: ReportFormat, result: ScanResult) -> Iterable[str]:
    """The document in pieces to write one after another: a format that streams (the JSON report, tens of MB
    on a large project) is never held whole in memory; any other is rendered at once."""
    parts = getattr(writer, "render_parts", None)
    return parts(result) if parts is not None else (writer.render(result),)


# name -> (module, class, whether it renders the Jinja2 templates in reports/). Modules are imported on
# demand: a scan that writes JSON does not pay for spdx-tools or cyclonedx.
REGISTRY: dict[str, tuple[str, str, bool]] = {
    "cyclonedx": ("licscan.reporting.cyclonedx_sbom", "CycloneDxFormat", False),
    "html": ("licscan.reporting.html", "HtmlFormat", True),
    "json": ("licscan.reporting.json_report", "JsonFormat", False),
    "junit": ("licscan.reporting.junit", "JunitFormat", False),
    "markdown": ("licscan.reporting.markdown", "MarkdownFormat", True),
    "notice": ("licscan.reporting.notice", "NoticeFormat", False),
    "sarif": ("licscan.reporting.sarif", "SarifFormat", False),
    "spdx": ("licscan.reporting.spdx_sbom", "SpdxFormat", False),
    "text": ("licscan.reporting.terminal", "TerminalFormat", False),
}


# Formats whose document a library can check (`licscan scan --validate`): name -> the module's validate_with_library.
# Not on every write: spdx-tools' validation grows with the square of the packages.
VALIDATORS: dict[str, str] = {
    "cyclonedx": "licscan.reporting.cyclonedx_sbom",
    "spdx": "licscan.reporting.spdx_sbom",
}


def validate_document(name: str, text: str) -> list[str]:
    """What the format's library finds wrong with a document licscan wrote ([] when valid, or no validator)."""
    if name not in VALIDATORS:
        return []
    return importlib.import_module(VALIDATORS[name]).validate_with_library(text)


def get_format(name: str, templates: Path) -> ReportFormat:
    """The report format called `name` (templates: the reports/ directory)."""
    module_name, class_name, uses_templates = REGISTRY[name]
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(templates) if uses_templates else cls()


def formats(templates: Path) -> dict[str, ReportFormat]:
    """Every report format by name."""
    return {name: get_format(name, templates) for name in REGISTRY}
