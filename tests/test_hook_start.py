"""The pre-commit path starts lean: discovery's regular expressions are compiled when first used (and so a check of a
few Python files compiles only the few it needs), a forked helper inherits them compiled, the readers of model weights
are imported when such a file turns up, the choice of the needle engine is not moved by time the process spent
waiting for the processor, and the lockfile's child forks only when a core is free."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import pytest

from licscan import lazy_re
from licscan.discovery import needles
from licscan.discovery.needles import Needle, NeedleSet

# In a fresh interpreter (this one has long since compiled what other tests used): discover the models of two
# Python files, then say which of discovery's module-level patterns are compiled.
_CHECK_OF_PYTHON_FILES = textwrap.dedent("""
    import json, pathlib, re, sys
    import licscan.discovery as discovery
    from licscan import lazy_re
    from licscan.model import DiscoverySettings

    def compiled():
        return sorted(f"{module.__name__}.{name}" for module in list(sys.modules.values())
                      if module is not None and module.__name__.startswith("licscan.discovery.")
                      for name, value in vars(module).items() if isinstance(value, re.Pattern))

    at_import = compiled()
    root = pathlib.Path(sys.argv[1])
    found = discovery.discover_files(root, [str(root / "a.py"), str(root / "b.py")],
                                     DiscoverySettings(workers=1))
    print(json.dumps({"at_import": at_import, "after": compiled(),
                      "stand_ins": sum(isinstance(item, lazy_re.LazyPattern) for item in lazy_re._pending),
                      "models": sorted(item.ref.key for item in found.occurrences),
                      "weights_readers": sorted(name for name in sys.modules
                                                if name.startswith(("licscan.gguf", "licscan.discovery.gguf",
                                                                    "licscan.discovery.safetensors")))}))
""")


def test_a_check_of_python_files_compiles_only_the_patterns_it_uses(tmp_path):
    (tmp_path / "a.py").write_text('from transformers import AutoModel\nAutoModel.from_pretrained("org/one")\n')
    (tmp_path / "b.py").write_text('import os\nMODEL_ID = os.environ.get("MODEL_ID", "org/two")\n'
                                   'pipe = pipeline("text-generation", model=MODEL_ID)\n')
    completed = subprocess.run([sys.executable, "-c", _CHECK_OF_PYTHON_FILES, str(tmp_path)], capture_output=True,
                               text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    state = json.loads(completed.stdout)
    assert state["models"] == ["org/one", "org/two"]
    assert state["weights_readers"] == []  # imported by the registry when a GGUF or safetensors file turns up
    # Importing discovery compiled none of its module-level patterns (some 120: a sixth of a small check's time)
    # but the two the command reader compares by identity (lazy_re.py says why) ...
    assert state["at_import"] == ["licscan.discovery.commands._ENV", "licscan.discovery.commands._FLAG"]
    assert state["stand_ins"] > 90
    # ... and reading Python compiled the Python reader's few, none of the shell, notebook, YAML or JS readers'.
    read_python = set(state["after"]) - set(state["at_import"])
    assert 0 < len(read_python) < 30
    assert not [name for name in read_python
                if name.startswith(("licscan.discovery.commands.", "licscan.discovery.notebooks.",
                                    "licscan.discovery.config_files.", "licscan.discovery.doc_code."))]


def _module_with(pattern: str) -> types.ModuleType:
    module = types.ModuleType("lazy_re_example")
    exec(f"from licscan import lazy_re\n_NAME = lazy_re.compile({pattern!r}, 2)\n", vars(module))  # noqa: S102
    return module


def test_a_pattern_once_used_is_the_compiled_pattern_under_its_name_and_answers_through_any_reference():
    module = _module_with(r"mod(el)")
    taken_early = module._NAME  # (a reference made before the first use: another module's import, a tuple)
    assert isinstance(taken_early, lazy_re.LazyPattern) and taken_early.pattern == r"mod(el)"
    assert module._NAME.search("a MODEL here").group(1) == "EL"  # re.IGNORECASE (2) kept
    assert isinstance(module._NAME, re.Pattern) and module._NAME.flags & re.IGNORECASE
    # The stand-in answers as the compiled pattern does, every method, from then on.
    assert [m.span() for m in taken_early.finditer("model Model")] == [(0, 5), (6, 11)]
    assert taken_early.sub("x", "model!") == "x!" and taken_early.groups == 1
    assert taken_early.fullmatch("Model").group(1) == "el" and taken_early.split("a model b") == ["a ", "el", " b"]


def test_helpers_forked_for_a_large_job_start_with_every_pattern_compiled(tmp_path):
    from licscan.discovery import runner
    from licscan.model import DiscoverySettings

    module = _module_with(r"never-used-yet")
    assert isinstance(module._NAME, lazy_re.LazyPattern)
    runner._use_one_pass([], DiscoverySettings())  # what scan_entries does just before it forks its helpers
    assert isinstance(module._NAME, re.Pattern)  # compiled once here, not once in each process after the fork
    assert not [item for item in lazy_re._pending if "_compiled" not in vars(item)]


def test_time_spent_waiting_for_the_processor_does_not_count_as_a_search_cost(monkeypatch):
    # A pre-commit check on a busy machine: the scheduler stops the process during a pass over a small file. That
    # wait is no cost of re, and must not load the one-pass engine (importing and compiling it: ~8 ms).
    loaded = []
    monkeypatch.setattr(needles, "_one_pass_database", lambda found: loaded.append(found))
    searched = NeedleSet([Needle(rb"from_pretrained")])
    real = NeedleSet._find_with_re

    def interrupted(self, data):
        time.sleep(0.01)  # the processor is elsewhere: the clock moves, this thread's CPU time does not
        return real(self, data)

    monkeypatch.setattr(NeedleSet, "_find_with_re", interrupted)
    for _ in range(3):
        assert searched.find(b'M.from_pretrained("org/one")\n') == [(0, 2, 17)]
    assert searched.engine == "re" and loaded == []


# A check in a fresh interpreter (this one may run threads another test left, and then never forks), told how many
# cores it has and how many tasks are running; it counts the digests hashed in this process (a forked child's are
# its own) and prints both runs.
_CHECK_TWICE = textwrap.dedent("""
    import json, os, pathlib, sys
    from licscan import forked, lock

    os.cpu_count = lambda: 2  # the machine's processors
    forked.cores = lambda: int(sys.argv[1])  # those this process may run on
    lock._running_now = lambda: int(sys.argv[2])  # tasks running now, this one among them
    hashed_here = []
    real_digest = lock.evaluation_digest
    lock.evaluation_digest = lambda *args: hashed_here.append(args) or real_digest(*args)
    first = lock.run_check(None, ["app.py"])
    lockfile = pathlib.Path("licscan.lock")
    recorded = json.loads(lockfile.read_text())["evaluation_digest"]
    lockfile.write_text(lockfile.read_text().replace(recorded, "sha256:" + "0" * 64))  # locked under other rules
    print(json.dumps({"runs": [first, lock.run_check(None, ["app.py"])], "hashed_here": len(hashed_here)}))
