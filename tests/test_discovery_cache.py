"""The per-file cache: an unchanged tree is answered without reading a file, a changed file is read again, and
worker processes give the same answer as one process."""

from __future__ import annotations

import os
import time

import pytest

from licscan import forked
from licscan.discovery import discover, runner
from licscan.model import DiscoverySettings

LOAD = 'from transformers import AutoModel\nAutoModel.from_pretrained("{}")\n'


def _age(root, seconds=60):
    """Date every file and folder back: the cache does not trust what changed in the last two seconds."""
    past = time.time_ns() - seconds * 1_000_000_000
    for path in [*root.rglob("*"), root]:
        os.utime(path, ns=(past, past), follow_symlinks=False)


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    for index in range(6):
        path = root / f"pkg{index % 2}" / f"mod{index}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(LOAD.format(f"org/model-{index}"), encoding="utf-8")
    (root / "train.yaml").write_text("base_model: org/yaml-base\n", encoding="utf-8")
    (root / "empty.py").write_text("x = 1\n", encoding="utf-8")
    _age(root)
    return root


@pytest.fixture
def counted(monkeypatch):
    """The files the sources actually read, by relative path."""
    seen: list[str] = []
    real = runner.scan_file

    def scan_file(file, sources=None):
        seen.append(file.relpath)
        return real(file, sources)

    monkeypatch.setattr(runner, "scan_file", scan_file)
    return seen


def test_an_unchanged_tree_is_answered_from_the_cache(project, tmp_path, counted):
    settings = DiscoverySettings(cache_path=str(tmp_path / "cache" / "project.json"), workers=1)
    first = discover(project, settings)
    assert len(counted) == 8 and (tmp_path / "cache" / "project.json").is_file()
    counted.clear()
    again = discover(project, settings)
    assert counted == []
    assert again == first


def test_changed_files_are_read_again_and_touched_ones_are_not(project, tmp_path, counted):
    settings = DiscoverySettings(cache_path=str(tmp_path / "cache.json"), workers=1)
    discover(project, settings)
    counted.clear()
    (project / "pkg0" / "mod0.py").write_text(LOAD.format("org/changed"), encoding="utf-8")
    (project / "pkg1" / "mod3.py").unlink()
    _age(project, 30)  # every time changes (a checkout), only mod0.py's bytes do
    result = discover(project, settings)
    # Files that name nothing are not hashed: reading them again costs what hashing them would.
    assert sorted(counted) == ["empty.py", "pkg0/mod0.py"]
    ids = {o.ref.repo_id for o in result.occurrences}
    assert "org/changed" in ids and "org/model-0" not in ids and "org/model-3" not in ids
    assert "org/model-1" in ids


def test_a_damaged_cache_or_other_settings_mean_reading_again(project, tmp_path, counted):
    cache = tmp_path / "cache.json"
    settings = DiscoverySettings(cache_path=str(cache), workers=1)
    first = discover(project, settings)
    cache.write_bytes(b"{not json")
    counted.clear()
    assert discover(project, settings) == first
    assert len(counted) == 8
    counted.clear()
    discover(project, DiscoverySettings(cache_path=str(cache), workers=1, config_keys=("my_model",)))
    assert len(counted) == 8


def test_a_folder_made_after_caching_still_makes_an_id_local(project, tmp_path):
    settings = DiscoverySettings(cache_path=str(tmp_path / "cache.json"))
    assert "org/model-0" in {o.ref.repo_id for o in discover(project, settings).occurrences}
    (project / "pkg0" / "org" / "model-0").mkdir(parents=True)
    assert "org/model-0" not in {o.ref.repo_id for o in discover(project, settings).occurrences}


def test_worker_processes_give_the_same_result(project, monkeypatch):
    one = discover(project, DiscoverySettings(workers=1))
    # Forking is refused while other threads run (earlier tests may leave a server's threads behind).
    import threading

    monkeypatch.setattr(threading, "active_count", lambda: 1)
    helped: list[int] = []
    real_results = forked.Helper.results

    def results(self):
        rows = real_results(self)
        helped.append(len(rows))
        return rows

    monkeypatch.setattr(forked.Helper, "results", results)
    two = discover(project, DiscoverySettings(workers=2))
    assert len(helped) == 1 and 0 <= helped[0] <= 8  # one helper, which did some of the eight files
    assert two == one
    # A helper that dies, or hands back rows that are not the files it was sent: the parent does its part.
    monkeypatch.setattr(forked.Helper, "results", lambda self: real_results(self) and {})
    assert discover(project, DiscoverySettings(workers=2)) == one
    monkeypatch.setattr(forked.Helper, "results", lambda self: real_results(self) and {0: ["other.py", 1, 2, None, [True, None]], 1: "nonsense"})
    assert discover(project, DiscoverySettings(workers=2)) == one


