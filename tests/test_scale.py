"""Resolution at scale: Hub traffic, freshness, the lockfile and `check`, the mirror, history and `diff`."""

from __future__ import annotations

import json
import re
import shutil
import socket
import textwrap
from collections import Counter
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from licscan.cli import app
from licscan.model import ModelRef, UnresolvedReason
from licscan.resolution import resolve

from handmade import add_repo

ROOT = Path(__file__).resolve().parent.parent
HUB = ROOT / "tests" / "data" / "hub"
EXAMPLE = ROOT / "examples" / "assistant-app"
runner = CliRunner()
TOKEN = "hf_LockfileSecretToken123456"


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


def project(tmp_path: Path, *ids: str, name: str = "project", **files: str) -> Path:
    root = tmp_path / name
    root.mkdir()
    calls = "".join(f'M.from_pretrained("{model_id}")\n' for model_id in ids)
    (root / "app.py").write_text("from x import M\n" + calls)
    for relpath, body in files.items():
        (root / relpath).parent.mkdir(parents=True, exist_ok=True)
        (root / relpath).write_text(textwrap.dedent(body))
    return root


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


# ---------------------------------------------------------------------------------------------------------
# Traffic
# ---------------------------------------------------------------------------------------------------------

SHARED = ["unsloth/Meta-Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct", "licscan-test/merge",
          "licscan-test/peft-adapter", "licscan-test/with-license", "licscan-test/base", "Qwen/Qwen2.5-7B-Instruct",
          "meta-llama/Meta-Llama-3.1-8B-Instruct"]


def test_each_repo_costs_at_most_one_api_call_and_one_get_per_file(stub_settings, hub_stub):
    result = resolve([ModelRef(i) for i in SHARED], stub_settings(workers=8), sleep=Sleeps())
    api = Counter(path.split("?")[0] for _, path in hub_stub.api_calls())
    # Every repo once; the renamed one's new path is hit twice only because its old id, named by a card of the
    # same level as the new id, arrives there through the Hub's 307 (a later scan asks the new id directly).
    renamed = "/api/models/meta-llama/Llama-3.1-8B-Instruct"
    assert api[renamed] == 2 and api["/api/models/meta-llama/Meta-Llama-3.1-8B-Instruct"] == 1
    assert max(count for path, count in api.items() if path != renamed) == 1, sorted(api.items())
    files = Counter(path for _, path in hub_stub.file_calls())
    assert max(files.values()) == 1 and hub_stub.file_calls("HEAD") == []  # one GET per file, no HEAD first
    unique = {n.repo_id for lineage in result.lineages.values() for n in lineage.nodes}
    # The renamed id costs its redirect once: API calls <= unique repos + renamed ids asked for.
    assert result.stats.api_calls <= len(unique) + 1
    assert result.stats.file_downloads == len(files)


def test_429_without_retry_after_backs_off_exponentially(stub_settings, hub_stub):
    hub_stub.faults["licscan-test/base"] = [(429, {})] * 2
    sleeps = Sleeps()
    lineage = resolve([ModelRef("licscan-test/base")], stub_settings(max_retries=3), sleep=sleeps).lineages[
        "licscan-test/base"]
    assert lineage.unresolved == () and sleeps == [1.0, 2.0]


def test_ratelimit_header_alone_sets_the_wait(stub_settings, hub_stub):
    hub_stub.faults["licscan-test/base"] = [(429, {"RateLimit": '"api";r=0;t=17'})]
    sleeps = Sleeps()
    resolve([ModelRef("licscan-test/base")], stub_settings(), sleep=sleeps)
    assert sleeps == [17.0]


def test_once_the_rate_limit_is_exhausted_the_rest_is_not_asked(stub_settings, hub_stub):
    hub_stub.faults["licscan-test/peft-adapter"] = [429] * 10
    result = resolve([ModelRef("licscan-test/peft-adapter")], stub_settings(max_retries=1, workers=1),
                     sleep=Sleeps())
    (gap,) = result.lineages["licscan-test/peft-adapter"].unresolved
    assert gap.reason is UnresolvedReason.RATE_LIMITED
    hub_stub.clear()
    # A later repo in the same walk is failed without a request (a fresh walk starts a fresh source).


