"""`licscan check` matches a reference to the lockfile's entry for the same dependency: a Hub model named without a
revision and the same model pinned to `main` (the revision an unpinned reference resolves to) are one dependency;
a pin to any other revision is another, checked only once locked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from handmade import add_repo

LICSCAN = str(Path(sys.executable).parent / "licscan")
MODEL = "clean-test/apache-model"


def _call(revision: str | None) -> str:
    pin = f', revision="{revision}"' if revision else ""
    return f'from transformers import AutoModel\nAutoModel.from_pretrained("{MODEL}"{pin})\n'


def _licscan(project: Path, *args: str) -> subprocess.CompletedProcess:
    # The installed command, as the pre-commit hook runs it (its lean path, not the Typer app).
    return subprocess.run([LICSCAN, *args], cwd=project, capture_output=True, text=True, timeout=120)


@pytest.fixture
def hub(tmp_path) -> Path:
    root = tmp_path / "hub"
    add_repo(root, MODEL, {"license": "apache-2.0"})
    return root


def _locked_project(tmp_path: Path, hub: Path, revision: str | None) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(_call(revision))
    locked = _licscan(project, "lock", ".", "--mirror", str(hub))
    assert locked.returncode == 0 and "verdict PASS" in locked.stdout, locked.stdout + locked.stderr
    return project


@pytest.mark.parametrize(("locked_as", "named_as"), [("main", None), (None, "main")])
def test_an_unpinned_reference_and_one_pinned_to_main_are_the_same_locked_dependency(tmp_path, hub, locked_as,
                                                                                      named_as):
    project = _locked_project(tmp_path, hub, locked_as)
    assert _licscan(project, "check", "app.py").returncode == 0  # the file as locked
    (project / "new.py").write_text(_call(named_as))
    checked = _licscan(project, "check", "new.py")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("PASS: 1 model in 1 file") and "MISSING" not in checked.stdout
    whole = _licscan(project, "check")  # both files, one dependency
    assert whole.returncode == 0 and whole.stdout.startswith("PASS: 1 model in 2 files"), whole.stdout


@pytest.mark.parametrize("locked_as", ["main", None])
def test_a_reference_pinned_to_another_revision_is_missing_and_says_which_revision_is_locked(tmp_path, hub,
                                                                                             locked_as):
    project = _locked_project(tmp_path, hub, locked_as)
    (project / "app.py").write_text(_call("v2.0"))  # the developer changes the pin
    checked = _licscan(project, "check", "app.py")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert checked.stdout.splitlines() == [
        f"MISSING {MODEL}@v2.0 (app.py:2) is not in licscan.lock: run `licscan lock` to resolve it and record its "
        "lineage",
        f"  the lockfile records {MODEL} only at main: another revision may have another lineage and licence, so it "
        "is checked once locked",
        "FAIL: 1 model in 1 file checked against licscan.lock (as locked)",
    ]
