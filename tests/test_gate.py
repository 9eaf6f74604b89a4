"""The gate (issue 12): policies that cannot pass by accident, waivers as an audit trail, exit codes a pipeline
can trust (lock, check, diff, a model the Hub does not have), and the command line's small promises."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from licscan.cli import app

from handmade import add_repo

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "assistant-app"
runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


def epoch(day: str) -> str:
    """SOURCE_DATE_EPOCH for noon UTC of an ISO day: the scan's injected clock."""
    moment = datetime.datetime.fromisoformat(day).replace(hour=12, tzinfo=datetime.timezone.utc)
    return str(int(moment.timestamp()))


@pytest.fixture
def hub(tmp_path) -> Path:
    """A small mirror: a non-commercial model, a permissive one."""
    root = tmp_path / "hub"
    add_repo(root, "praxis-test/nc-model", {"license": "cc-by-nc-4.0"})
    add_repo(root, "clean-test/apache-model", {"license": "apache-2.0"})
    return root


def make_project(tmp_path: Path, hub: Path, *models: str, policy: str | None = None) -> Path:
    root = tmp_path / "project"  # (tmp_path may be a sub-folder not made yet)
    (root / "app").mkdir(parents=True)
    calls = "".join(f'M.from_pretrained("{model}")\n' for model in models)
    (root / "app" / "chat.py").write_text("from x import M\n" + calls)
    settings = f'mirror = "{hub}"\n' + (f'policy = "{policy}"\n' if policy else "")
    (root / "pyproject.toml").write_text(f'[project]\nname = "p"\n\n[tool.licscan]\n{settings}')
    return root


TEAM = """\
schema: licscan-policy/1
name: team
extends: default   # the shipped gate, plus our reviewed exceptions
waivers:
  - rule: LS120
    model: "praxis-test/*"
    reason: "evaluation only, never shipped (LEGAL-12)"
    approved_by: "Jo Legal"
    expires: 2027-06-30
"""


# ---------------------------------------------------------------------------------------------------------
# Policies: what fails is stated, never an accident
# ---------------------------------------------------------------------------------------------------------

BAD_POLICIES = [
    ("schema: licscan-policy/1\nname: team\n", "states neither 'fail_on' nor 'extends'"),
    ("schema: licscan-policy/1\nname: team\ndescription: nothing else\n", "states neither 'fail_on' nor 'extends'"),
    ("schema: licscan-policy/1\nname: team\nfail_on: [LS1411, LS120]\n",
     "'fail_on' names 'LS1411', which is neither a rule id nor a finding kind (did you mean LS141?)"),
    ("schema: licscan-policy/1\nname: team\nfail_on: [LS120, non-comercial]\n",
     "'fail_on' names 'non-comercial', which is neither a rule id nor a finding kind (did you mean non-commercial?)"),
    ("schema: licscan-policy/1\nname: team\nfail_on: []\n", "'fail_on' is empty"),
    ("schema: licscan-policy/1\nname: team\nextends: lenient\n", "'extends' names 'lenient', which is not a policy"),
    ("schema: licscan-policy/1\nname: team\nextends: default\nwaivers:\n  - {rule: LS12, model: a/*, reason: r}\n",
     "'waivers[0].rule' names 'LS12'"),
    ("schema: licscan-policy/1\nname: team\nextends: default\nwaivers:\n  - {rule: LS120, model: a/*}\n",
     "'waivers[0].reason' is required"),
    ("schema: licscan-policy/1\nname: team\nextends: default\nwaivers:\n"
     "  - {rule: LS120, model: a/*, reason: r, expires: next year}\n", "'waivers[0].expires' must be an ISO date"),
    ("schema: licscan-policy/1\nname: team\nextends: default\nwaivers:\n"
     "  - {rule: LS120, model: a/*, reason: r, approver: me}\n", "'waivers[0]' has unknown keys ['approver']"),
]


