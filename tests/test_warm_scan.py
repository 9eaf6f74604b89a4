"""The warm path: a re-scan answered from the cache writes the same bytes as the scan that filled it, and the
JSON report is built once per scan."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from licscan.cli import app

from synthetic_hub import generate, write_hub

runner = CliRunner()


def _project(tmp_path, leaves: int):
    from hubstub import HubStub

    hub = generate(leaves, seed=23)
    write_hub(hub, tmp_path / "hub")
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text("from x import M\n" + "".join(f'M.from_pretrained("{leaf}")\n' for leaf in hub.leaves))
    return HubStub(tmp_path / "hub").start(), root


def test_a_warm_rescan_writes_the_same_json_html_and_sarif_bytes_as_the_cold_scan(tmp_path):
    stub, root = _project(tmp_path, 12)
    env = {"HF_ENDPOINT": stub.url, "LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'cache.db'}",
           "SOURCE_DATE_EPOCH": "1796083200"}
    try:
        outputs = {}
        for run in ("cold", "warm"):
            stub.clear()
            names = {fmt: tmp_path / f"{run}.{fmt}" for fmt in ("json", "html", "sarif")}
            result = runner.invoke(app, ["scan", str(root), "--quiet", *(item for fmt, path in names.items()
                                                                         for item in (f"--{fmt}", str(path)))],
                                   env=env)
            assert result.exit_code in (0, 1, 3), result.output
            outputs[run] = ({fmt: path.read_bytes() for fmt, path in names.items()}, len(stub.requests),
                            result.output)
    finally:
        stub.stop()
    (cold, cold_requests, cold_summary), (warm, warm_requests, warm_summary) = outputs["cold"], outputs["warm"]
    assert cold_requests > 0 and warm_requests == 0  # the second scan came from the cache alone
    assert warm == cold and warm_summary.replace("warm.json", "cold.json") == cold_summary
    report = json.loads(cold["json"])
    assert len(report["models"]) == 12 and report["findings"]
    # The fast writer's report is the standard library's text of the same data.
    assert cold["json"].decode() == json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_a_scan_with_a_json_report_builds_the_report_once(tmp_path, monkeypatch):
    """The history keeps the report and --json writes it: one build serves both (at 2,000 models a build is
    seconds)."""
    import licscan.reporting.json_report as json_report

    stub, root = _project(tmp_path, 4)
    builds = []
    real = json_report._report_dict
    monkeypatch.setattr(json_report, "_report_dict", lambda result: builds.append(1) or real(result))
    try:
        result = runner.invoke(app, ["scan", str(root), "--quiet", "--json", str(tmp_path / "r.json")],
                               env={"HF_ENDPOINT": stub.url, "LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'c.db'}"})
    finally:
        stub.stop()
    assert result.exit_code in (0, 1, 3), result.output
    assert len(builds) == 1
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["models"] == 4


# ---------------------------------------------------------------------------------------------------------
# The terminal summary: a few calls per line it prints, at any number of models
# ---------------------------------------------------------------------------------------------------------


def _many(base, copies: int):
    """The example's models copied `copies` times under new ids, with their decisions."""
    import dataclasses

    from licscan.config import load_config
    from licscan.evaluation import load
    from licscan.evaluation.answers import answer

    knowledge, _ = load(load_config(Path(base.project_root)).evaluation())
    models = [dataclasses.replace(report, key=f"{report.key}-{index}", findings=tuple(
              dataclasses.replace(finding, model=f"{report.key}-{index}") for finding in report.findings))
              for index in range(copies) for report in base.models]
    return dataclasses.replace(base, models=tuple(models), findings=tuple(
        finding for report in models for finding in report.findings),
        answers=answer(models, knowledge, knowledge.answers, None))


def test_the_terminal_summary_costs_a_few_calls_per_line_at_any_size(tmp_path, monkeypatch):
    """Drawn with rich, the summary made about 500 calls per line it printed (6 s at 2,000 models); laid out
    by licscan it makes under a hundred (most of them len and the like), and twice the models cost twice the calls."""
    import datetime
    import shutil

    from licscan.config import load_config
    from licscan.reporting.terminal import render
    from licscan.scan import scan

    from test_scale_growth import LINEAR, calls_made

    project = tmp_path / "assistant-app"
    shutil.copytree(Path(__file__).resolve().parents[1] / "examples" / "assistant-app", project)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("LICSCAN_DB_URL", f"sqlite:///{tmp_path / 'cache.db'}")
    base = scan(load_config(project), clock=lambda: datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
                history=False)
    measured = []
    for copies in (10, 20):
        result = _many(base, copies)
        shown: list[str] = []
        calls = calls_made(lambda: shown.append(render(result, width=120)))
        lines = shown[0].splitlines()
        assert sum(line.startswith("Blocked") for line in lines) >= copies  # every model has its row
        measured.append((calls, len(lines)))
    (calls, lines), (calls2, lines2) = measured
    assert calls2 / calls <= LINEAR, measured
    assert calls2 / lines2 <= 120, measured


