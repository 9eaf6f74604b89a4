"""Bad project content never stops a scan: it is reported as Skipped, and Hub URLs are still found."""

from __future__ import annotations


from licscan.discovery import discover
from licscan.model import DiscoverySettings, Location, ModelRef, RefKind


def _write(root, name, data):
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))


def _skipped(result):
    return {(s.path, s.reason) for s in result.skipped}


def test_python_syntax_error_is_skipped_and_urls_are_still_found(tmp_path):
    _write(tmp_path, "broken.py", (
        "from transformers import AutoModel\n"
        "# weights: https://huggingface.co/org/name\n"
        "model = AutoModel.from_pretrained('org/name'\n"
        "print 'python 2'\n"
        "# see also hf.co/other-org/other-model. and huggingface.co/datasets/org/a-dataset\n"
    ))
    result = discover(tmp_path, DiscoverySettings())
    (skipped,) = result.skipped
    assert (skipped.path, skipped.reason) == ("broken.py", "parse-error")
    assert "line" in skipped.detail
    found = {(o.ref, o.location) for o in result.occurrences}
    assert found == {
        (ModelRef("org/name"), Location("broken.py", 2)),
        (ModelRef("other-org/other-model"), Location("broken.py", 5)),
        (ModelRef("org/a-dataset", None, RefKind.DATASET), Location("broken.py", 5)),
    }
    assert {o.via for o in result.occurrences} == {"fallback"}


def test_non_utf8_yaml(tmp_path):
    _write(tmp_path, "latin.yaml", "base_model: org/caf\xe9\n# https://huggingface.co/org/fallback\n".encode("latin-1"))
    result = discover(tmp_path, DiscoverySettings())
    assert _skipped(result) == {("latin.yaml", "not-utf8")}
    assert [o.ref.repo_id for o in result.occurrences] == ["org/fallback"]


def test_alias_bomb_over_the_limit_is_refused(tmp_path):
    lines = ["a0: &a0 [lol, lol]"]
    for level in range(1, 12):
        refs = ", ".join([f"*a{level - 1}"] * 30)
        lines.append(f"a{level}: &a{level} [{refs}]")
    lines.append("model: org/after-the-bomb")
    _write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    result = discover(tmp_path, DiscoverySettings())
    assert _skipped(result) == {("bomb.yaml", "parse-error")}
    assert "alias" in result.skipped[0].detail


def test_alias_bomb_is_skipped_with_the_reason(tmp_path):
    # 9 levels of 9 aliases expand to 9**9 nodes if walked: refused before anything walks it.
    lines = ["l0: &l0 {model: org/shared-anchor}"]
    for level in range(1, 10):
        refs = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{refs}]")
    _write(tmp_path, "laughs.yml", "\n".join(lines) + "\n")
    result = discover(tmp_path, DiscoverySettings())
    (skipped,) = result.skipped
    assert (skipped.path, skipped.reason) == ("laughs.yml", "parse-error") and "alias bomb" in skipped.detail


def test_anchors_and_aliases_of_ordinary_size_are_read(tmp_path):
    _write(tmp_path, "train.yml", "defaults: &d {model: org/shared-anchor}\nstage1: *d\nstage2: *d\n")
    result = discover(tmp_path, DiscoverySettings())
    assert [(o.ref.repo_id, o.location.line) for o in result.occurrences] == [("org/shared-anchor", 1)]
    assert result.skipped == ()


def test_malformed_json_and_toml_and_yaml(tmp_path):
    _write(tmp_path, "bad.json", '{"model": "org/in-bad-json",\n  // comment\n}\n')
    _write(tmp_path, "bad.toml", 'model = "org/in-bad-toml"\nmodel = "dup"\n')
    _write(tmp_path, "bad.yaml", "model: [org/in-bad-yaml\n")
    _write(tmp_path, "weights/config.json", '{"model_type": "llama", ')
    _write(tmp_path, "tags.yaml", "model: !!python/object:os.system {}\n")
    result = discover(tmp_path, DiscoverySettings())
    assert _skipped(result) == {
        ("bad.json", "parse-error"),
        ("bad.toml", "parse-error"),
        ("bad.yaml", "parse-error"),
        ("weights/config.json", "parse-error"),
    }
    assert result.occurrences == ()
    assert result.local_models == ()


def test_deeply_nested_content(tmp_path):
    _write(tmp_path, "deep.json", '{"model": ' + "[" * 100_000 + "]" * 100_000 + "}")
    _write(tmp_path, "deep.py", "AutoModel.from_pretrained(" + "(" * 5000 + "'org/x'" + ")" * 5000 + ")\n")
    result = discover(tmp_path, DiscoverySettings(max_file_bytes=1_000_000))
    assert _skipped(result) == {("deep.json", "parse-error"), ("deep.py", "parse-error")}


def test_empty_and_odd_files(tmp_path):
    _write(tmp_path, "empty.py", "")
    _write(tmp_path, "empty.yaml", "")
    _write(tmp_path, "scalar.json", '"model"')
    _write(tmp_path, "bom.yaml", "\ufeffmodel: org/with-bom\n")
    _write(tmp_path, "crlf.py", "from x import pipeline\r\n\r\npipeline('t', model='org/crlf')\r\n")
    result = discover(tmp_path, DiscoverySettings())
    assert result.skipped == ()
    assert {(o.ref.repo_id, o.location.line) for o in result.occurrences} == {("org/with-bom", 1), ("org/crlf", 3)}