@pytest.mark.parametrize("body, message", BAD_POLICIES)
def test_a_policy_that_could_pass_by_accident_is_an_error_naming_file_and_key(tmp_path, hub, body, message):
    policy = tmp_path / "team.yaml"
    policy.write_text(body)
    root = make_project(tmp_path, hub, "praxis-test/nc-model")
    scanned = run("scan", str(root), "--policy", str(policy))
    assert scanned.exit_code == 2, scanned.output
    assert f"{policy} [team]: {message}" in scanned.output or f"{policy}: {message}" in scanned.output
    validated = run("rules", "validate", str(policy))
    assert validated.exit_code == 2 and message in validated.output and str(policy) in validated.output


def test_a_policy_in_a_rules_directory_is_checked_the_same_way(tmp_path):
    rules = tmp_path / "team-rules"
    (rules / "policies").mkdir(parents=True)
    (rules / "policies" / "team.yaml").write_text("schema: licscan-policy/1\nname: team\nfail_on: [LS1411]\n")
    result = run("rules", "validate", str(rules))
    assert result.exit_code == 2 and "team.yaml [team]: 'fail_on' names 'LS1411'" in result.output


def test_an_empty_gate_is_accepted_only_with_a_reason(tmp_path, hub):
    policy = tmp_path / "inventory.yaml"
    policy.write_text("schema: licscan-policy/1\nname: inventory\nfail_on: []\n"
                      "reason: an inventory of models, not a gate\nfail_closed: false\n")
    root = make_project(tmp_path, hub, "praxis-test/nc-model")
    assert run("rules", "validate", str(policy)).exit_code == 0
    assert run("scan", str(root), "--policy", str(policy)).exit_code == 0


def test_extends_keeps_the_base_gate_and_adds_to_it(tmp_path, hub):
    policy = tmp_path / "team.yaml"
    policy.write_text("schema: licscan-policy/1\nname: team\nextends: default\nfail_on: [LS140]\n")
    root = make_project(tmp_path, hub, "clean-test/apache-model")
    out = tmp_path / "r.json"
    result = run("scan", str(root), "--policy", str(policy), "--json", str(out))
    failing = {f["rule_id"] for f in json.loads(out.read_text())["findings"] if f["fails"]}
    assert result.exit_code == 1 and failing == {"LS140"}  # the namespace's origin is unknown
    root_nc = make_project(tmp_path / "nc", hub, "praxis-test/nc-model")
    assert run("scan", str(root_nc), "--policy", str(policy)).exit_code == 1  # LS120 from default


# ---------------------------------------------------------------------------------------------------------
# Waivers: used, expired, stale; in the JSON report
# ---------------------------------------------------------------------------------------------------------


def scan_with(tmp_path: Path, hub: Path, policy_text: str, *models: str, day: str = "2027-01-15"):
    tmp_path.mkdir(parents=True, exist_ok=True)
    policy = tmp_path / "team.yaml"
    policy.write_text(policy_text)
    root = make_project(tmp_path, hub, *models)
    out = tmp_path / "report.json"
    result = run("scan", str(root), "--policy", str(policy), "--json", str(out), "--no-color",
                 env={"SOURCE_DATE_EPOCH": epoch(day)})
    return result, json.loads(out.read_text()), policy


def test_a_waived_finding_keeps_its_finding_and_carries_the_waiver(tmp_path, hub):
    result, report, policy = scan_with(tmp_path, hub, TEAM, "praxis-test/nc-model")
    assert result.exit_code == 0, result.output
    (waived,) = [f for f in report["findings"] if f["rule_id"] == "LS120"]
    assert waived["fails"] is False
    assert waived["waiver"] == {"rule": "LS120", "model": "praxis-test/*",
                                "reason": "evaluation only, never shipped (LEGAL-12)", "approved_by": "Jo Legal",
                                "expires": "2027-06-30", "policy_file": policy.name}  # never the checkout's path
    assert report["waivers"] == [dict(waived["waiver"], status="used", findings=1)]
    assert report["summary"]["waived"] == 1


