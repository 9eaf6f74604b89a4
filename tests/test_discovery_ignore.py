"""The configuration's ignore list: paths and model ids skipped on purpose, each reported with its reason."""

from __future__ import annotations

import pytest

from licscan.config import load_config
from licscan.discovery import discover
from licscan.errors import ConfigError
from licscan.model import DiscoverySettings, IgnoreEntry, Skipped

LOAD = 'from transformers import AutoModel\nAutoModel.from_pretrained("{}")\n'


def _write(root, name, text):
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_ignored_paths_and_models_are_reported_not_dropped(tmp_path):
    _write(tmp_path, "app/main.py", LOAD.format("org/kept") + 'AutoModel.from_pretrained("org/eval-only")\n')
    _write(tmp_path, "benchmarks/run.py", LOAD.format("org/in-benchmarks"))
    _write(tmp_path, "tools/convert.py", LOAD.format("bartowski/some-quant"))
    _write(tmp_path, "tools/notes.csv", "not read by any source\n")
    settings = DiscoverySettings(ignore=(
        IgnoreEntry(path="benchmarks/", reason="benchmark code, never shipped"),
        IgnoreEntry(path="tools/*.csv", reason="data"),
        IgnoreEntry(model="org/eval-only", reason="evaluation only (LEGAL-12)"),
        IgnoreEntry(model="BARTOWSKI/*", reason="local experiments"),
    ))
    result = discover(tmp_path, settings)
    assert {o.ref.repo_id for o in result.occurrences} == {"org/kept"}
    assert set(result.skipped) == {
        Skipped("benchmarks", "ignored-by-config", "benchmarks/: benchmark code, never shipped"),
        Skipped("app/main.py", "ignored-by-config", "model org/eval-only at line 3: evaluation only (LEGAL-12)"),
        Skipped("tools/convert.py", "ignored-by-config", "model bartowski/some-quant at line 2: local experiments"),
    }


def test_ignore_list_from_pyproject_and_yaml(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.licscan]\nignore = [\n  {path = "vendor/**", reason = "third-party code"},\n'
        '  {model = "org/test-fixture", reason = "tests only"},\n]\n', encoding="utf-8")
    config = load_config(tmp_path)
    assert config.discovery().ignore == (
        IgnoreEntry(reason="third-party code", path="vendor/**"),
        IgnoreEntry(reason="tests only", model="org/test-fixture"),
    )
    (tmp_path / ".licscan.yaml").write_text("ignore:\n  - model: org/x\n    reason: why not\n", encoding="utf-8")
    assert load_config(tmp_path).discovery().ignore == (IgnoreEntry(reason="why not", model="org/x"),)


@pytest.mark.parametrize(
    ("entries", "key", "message"),
    [
        ('[{path = "vendor/"}]', "ignore[0].reason", "needs a reason"),
        ('[{model = "org/x", reason = "  "}]', "ignore[0].reason", "needs a reason"),
        ('[{model = "org/x", path = "a", reason = "r"}]', "ignore[0]", "exactly one of"),
        ('[{models = "org/x", reason = "r"}]', "ignore[0]", "unknown keys"),
        ('"vendor/"', "ignore", "must be a list"),
    ],
)
def test_ignore_entries_without_a_reason_are_configuration_errors(tmp_path, entries, key, message):
    (tmp_path / "pyproject.toml").write_text(f"[tool.licscan]\nignore = {entries}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    assert error.value.file == "pyproject.toml" and error.value.key == key
    assert message in str(error.value)
