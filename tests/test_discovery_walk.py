"""The project walk: ignore files, excludes, tool folders, symlinks, and files too big or binary to read."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from licscan.discovery import discover
from licscan.model import DiscoverySettings, Skipped

LOAD = 'from transformers import AutoModel\nAutoModel.from_pretrained("{}")\n'


def _write(root, name, text):
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _ids(result):
    return {o.ref.repo_id for o in result.occurrences}


def test_root_and_nested_gitignore(tmp_path):
    _write(tmp_path, ".gitignore", "scratch/\n*.local.py\n")
    _write(tmp_path, "app.py", LOAD.format("org/kept"))
    _write(tmp_path, "scratch/try.py", LOAD.format("org/in-ignored-dir"))
    _write(tmp_path, "me.local.py", LOAD.format("org/ignored-by-glob"))
    _write(tmp_path, "pkg/.gitignore", "generated.py\n!keep.local.py\n")
    _write(tmp_path, "pkg/generated.py", LOAD.format("org/ignored-by-nested"))
    _write(tmp_path, "pkg/keep.local.py", LOAD.format("org/re-included-by-nested"))
    _write(tmp_path, "other/generated.py", LOAD.format("org/nested-rule-does-not-leak"))
    result = discover(tmp_path, DiscoverySettings())
    assert _ids(result) == {"org/kept", "org/re-included-by-nested", "org/nested-rule-does-not-leak"}
    assert result.skipped == ()  # ignored files are not reported


def test_ignore_files_are_matched_without_compiling_a_hyperscan_database(tmp_path, monkeypatch):
    # pathspec picks hyperscan when it is installed (discovery depends on it), at ~30 ms per .gitignore:
    # a project with a hundred ignore files would spend seconds compiling before reading anything.
    hyperscan = pytest.importorskip("hyperscan")
    compiled = []

    class CountingDatabase(hyperscan.Database):
        def compile(self, *args, **kwargs):
            # Only pathspec's: discovery's own needle engine may compile its database (it leaves re after a few
            # milliseconds of re's CPU time, which a loaded machine can reach during this test).
            if sys._getframe(1).f_globals.get("__name__", "").startswith("pathspec"):
                compiled.append(kwargs.get("expressions"))
            return super().compile(*args, **kwargs)

    monkeypatch.setattr(hyperscan, "Database", CountingDatabase)
    for number in range(3):
        _write(tmp_path, f"pkg{number}/.gitignore", "*.tmp.py\n!keep.tmp.py\nbuild-*/\n")
        _write(tmp_path, f"pkg{number}/keep.tmp.py", LOAD.format(f"org/kept-{number}"))
        _write(tmp_path, f"pkg{number}/drop.tmp.py", LOAD.format("org/dropped"))
    result = discover(tmp_path, DiscoverySettings(exclude=("legacy/**",)))
    assert _ids(result) == {"org/kept-0", "org/kept-1", "org/kept-2"}
    assert compiled == []


def test_settings_exclude_wins_over_gitignore_reinclude(tmp_path):
    _write(tmp_path, ".gitignore", "!examples/\n")
    _write(tmp_path, "examples/demo.py", LOAD.format("org/example"))
    _write(tmp_path, "src/main.py", LOAD.format("org/main"))
    _write(tmp_path, "src/vendor/x.yaml", "model: org/vendored\n")
    result = discover(tmp_path, DiscoverySettings(exclude=("examples/", "vendor/")))
    assert _ids(result) == {"org/main"}


def test_virtualenvs_and_tool_folders_are_skipped(tmp_path):
    _write(tmp_path, "main.py", LOAD.format("org/project"))
    _write(tmp_path, ".venv/lib/python3.11/site-packages/transformers/x.py", LOAD.format("org/in-dot-venv"))
    _write(tmp_path, "env311/pyvenv.cfg", "home = /usr/bin\n")
    _write(tmp_path, "env311/lib/site.py", LOAD.format("org/in-custom-venv"))
    _write(tmp_path, "node_modules/pkg/conf.json", '{"model": "org/in-node-modules"}')
    _write(tmp_path, "build/lib/copy.py", LOAD.format("org/in-build"))
    _write(tmp_path, ".tox/py311/x.py", LOAD.format("org/in-tox"))
    _write(tmp_path, "__pycache__/x.py", LOAD.format("org/in-pycache"))
    result = discover(tmp_path, DiscoverySettings())
    assert _ids(result) == {"org/project"}
    assert result.files_scanned == 1


def test_binary_and_oversized_files_are_reported_but_unwanted_ones_are_not(tmp_path):
    _write(tmp_path, "weird.py", b"AutoModel.from_pretrained('org/x')\x00\x01\x02")
    _write(tmp_path, "big.yaml", "model: org/big\n" + "# padding\n" * 200)
    _write(tmp_path, "logo.png", b"\x89PNG\r\n\x1a\n\x00\x00" + b"\x00" * 5000)
    _write(tmp_path, "weights.bin", b"\x00" * 5000)
    result = discover(tmp_path, DiscoverySettings(max_file_bytes=1000))
    reasons = {(s.path, s.reason) for s in result.skipped}
    assert reasons == {("weird.py", "binary"), ("big.yaml", "too-large")}
    assert result.occurrences == ()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinks_out_of_the_root_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    _write(outside, "secret.py", LOAD.format("org/outside-file"))
    _write(outside, "dir/x.py", LOAD.format("org/outside-dir"))
    root = tmp_path / "project"
    _write(root, "main.py", LOAD.format("org/inside"))
    try:
        os.symlink(outside / "secret.py", root / "linked.py")
        os.symlink(outside / "dir", root / "linkdir", target_is_directory=True)
        os.symlink(root, root / "loop", target_is_directory=True)
    except OSError:
        pytest.skip("symlinks not permitted here")
    result = discover(root, DiscoverySettings())
    assert _ids(result) == {"org/inside"}
    assert Skipped("linked.py", "outside-root", "symbolic link to a file outside the project") in result.skipped


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_skipped_with_the_reason_not_read(tmp_path):
    """A FIFO named like a source file (left by a tool, or planted) would block a read until a writer comes."""
    _write(tmp_path, "main.py", LOAD.format("org/inside"))
    os.mkfifo(tmp_path / "pipe.py")
    os.mkfifo(tmp_path / "config.yaml")
    os.mkfifo(tmp_path / ".gitignore")
    results: list = []
    worker = threading.Thread(target=lambda: results.append(discover(tmp_path, DiscoverySettings())), daemon=True)
    worker.start()
    worker.join(timeout=30)
    if worker.is_alive():
        for name in ("pipe.py", "config.yaml", ".gitignore"):  # release the blocked read, so the thread ends
            os.close(os.open(tmp_path / name, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("discovery blocked reading a named pipe")
    (result,) = results
    assert _ids(result) == {"org/inside"}
    assert Skipped("pipe.py", "not-a-file", "a named pipe, not a regular file") in result.skipped
    assert Skipped("config.yaml", "not-a-file", "a named pipe, not a regular file") in result.skipped


def test_paths_are_posix_and_relative(tmp_path):
    _write(tmp_path, "a/b/c/deep.py", LOAD.format("org/deep"))
    (occurrence,) = discover(tmp_path, DiscoverySettings()).occurrences
    assert occurrence.location.path == "a/b/c/deep.py"


def test_results_are_sorted_and_deduplicated(tmp_path):
    _write(tmp_path, "z.py", LOAD.format("org/b") + 'AutoModel.from_pretrained("org/a")\n')
    _write(tmp_path, "a.py", 'from transformers import pipeline\npipeline("t", model="org/b", tokenizer="org/b")\n')
    result = discover(tmp_path, DiscoverySettings())
    keys = [(o.ref.repo_id, o.location.path, o.location.line) for o in result.occurrences]
    assert keys == [("org/a", "z.py", 3), ("org/b", "a.py", 2), ("org/b", "z.py", 2)]


def test_dependencies_environments_and_build_output_are_reported_unless_gitignored(tmp_path):
    _write(tmp_path, "main.py", LOAD.format("org/project"))
    _write(tmp_path, "node_modules/pkg/conf.json", '{"model": "org/in-node-modules"}')
    _write(tmp_path, "venv/lib/x.py", LOAD.format("org/in-venv"))
    _write(tmp_path, "dist/copy.py", LOAD.format("org/in-dist"))
    _write(tmp_path, "tools/env311/pyvenv.cfg", "home = /usr/bin\n")
    _write(tmp_path, "build/lib/copy.py", LOAD.format("org/in-build"))
    _write(tmp_path, ".gitignore", "build/\n")
    result = discover(tmp_path, DiscoverySettings())
    assert _ids(result) == {"org/project"}
    assert set(result.skipped) == {
        Skipped("node_modules", "dependencies", "installed JavaScript packages"),
        Skipped("venv", "virtual-environment", "a virtual environment"),
        Skipped("dist", "build-output", "build output"),
        Skipped("tools/env311", "virtual-environment", "a virtual environment (pyvenv.cfg)"),
    }


def test_a_file_that_grew_after_the_walk_is_read_whole_or_reported_too_large(tmp_path):
    from licscan.discovery.walk import TEXT, FileEntry, read

    path = _write(tmp_path, "app.py", LOAD.format("org/grown") * 50)
    seen_small = FileEntry("app.py", str(path), 10, 0, TEXT)  # the walk saw 10 bytes; it has grown since
    assert read(seen_small, tmp_path, DiscoverySettings()).data == path.read_bytes()
    grown_past_limit = read(seen_small, tmp_path, DiscoverySettings(max_file_bytes=100))
    assert isinstance(grown_past_limit, Skipped) and grown_past_limit.reason == "too-large"