def test_a_waiver_names_its_policy_file_relative_to_the_project(tmp_path, hub):
    root = make_project(tmp_path, hub, "praxis-test/nc-model", policy="compliance/team.yaml")
    (root / "compliance").mkdir()
    (root / "compliance" / "team.yaml").write_text(TEAM)
    out = tmp_path / "r.json"
    assert run("scan", str(root), "--json", str(out), env={"SOURCE_DATE_EPOCH": epoch("2027-01-15")}).exit_code == 0
    assert json.loads(out.read_text())["waivers"][0]["policy_file"] == "compliance/team.yaml"


def test_an_expired_waiver_waives_nothing_and_fails_with_its_date(tmp_path, hub):
    result, report, _ = scan_with(tmp_path, hub, TEAM, "praxis-test/nc-model", day="2027-07-01")
    assert result.exit_code == 1, result.output
    failing = {f["rule_id"]: f for f in report["findings"] if f["fails"]}
    assert set(failing) == {"LS120", "LS150"}
    assert failing["LS120"]["waiver"] is None
    assert "expired on 2027-06-30" in failing["LS150"]["message"] and "Jo Legal" in failing["LS150"]["message"]
    assert report["waivers"][0]["status"] == "expired"
    assert "expired on 2027-06-30" in result.output
    # The last day itself is still covered.
    result, _, _ = scan_with(tmp_path / "last", hub, TEAM, "praxis-test/nc-model", day="2027-06-30")
    assert result.exit_code == 0, result.output


def test_a_waiver_that_matches_nothing_is_reported_stale(tmp_path, hub):
    result, report, _ = scan_with(tmp_path, hub, TEAM, "clean-test/apache-model")
    assert result.exit_code == 0
    assert report["waivers"][0]["status"] == "stale" and report["waivers"][0]["findings"] == 0
    assert "stale: LS120 for praxis-test/*" in result.output


def test_explain_describes_the_expired_waiver_rule():
    result = run("explain", "LS150")
    assert result.exit_code == 0 and "waiver-expired" in result.output and "What to do:" in result.output


# ---------------------------------------------------------------------------------------------------------
# licscan waive
# ---------------------------------------------------------------------------------------------------------


def test_waive_appends_an_entry_and_keeps_the_file_as_it_was(tmp_path, hub):
    policy = tmp_path / "team.yaml"
    original = ("# Our gate. Reviewed by legal each quarter.\nschema: licscan-policy/1\nname: team\n"
                "extends: default  # the shipped gate\nwaivers:\n  # the first exception\n"
                "  - rule: LS141\n    model: \"BAAI/*\"\n    reason: reviewed\n    expires: 2027-01-01\n"
                "fail_closed: true\n")
    policy.write_text(original)
    result = run("waive", "LS120", "praxis-test/*", "--reason", 'eval only: "never shipped"', "--expires",
                 "2027-06-30", "--approved-by", "Jo Legal", "--policy", str(policy),
                 env={"SOURCE_DATE_EPOCH": epoch("2027-01-01")})
    assert result.exit_code == 0, result.output
    text = policy.read_text()
    assert text.startswith(original.split("fail_closed")[0]) and text.endswith("fail_closed: true\n")
    assert '  - rule: LS120\n    model: "praxis-test/*"\n    reason: "eval only: \\"never shipped\\""\n' in text
    root = make_project(tmp_path, hub, "praxis-test/nc-model")
    scanned = run("scan", str(root), "--policy", str(policy), env={"SOURCE_DATE_EPOCH": epoch("2027-01-01")})
    assert scanned.exit_code == 0, scanned.output


def test_waive_creates_a_policy_that_extends_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("waive", "non-commercial", "praxis-test/*", "--reason", "eval", "--expires", "2999-01-01",
                 "--approved-by", "me")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "licscan-policy.yaml").read_text()
    assert "extends: default\n" in text and "rule: non-commercial" in text
    assert run("rules", "validate", "licscan-policy.yaml").exit_code == 0


def test_waive_builds_a_new_policy_on_the_one_the_project_uses(tmp_path, monkeypatch):
    (tmp_path / ".licscan.yaml").write_text("policy: strict\n")
    monkeypatch.chdir(tmp_path)
    result = run("waive", "LS121", "meta-llama/*", "--reason", "under 700M MAU", "--expires", "2999-01-01",
                 "--approved-by", "me")
    assert result.exit_code == 0, result.output
    assert "extends: strict\n" in (tmp_path / "licscan-policy.yaml").read_text()


