"""The JSON text of reports and listings (licscan.json_text): what json.dumps(indent=2, sort_keys=True,
ensure_ascii=False) writes for plain values, and valid, writable JSON for hostile ones (a lone surrogate, NaN,
an integer beyond 64 bits, numeric keys, deep nesting), the same bytes for the same input."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from licscan.cli import app
from licscan.config import data_dir
from licscan.json_text import dumps, packed, unpacked
from licscan.reporting import get_format, report_parts
from licscan.reporting.json_pieces import json_pieces
from licscan.scan import write_output

from synthetic import synthetic_result

runner = CliRunner()


def strict_loads(text: str):
    """json.loads that refuses what is not JSON (json.loads takes NaN and Infinity by default)."""
    def refuse(constant: str):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def _readable(value):
    """What a JSON reader must get back from dumps(value): lone surrogates as U+FFFD, NaN and infinities as
    null, keys as json.dumps turns them into text. Written apart from licscan's own conversion."""
    if isinstance(value, str):
        return "".join("\ufffd" if 0xD800 <= ord(char) <= 0xDFFF else char for char in value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (list, tuple)):
        return [_readable(item) for item in value]
    if isinstance(value, dict):
        return {_readable(key) if isinstance(key, str) else json.dumps(key): _readable(item)
                for key, item in value.items()}
    return value


_PLAIN_KEYS = st.text(max_size=6, alphabet=st.characters(blacklist_categories=("Cs",))) | st.sampled_from(
    ["a", "b", "A", "é", "\x00", "\x7f", "\u2028", "z\n", '"', "\\", "\U0001f600", "\uffff"])
_PLAIN_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",))) | st.sampled_from(
    ["", "é", "\U0001f600", "\x1b[31m", "\u2028", "a\tb\r\n", "</script>", "\x00\x1f\x7f"])
_PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**63, max_value=2**64 - 1) | _PLAIN_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner) | st.dictionaries(_PLAIN_KEYS, inner, max_size=4),
    max_leaves=30)
_HOSTILE_SCALARS = (st.none() | st.booleans() | st.integers() | st.integers(min_value=10**20, max_value=10**30)
                    | st.floats() | st.text()
                    | st.sampled_from(["\ud800", "a\udfffb", "\udc80\udcff", "\ud83d\ude00x\ud800"]))
_HOSTILE_KEYS = (st.text(max_size=6) | st.sampled_from(["\ud800", "é", "a"]))
_HOSTILE = st.recursive(_HOSTILE_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                        | st.dictionaries(_HOSTILE_KEYS, inner, max_size=4), max_leaves=30)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_PLAIN)
def test_plain_values_are_written_byte_for_byte_as_json_dumps_writes_them(value):
    assert dumps(value) == json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_HOSTILE)
def test_any_value_is_valid_json_that_writes_as_utf8_and_reads_back(value):
    text = dumps(value)
    text.encode("utf-8")  # never a lone surrogate, which no UTF-8 file or terminal takes
    assert strict_loads(text) == _readable(value)
    assert dumps(copy.deepcopy(value)) == text  # the same bytes for the same input
    assert "".join(json_pieces(value, depth=3)) == text + "\n"


@pytest.mark.parametrize("value, expected", [
    ({"name": "a\ud800b", "\udcff": 1}, {"name": "a\ufffdb", "\ufffd": 1}),
    ([math.nan, math.inf, -math.inf, 1.5], [None, None, None, 1.5]),
    ({"parameters": 10**30, "negative": -(2**70), "n": math.nan}, {"parameters": 10**30, "negative": -(2**70), "n": None}),
    ({1: "one", 2.5: "two", None: "none", False: "no"}, {"1": "one", "2.5": "two", "null": "none", "false": "no"}),
    ({1: "x", "b": "y"}, {"1": "x", "b": "y"}),  # json.dumps refuses to sort these; written here
])
def test_values_the_c_writer_refuses_still_make_a_report(value, expected):
    text = dumps(value)
    assert strict_loads(text) == expected
    assert dumps(value) == text


def test_nesting_deeper_than_the_c_writer_goes_is_still_written():
    value: list = []
    for _ in range(400):  # orjson stops at 254 levels
        value = [value, "\ud800"]
    assert strict_loads(dumps(value)) == _readable(value)


@dataclasses.dataclass
class _Record:
    name: str = "x"


@pytest.mark.parametrize("refused", [{"a": {1, 2}}, {"a": object()}, [_Record()], {"when": datetime.date(2026, 1, 1)},
                                     {(1, 2): "tuple key"}])
def test_a_value_json_has_no_form_for_is_a_type_error_as_json_dumps_raises(refused):
    with pytest.raises(TypeError):
        json.dumps(refused, indent=2, sort_keys=True)
    with pytest.raises(TypeError):
        dumps(refused)


def _hostile_result():
    """A scan result whose card-controlled text holds a lone surrogate, and a compute estimate whose numbers a
    card and a Hub answer control: tokens past a float's range (inf), a parameter count beyond 64 bits."""
    from licscan.model import ComputeEstimate

    base = synthetic_result(3)
    estimate = ComputeEstimate(model=base.models[0].key, flop=math.inf, parameters=10**30, parameters_source="hub",
                               tokens=math.inf, tokens_source="README.md line 1", thresholds=((1e25, "a threshold", True),))
    finding = dataclasses.replace(base.findings[0], message="bad \ud800 text", evidence=(("card", "\udcff"),))
    first = dataclasses.replace(base.models[0], compute=(estimate,), findings=(finding, *base.models[0].findings[1:]))
    return dataclasses.replace(base, project="proj\ud800", models=(first, *base.models[1:]),
                               findings=(finding, *base.findings[1:]))