def test_a_helper_reads_a_file_whose_name_is_not_utf8(project, monkeypatch):
    # Its path crosses the helper's pipe as the os module holds it (a lone surrogate), and comes back unchanged.
    import threading

    monkeypatch.setattr(threading, "active_count", lambda: 1)
    for number in range(40):
        name = os.fsencode(project / "pkg0") + b"/caf\xe9%d.py" % number
        descriptor = os.open(name, os.O_WRONLY | os.O_CREAT)
        os.write(descriptor, LOAD.format(f"org/latin-{number}").encode())
        os.close(descriptor)
    one = discover(project, DiscoverySettings(workers=1))
    helped: list[int] = []
    real_results = forked.Helper.results
    monkeypatch.setattr(forked.Helper, "results", lambda self: helped.append(1) or real_results(self))
    two = discover(project, DiscoverySettings(workers=2))
    assert helped and two == one
    assert {o.location.path for o in one.occurrences if o.ref.repo_id == "org/latin-7"} == {"pkg0/caf\\xe97.py"}


def test_no_worker_is_forked_while_other_threads_run(project, monkeypatch):
    import threading

    monkeypatch.setattr(threading, "active_count", lambda: 3)
    started = []
    monkeypatch.setattr(forked.Helper, "start", classmethod(lambda cls, work: started.append(1)))
    assert discover(project, DiscoverySettings(workers=2)).occurrences
    assert started == []


def test_a_helper_starts_while_the_walk_goes_on_and_the_two_meet(monkeypatch):
    """Items the parent is still producing are worked on by the helper; what is left when the parent has
    sent the last is taken from the back by the parent until they meet: every item done, none lost."""
    import threading

    monkeypatch.setattr(threading, "active_count", lambda: 1)
    helper = forked.Helper.start(lambda item: ["helper", item * item])
    assert helper is not None
    helper.send(list(range(10)))
    deadline = time.monotonic() + 30
    while helper.left() == 10 and time.monotonic() < deadline:
        time.sleep(0.001)  # the helper is at work before the last item is sent
    helper.send(list(range(10, 200)))
    helper.end()
    taken = []
    while (position := helper.take_last()) is not None:
        taken.append(position)
    theirs = helper.results()
    assert taken == sorted(taken, reverse=True) and (not taken or taken[0] == 199)
    assert 0 in theirs and theirs[0] == ["helper", 0]
    assert set(theirs) | set(taken) == set(range(200))
    assert all(theirs[position] == ["helper", position * position] for position in theirs)


def test_a_helper_sent_all_its_items_stops_reading_its_pipe_and_leaves_the_parents_objects_to_it(monkeypatch):
    """Once the parent has sent the last item, the helper works through the rest without looking at the pipe
    (it read it after every item: three system calls each); its cycle collector never walks what the parent built
    before the fork (frozen in the child)."""
    import gc
    import threading

    monkeypatch.setattr(threading, "active_count", lambda: 1)
    reads = [0]
    real_read = os.read

    def counted_read(fd, size):
        reads[0] += 1
        return real_read(fd, size)

    monkeypatch.setattr(os, "read", counted_read)
    # (The first item waits, so that the parent has sent everything before the helper goes on.)
    helper = forked.Helper.start(lambda item: (item or time.sleep(0.05)) and [reads[0], gc.get_freeze_count()])
    assert helper is not None
    helper.send(list(range(300)))
    helper.end()
    while helper.take_last() is not None and helper.left() > 250:
        pass
    theirs = helper.results()
    monkeypatch.undo()
    counts = [value for value in theirs.values() if value]  # (the first item's result is None)
    assert len(counts) >= 50
    assert max(reads_so_far for reads_so_far, _ in counts) <= 4
    assert min(frozen for _, frozen in counts) > 1000


def test_a_helper_that_dies_leaves_its_files_to_the_parent(project, monkeypatch):
    import threading

    one = discover(project, DiscoverySettings(workers=1))
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    parent = os.getpid()
    real_process = runner._process
    done_by_helper = []

    def process(entry, *args):
        if os.getpid() != parent:
            done_by_helper.append(entry.relpath)
            if len(done_by_helper) == 2:
                os._exit(7)  # as if killed halfway: nothing it did reaches the parent
        return real_process(entry, *args)

    monkeypatch.setattr(runner, "_process", process)
    assert discover(project, DiscoverySettings(workers=2)) == one


def test_checking_some_files_keeps_the_rest_of_the_cache(project, tmp_path, counted):
    from licscan.discovery import discover_files

    settings = DiscoverySettings(cache_path=str(tmp_path / "cache.json"), workers=1)
    discover(project, settings)
    edited = project / "pkg0" / "mod0.py"
    edited.write_text(LOAD.format("org/edited"), encoding="utf-8")
    past = time.time_ns() - 30_000_000_000
    for path in (edited, edited.parent):
        os.utime(path, ns=(past, past))
    counted.clear()
    only = discover_files(project, [str(project / "pkg0" / "mod0.py")], settings)
    assert [o.ref.repo_id for o in only.occurrences] == ["org/edited"] and counted == ["pkg0/mod0.py"]
    counted.clear()
    discover(project, settings)
    assert counted == []