def test_a_settings_file_giving_a_key_twice_is_refused_not_read_as_its_last_value(tmp_path, monkeypatch):
    # "policy: strict" then "policy: default" would otherwise gate on the looser policy without a word.
    (tmp_path / ".licscan.yaml").write_text("policy: strict\nmodels: []\npolicy: default\n")
    monkeypatch.chdir(tmp_path)
    result = run("scan", "--quiet")
    assert result.exit_code == 2, result.output
    assert ".licscan.yaml" in result.output and "'policy' twice" in result.output


def test_rules_validate_reads_a_rules_directory_over_the_shipped_rules(tmp_path):
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "team.yaml").write_text("schema: licscan-policy/1\nname: team\nextends: default\n")
    result = run("rules", "validate", str(tmp_path))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("args, message", [
    (["LS1411", "a/*", "--expires", "2999-01-01"], "'waivers[0].rule' names 'LS1411'"),
    (["LS120", "a/*", "--expires", "2020-01-01"], "is already past"),
    (["LS120", "a/*", "--expires", "June"], "--expires must be a date"),
])
def test_waive_refuses_an_entry_that_would_not_hold_and_leaves_the_file(tmp_path, args, message):
    policy = tmp_path / "team.yaml"
    policy.write_text("schema: licscan-policy/1\nname: team\nextends: default\n")
    result = run("waive", *args, "--reason", "r", "--approved-by", "me", "--policy", str(policy))
    assert result.exit_code == 2 and message in result.output
    assert policy.read_text() == "schema: licscan-policy/1\nname: team\nextends: default\n"


# ---------------------------------------------------------------------------------------------------------
# Discovery: a policy's waiver patterns are not models the project uses
# ---------------------------------------------------------------------------------------------------------


def test_waiver_models_in_a_policy_file_are_not_discovered(tmp_path):
    (tmp_path / "licscan-policy.yaml").write_text(TEAM.replace("praxis-test/*", "praxis/relevance-3b"))
    (tmp_path / "train.yaml").write_text("base_model: praxis/relevance-3b\n")
    result = run("discover", str(tmp_path), "--json", "--no-cache")
    found = {(item["path"], item["id"]) for item in json.loads(result.output)["occurrences"]}
    assert found == {("train.yaml", "praxis/relevance-3b")}


# ---------------------------------------------------------------------------------------------------------
# lock, check, diff: exit codes by verdict, never a PASS that did not look
# ---------------------------------------------------------------------------------------------------------


def test_lock_exits_by_the_verdict_it_writes(tmp_path, hub):
    failing = make_project(tmp_path, hub, "praxis-test/nc-model")
    result = run("lock", str(failing))
    assert result.exit_code == 1 and "verdict FAIL" in result.output and (failing / "licscan.lock").is_file()
    passing = make_project(tmp_path / "ok", hub, "clean-test/apache-model")
    result = run("lock", str(passing))
    assert result.exit_code == 0 and "1 model," in result.output and "verdict PASS" in result.output


@pytest.fixture
def example(tmp_path) -> Path:
    root = tmp_path / "assistant-app"
    shutil.copytree(EXAMPLE, root)
    return root


def test_check_with_a_lockfile_outside_the_project_root_checks_the_project(example, monkeypatch):
    monkeypatch.chdir(example)
    assert run("lock", ".", "--output", "ci/licscan.lock").exit_code == 1
    result = run("check", "app/chat.py", "--lockfile", "ci/licscan.lock")
    assert result.exit_code == 1, result.output
    assert "LS112" in result.output and not result.output.startswith("PASS")


def test_check_that_cannot_place_a_file_never_says_pass(example, monkeypatch):
    monkeypatch.chdir(example)
    assert run("lock", ".").exit_code == 1
    (example / "ci").mkdir()
    shutil.move(example / "licscan.lock", example / "ci" / "licscan.lock")  # a lockfile carried elsewhere
    result = run("check", "app/chat.py", "--lockfile", "ci/licscan.lock")
    assert result.exit_code == 2 and "cannot place app/chat.py: it is outside" in result.output
    shutil.move(example / "ci" / "licscan.lock", example / "licscan.lock")
    result = run("check", "app/chta.py")
    assert result.exit_code == 2 and "cannot place app/chta.py: there is no such file" in result.output


