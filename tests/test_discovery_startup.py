"""Cold discovery's cheaper plumbing reads what the plain path reads, and keeps its limits."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from licscan import config, safeyaml
from licscan.config import data_dir
from licscan.errors import LicscanError, ParseError
from licscan.providers import load_providers, load_vocabulary
from licscan.scan import list_occurrences

_MIXED = (
    "base_model: org/name\n"
    "steps: 1\n"
    "flag: yes\n"
    "when: 2024-01-01\n"
    "datasets:\n"
    "  - path: org/data\n"
    "    weight: 0.5\n"
    "anchor: &a {model: org/shared}\n"
    "again: *a\n"
    "---\n"
    "second: [x, y]\n"
)


def _shape(node):
    """A node tree as plain data: kind, text and 1-based line of every node."""
    if node is None:
        return None
    if node.id == "scalar":
        return ("scalar", node.value, node.start_mark.line + 1)
    if node.id == "sequence":
        return ("sequence", [_shape(item) for item in node.value], node.start_mark.line + 1)
    return ("mapping", [(_shape(key), _shape(value)) for key, value in node.value], node.start_mark.line + 1)


def test_untagged_compose_reads_the_same_shapes_values_and_lines():
    tagged = [_shape(node) for node in safeyaml.compose_all(_MIXED)]
    untagged = [_shape(node) for node in safeyaml.compose_all(_MIXED, tags=False)]
    assert untagged == tagged
    # A number, a boolean and a date stay the text the file wrote.
    top = dict((key.value, value) for key, value in safeyaml.compose_all(_MIXED, tags=False)[0].value)
    assert (top["steps"].value, top["flag"].value, top["when"].value) == ("1", "yes", "2024-01-01")


def test_untagged_compose_still_refuses_alias_bombs_and_bad_yaml():
    lines = ["l0: &l0 [lol, lol]"]
    for level in range(1, 10):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 9)}]")
    with pytest.raises(ParseError, match="alias bomb"):
        safeyaml.compose_all("\n".join(lines), what="bomb.yaml", tags=False)
    with pytest.raises(ParseError, match="bad.yaml is not valid YAML at line"):
        safeyaml.compose_all("a: [1,\nb: {", what="bad.yaml", tags=False)
    with pytest.raises(ParseError, match="larger than"):
        safeyaml.compose_all("a: b\n" * (safeyaml.MAX_YAML_BYTES // 5 + 1), what="big.yaml", tags=False)


_ACME = (
    "schema: licscan-providers/1\nlast_reviewed: '2026-12-07'\nproviders:\n"
    "  - key: deepseek\n    name: Replaced\n    organization: Acme\n    hosts: [api.acme-replaced.example]\n"
    "    prefixes: [Acme]\n    models: ['acme-*']\n    terms: {url: null, read: null}\n    confidence: unconfirmed\n"
    "    unconfirmed: [terms]\n    hub_names: true\n"
    "    sources:\n      - {citation: c, date: '2026-12-07', confidence: unconfirmed, type: reference-work}\n"
    "runtime_tags:\n  - {runtime: lmstudio, tag: 'acme:1b', hub_model: acme/acme-1b, confidence: unconfirmed,\n"
    "     sources: [{citation: c, date: '2026-12-07', confidence: unconfirmed, type: reference-work}]}\n"
)


def test_discovery_reads_the_same_vocabulary_as_the_whole_provider_table(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "providers.yaml").write_text(_ACME)
    for dirs in ([data_dir("rules")], [data_dir("rules"), rules]):
        assert load_vocabulary(dirs) == load_providers(dirs).vocabulary
    merged = load_vocabulary([data_dir("rules"), rules])
    assert ("api.acme-replaced.example", "deepseek") in merged.hosts and "lmstudio" in merged.runtimes
    assert not any(host == "api.deepseek.com" for host, _ in merged.hosts)  # the later directory's entry wins


@pytest.mark.parametrize(("change", "message"), [
    (("hosts: [api.acme-replaced.example]", "hosts: ['https://api.acme.example/v1']"), "not a host name"),
    (("models: ['acme-*']", "models: []"), "model-name globs"),
    (("hub_names: true", "hub_names: maybe"), "true or false"),
    (("tag: 'acme:1b'", "tag: acme"), "name:size"),
    (("    name: Replaced\n", "    name: Replaced\n    name: Again\n"), "gives the key 'name' twice"),
    (("schema: licscan-providers/1", "schema: licscan-providers/9"), "'schema' must be"),
])
def test_discover_still_refuses_a_providers_file_whose_vocabulary_is_wrong(tmp_path, change, message):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "providers.yaml").write_text(_ACME.replace(*change))
    (tmp_path / ".licscan.yaml").write_text("rules_dirs: [rules]\n")
    with pytest.raises(LicscanError, match=message) as raised:
        list_occurrences(tmp_path, as_json=True, use_cache=False)
    assert "providers.yaml" in (getattr(raised.value, "file", None) or str(raised.value))


def _discover_in_a_process(root, home, modules):
    """`licscan discover --no-cache --json root` in a fresh interpreter: its listing, and which of `modules` it
    loaded."""
    probe = ("import sys\nfrom licscan.entry import main\n"
             f"sys.argv = ['licscan', 'discover', '--no-cache', '--json', {str(root)!r}]\n"
             "try:\n    main(fast_exit=False)\nexcept SystemExit:\n    pass\n"
             f"print(sorted(name for name in {list(modules)!r} if name in sys.modules))\n")
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                               env={**os.environ, "HOME": str(home)})
    *listing, loaded = completed.stdout.strip().splitlines() or [""]
    return "\n".join(listing) or completed.stderr, loaded


def test_discover_finds_hosted_apis_without_loading_the_provider_records(tmp_path):
    (tmp_path / "app.py").write_text(
        "from openai import OpenAI\nclient = OpenAI(base_url='https://api.deepseek.com')\n"
        "client.chat.completions.create(model='deepseek-chat', messages=[])\n")
    records = ["licscan.model.findings", "licscan.model.lineage", "licscan.model.providers", "licscan.rule_entries"]
    listing, loaded = _discover_in_a_process(tmp_path, tmp_path, records)
    assert "api:deepseek/deepseek-chat" in listing, listing
    assert loaded == "[]"


def test_discover_without_a_cache_never_looks_for_the_user_cache_directory(tmp_path):
    # Neither the discovery cache nor the database is opened: platformdirs (and the tempfile and shutil modules it
    # pulls in) would cost every run its import.
    (tmp_path / "app.py").write_text("AutoModel.from_pretrained('org/m')\n")
    listing, loaded = _discover_in_a_process(tmp_path, tmp_path, ["platformdirs"])
    assert "org/m" in listing, listing
    assert loaded == "[]"


def test_a_star_without_an_anchor_is_no_alias_to_expand(monkeypatch):
    # Globs such as 'gpt-4*' in rules/providers.yaml: without an anchor there is no alias, so the tree is not walked
    # again to count what aliases expand to; with one, it still is (and a bomb is still refused, above).
    walked = []
    real = safeyaml._expanded_size
    monkeypatch.setattr(safeyaml, "_expanded_size", lambda node: walked.append(node) or real(node))
    assert safeyaml.load("models: ['gpt-4*', 'o1-*']\n") == {"models": ["gpt-4*", "o1-*"]}
    assert walked == []
    assert safeyaml.load("a: &x ['gpt-4*']\nb: *x\n") == {"a": ["gpt-4*"], "b": ["gpt-4*"]}
    assert len(walked) == 1


def test_the_shipped_vocabulary_snapshot_is_current():
    # licscan/providers_vocabulary.json is what load_vocabulary reads from the shipped rules/providers.yaml; after an
    # edit of that file, `make vocabulary` writes it again (until then discover reads the YAML file, more slowly).
    shipped = data_dir("rules")
    assert config._shipped_vocabulary((str(shipped),)) == load_vocabulary([shipped]), "run `make vocabulary`"
    assert config.VOCABULARY_SNAPSHOT.read_text() == config.vocabulary_snapshot(shipped), "run `make vocabulary`"


def test_discover_on_an_empty_folder_loads_no_yaml_parser(tmp_path):
    (tmp_path / "empty").mkdir()
    listing, loaded = _discover_in_a_process(tmp_path / "empty", tmp_path, ["yaml", "licscan.providers", "hashlib"])
    assert '"files_scanned": 0' in listing, listing
    assert loaded == "[]"


def test_a_snapshot_stands_for_the_providers_file_only_while_its_bytes_are_unchanged(tmp_path, monkeypatch):
    shipped = data_dir("rules")
    planted = json.loads(config.vocabulary_snapshot(shipped))
    planted["vocabulary"]["hosts"].append(["api.planted.example", "deepseek"])
    monkeypatch.setattr(config, "VOCABULARY_SNAPSHOT", tmp_path / "snapshot.json")

    def api(root):
        return config.load_config(root, check_mirror=False, db_url="sqlite://").discovery(use_cache=False).api

    (tmp_path / "app").mkdir()
    config.VOCABULARY_SNAPSHOT.write_text(json.dumps(planted))
    assert ("api.planted.example", "deepseek") in api(tmp_path / "app").hosts  # made from these bytes: read
    planted["made_from"]["crc32"] ^= 1
    config.VOCABULARY_SNAPSHOT.write_text(json.dumps(planted))
    assert api(tmp_path / "app") == load_vocabulary([shipped])  # made from other bytes: the file is read
    config.VOCABULARY_SNAPSHOT.write_text("{not json")
    assert api(tmp_path / "app") == load_vocabulary([shipped])
    # A project's own providers.yaml is merged in, as load_vocabulary merges it.
    planted["made_from"]["crc32"] ^= 1
    config.VOCABULARY_SNAPSHOT.write_text(json.dumps(planted))
    (tmp_path / "app" / "rules").mkdir()
    (tmp_path / "app" / "rules" / "providers.yaml").write_text(_ACME)
    (tmp_path / "app" / ".licscan.yaml").write_text("rules_dirs: [rules]\n")
    merged = api(tmp_path / "app")
    assert merged == load_vocabulary([shipped, tmp_path / "app" / "rules"])
    assert ("api.acme-replaced.example", "deepseek") in merged.hosts
    assert ("api.planted.example", "deepseek") not in merged.hosts
