"""The GitHub Action (action.yml) and the GitLab CI template, run as their CI would run them: their YAML parsed,
their shell steps run in order with the CI's variables, against the example's mirror; the reports they publish
must exist and the job must end as the verdict says."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "assistant-app"
VENV_BIN = Path(sys.executable).parent
_EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


def _fake_python(folder: Path) -> Path:
    """A `python` that records what the install step asks pip for instead of installing from the network (the
    package under test is already installed in this virtual environment, which the later steps use)."""
    folder.mkdir(parents=True, exist_ok=True)
    shim = folder / "python"
    shim.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{folder}/pip-args"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    return folder


def _project(workspace: Path, kind: str) -> str:
    """A project in the workspace: the example (fails on policy), a clean one (passes), or one naming a model
    its mirror lacks (incomplete)."""
    if kind == "fail":
        shutil.copytree(EXAMPLE, workspace / "apps" / "assistant")
        return "apps/assistant"
    project = workspace / "apps" / kind
    project.mkdir(parents=True)
    (project / "licscan-mirror").mkdir()
    (project / "pyproject.toml").write_text('[tool.licscan]\nmirror = "licscan-mirror"\n')
    code = 'from x import M\nM.from_pretrained("org/not-mirrored")\n' if kind == "incomplete" else "print('no model')\n"
    (project / "app.py").write_text(code)
    return f"apps/{kind}"


def _run(script: str, env: dict[str, str], cwd: Path, *, gitlab: bool = False) -> subprocess.CompletedProcess:
    options = ["-e", "-o", "pipefail"]  # GitHub's `shell: bash` and GitLab's bash runner both stop on an error
    return subprocess.run(["bash", *options, "-c", script], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=300)


# ---------------------------------------------------------------------------------------------------------
# GitHub Action
# ---------------------------------------------------------------------------------------------------------


def _run_action(tmp_path: Path, kind: str, **inputs: str) -> tuple[int, dict[str, str], Path, list[dict], Path]:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    values["path"] = _project(workspace, kind)
    values.update(inputs)
    github_output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    github_output.touch()
    summary.touch()
    shims = _fake_python(tmp_path / "shims")
    outputs: dict[str, dict[str, str]] = {}

    def resolve(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("inputs."):
                return values[expression.removeprefix("inputs.")]
            if expression == "github.action_path":
                return str(ROOT)
            if expression in ("runner.os", "github.run_id"):
                return {"runner.os": "Linux", "github.run_id": "1"}[expression]
            step = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
            if step:
                return outputs.get(step.group(1), {}).get(step.group(2), "")
            raise AssertionError(f"the test does not know the expression {expression!r}")

        return _EXPRESSION.sub(one, text)

    used, code = [], 0
    for step in action["runs"]["steps"]:
        if "uses" in step:
            used.append({"uses": step["uses"], "if": step.get("if", ""),
                         "with": {key: resolve(str(value)) for key, value in step.get("with", {}).items()}})
            continue
        assert step["shell"] == "bash" and "${{" not in step["run"], "inputs must reach scripts as variables"
        github_output.write_text("")
        env = {**os.environ, **{name: resolve(str(value)) for name, value in step.get("env", {}).items()},
               "GITHUB_OUTPUT": str(github_output), "GITHUB_STEP_SUMMARY": str(summary),
               "PATH": f"{shims}:{VENV_BIN}:{os.environ['PATH']}"}
        completed = _run(step["run"], env, workspace)
        outputs[step.get("id", step["name"])] = dict(
            line.split("=", 1) for line in github_output.read_text().splitlines() if "=" in line)
        code = completed.returncode
        if code != 0:
            break  # a failing step ends the job, as on GitHub
    return code, outputs.get("scan", {}), workspace, used, tmp_path


def test_action_installs_the_repository_it_lives_in_and_its_defaults_fail_closed(tmp_path):
    code, scan, workspace, used, base = _run_action(tmp_path, "fail")
    assert (base / "shims" / "pip-args").read_text().splitlines()[-1] == str(ROOT)
    assert scan == {"exit-code": "1", "verdict": "fail"} and code == 1
    reports = workspace / "licscan-reports"
    for name in ("licscan.sarif", "licscan.json", "licscan.html", "licscan.md", "licscan.xml"):
        assert (reports / name).is_file(), name
    summary = (base / "step_summary").read_text()
    assert summary == (reports / "licscan.md").read_text() and "FAIL" in summary.upper()
    upload = next(step for step in used if step["uses"].startswith("github/codeql-action/upload-sarif@"))
    assert (workspace / upload["with"]["sarif_file"]).is_file()
    artifact = next(step for step in used if step["uses"].startswith("actions/upload-artifact@"))
    assert all((workspace / path).is_file() for path in artifact["with"]["path"].split())
    assert artifact["if"] == "always()" and "always()" in upload["if"]
    cache = next(step for step in used if step["uses"].startswith("actions/cache@"))
    assert cache["with"]["path"] == "~/.cache/licscan"


@pytest.mark.parametrize(("kind", "fail_level", "expected_code", "verdict"), [
    ("pass", "incomplete", 0, "pass"),
    ("incomplete", "incomplete", 3, "incomplete"),
    ("incomplete", "fail", 0, "incomplete"),
    ("fail", "never", 0, "fail"),
])
def test_action_ends_as_the_verdict_and_the_fail_level_say(tmp_path, kind, fail_level, expected_code, verdict):
    code, scan, workspace, _, _ = _run_action(tmp_path, kind, **{"fail-level": fail_level})
    assert scan["verdict"] == verdict and code == expected_code
    assert (workspace / "licscan-reports" / "licscan.sarif").is_file()


def test_action_refuses_an_unknown_fail_level_even_on_a_pass(tmp_path):
    code, scan, _, _, _ = _run_action(tmp_path, "pass", **{"fail-level": "warning"})
    assert scan["verdict"] == "pass" and code == 2


# ---------------------------------------------------------------------------------------------------------
# GitLab CI template
# ---------------------------------------------------------------------------------------------------------


def _run_gitlab(tmp_path: Path, kind: str, **variables: str) -> tuple[subprocess.CompletedProcess, dict, Path]:
    template = yaml.safe_load((ROOT / "ci" / "gitlab" / "licscan.gitlab-ci.yml").read_text())
    job = template["licscan"]
    workspace = tmp_path / "project-dir"
    workspace.mkdir()
    shims = _fake_python(tmp_path / "shims")
    env = {**os.environ, "CI_PROJECT_DIR": str(workspace), "PATH": f"{shims}:{VENV_BIN}:{os.environ['PATH']}"}
    for name, value in {**template["variables"], **job.get("variables", {})}.items():
        env[name] = os.path.expandvars(str(value).replace("$CI_PROJECT_DIR", str(workspace)))
    env["LICSCAN_PATH"] = _project(workspace, kind)
    env.update(variables)
    completed = _run("\n".join(job["script"]), env, workspace, gitlab=True)
    return completed, job, workspace


def test_gitlab_job_publishes_junit_and_the_reports_and_fails_on_violations(tmp_path):
    completed, job, workspace = _run_gitlab(tmp_path, "fail")
    assert completed.returncode == 1, completed.stdout + completed.stderr
    junit = workspace / job["artifacts"]["reports"]["junit"]
    assert junit.is_file() and "<failure" in junit.read_text()
    assert job["artifacts"]["when"] == "always"
    for path in job["artifacts"]["paths"]:
        assert (workspace / path).exists()
    for name in ("licscan.html", "licscan.json", "licscan.md"):
        assert (workspace / "licscan-reports" / name).is_file()
    assert (workspace / "licscan-reports" / "licscan.md").read_text().strip() in completed.stdout
    assert "sarif" not in " ".join(job["script"]).lower()  # GitLab does not read SARIF
    assert (workspace / job["cache"]["paths"][0]).is_dir()  # the metadata database, where GitLab caches it
    assert (tmp_path / "shims" / "pip-args").read_text().splitlines()[-1] == job["variables"].get(
        "LICSCAN_INSTALL", yaml.safe_load((ROOT / "ci/gitlab/licscan.gitlab-ci.yml").read_text())["variables"]["LICSCAN_INSTALL"])


@pytest.mark.parametrize(("kind", "fail_level", "expected_code"), [
    ("pass", "incomplete", 0), ("incomplete", "incomplete", 3), ("incomplete", "fail", 0), ("fail", "never", 0),
])
def test_gitlab_job_ends_as_the_verdict_and_the_fail_level_say(tmp_path, kind, fail_level, expected_code):
    completed, job, workspace = _run_gitlab(tmp_path, kind, LICSCAN_FAIL_LEVEL=fail_level)
    assert completed.returncode == expected_code, completed.stdout + completed.stderr
    assert (workspace / job["artifacts"]["reports"]["junit"]).is_file()