def test_rate_limit_exhausted_fails_the_other_repos_fast(stub_settings, hub_stub):
    from licscan.resolution.hub import HubSource

    source = HubSource(stub_settings(max_retries=1), sleep=Sleeps())
    hub_stub.faults["licscan-test/base"] = [429] * 10
    first = source.fetch("licscan-test/base", None)
    hub_stub.clear()
    second = source.fetch("licscan-test/with-license", None)
    assert first.reason is second.reason is UnresolvedReason.RATE_LIMITED
    assert "exhausted" in second.detail and hub_stub.requests == []


def test_gated_parent_needs_the_token_at_the_command_line(tmp_path, hub_stub):
    root = project(tmp_path, "licscan-test/child-of-gated-api")
    env = {"HF_ENDPOINT": hub_stub.url}
    anonymous = run("scan", str(root), "--json", str(tmp_path / "a.json"), env=env)
    report = json.loads((tmp_path / "a.json").read_text())
    gap = report["models"][0]["lineage"]["unresolved"][0]
    assert anonymous.exit_code == 3 and gap["reason"] == "gated" and "HF_TOKEN" in gap["detail"]
    with_token = run("scan", str(root), "--json", str(tmp_path / "b.json"), "--refresh",
                     env=dict(env, HF_TOKEN=hub_stub.token))
    nodes = [n["id"] for n in json.loads((tmp_path / "b.json").read_text())["models"][0]["lineage"]["nodes"]]
    assert "licscan-test/gated-api" in nodes and with_token.exit_code != 3
    assert hub_stub.token not in (tmp_path / "b.json").read_text()


def test_renamed_parent_is_asked_under_its_new_id_once_known(stub_settings, hub_stub, tmp_path):
    settings = stub_settings(db_url=f"sqlite:///{tmp_path / 'c.db'}")
    resolve([ModelRef("unsloth/Meta-Llama-3.1-8B-Instruct")], settings, sleep=Sleeps())
    hub_stub.clear()
    result = resolve([ModelRef("unsloth/Meta-Llama-3.1-8B-Instruct")], settings, sleep=Sleeps())
    asked = [path.split("?")[0] for _, path in hub_stub.api_calls()]
    assert "/api/models/meta-llama/Meta-Llama-3.1-8B-Instruct" not in asked  # no redirect round trip
    node = result.lineages["unsloth/Meta-Llama-3.1-8B-Instruct"].node("meta-llama/Llama-3.1-8B-Instruct")
    assert node.aliases == ("meta-llama/Meta-Llama-3.1-8B-Instruct",)


# ---------------------------------------------------------------------------------------------------------
# Freshness, --refresh, the history, diff, db
# ---------------------------------------------------------------------------------------------------------


def test_second_scan_within_the_freshness_window_sends_no_request(tmp_path, hub_stub):
    root = project(tmp_path, "licscan-test/merge", "unsloth/Meta-Llama-3.1-8B-Instruct", "licscan-test/child-of-missing")
    env = {"HF_ENDPOINT": hub_stub.url}
    first = run("scan", str(root), "--json", str(tmp_path / "1.json"), env=env)
    assert hub_stub.requests and first.exit_code in (1, 3)
    hub_stub.clear()
    second = run("scan", str(root), "--json", str(tmp_path / "2.json"), env=env)
    assert hub_stub.requests == []
    assert second.exit_code == first.exit_code
    one, two = (json.loads((tmp_path / f"{n}.json").read_text()) for n in (1, 2))
    assert one["models"] == two["models"]
    hub_stub.clear()
    run("scan", str(root), "--refresh", env=env)
    assert len(hub_stub.api_calls()) >= 5  # --refresh asks the Hub about every repo again