def test_check_of_a_project_the_lockfile_does_not_know_never_says_pass(example, tmp_path, monkeypatch):
    monkeypatch.chdir(example)
    assert run("lock", ".").exit_code == 1
    other = tmp_path / "other"
    (other / "app").mkdir(parents=True)
    (other / "app" / "main.py").write_text("print('no models here')\n")
    shutil.copy(example / "licscan.lock", other / "licscan.lock")
    monkeypatch.chdir(other)
    result = run("check")
    assert result.exit_code == 2 and "names none of them" in result.output


def test_a_project_that_never_ran_lock_gets_one_sentence_on_what_to_do(tmp_path):
    (tmp_path / "app.py").write_text('from x import M\nM.from_pretrained("a/b")\n')
    command = [str(Path(sys.executable).parent / "licscan"), "check", "app.py"]
    completed = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 2 and completed.stdout == ""
    assert completed.stderr == ("licscan: error: licscan.lock does not exist, so there is nothing to check against: "
                                "run `licscan lock` in the project folder and commit licscan.lock\n")


def test_check_evaluates_again_once_a_waiver_has_expired(tmp_path, hub, monkeypatch):
    policy = tmp_path / "team.yaml"
    policy.write_text(TEAM)
    root = make_project(tmp_path, hub, "praxis-test/nc-model", policy=str(policy))
    monkeypatch.chdir(root)
    assert run("lock", ".", env={"SOURCE_DATE_EPOCH": epoch("2027-01-15")}).exit_code == 0
    before = run("check", "app/chat.py", env={"SOURCE_DATE_EPOCH": epoch("2027-06-30")})
    assert before.exit_code == 0 and "(as locked)" in before.output
    after = run("check", "app/chat.py", env={"SOURCE_DATE_EPOCH": epoch("2027-07-01")})
    assert after.exit_code == 1 and "LS150" in after.output and "expired on 2027-06-30" in after.output


def test_diff_exits_non_zero_and_shows_why_a_new_model_fails(tmp_path, hub):
    root = make_project(tmp_path, hub, "clean-test/apache-model")
    first = tmp_path / "1.json"
    assert run("scan", str(root), "--json", str(first)).exit_code == 0
    (root / "app" / "new.py").write_text('from x import M\nM.from_pretrained("praxis-test/nc-model")\n')
    second = tmp_path / "2.json"
    assert run("scan", str(root), "--json", str(second)).exit_code == 1
    worse = run("diff", str(first), str(second))
    assert worse.exit_code == 1, worse.output
    assert "new model praxis-test/nc-model\n    fails: LS120 non-commercial:" in worse.output
    better = run("diff", str(second), str(first))
    assert better.exit_code == 0 and "model praxis-test/nc-model is no longer used" in better.output
    assert run("diff", str(first), str(first)).exit_code == 0


# ---------------------------------------------------------------------------------------------------------
# The command line's small promises
# ---------------------------------------------------------------------------------------------------------


def test_version_and_help_show_no_python_types():
    from licscan import __version__

    assert run("--version").output == f"licscan {__version__}\n"
    for command in ("scan", "explain"):
        shown = run(command, "--help").output
        assert "--rules-dir DIR" in shown and "<list" not in shown and "list[Path]" not in shown


def test_the_verdict_line_counts_in_words_and_points_at_a_report_that_exists(tmp_path, hub):
    root = make_project(tmp_path, hub, "praxis-test/nc-model")
    quiet = run("scan", str(root), "-q", "--no-color")  # -q: a line per model, then the verdict line
    verdict = quiet.output.splitlines()[-1]
    assert verdict.startswith("FAIL: 1 model, 1 failing finding, ") and "see the JSON report" not in quiet.output
    report = tmp_path / "r.json"
    named = run("scan", str(root), "-q", "--no-color", "--json", str(report))
    assert "see the JSON report" not in named.output
    assert named.output.count("\n") == 2 and (f"see {report}" in named.output or "informational" not in named.output)