def test_folder_listings_are_reused_until_the_folder_or_its_ignore_rules_change(project, tmp_path, monkeypatch):
    import importlib

    walk_module = importlib.import_module("licscan.discovery.walk")

    settings = DiscoverySettings(cache_path=str(tmp_path / "cache.json"), workers=1)
    first = discover(project, settings)
    listed = []
    scandir = os.scandir
    monkeypatch.setattr(
        walk_module.os, "scandir",
        lambda path: (str(path).startswith(str(project)) and listed.append(str(path))) or scandir(path),
    )
    assert discover(project, settings) == first and listed == []
    # A new file changes its folder's time: that folder is listed again, the others are not.
    (project / "pkg1" / "new.py").write_text(LOAD.format("org/new-file"), encoding="utf-8")
    past = time.time_ns() - 30_000_000_000
    for path in (project / "pkg1" / "new.py", project / "pkg1"):
        os.utime(path, ns=(past, past))
    assert "org/new-file" in {o.ref.repo_id for o in discover(project, settings).occurrences}
    assert listed == [str(project / "pkg1")]
    # A changed .gitignore changes what every folder below it lists.
    (project / ".gitignore").write_text("pkg0/\n", encoding="utf-8")
    _age(project)
    ids = {o.ref.repo_id for o in discover(project, settings).occurrences}
    assert "org/model-0" not in ids and "org/model-1" in ids
    # And so do other excludes.
    ids = {o.ref.repo_id for o in discover(project, DiscoverySettings(
        cache_path=str(tmp_path / "cache.json"), exclude=("pkg1/",))).occurrences}
    assert ids == {"org/yaml-base"}


def test_what_changed_in_the_last_seconds_is_not_trusted(tmp_path, counted):
    root = tmp_path / "fresh"
    root.mkdir()
    (root / "app.py").write_text(LOAD.format("org/just-written"), encoding="utf-8")
    settings = DiscoverySettings(cache_path=str(tmp_path / "cache.json"), workers=1)
    discover(root, settings)
    discover(root, settings)
    assert counted == ["app.py", "app.py"]  # written just now: could change again within the same tick


def test_a_helper_whose_parent_is_gone_stops(tmp_path):
    """A parent that fails mid-walk leaves no helper working on for nobody."""
    import subprocess
    import sys

    script = (
        "import os, sys, time\n"
        "from licscan import forked\n"
        "helper = forked.Helper.start(lambda item: time.sleep(0.05) or item)\n"
        "helper.send(list(range(1000)))\n"  # about 50 s of work
        "helper.end()\n"
        "open(sys.argv[1], 'w').write(str(helper.pid))\n"
        "os._exit(1)\n"
    )
    pid_file = tmp_path / "helper.pid"
    subprocess.run([sys.executable, "-c", script, str(pid_file)], stdout=subprocess.DEVNULL, timeout=60)
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _running(pid):
        time.sleep(0.05)
    assert not _running(pid)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def test_the_cache_file_does_not_depend_on_which_process_did_which_file(tmp_path):
    """Two processes hand their results back in an order that varies from run to run: the file written is
    the same bytes whatever that order was (a cache kept in version control or compared across runs)."""
    from licscan.discovery.cache import ResultCache

    files = [(f"pkg/mod{index}.py", 10 + index, 1_000 + index, None, [True, None]) for index in range(5)]
    dirs = [(f"pkg{index}", 2_000 + index, "stamp", [["mod.py", "f", "text"]]) for index in range(3)]
    written = []
    for order in (1, -1):
        path = tmp_path / f"cache{order}.json"
        cache = ResultCache(str(path), "fingerprint")
        for row in files[::order]:
            cache.put(*row)
        for row in dirs[::order]:
            cache.keep_listing(*row)
        cache.save()
        written.append(path.read_bytes())
    assert written[0] == written[1]


def test_the_configuration_sets_how_many_processes_discovery_uses(project, monkeypatch):
    """`discovery_workers = 1` (a runner with one core, a sandbox that forbids fork) keeps discovery in one
    process; 2 starts a helper at once; a value no machine needs is a configuration error."""
    import threading

    from licscan.config import load_config
    from licscan.errors import ConfigError

    monkeypatch.setattr(threading, "active_count", lambda: 1)
    started: list[int] = []
    real_start = forked.Helper.start

    def counting(cls, work, *codec):
        started.append(1)
        return real_start(work, *codec)

    monkeypatch.setattr(forked.Helper, "start", classmethod(counting))
    expected = discover(project, DiscoverySettings(workers=1))
    for workers, helpers in ((2, 1), (1, 0)):
        started.clear()
        (project / ".licscan.yaml").write_text(f"discovery_workers: {workers}\n", encoding="utf-8")
        result = discover(project, load_config(project).discovery(use_cache=False))
        assert len(started) == helpers
        assert result.occurrences == expected.occurrences
    for bad in ("500", "-1", "many"):
        (project / ".licscan.yaml").write_text(f"discovery_workers: {bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match="discovery_workers"):
            load_config(project)
