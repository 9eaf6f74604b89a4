"""Cold discovery's cheaper plumbing reads what the plain path reads, and keeps its limits."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from licscan import safeyaml
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


def test_discover_finds_hosted_apis_without_loading_the_provider_records(tmp_path):
    (tmp_path / "app.py").write_text(
        "from openai import OpenAI\nclient = OpenAI(base_url='https://api.deepseek.com')\n"
        "client.chat.completions.create(model='deepseek-chat', messages=[])\n")
    records = ["licscan.model.findings", "licscan.model.lineage", "licscan.model.providers", "licscan.rule_entries"]
    probe = ("import sys\nfrom licscan.entry import main\n"
             f"sys.argv = ['licscan', 'discover', '--no-cache', '--json', {str(tmp_path)!r}]\n"
             "try:\n    main(fast_exit=False)\nexcept SystemExit:\n    pass\n"
             f"print(sorted(name for name in {records!r} if name in sys.modules))\n")
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                               env={**os.environ, "HOME": str(tmp_path)})
    *listing, loaded = completed.stdout.strip().splitlines()
    assert "api:deepseek/deepseek-chat" in "\n".join(listing), completed.stdout + completed.stderr
    assert loaded == "[]"


def test_discover_without_a_cache_never_looks_for_the_user_cache_directory(tmp_path):
    # Neither the discovery cache nor the database is opened: platformdirs (and the tempfile and shutil modules it
    # pulls in) would cost every run its import.
    (tmp_path / "app.py").write_text("AutoModel.from_pretrained('org/m')\n")
    probe = ("import sys\nfrom licscan.entry import main\n"
             f"sys.argv = ['licscan', 'discover', '--no-cache', '--json', {str(tmp_path)!r}]\n"
             "try:\n    main(fast_exit=False)\nexcept SystemExit:\n    pass\n"
             "print('platformdirs' in sys.modules)\n")
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                               env={**os.environ, "HOME": str(tmp_path)})
    *listing, loaded = completed.stdout.strip().splitlines()
    assert "org/m" in "\n".join(listing), completed.stdout + completed.stderr
    assert loaded == "False"


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