@pytest.mark.parametrize("name", ["json", "sarif"])
def test_a_report_holding_hostile_values_is_written_as_valid_json(tmp_path, name):
    result = _hostile_result()
    writer = get_format(name, data_dir("reports"))
    target = tmp_path / f"report.{name}"
    write_output(target, report_parts(writer, result))  # streamed, as `licscan scan --json FILE` writes it
    text = target.read_text(encoding="utf-8")
    assert text == writer.render(result)
    report = strict_loads(text)
    assert "bad \ufffd text" in text
    if name == "json":
        (compute,) = report["models"][0]["training_compute"]
        assert compute["estimate_flop"] is None and compute["parameters"] == 10**30
        assert report["project"] == "proj\ufffd"


def _mirror_repo(root: Path, repo_id: str, readme: str, info: dict) -> None:
    folder = root / repo_id
    folder.mkdir(parents=True)
    (folder / "README.md").write_text(readme)
    (folder / "info.json").write_text(json.dumps({"id": repo_id, "sha": "e" * 40, "author": repo_id.split("/")[0],
                                                  "siblings": [{"rfilename": "README.md"}], **info}))


def test_a_card_whose_numbers_overflow_still_gets_a_valid_json_report(tmp_path):
    # "trained on <400 digits> trillion tokens" is a float past its range (inf), and so is the FLOP estimate;
    # the Hub's parameter count is beyond 64 bits. Both reach the JSON report's training_compute.
    mirror = tmp_path / "mirror"
    card = "---\nlicense: apache-2.0\n---\nThis model was trained on " + "9" * 400 + " trillion tokens of text.\n"
    _mirror_repo(mirror, "org/overflow", card, {"safetensors": {"total": 10**30}})
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text('from x import M\nM.from_pretrained("org/overflow")\n')
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["scan", str(project), "--mirror", str(mirror), "--json", str(out), "--no-color"],
                           env={"LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'cache.db'}"}, catch_exceptions=False)
    assert result.exit_code in (0, 1, 3), result.output
    report = strict_loads(out.read_text(encoding="utf-8"))
    model = next(item for item in report["models"] if item["id"] == "org/overflow")
    (compute,) = model["training_compute"]
    assert compute["parameters"] == 10**30 and compute["tokens"] is None and compute["estimate_flop"] is None


def test_the_example_s_reports_and_listing_are_the_text_json_dumps_wrote(tmp_path):
    """`scan --json`, `scan --sarif` and `discover --json` on the example (with a non-ASCII file name added):
    the same bytes json.dumps(indent=2, sort_keys=True, ensure_ascii=False) writes of what they hold."""
    import shutil

    project = tmp_path / "assistant-app"
    shutil.copytree(Path(__file__).resolve().parents[1] / "examples" / "assistant-app", project)
    (project / "app" / "modèle_été.py").write_text('from x import M\nM.from_pretrained("Qwen/Qwen2.5-7B-Instruct")\n')
    env = {"LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'cache.db'}", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    scanned = runner.invoke(app, ["scan", str(project), "--quiet", "--json", str(tmp_path / "r.json"),
                                  "--sarif", str(tmp_path / "r.sarif")], env=env, catch_exceptions=False)
    assert scanned.exit_code in (0, 1, 3), scanned.output
    listed = runner.invoke(app, ["discover", str(project), "--json", "--no-cache"], env=env, catch_exceptions=False)
    assert listed.exit_code == 0, listed.output
    texts = [(tmp_path / "r.json").read_text(encoding="utf-8"), (tmp_path / "r.sarif").read_text(encoding="utf-8"),
             listed.stdout]
    assert "modèle_été.py" in texts[0] and "modèle_été.py" in texts[2]  # UTF-8 as it is, not \u escapes
    for text in texts:
        assert text == json.dumps(strict_loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


_PIPED = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.sampled_from(["\ud800", "a\udfffb", "/p/caf\udce9.py", "line\nbreak", "\u2028", ""]),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=6) | st.sampled_from(["\udc80", "k"]), inner, max_size=4),
    max_leaves=30)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_PIPED)
def test_what_crosses_a_helpers_pipe_comes_back_as_json_would_bring_it(value):
    # Files and results cross discovery's helper pipes packed by orjson; what orjson refuses (a lone surrogate
    # from an undecodable file name, an integer beyond 64 bits) falls back to json, whose escapes read back.
    data = packed(value)
    assert b"\n" not in data  # (the pipe's items are one line each)
    assert unpacked(data) == json.loads(json.dumps(value))


@pytest.mark.parametrize("number", [-(2**63) - 1, 2**64, 10**30, -(10**30)])
def test_an_integer_beyond_64_bits_crosses_a_helpers_pipe_as_the_same_integer(number):
    # A file's item can carry a number a hostile file wrote (a line count, a size): it must come back whole,
    # not as the nearest float (orjson reads an integer past 64 bits as a float).
    value = {"path": "/p/caf\udce9.py", "sizes": [1, number]}
    assert unpacked(packed(value)) == {"path": "/p/caf\udce9.py", "sizes": [1, number]}
    assert type(unpacked(packed([number]))[0]) is int
