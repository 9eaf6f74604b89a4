"""The lean `licscan scan`: its common options read without Typer, the same answers as through Typer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from licscan.cli import app

runner = CliRunner()


LEAN_SCAN_LINES = [
    ["--quiet"],
    ["-q", "--json", "-"],
    ["--no-color", "--policy", "strict", "--json=REPORT"],
    ["--color", "--verbose", "--markdown", "REPORT"],
    ["--quiet", "--policy", "no-such-policy"],
    ["--quiet", "--mirror", "NO-MIRROR"],
]


@pytest.mark.parametrize("options", LEAN_SCAN_LINES)
def test_the_lean_scan_command_answers_as_the_typer_command(tmp_path, monkeypatch, capsys, options):
    """`licscan scan` with its common options skips Typer's parsing (and the pydantic it imports, a tenth of a
    second): the same output on each stream, the same report, the same exit code as through Typer."""
    import sys

    from licscan import entry

    project = tmp_path / "project"
    shutil.copytree(Path(__file__).resolve().parents[1] / "examples" / "assistant-app", project)
    env = {"LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'cache.db'}", "HF_HUB_OFFLINE": "1",
           "SOURCE_DATE_EPOCH": "1796083200", "NO_COLOR": ""}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    line = [item.replace("REPORT", str(tmp_path / "typer.out")).replace("NO-MIRROR", str(tmp_path / "missing"))
            for item in options]
    typer_result = runner.invoke(app, ["scan", str(project), *line], env=env)
    typer_report = (tmp_path / "typer.out").read_bytes() if "REPORT" in " ".join(options) else None
    line = [item.replace("REPORT", str(tmp_path / "lean.out")).replace("NO-MIRROR", str(tmp_path / "missing"))
            for item in options]
    monkeypatch.setattr(sys, "argv", ["licscan", "scan", str(project), *line])
    with pytest.raises(SystemExit) as leaving:
        entry.main(fast_exit=False)
    lean = capsys.readouterr()
    assert leaving.value.code == typer_result.exit_code
    assert lean.out == typer_result.stdout and lean.err == typer_result.stderr
    if typer_report is not None:
        assert (tmp_path / "lean.out").read_bytes() == typer_report


def test_a_scan_through_the_lean_entry_point_imports_no_pydantic(tmp_path):
    import os
    import subprocess
    import sys

    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text("print('no model here')\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HF_", "LICSCAN_"))}
    env.update(LICSCAN_DB_URL=f"sqlite:///{tmp_path / 'cache.db'}", HF_HUB_OFFLINE="1",
               XDG_CACHE_HOME=str(tmp_path / "cache"))
    code = ("import sys\nfrom licscan.entry import main\n"
            f"sys.argv = ['licscan', 'scan', {str(project)!r}, '--quiet']\n"
            "try:\n    main(fast_exit=False)\nexcept SystemExit as leaving:\n"
            "    print('pydantic' in sys.modules, 'typer._adapters' in sys.modules, leaving.code)\n")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.splitlines()[-1] == "False False 0", done.stdout + done.stderr


def test_a_lean_scan_that_ends_without_a_verdict_is_not_a_pass(monkeypatch):
    """The lean path turns the scan command's ending into an exit code. The command always ends with its
    verdict's code; should it ever end without one, the gate must fail closed, not read exit 0."""
    from licscan import cli

    monkeypatch.setattr(cli, "scan", lambda **options: None)
    assert cli.run_scan(path=Path(".")) == int(cli.ExitCode.INCOMPLETE)