def test_diff_shows_a_licence_changed_upstream_and_a_new_ancestor(tmp_path):
    hub = tmp_path / "hub"
    for repo in ("licscan-test/base", "licscan-test/peft-adapter"):
        shutil.copytree(HUB / repo, hub / repo)
    root = project(tmp_path, "licscan-test/peft-adapter")
    assert run("scan", str(root), "--mirror", str(hub)).exit_code in (0, 1)
    card = hub / "licscan-test/base/README.md"
    card.write_text(card.read_text().replace("license: apache-2.0", "license: cc-by-nc-4.0"))
    info = json.loads((hub / "licscan-test/base/info.json").read_text())
    info["sha"] = "f" * 40
    (hub / "licscan-test/base/info.json").write_text(json.dumps(info))
    assert run("scan", str(root), "--mirror", str(hub)).exit_code == 1
    shown = run("diff", "--project", str(root))
    assert shown.exit_code == 1, shown.output  # the verdict got worse: the gate stops
    text = shown.output
    assert "licence of licscan-test/base changed: apache-2.0 -> cc-by-nc-4.0" in text
    assert "new finding LS120 [fails]" in text and "verdict" in text
    # Report files work too, and so do scan ids.
    run("scan", str(root), "--mirror", str(hub), "--json", str(tmp_path / "r.json"))
    assert "no changes" in run("diff", "3", str(tmp_path / "r.json"), "--project", str(root)).output


def test_diff_with_one_scan_says_so(tmp_path):
    root = project(tmp_path, "licscan-test/base")
    run("scan", str(root), "--mirror", str(HUB))
    result = run("diff", "--project", str(root))
    assert result.exit_code == 2 and "diff needs two" in result.output


def test_history_keeps_each_scan_without_the_token(tmp_path, hub_stub, monkeypatch):
    from licscan.config import load_config
    from licscan.scan import history

    hub_stub.faults["licscan-test/base"] = ["echo-token"] * 20
    root = project(tmp_path, "licscan-test/peft-adapter")
    run("scan", str(root), env={"HF_ENDPOINT": hub_stub.url, "HF_TOKEN": TOKEN})
    scans = history(load_config(root))
    assert len(scans) == 1 and scans[0].models == 1
    database = next((Path(tmp_path.parent) / "home").glob("**/licscan.db"), None) or next(
        Path(load_config(root).db_url.removeprefix("sqlite:///")).parent.glob("licscan.db*"))
    for path in Path(database).parent.glob("licscan.db*"):
        assert TOKEN.encode() not in path.read_bytes()


def test_db_path_stats_and_prune(tmp_path, hub_stub, monkeypatch):
    database = tmp_path / "team.db"
    env = {"HF_ENDPOINT": hub_stub.url, "LICSCAN_DB_URL": f"sqlite:///{database}"}
    root = project(tmp_path, "licscan-test/merge")
    for _ in range(3):
        run("scan", str(root), env=env)
    monkeypatch.chdir(root)
    assert run("db", "path", env=env).output.strip() == str(database)
    stats = run("db", "stats", env=env)
    assert stats.exit_code == 0 and "schema revision 0004" in stats.output and "scans: 3" in stats.output
    assert "KiB per scan" in stats.output
    pruned = run("db", "prune", "--keep-scans", "1", "--older-than", "0", env=env)
    assert pruned.exit_code == 0 and "2 scans" in pruned.output and "freed" in pruned.output
    assert "scans: 1" in run("db", "stats", env=env).output
    # Heads are kept: the next scan still needs no file download.
    hub_stub.clear()
    run("scan", str(root), env=env)
    assert hub_stub.file_calls() == []
    assert run("db", "upgrade", env=env).output.strip() == "schema revision 0004"