# ---------------------------------------------------------------------------------------------------------
# Every way the gate can end, through the installed command, against the README's table
# ---------------------------------------------------------------------------------------------------------


def readme_endings() -> dict[str, int]:
    text = (ROOT / "README.md").read_text(encoding="utf-8").split("Every way the gate can end", 1)[1]
    rows = [line for line in text.split("\n\n", 2)[1].splitlines() if line.startswith("| ")]
    return {cells[0]: int(cells[1]) for cells in ([cell.strip() for cell in row.strip("|").split("|")]
                                                  for row in rows[1:])}


def installed_licscan() -> str:
    found = shutil.which("licscan", path=str(Path(sys.executable).parent)) or shutil.which("licscan")
    assert found, "the licscan console script is not installed"
    return found


ENDINGS = {
    # ending: (models, policy text or None, day, use the Hub stand-in instead of the mirror)
    "pass": (["clean-test/apache-model"], None, "2027-01-15", False),
    "fail": (["praxis-test/nc-model"], None, "2027-01-15", False),
    "waived": (["praxis-test/nc-model"], TEAM, "2027-01-15", False),
    "expired waiver": (["praxis-test/nc-model"], TEAM, "2027-07-01", False),
    "stale waiver": (["clean-test/apache-model"], TEAM, "2027-01-15", False),
    "incomplete": (["child-test/orphan"], None, "2027-01-15", False),
    "model not found": (["nobody/never-existed"], None, "2027-01-15", True),
    "configuration error": (["clean-test/apache-model"], "schema: licscan-policy/1\nname: team\n", "2027-01-15",
                            False),
}


def test_every_ending_of_the_gate_is_in_the_readme_with_its_exit_code():
    assert set(readme_endings()) == set(ENDINGS)


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_each_ending_exits_as_the_readme_says_through_the_installed_command(ending, tmp_path, hub, hub_stub):
    models, policy_text, day, online = ENDINGS[ending]
    add_repo(hub, "child-test/orphan", {"license": "apache-2.0", "base_model": "ghost-test/absent"})
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text("from x import M\n" + "".join(f'M.from_pretrained("{m}")\n' for m in models))
    command = [installed_licscan(), "scan", ".", "--json", "report.json", "--no-color"]
    if not online:
        command += ["--mirror", str(hub)]
    if policy_text is not None:
        (root / "team.yaml").write_text(policy_text)
        command += ["--policy", "team.yaml"]
    env = {**os.environ, "SOURCE_DATE_EPOCH": epoch(day), "HF_ENDPOINT": hub_stub.url}
    completed = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert completed.returncode == readme_endings()[ending], completed.stdout + completed.stderr
    assert "Traceback" not in completed.stderr
    if ending == "configuration error":
        assert "states neither 'fail_on' nor 'extends'" in completed.stderr
        return
    report = json.loads((root / "report.json").read_text())
    statuses = [use["status"] for use in report["waivers"]]
    expected = {"waived": ["used"], "expired waiver": ["expired"], "stale waiver": ["stale"]}.get(ending, [])
    assert statuses == expected
    verdict = {"pass": "pass", "waived": "pass", "stale waiver": "pass", "incomplete": "incomplete"}.get(ending, "fail")
    assert report["verdict"] == verdict
    if ending == "model not found":
        assert [f["rule_id"] for f in report["findings"] if f["fails"]] == ["LS103"]


def test_a_lockfile_cannot_send_check_outside_the_current_directory(example, monkeypatch):
    monkeypatch.chdir(example)
    assert run("lock", ".", "--output", "ci/licscan.lock").exit_code == 1
    lockfile = example / "ci" / "licscan.lock"
    data = json.loads(lockfile.read_text())
    lockfile.write_text(json.dumps({**data, "basedir": "../../../.."}, indent=1, sort_keys=True))
    result = run("check", "--lockfile", "ci/licscan.lock")
    assert result.exit_code == 2 and "says its project is '../../../..'" in result.output
