"""The declared model list from settings: located in its file, revisions kept, bad ids reported."""

from __future__ import annotations

from licscan.discovery import discover
from licscan.model import DiscoverySettings, Location, ModelRef, Skipped

PYPROJECT = """\
[project]
name = "demo"

[tool.licscan]
models = [
  "org/model-a",
  "org/model-b@v2.0",
  "not an id",
]
"""


def test_declared_models_with_lines_revisions_and_invalid_ids(tmp_path):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    settings = DiscoverySettings(
        declared_models=("org/model-a", "org/model-b@v2.0", "not an id"),
        declared_in="pyproject.toml",
    )
    result = discover(tmp_path, settings)
    declared = [o for o in result.occurrences if o.source == "declared"]
    assert [(o.ref, o.location, o.via) for o in declared] == [
        (ModelRef("org/model-a"), Location("pyproject.toml", 6), "declared"),
        (ModelRef("org/model-b", "v2.0"), Location("pyproject.toml", 7), "declared"),
    ]
    assert Skipped("pyproject.toml", "invalid-id", "not an id") in result.skipped


def test_declared_in_another_file_or_nowhere(tmp_path):
    (tmp_path / "licscan.toml").write_text('models = ["org/other", "org/model"]\n', encoding="utf-8")
    result = discover(tmp_path, DiscoverySettings(declared_models=("org/model",), declared_in="licscan.toml"))
    (occurrence,) = result.occurrences
    assert occurrence.location == Location("licscan.toml", 1)

    (tmp_path / "licscan.toml").unlink()
    nowhere = discover(tmp_path, DiscoverySettings(declared_models=("org/unlisted",)))
    (occurrence,) = nowhere.occurrences
    assert occurrence.location == Location("pyproject.toml", None)


def test_an_empty_revision_is_an_invalid_id(tmp_path):
    result = discover(tmp_path, DiscoverySettings(declared_models=("org/model@",)))
    assert result.occurrences == ()
    assert result.skipped == (Skipped("pyproject.toml", "invalid-id", "org/model@"),)