def test_a_cache_file_that_is_not_a_database_at_the_command_line(tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_text("not a database\n" * 100)
    root = project(tmp_path, "licscan-test/base")
    result = run("scan", str(root), "--mirror", str(HUB), env={"LICSCAN_DB_URL": f"sqlite:///{bogus}"})
    assert result.exit_code == 3 and "not a licscan cache database" in result.output
    assert "Traceback" not in result.output
    assert bogus.read_text() == "not a database\n" * 100  # nothing lost: the file is left as it was


def test_an_unreachable_postgresql_is_exit_3_with_the_password_hidden(tmp_path):
    url = f"postgresql://licscan:s3cret@127.0.0.1:{closed_port()}/licscan"
    root = project(tmp_path, "licscan-test/base")
    result = run("scan", str(root), env={"LICSCAN_DB_URL": url, "HF_ENDPOINT": f"http://127.0.0.1:{closed_port()}"})
    assert result.exit_code == 3, result.output
    assert "cannot be used" in result.output and "127.0.0.1" in result.output
    assert "s3cret" not in result.output and "Traceback" not in result.output


# ---------------------------------------------------------------------------------------------------------
# The lockfile and `licscan check`
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def locked(tmp_path):
    root = tmp_path / "assistant-app"
    shutil.copytree(EXAMPLE, root)
    (root / "app" / "clean.py").write_text('from x import M\nM.from_pretrained("Qwen/Qwen2.5-7B-Instruct")\n')
    result = run("lock", str(root))
    assert result.exit_code == 1, result.output  # the example fails (LS112): lock exits by the verdict it writes
    return root


def test_lock_records_every_model_with_its_pinned_lineage_and_verdicts(locked):
    data = json.loads((locked / "licscan.lock").read_text())
    assert data["schema"] == "licscan-lock/2" and data["verdict"] == "fail"
    llama = data["models"]["anon/AA-llama32-3b-c205633c"]
    assert llama["lineage"]["nodes"][1].startswith("meta-llama/Llama-3.2-3B@")
    assert llama["lineage"]["edges"][0]["relation"] == "finetune"
    findings = [data["findings"][ref] for ref in llama["findings"]]
    assert llama["verdict"] == "fail" and any(f["rule_id"] == "LS112" for f in findings)
    relabel = next(f for f in findings if f["rule_id"] == "LS112")
    assert relabel["ancestor"].startswith("meta-llama/Llama-3.2-3B") and relabel["fails"] is True
    node = data["nodes"][llama["lineage"]["nodes"][1]]
    assert node["card"]["license"] == "llama3.2" and len(node["revision"]) == 40
    assert "local:models/support-lora" in data["models"]
    assert str(locked) not in (locked / "licscan.lock").read_text()  # no checkout path in the file


def test_models_sharing_an_ancestor_share_its_findings_in_the_lockfile(tmp_path):
    hub = tmp_path / "hub"
    add_repo(hub, "licscan-test/relabelled", {"license": "mit", "base_model": "meta-llama/Llama-3.1-8B-Instruct"})
    for name in ("one", "two"):
        add_repo(hub, f"licscan-test/tune-{name}", {"base_model": "licscan-test/relabelled"})
    for repo in ("meta-llama/Llama-3.1-8B-Instruct",):
        shutil.copytree(HUB / repo, hub / repo)
    root = project(tmp_path, "licscan-test/tune-one", "licscan-test/tune-two")
    assert run("lock", str(root), "--mirror", str(hub)).exit_code == 1
    data = json.loads((root / "licscan.lock").read_text())
    one, two = (data["models"][f"licscan-test/tune-{name}"]["findings"] for name in ("one", "two"))
    relabel = [ref for ref in set(one) & set(two) if data["findings"][ref]["rule_id"] == "LS112"]
    assert len(relabel) == 1, "the relabelled ancestor's finding is written once and named by both models"
    assert data["findings"][relabel[0]]["ancestor"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert "licscan-test/relabelled declares mit" in data["findings"][relabel[0]]["message"]
    assert all("model" not in finding for finding in data["findings"].values())
    assert set(data["findings"]) == set(one) | set(two)  # nothing in the table that no model names
    checked = run("check", "--lockfile", str(root / "licscan.lock"), str(root / "app.py"))
    assert checked.exit_code == 1 and checked.output.count("LS112") == 2


def test_lockfile_is_byte_identical_for_the_same_input(locked):
    first = (locked / "licscan.lock").read_bytes()
    assert run("lock", str(locked)).exit_code == 1
    assert (locked / "licscan.lock").read_bytes() == first
    assert list(json.loads(first)) == sorted(json.loads(first))


def test_a_lockfile_path_that_cannot_be_written_is_a_usage_error(locked):
    result = run("lock", str(locked), "--output", str(locked / "app"))  # a folder stands there
    assert result.exit_code == 2 and f"cannot write {locked / 'app'}" in result.output


def test_check_changed_files_offline(locked, monkeypatch):
    monkeypatch.chdir(locked)
    dead = f"http://127.0.0.1:{closed_port()}"
    clean = run("check", "app/clean.py", env={"HF_ENDPOINT": dead})
    assert clean.exit_code == 0, clean.output
    assert clean.output.startswith("PASS: 1 model in 1 file")
    bad = run("check", "app/chat.py", "app/clean.py", env={"HF_ENDPOINT": dead})
    assert bad.exit_code == 1 and "LS112" in bad.output and "anon/AA-llama32-3b-c205633c (app/chat.py:" in bad.output
    whole = run("check", env={"HF_ENDPOINT": dead})
    locked_models = len(json.loads((locked / "licscan.lock").read_text())["models"])
    assert whole.exit_code == 1 and f"{locked_models} models in" in whole.output and "MISSING" not in whole.output


def test_a_model_missing_from_the_lockfile_fails_with_the_hint(locked, monkeypatch):
    monkeypatch.chdir(locked)
    (locked / "app" / "new.py").write_text('from x import M\nM.from_pretrained("licscan-test/base")\n')
    result = run("check", "app/new.py")
    assert result.exit_code == 1
    assert "licscan-test/base (app/new.py:2) is not in licscan.lock: run `licscan lock`" in result.output


def test_a_changed_dockerfile_or_modelfile_is_checked_like_python(locked, monkeypatch):
    monkeypatch.chdir(locked)
    (locked / "Dockerfile").write_text("FROM python:3.11\nRUN huggingface-cli download licscan-test/base\n")
    (locked / "Modelfile").write_text("FROM hf.co/licscan-test/with-license\n")
    result = run("check", "Dockerfile", "Modelfile")
    assert result.exit_code == 1
    assert "licscan-test/base (Dockerfile:2) is not in licscan.lock" in result.output
    assert "licscan-test/with-license (Modelfile:1) is not in licscan.lock" in result.output


def test_check_prints_a_hostile_file_name_escaped(locked, monkeypatch):
    monkeypatch.chdir(locked)
    name = "app/\x1b[2Jnew\u202e.py"
    (locked / name).write_text('from x import M\nM.from_pretrained("licscan-test/base")\n')
    result = run("check", name)
    assert result.exit_code == 1
    assert "licscan-test/base (app/\\x1b[2Jnew\\u202e.py:2) is not in licscan.lock" in result.output
    assert "\x1b" not in result.output and "\u202e" not in result.output


@pytest.mark.parametrize("damage, message", [
    (lambda p: p.write_text('{"schema": "licscan-lock/2", "models": '), "not JSON"),
    (lambda p: p.write_text(json.dumps({**json.loads(p.read_text()), "schema": "licscan-lock/1"})),
     "is in another lockfile format (licscan-lock/1"),
    (lambda p: p.write_text(json.dumps({**json.loads(p.read_text()), "findings": {}})), "is damaged"),
    (lambda p: p.write_text("[1, 2]\n"), "is not a licscan lockfile"),
    (lambda p: p.write_text(json.dumps({**json.loads(p.read_text()), "nodes": {}})), "is damaged"),
    (lambda p: p.unlink(), "does not exist"),
])
def test_a_corrupt_lockfile_is_exit_2_with_a_clear_message(locked, monkeypatch, damage, message):
    monkeypatch.chdir(locked)
    damage(locked / "licscan.lock")
    result = run("check", "app/chat.py")
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_check_evaluates_again_when_the_rules_changed(locked, monkeypatch, tmp_path):
    monkeypatch.chdir(locked)
    rules = tmp_path / "team-rules"
    shutil.copytree(ROOT / "rules" / "policies", rules / "policies")
    (locked / ".licscan.yaml").write_text(f"rules_dirs: [{rules}]\nmirror: licscan-mirror\n")
    result = run("check", "app/chat.py", "app/clean.py")
    assert "evaluated again" in result.output
    assert result.exit_code == 1 and "LS112" in result.output  # the same verdicts, from the recorded lineages


def test_the_lean_entry_point_answers_like_the_typer_command(locked, monkeypatch, capsys):
    import sys

    from licscan import entry

    monkeypatch.chdir(locked)
    typer_result = run("check", "app/chat.py", "-q")
    monkeypatch.setattr(sys, "argv", ["licscan", "check", "-q", "app/chat.py"])
    with pytest.raises(SystemExit) as leaving:
        entry.main(fast_exit=False)
    assert leaving.value.code == typer_result.exit_code == 1
    assert capsys.readouterr().out == typer_result.output
    (locked / "licscan.lock").write_text("{")
    with pytest.raises(SystemExit) as leaving:
        entry.main(fast_exit=False)
    assert leaving.value.code == 2 and "not a valid licscan lockfile" in capsys.readouterr().err


def test_the_pre_commit_path_loads_only_what_checking_a_python_file_needs(locked):
    """`licscan check FILES` runs on every commit: no CLI framework, Hub client, database, report or evaluation
    code, and no data-model records beyond discovery's, while the lockfile's verdicts stand."""
    import subprocess
    import sys

    heavy = ["typer", "rich", "huggingface_hub", "sqlalchemy", "jinja2", "yaml", "platformdirs",
             "licscan.evaluation", "licscan.resolution", "licscan.reporting", "licscan.model.lineage",
             "licscan.model.findings"]
    probe = ("import sys\nfrom licscan.entry import main\nsys.argv = ['licscan', 'check', 'app/chat.py']\n"
             "try:\n    main(fast_exit=False)\nexcept SystemExit as leaving:\n    code = leaving.code\n"
             f"print(code, sorted(name for name in {heavy!r} if name in sys.modules))\n")
    completed = subprocess.run([sys.executable, "-c", probe], cwd=locked, capture_output=True, text=True, timeout=60)
    assert completed.stdout.strip().splitlines()[-1] == "1 []", completed.stdout + completed.stderr


def test_the_installed_command_prints_everything_before_its_quick_exit(locked):
    """The console script leaves without the interpreter's teardown: its output must still be complete,
    through a pipe, with the verdict's exit code; the lockfile is read by a forked child, the same."""
    import subprocess
    import sys

    command = [str(Path(sys.executable).parent / "licscan"), "check", "app/chat.py", "app/clean.py"]
    completed = subprocess.run(command, cwd=locked, capture_output=True, text=True, timeout=60)
    typer_result = run("check", "--lockfile", str(locked / "licscan.lock"), str(locked / "app" / "chat.py"),
                       str(locked / "app" / "clean.py"))
    assert completed.returncode == typer_result.exit_code == 1
    assert completed.stdout.endswith("checked against licscan.lock (as locked)\n") and completed.stderr == ""
    assert completed.stdout.count("LS112") == typer_result.output.count("LS112") >= 1
    (locked / "licscan.lock").write_text('{"schema": "licscan-lock/2", "models": {}}')
    damaged = subprocess.run(command, cwd=locked, capture_output=True, text=True, timeout=60)
    assert damaged.returncode == 2 and "is damaged" in damaged.stderr and "Traceback" not in damaged.stderr


def test_the_data_model_loads_its_records_on_first_use():
    import licscan.model as model
    from licscan.model import Finding, Lineage

    assert Finding.__module__ == "licscan.model.findings" and Lineage.__module__ == "licscan.model.lineage"
    assert {"Finding", "Lineage", "Occurrence", "ScanResult"} <= set(dir(model))
    with pytest.raises(AttributeError, match="no attribute 'NoSuchRecord'"):
        model.NoSuchRecord  # noqa: B018


def test_lock_refuses_to_pin_a_network_failure(tmp_path, hub_stub):
    hub_stub.faults["licscan-test/base"] = [500] * 50
    root = project(tmp_path, "licscan-test/peft-adapter")
    result = run("lock", str(root), env={"HF_ENDPOINT": hub_stub.url})
    assert result.exit_code == 3 and "not written" in result.output and not (root / "licscan.lock").exists()


def test_token_never_reaches_the_lockfile(tmp_path, hub_stub):
    root = project(tmp_path, "licscan-test/with-license", "licscan-test/gated-files")
    result = run("lock", str(root), env={"HF_ENDPOINT": hub_stub.url, "HF_TOKEN": hub_stub.token})
    written = json.loads((root / "licscan.lock").read_text())["verdict"]
    assert result.exit_code == {"pass": 0, "fail": 1, "incomplete": 3}[written], result.output
    assert hub_stub.token not in (root / "licscan.lock").read_text()


def test_pre_commit_hooks_cover_changed_files_and_the_whole_project():
    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["licscan"]["entry"].startswith("licscan scan")
    assert hooks["licscan-check"]["entry"] == "licscan check" and hooks["licscan-check"].get("pass_filenames", True)
    assert hooks["licscan-check-all"]["pass_filenames"] is False


# Files a project changes that name models, each of a kind a discovery source reads.
HOOK_SAMPLES = {
    "app/serve.py": b'M.from_pretrained("org/name")\n',
    "Dockerfile": b"RUN huggingface-cli download org/name\n",
    "scripts/fetch.sh": b"#!/bin/sh\nhf download org/name\n",
    "Makefile": b"fetch:\n\thf download org/name\n",
    "Modelfile": b"FROM hf.co/org/name-GGUF\n",
    ".env": b"MODEL_ID=org/name\n",
    ".github/workflows/ci.yml": b"run: huggingface-cli download org/name\n",
    "configs/train.yaml": b"base_model: org/name\n",
    "models/out/config.json": b'{"_name_or_path": "org/name"}\n',
    "pyproject.toml": b'[tool.licscan]\nmodels = ["org/name"]\n',
    "notebooks/try.ipynb": b'{"cells": [], "nbformat": 4}\n',
    "models/q4.gguf": b"GGUF\x03\x00\x00\x00" + bytes(range(256)),
    "models/model.safetensors": b"\x10\x00\x00\x00\x00\x00\x00\x00" + bytes(range(256)),
}


def _pre_commit_passes(hook: dict, relpath: str, tags: set[str]) -> bool:
    """Whether pre-commit hands a changed file to the hook: its files/exclude patterns and type filters, with
    pre-commit's defaults."""
    if not re.search(hook.get("files", ""), relpath) or re.search(hook.get("exclude", "^$"), relpath):
        return False
    if not set(hook.get("types", ["file"])) <= tags or set(hook.get("exclude_types", [])) & tags:
        return False
    return not hook.get("types_or") or bool(set(hook["types_or"]) & tags)


def test_the_check_hook_is_given_every_changed_file_discovery_reads(tmp_path):
    from identify import identify  # pre-commit's own file tagging

    from licscan.discovery.runner import mode

    hook = next(item for item in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
                if item["id"] == "licscan-check")
    for relpath, body in HOOK_SAMPLES.items():
        path = tmp_path / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        assert mode(relpath) is not None, f"discovery reads {relpath}"
        # A changed Dockerfile or Modelfile that pulls a new model is checked like a changed .py file.
        assert _pre_commit_passes(hook, relpath, identify.tags_from_path(str(path))), relpath


# ---------------------------------------------------------------------------------------------------------
# The mirror, and `tree` from the Hub, the cache or a mirror
# ---------------------------------------------------------------------------------------------------------


def test_mirror_pull_records_models_and_ancestors_for_an_offline_scan(tmp_path, hub_stub):
    mirror = tmp_path / "mirror"
    pulled = run("mirror", "pull", "unsloth/Meta-Llama-3.1-8B-Instruct", "licscan-test/merge",
                 "--output", str(mirror), env={"HF_ENDPOINT": hub_stub.url})
    assert pulled.exit_code == 0, pulled.output
    assert json.loads((mirror / "meta-llama/Meta-Llama-3.1-8B-Instruct/info.json").read_text()) == {
        "renamed_to": "meta-llama/Llama-3.1-8B-Instruct"}
    assert (mirror / "licscan-test/with-license/LICENSE").is_file() or (mirror / "licscan-test/merge/README.md").is_file()
    root = project(tmp_path, "unsloth/Meta-Llama-3.1-8B-Instruct", "licscan-test/merge")
    online, offline = tmp_path / "on.json", tmp_path / "off.json"
    run("scan", str(root), "--json", str(online), env={"HF_ENDPOINT": hub_stub.url, "SOURCE_DATE_EPOCH": "0"})
    hub_stub.clear()
    run("scan", str(root), "--json", str(offline), "--mirror", str(mirror),
        env={"HF_ENDPOINT": f"http://127.0.0.1:{closed_port()}", "SOURCE_DATE_EPOCH": "0"})
    assert hub_stub.requests == []
    shape = lambda path: [(m["id"], [(n["id"], n["revision"], n["license"]) for n in m["lineage"]["nodes"]],  # noqa: E731
                           m["lineage"]["edges"], m["findings"] and sorted(f["rule_id"] for f in m["findings"]))
                          for m in json.loads(path.read_text())["models"]]
    assert shape(offline) == shape(online)


def test_mirror_pull_from_a_scan(tmp_path, hub_stub):
    root = project(tmp_path, "licscan-test/peft-adapter")
    result = run("mirror", "pull", "--from-scan", str(root), "--output", str(tmp_path / "m"),
                 env={"HF_ENDPOINT": hub_stub.url})
    assert result.exit_code == 0 and "recorded 2 repositories" in result.output
    assert (tmp_path / "m/licscan-test/base/info.json").is_file()


def test_mirror_pull_says_what_it_could_not_read(tmp_path, hub_stub):
    hub_stub.faults["licscan-test/base"] = [500] * 50
    result = run("mirror", "pull", "licscan-test/peft-adapter", "--output", str(tmp_path / "m"),
                 env={"HF_ENDPOINT": hub_stub.url})
    assert result.exit_code == 3 and "licscan-test/base: network-error" in result.output
    assert run("mirror", "pull", "--output", str(tmp_path / "m")).exit_code == 2


def test_tree_from_the_hub_then_the_cache_offline_then_a_mirror(tmp_path, hub_stub, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = {"HF_ENDPOINT": hub_stub.url}
    online = run("tree", "unsloth/Meta-Llama-3.1-8B-Instruct", "--no-color", env=env)
    assert "meta-llama/Llama-3.1-8B " in " ".join(online.output.split()) + " "
    hub_stub.clear()
    cached = run("tree", "unsloth/Meta-Llama-3.1-8B-Instruct", "--no-color", env=dict(env, HF_HUB_OFFLINE="1"))
    assert hub_stub.requests == [] and cached.output == online.output
    mirrored = run("tree", "unsloth/Meta-Llama-3.1-8B-Instruct", "--no-color", "--mirror", str(HUB))
    assert "meta-llama/Llama-3.1-8B-Instruct" in mirrored.output and hub_stub.requests == []


@pytest.mark.parametrize("fault", [500, "truncated", "reset", "slow"])
def test_hub_faults_at_the_command_line_are_network_errors_with_exit_3(tmp_path, hub_stub, fault, monkeypatch):
    import licscan.resolution.hub as hub

    monkeypatch.setattr(hub, "BACKOFF_START", 0.0)  # no real waiting between the retries
    hub_stub.slow_seconds = 3
    hub_stub.faults["licscan-test/base"] = [fault] * 20
    root = project(tmp_path, "licscan-test/peft-adapter", "Qwen/Qwen2.5-7B-Instruct",
                   **{".licscan.yaml": "timeout: 0.5\n"})
    out = tmp_path / "r.json"
    result = run("scan", str(root), "--json", str(out), env={"HF_ENDPOINT": hub_stub.url})
    assert result.exit_code == 3 and "Traceback" not in result.output
    report = json.loads(out.read_text())
    models = {m["id"]: m for m in report["models"]}
    gap = models["licscan-test/peft-adapter"]["lineage"]["unresolved"][0]
    assert (gap["id"], gap["reason"]) == ("licscan-test/base", "network-error")
    # The rest of the scan went on: the other model is fully resolved.
    assert models["Qwen/Qwen2.5-7B-Instruct"]["lineage"]["unresolved"] == []


def test_mirror_pull_records_the_bases_licscan_rules_add(tmp_path, hub_stub):
    # DeepSeek-R1-Distill-Llama-8B's card names no base_model; rules/lineage.yaml records it.
    result = run("mirror", "pull", "deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "--output", str(tmp_path / "m"),
                 env={"HF_ENDPOINT": hub_stub.url})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "m/meta-llama/Llama-3.1-8B/info.json").is_file()