""")


@pytest.mark.parametrize(("cores", "running", "forks"), [(1, 1, False), (2, 1, True), (2, 2, False), (2, 9, False)])
def test_check_knows_whether_rules_changed_since_the_lock_with_or_without_a_second_core(tmp_path, cores, running,
                                                                                        forks):
    # With a core to spare a forked child parses the lockfile and hashes the rules, policy and code while discovery
    # runs; on one core, or when other work keeps every core busy (the child would take turns with this process),
    # this process does both. Either way a lockfile evaluated under other rules is evaluated again.
    from handmade import add_repo

    add_repo(tmp_path / "hub", "clean-test/apache-model", {"license": "apache-2.0"})
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text('from x import M\nM.from_pretrained("clean-test/apache-model")\n')
    locked = subprocess.run([str(Path(sys.executable).parent / "licscan"), "lock", ".", "--mirror",
                             str(tmp_path / "hub")], cwd=project, capture_output=True, text=True, timeout=120)
    assert locked.returncode == 0, locked.stdout + locked.stderr
    completed = subprocess.run([sys.executable, "-c", _CHECK_TWICE, str(cores), str(running)], cwd=project,
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    state = json.loads(completed.stdout)
    assert state["runs"] == [
        ["PASS: 1 model in 1 file checked against licscan.lock (as locked)", 0],
        ["PASS: 1 model in 1 file checked against licscan.lock (evaluated again: rules, policy or a waiver's date "
         "changed since the lock)", 0],
    ]
    # With a child, the hashing (a few ms over rules/, model/ and evaluation/) is off this process's path.
    assert state["hashed_here"] == (0 if forks else 2)


def _module_named(name: str, source: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(source, vars(module))  # noqa: S102
    return module


def test_a_library_imported_with_patterns_compiled_on_use_defers_only_its_own_and_only_without_threads(monkeypatch):
    import threading

    source = "import re\nWORD = re.compile(r'mod(el)', re.I)\nclass Reader:\n    CLASS = re.compile('x+')\n"
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # (other tests may have left a thread running)
    with lazy_re.compiled_on_use("somelib"):
        library = _module_named("somelib.reader", source)
        other = _module_named("otherlib", source)
    assert isinstance(library.WORD, lazy_re.LazyPattern) and isinstance(library.Reader.CLASS, lazy_re.LazyPattern)
    assert isinstance(other.WORD, re.Pattern)  # another package's pattern compiles at once
    assert isinstance(re.compile("y"), re.Pattern)  # re.compile is itself again
    assert library.Reader.CLASS.fullmatch("xxx") and library.WORD.search("a MODEL").group(1) == "EL"
    assert isinstance(library.WORD, re.Pattern)  # compiled on its first use, in place under its name
    assert not any(item is library.Reader.CLASS for item in lazy_re._pending)  # not compiled before a fork
    # With another thread running, re.compile is left alone (that thread's patterns would be stand-ins too).
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    with lazy_re.compiled_on_use("somelib"):
        threaded = _module_named("somelib.other", source)
    assert isinstance(threaded.WORD, re.Pattern)


def test_pyyaml_loaded_for_discovery_compiles_none_of_its_patterns_and_reads_yaml_as_before():
    probe = textwrap.dedent("""
        import json, re, sys
        from licscan import safeyaml
        nodes = safeyaml.compose_all("model: org/name\\n", tags=False)
        yaml = sys.modules["yaml"]
        compiled = [name for name, value in vars(yaml.reader.Reader).items() if isinstance(value, re.Pattern)]
        compiled += [tag for resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.values()
                     for tag, pattern in resolvers if isinstance(pattern, re.Pattern)]
        loaded = safeyaml.load("a: [1, yes, 2024-01-01, ~, 1.5, 0x1f, '1']\\n<<: {b: c}\\n")
        print(json.dumps({"compiled": compiled, "value": nodes[0].value[0][1].value, "loaded": repr(loaded)}))
    """)
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    state = json.loads(completed.stdout)
    assert state["compiled"] == [] and state["value"] == "org/name"
    assert state["loaded"] == "{'b': 'c', 'a': [1, True, datetime.date(2024, 1, 1), None, 1.5, 31, '1']}"