def test_quiet_and_a_report_on_standard_output_never_draw_the_summary(tmp_path, monkeypatch):
    """Nothing shows the full summary under --quiet or when a report owns standard output: it is not drawn."""
    import licscan.reporting.terminal as terminal

    def drawn(*args, **kwargs):
        raise AssertionError("the full summary was drawn")

    stub, root = _project(tmp_path, 3)
    env = {"HF_ENDPOINT": stub.url, "LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'cache.db'}"}
    try:
        monkeypatch.setattr(terminal, "render", drawn)
        quiet = runner.invoke(app, ["scan", str(root), "--quiet"], env=env)
        piped = runner.invoke(app, ["scan", str(root), "--json", "-"], env=env)
    finally:
        stub.stop()
    assert quiet.exit_code in (0, 1, 3) and "3 models" in quiet.stdout, quiet.output
    assert piped.exit_code == quiet.exit_code and "3 models" in piped.stderr
    assert json.loads(piped.stdout)["summary"]["models"] == 3


def test_the_command_collects_cycles_rarely(monkeypatch):
    """The cycle collector walked a scan's millions of long-lived, acyclic objects at every 700 allocations:
    about a quarter of a 2,000-model warm re-scan's CPU (benchmarks/bench_scale.py). The command raises the
    threshold; cycles are still collected."""
    import gc

    from licscan import entry

    before = gc.get_threshold()
    monkeypatch.setattr("sys.argv", ["licscan", "--version"])
    try:
        try:
            entry.main(fast_exit=False)
        except SystemExit:
            pass
        assert gc.get_threshold()[0] >= 10_000 and gc.isenabled()
    finally:
        gc.set_threshold(*before)


def test_a_report_kept_for_its_scan_goes_with_the_scan(tmp_path):
    """The report built once per scan is not kept after the scan result is gone (a service scanning many
    projects would otherwise hold the last large report)."""
    import dataclasses
    import gc

    import licscan.reporting.json_report as json_report
    from licscan.model import ScanResult, Verdict

    result = ScanResult(project="p", generated_at="2026-01-01T00:00:00Z", tool_version="0", policy="default",
                        models=(), findings=(), skipped=(), verdict=Verdict.PASS)
    first = json_report.report_dict(result)
    assert json_report.report_dict(result) is first  # built once for the scan
    assert json_report.report_dict(dataclasses.replace(result)) is not first  # another scan: its own
    other = dataclasses.replace(result, project="q")
    json_report.report_dict(other)
    del other
    gc.collect()
    assert json_report._last_built == [None, None]


def test_a_command_runs_its_exit_handlers_and_then_leaves_without_the_interpreters_teardown(tmp_path):
    """After a large scan the interpreter's teardown (freeing every object one by one, a last collection) was a
    fifth of a second of a 2,000-model warm re-scan. The command runs the registered exit handlers, as the
    usual exit does, then leaves at once with the verdict's exit code; nothing else is torn down."""
    import os
    import subprocess
    import sys

    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text("print('no model here')\n")
    code = ("import atexit, sys\n"
            "class Kept:\n"
            "    def __del__(self):\n"
            "        print('torn down', flush=True)\n"
            "kept = Kept()\n"
            "atexit.register(lambda: print('handler ran', flush=True))\n"
            "from licscan.entry import main\n"
            f"sys.argv = ['licscan', 'scan', {str(project)!r}, '--quiet']\n"
            "main()\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HF_", "LICSCAN_"))}
    env.update(LICSCAN_DB_URL=f"sqlite:///{tmp_path / 'cache.db'}", HF_HUB_OFFLINE="1",
               XDG_CACHE_HOME=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "0 models" in done.stdout and done.stdout.rstrip().endswith("handler ran")
    assert "torn down" not in done.stdout


def test_the_last_scans_result_is_left_for_the_process_exit_to_drop(tmp_path, monkeypatch):
    """Freeing a 2,000-model scan's objects one by one cost a tenth of a second just before the process left
    (and leaves without a teardown): the command keeps its last result; a next command replaces it."""
    import gc
    import weakref

    import licscan.scan as scan_module

    real = scan_module.scan
    results = []
    monkeypatch.setattr(scan_module, "scan", lambda *args, **kwargs: results.append(real(*args, **kwargs))
                        or results[-1])
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text("print('no model here')\n")
    env = {"LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'cache.db'}", "HF_HUB_OFFLINE": "1"}
    for _ in range(2):
        done = runner.invoke(app, ["scan", str(project), "--quiet"], env=env)
        assert done.exit_code == 0, done.output
    first, last = (weakref.ref(result) for result in results)
    results.clear()
    gc.collect()
    assert last() is not None and first() is None
