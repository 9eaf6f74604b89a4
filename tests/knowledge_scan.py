"""Scan a project against a mirror through the command line and return its JSON report (knowledge tests)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from licscan.cli import app


def scan_report(tmp_path: Path, mirror: Path, *models: str, project: Path | None = None) -> dict:
    """The JSON report of a scan of project (or of a new project naming models) against the mirror."""
    if project is None:
        project = tmp_path / "project"
        project.mkdir(exist_ok=True)
        listed = ", ".join(f'"{item}"' for item in models)
        (project / "pyproject.toml").write_text(f"[tool.licscan]\nmodels = [{listed}]\n")
    out = tmp_path / "report.json"
    CliRunner().invoke(app, ["scan", str(project), "--json", str(out), "--no-color", "--mirror", str(mirror)],
                       env={"LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'cache.db'}"}, catch_exceptions=False)
    return json.loads(out.read_text())


def model(report: dict, model_id: str) -> dict:
    return next(item for item in report["models"] if item["id"] == model_id)


def messages(item: dict, rule_id: str) -> list[str]:
    return [finding["message"] for finding in item["findings"] if finding["rule_id"] == rule_id]
