"""The shape of the project: stage independence, data inside the wheel, the CLI entry point."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_import_contracts_hold():
    """Stages never import each other; the data model stays a leaf (import-linter, .importlinter)."""
    completed = subprocess.run(
        [str(BIN / "lint-imports"), "--config", str(ROOT / ".importlinter")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "broken" not in completed.stdout.lower() or "0 broken" in completed.stdout.lower()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    (built,) = out.glob("licscan-*.whl")
    return built


def test_wheel_carries_rules_and_report_templates(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for rule_file in (ROOT / "rules").rglob("*.yaml"):
        assert f"licscan/_data/rules/{rule_file.relative_to(ROOT / 'rules').as_posix()}" in names
    for template in (ROOT / "reports").rglob("*.j2"):
        assert f"licscan/_data/reports/{template.relative_to(ROOT / 'reports').as_posix()}" in names
    # discover reads the shipped providers' vocabulary from its snapshot (config.VOCABULARY_SNAPSHOT).
    assert "licscan/providers_vocabulary.json" in names
    # The store migrates databases from inside the installed package.
    for script in (ROOT / "licscan" / "resolution" / "migrations").rglob("*.py"):
        assert script.relative_to(ROOT).as_posix() in names


def test_the_wheel_and_the_sdist_carry_the_licence_they_declare(wheel, tmp_path):
    """The wheel declares License-Expression: Apache-2.0; the text ships beside it (from the SPDX list)."""
    import tarfile

    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("Apache License\nVersion 2.0, January 2004\n") and "END OF TERMS AND CONDITIONS" in text
    archive = zipfile.ZipFile(wheel)
    metadata = archive.read(next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: Apache-2.0" in metadata and "License-File: LICENSE" in metadata
    shipped = next(n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE"))
    assert archive.read(shipped).decode("utf-8") == text
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    (sdist,) = tmp_path.glob("licscan-*.tar.gz")
    with tarfile.open(sdist) as bundle:
        assert bundle.extractfile(f"{sdist.name[:-len('.tar.gz')]}/LICENSE").read().decode("utf-8") == text


def test_installed_wheel_finds_its_own_rules(wheel, tmp_path):
    zipfile.ZipFile(wheel).extractall(tmp_path)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from licscan.config import data_dir; print(data_dir('rules')); print(data_dir('reports'))"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, check=True)
    rules_dir, reports_dir = out.stdout.split()
    assert Path(rules_dir) == tmp_path / "licscan" / "_data" / "rules"
    assert Path(reports_dir) == tmp_path / "licscan" / "_data" / "reports"


def test_every_command_the_readme_shows_exists():
    """The README's usage block and the CLI must not drift apart (pip-audit's check-readme, as a test)."""
    import re

    from typer.testing import CliRunner

    from licscan.cli import app

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Using it", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = sorted({tuple(re.match(r"licscan ((?:db|mirror|rules) \w+|\w+)", line).group(1).split())
                       for line in block.splitlines() if line.startswith("licscan ")})
    assert len(commands) >= 10
    for command in commands:
        result = CliRunner().invoke(app, [*command, "--help"])
        assert result.exit_code == 0, (command, result.output)


def test_the_readme_configuration_example_is_accepted_and_covers_every_setting(tmp_path):
    import re

    from licscan.config import _KNOWN_KEYS, load_config

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = readme.split("### Configuration", 1)[1].split("```toml", 1)[1].split("```", 1)[0]
    assert {re.match(r"(\w+) =", line).group(1) for line in example.splitlines() if re.match(r"\w+ =", line)} \
        == set(_KNOWN_KEYS)
    (tmp_path / "pyproject.toml").write_text(example.replace('mirror = "licscan-mirror"', ""))
    (tmp_path / "compliance" / "rules").mkdir(parents=True)
    config = load_config(tmp_path)
    assert config.models == ("Qwen/Qwen2.5-7B-Instruct",) and config.max_depth == 32
