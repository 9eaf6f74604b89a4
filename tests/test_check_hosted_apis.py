"""`licscan check FILES` (the pre-commit path) sees hosted-API uses in the files it is given, as `scan` does, with
the providers' vocabulary the lockfile recorded (no YAML parser per commit)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from typer.testing import CliRunner

from licscan.cli import app

_CHAT = """
    import anthropic
    anthropic.Anthropic().messages.create(model="claude-3-5-haiku-latest", max_tokens=1, messages=[])
"""
_NEW_PROVIDER = """
    from openai import OpenAI
    OpenAI(base_url="https://api.deepseek.com").chat.completions.create(model="deepseek-chat", messages=[])
"""


def _locked(tmp_path: Path, monkeypatch) -> tuple[Path, dict[str, str]]:
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "app" / "chat.py").write_text(textwrap.dedent(_CHAT))
    env = {"LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'cache.db'}", "HOME": str(tmp_path / "home")}
    monkeypatch.chdir(project)
    result = CliRunner().invoke(app, ["lock", "."], env=env, catch_exceptions=False)
    assert "api:anthropic/claude-3-5-haiku-latest" in json.loads((project / "licscan.lock").read_text())["models"], \
        result.output
    return project, env


def test_check_of_given_files_sees_a_hosted_api_the_lockfile_does_not_record(tmp_path, monkeypatch):
    project, env = _locked(tmp_path, monkeypatch)
    result = CliRunner().invoke(app, ["check", "app/chat.py"], env=env, catch_exceptions=False)
    assert result.exit_code == 0 and "1 model in 1 file" in result.output, result.output
    (project / "app" / "chat.py").write_text(textwrap.dedent(_NEW_PROVIDER))
    result = CliRunner().invoke(app, ["check", "app/chat.py"], env=env, catch_exceptions=False)
    assert result.exit_code == 1 and "MISSING api:deepseek/deepseek-chat (app/chat.py:3)" in result.output, result.output


def test_the_hook_path_still_reads_no_yaml_when_it_looks_for_hosted_apis(tmp_path, monkeypatch):
    project, env = _locked(tmp_path, monkeypatch)
    (project / "app" / "chat.py").write_text(textwrap.dedent(_NEW_PROVIDER))
    probe = ("import sys\nfrom licscan.entry import main\nsys.argv = ['licscan', 'check', 'app/chat.py']\n"
             "try:\n    main(fast_exit=False)\nexcept SystemExit as leaving:\n    code = leaving.code\n"
             "print(code, 'yaml' in sys.modules)\n")
    completed = subprocess.run([sys.executable, "-c", probe], cwd=project, capture_output=True, text=True,
                               timeout=60, env={**env, "PATH": "/usr/bin:/bin"})
    assert "MISSING api:deepseek/deepseek-chat" in completed.stdout, completed.stdout + completed.stderr
    assert completed.stdout.strip().splitlines()[-1] == "1 False"


def test_a_damaged_vocabulary_in_the_lockfile_is_an_error_and_an_older_lockfile_reads_the_rules(tmp_path, monkeypatch):
    project, env = _locked(tmp_path, monkeypatch)
    lock = json.loads((project / "licscan.lock").read_text())
    lock["providers_vocabulary"]["hosts"] = [["api.deepseek.com"]]  # a pair cut short
    (project / "licscan.lock").write_text(json.dumps(lock))
    (project / "app" / "chat.py").write_text(textwrap.dedent(_NEW_PROVIDER))
    result = CliRunner().invoke(app, ["check", "app/chat.py"], env=env, catch_exceptions=False)
    assert result.exit_code == 2 and "is damaged: 'providers_vocabulary'" in result.output, result.output
    del lock["providers_vocabulary"]  # as an older licscan wrote it
    (project / "licscan.lock").write_text(json.dumps(lock))
    result = CliRunner().invoke(app, ["check", "app/chat.py"], env=env, catch_exceptions=False)
    assert result.exit_code == 1 and "MISSING api:deepseek/deepseek-chat" in result.output, result.output
