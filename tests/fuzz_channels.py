"""The fuzzing channels licscan is tried through: each a Hypothesis strategy of hostile input and a check.

A check raises AssertionError for what must never happen (an exception other than licscan's own errors, a
false clear: input whose evidence should fail that passes) and returns quietly otherwise. tests/test_fuzz_*.py
run every channel with a fixed seed and a few examples; benchmarks/fuzz.py runs thousands per channel and
counts crashes, hangs, peak memory and false clears. The two channels that run a whole scan (SCAN_CHANNELS:
cards through the mirror and through the loopback Hub) take many cards per scan, each judged on its own model.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import shutil
import signal
import struct
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml
from hypothesis import strategies as st

from licscan.errors import LicscanError

HANG_SECONDS = 30
FIXED_CLOCK = lambda: datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)  # noqa: E731


class Hang(Exception):
    """An example ran longer than HANG_SECONDS."""


@contextmanager
def hang_guard(seconds: int = HANG_SECONDS) -> Iterator[None]:
    """Raise Hang in the main thread when the block runs longer than `seconds` (a guard, not a measurement)."""

    def expire(signum: int, frame: Any) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


class FalseClear(AssertionError):
    """Input whose evidence should fail passed."""


def allowed_errors(call: Callable[[], Any]) -> Any:
    """Run `call`; licscan's own errors are answers (None is returned), anything else propagates as a crash."""
    try:
        return call()
    except LicscanError:
        return None


# -- hostile text ------------------------------------------------------------------------------------------------

HOSTILE_PIECES = [
    "\ud800", "\udfff", "\x00", "\x1b[2J", "\u202e", "\u2066", "\r\n", "\n", "|", "@team", "<script>", "]]>",
    "&amp;", "{{ 7*7 }}", "{% raw %}", "`", "*", "#", "---", "...", "\\", '"', "'", ":", "- ", "? ", "!!python/object",
    "&a", "*a", "%", "1" * 5000, "9" * 40, "٣", "e\u0301", "\U0001f600", "../../etc/passwd", "/", "//", "hf_abcdefghij",
    "mit OR", "apache-2.0 AND", "(mit", "mit WITH", "openrail++", "cc-by-nc-4.0", "other", "NOASSERTION",
]
hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE_PIECES), st.text(max_size=20)), max_size=8).map("".join)
LICENSES = ["apache-2.0", "mit", "cc-by-nc-4.0", "llama3.1", "other", "openrail++", "gpl-3.0", "unknown", "mit OR",
            "apache-2.0 AND", "(mit", "mit WITH", "\ud800"]
FAILING_LICENSE = "cc-by-nc-4.0"  # non-commercial: the default policy fails it
UNCONSTRUCTIBLE = ["2024-02-30", "!!int x", "!!bool maybe", "!!timestamp x", "1" * 4400, "!!float x"]
# Declared licences no record identifies: a card declaring one and nothing else must never pass.
UNIDENTIFIABLE = {"other", "unknown", "mit OR", "apache-2.0 AND", "(mit", "mit WITH", "\ud800"}


# -- model cards ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Card:
    """A generated model card: the text of README.md, and whether its evidence must fail a scan."""

    text: str
    must_fail: bool


def _yaml_scalar(value: str) -> str:
    return json.dumps(value, ensure_ascii=True)  # JSON strings are YAML strings, surrogates escaped


@st.composite
def cards(draw: st.DrawFn) -> Card:
    """Front matter of every shape: a licence (failing or not), hostile fields, values the loader cannot build,
    broken YAML, a body with digit runs and hostile text."""
    license_id = draw(st.sampled_from(LICENSES))
    lines = [f"license: {_yaml_scalar(license_id)}"]
    named = draw(st.booleans())
    if named:
        lines.append(f"license_name: {_yaml_scalar(draw(hostile_text))}")
    if draw(st.booleans()):
        lines.append(f"license_link: {_yaml_scalar(draw(hostile_text))}")
    tagged = draw(st.booleans())
    if tagged:
        lines.append(f"tags: [{', '.join(_yaml_scalar(t) for t in draw(st.lists(hostile_text, max_size=4)))}]")
    if draw(st.booleans()):
        lines.append(f"datasets: {_yaml_scalar(draw(hostile_text))}")
    if draw(st.booleans()):
        lines.append(f"base_model: {_yaml_scalar(draw(st.sampled_from(['not a repo', '../x', 'a/b/c', ''])))}")
    broken = False
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), f"extra: {draw(st.sampled_from(UNCONSTRUCTIBLE))}")
        broken = True
    if draw(st.integers(0, 9)) == 0:
        lines.append(draw(st.sampled_from(["license: [unclosed", "a: &x [*x]", "\tbad: tab", "- list"])))
        broken = True
    front = "\n".join(lines)
    body = draw(st.lists(st.one_of(hostile_text, st.sampled_from(["trained on ", "1" * 3000, " trillion tokens. "])),
                         max_size=6).map("".join))
    text = f"---\n{front}\n---\n{body}\n"
    # The card's evidence fails when its licence is non-commercial, when it cannot be read at all, and when what
    # it declares identifies no licence (and nothing else on the card could).
    unidentified = license_id in UNIDENTIFIABLE and not named and not tagged
    return Card(text, must_fail=license_id == FAILING_LICENSE or broken or unidentified)


def check_card_text(card: Card) -> None:
    """parse_card never raises; a broken card carries a problem and declares nothing."""
    from licscan.cards import parse_card

    parsed = parse_card(card.text.encode("utf-8", "surrogatepass"))
    assert isinstance(parsed.problems, tuple)


def _write_repo(root: Path, repo_id: str, card: Card) -> None:
    folder = root / repo_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_bytes(card.text.encode("utf-8", "surrogatepass"))
    (folder / "info.json").write_text(json.dumps({
        "id": repo_id, "sha": hashlib.sha1(repo_id.encode()).hexdigest(), "author": repo_id.split("/")[0],
        "tags": [], "siblings": [{"rfilename": "README.md"}],
    }))


def _scan_models(project: Path, repo_ids: list[str], **config: Any):
    from licscan.config import load_config
    from licscan.scan import scan_models

    settings = load_config(project, **config)
    return scan_models(settings, repo_ids, clock=FIXED_CLOCK)


def _judge_model(result: Any, repo_id: str, card: Card) -> AssertionError | None:
    """What is wrong with one card's model in a scan result, judged on its own findings, or None."""
    from licscan.evaluation.policy import verdict
    from licscan.model import Verdict

    report = next((model for model in result.models if model.key == repo_id), None)
    if report is None:
        return AssertionError(f"{repo_id} was asked for and is missing from the result: {card.text[:300]!r}")
    if card.must_fail and verdict(report.findings) is Verdict.PASS:
        return FalseClear(f"a card whose evidence fails passed: {card.text[:300]!r}")
    return None


class CardScanChannel:
    """Cards through a whole scan (discovery aside), many cards in one scan.

    Each card is published as a repo of its own (`fuzz/model-N`, never reused: nothing is cached in between)
    and judged on its own model's findings, as if it had been scanned alone; the result of the scan is then
    rendered in every format. A scan that crashes, hangs (HANG_SECONDS) or ends in one of licscan's errors is
    split in halves and each half scanned again, down to the one card that does it, so every problem is
    counted against the case that causes it. Subclasses say where a card is published and how it is scanned.
    """

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="licscan-fuzz-scan-"))
        (self.folder / "project").mkdir()
        self.count = 0

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def _publish(self, repo_id: str, card: Card) -> Path:
        raise NotImplementedError

    def _scan(self, repo_ids: list[str]) -> Any:
        raise NotImplementedError

    def check(self, card: Card) -> None:
        """One card: raises what is wrong with it (AssertionError, FalseClear, Hang or the crash)."""
        (problem,) = self.check_many([card])
        if problem is not None:
            raise problem

    def check_many(self, cards: list[Card]) -> list[Exception | None]:
        """Every card in one scan when nothing goes wrong; what is wrong with each card (or None), in order."""
        cases, folders = [], []
        for card in cards:
            self.count += 1
            repo_id = f"fuzz/model-{self.count}"
            folders.append(self._publish(repo_id, card))
            cases.append((repo_id, card))
        try:
            return self._run(cases)
        finally:
            for folder in folders:
                shutil.rmtree(folder, ignore_errors=True)

    def _run(self, cases: list[tuple[str, Card]]) -> list[Exception | None]:
        try:
            with hang_guard(HANG_SECONDS):
                result = allowed_errors(lambda: self._scan([repo_id for repo_id, _ in cases]))
                if result is not None:
                    problems = [_judge_model(result, repo_id, card) for repo_id, card in cases]
                    render_every_format(result)
                    return problems
        except Exception as exc:  # noqa: BLE001 - a crash or a hang, counted against the card that causes it
            if len(cases) == 1:
                return [exc]
        else:
            if len(cases) == 1:  # licscan refused the scan: an error exit is not a pass, but a readable card is
                card = cases[0][1]
                return [None if card.must_fail else
                        AssertionError(f"a readable card ended in an error: {card.text[:300]!r}")]
        half = len(cases) // 2
        return self._run(cases[:half]) + self._run(cases[half:])


class MirrorChannel(CardScanChannel):
    """Cards through the offline mirror."""

    def _publish(self, repo_id: str, card: Card) -> Path:
        _write_repo(self.folder / "mirror", repo_id, card)
        return self.folder / "mirror" / repo_id

    def _scan(self, repo_ids: list[str]) -> Any:
        return _scan_models(self.folder / "project", repo_ids, mirror=str(self.folder / "mirror"), db_url="sqlite://")


class HubChannel(CardScanChannel):
    """Cards through the loopback Hub stand-in (tests/hubstub.py), started once for every scan; a fresh
    metadata store per scan."""

    def __init__(self) -> None:
        from hubstub import HubStub

        super().__init__()
        (self.folder / "hub").mkdir()
        self.stub = HubStub(self.folder / "hub").start()

    def close(self) -> None:
        self.stub.stop()
        super().close()

    def _publish(self, repo_id: str, card: Card) -> Path:
        _write_repo(self.folder / "hub", repo_id, card)
        return self.folder / "hub" / repo_id

    def _scan(self, repo_ids: list[str]) -> Any:
        import os

        previous = os.environ.get("HF_ENDPOINT")
        os.environ["HF_ENDPOINT"] = self.stub.url
        try:
            return _scan_models(self.folder / "project", repo_ids, db_url="sqlite://")
        finally:
            if previous is None:
                os.environ.pop("HF_ENDPOINT", None)
            else:
                os.environ["HF_ENDPOINT"] = previous


# -- licence expressions ---------------------------------------------------------------------------------------

expressions = st.lists(st.one_of(st.sampled_from(["mit", "apache-2.0", "gpl-3.0", "OR", "AND", "WITH", "(", ")",
                                                  "+", "/", "classpath-exception-2.0", "LicenseRef-x", "\ud800", ""]),
                                 hostile_text), max_size=8).map(" ".join)


def check_license_expression(expression: str) -> None:
    """Never raises; a dangling operator or an open parenthesis is never an identified licence."""
    from licscan.evaluation.licenses import spdx_normalize

    normalized = spdx_normalize(expression)
    stripped = expression.strip()
    if stripped.upper().endswith((" OR", " AND", " WITH")) or stripped.count("(") != stripped.count(")"):
        assert normalized is None, (expression, normalized)


# -- GGUF headers ----------------------------------------------------------------------------------------------

def _gguf_string(text: bytes) -> bytes:
    return struct.pack("<Q", len(text)) + text


@st.composite
def gguf_headers(draw: st.DrawFn) -> bytes:
    """A GGUF header with keys of every type, counts and lengths that may lie, then cut or flipped bytes."""
    pairs = []
    for _ in range(draw(st.integers(0, 6))):
        key = draw(st.sampled_from([b"general.license", b"general.base_model.count", b"general.base_model.0.repo_url",
                                    b"general.tags", b"tokenizer.ggml.tokens", b"general.source.url", b"x"]))
        kind = draw(st.integers(0, 13))
        if kind == 8:
            value = _gguf_string(draw(st.binary(max_size=40)))
        elif kind == 9:
            item_kind = draw(st.integers(0, 12))
            count = draw(st.one_of(st.integers(0, 5), st.sampled_from([2**40, 2**63, 50_000_001, 1_000_000])))
            items = b"".join(_gguf_string(draw(st.binary(max_size=8))) if item_kind == 8 else b"\x01" * 8
                             for _ in range(min(count, 5)))
            value = struct.pack("<IQ", item_kind, count) + items
        else:
            value = draw(st.binary(min_size=0, max_size=8))
        pairs.append(_gguf_string(key) + struct.pack("<I", kind) + value)
    count = draw(st.one_of(st.just(len(pairs)), st.integers(0, 2**64 - 1)))
    version = draw(st.sampled_from([3, 3, 3, 2, 1, 2**32 - 1]))
    data = b"GGUF" + struct.pack("<IQQ", version, draw(st.integers(0, 3)), count) + b"".join(pairs)
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    if draw(st.booleans()) and data:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
    return data


def _project_file(folder: Path, relpath: str, data: bytes):
    from licscan.discovery.interface import ProjectFile
    from licscan.discovery.walk import HEADER_BYTES

    path = folder / relpath
    path.write_bytes(data)
    return ProjectFile(relpath, str(path), data[:HEADER_BYTES] if relpath.endswith((".gguf", ".safetensors")) else data,
                       root=folder)


def _scan_sources(relpath: str, data: bytes) -> list:
    """Every discovery source that wants `relpath`, run directly (the runner would turn a crash into a skip)."""
    from licscan.discovery.registry import wanted_by

    with tempfile.TemporaryDirectory(prefix="licscan-fuzz-") as folder:
        file = _project_file(Path(folder), relpath, data)
        return [source.scan(file) for source in wanted_by(relpath)]


def check_gguf(data: bytes) -> None:
    from licscan.gguf_header import read_general

    for whole in (True, False):
        header = read_general(data, whole=whole)
        assert header.complete or header.problem is not None or not whole
    for output in _scan_sources("model.gguf", data):
        for model in output.local_models:
            assert model.key == "local:model.gguf"


# -- safetensors headers --------------------------------------------------------------------------------------

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), hostile_text),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(hostile_text, children, max_size=4)),
    max_leaves=12,
)


@st.composite
def safetensors_files(draw: st.DrawFn) -> tuple[bytes, bool]:
    """(file bytes, whether it declares the failing licence): metadata of any JSON shape, a length that may lie."""
    metadata = draw(st.dictionaries(st.sampled_from(["license", "modelspec.license", "base_model", "ss_network_module",
                                                     "_name_or_path", "format"]), json_values, max_size=4))
    failing = draw(st.booleans())
    if failing:
        metadata["license"] = FAILING_LICENSE
    header = json.dumps({"__metadata__": metadata}).encode()
    if draw(st.booleans()):
        header = header[: draw(st.integers(0, len(header)))]
    length = draw(st.one_of(st.just(len(header)), st.integers(0, 2**64 - 1)))
    return struct.pack("<Q", length) + header + draw(st.binary(max_size=16)), failing


def check_safetensors(example: tuple[bytes, bool]) -> None:
    data, failing = example
    for output in _scan_sources("lora.safetensors", data):
        for model in output.local_models:
            if failing and model.card.license is not None:
                assert model.card.license == FAILING_LICENSE  # what the file declares is what is judged


# -- notebooks ------------------------------------------------------------------------------------------------

@st.composite
def notebooks(draw: st.DrawFn) -> bytes:
    sources = st.one_of(hostile_text, st.just('from transformers import AutoModel\nAutoModel.from_pretrained("org/name")\n'),
                        st.just("!huggingface-cli download org/name\n"), st.just("%%bash\nhf download org/name\n"))
    cells = draw(st.lists(st.fixed_dictionaries({
        "cell_type": st.sampled_from(["code", "markdown", "raw", 7]),
        "source": st.one_of(sources, st.lists(sources, max_size=3), json_values),
    }), max_size=5))
    document: Any = {"cells": cells, "nbformat": draw(st.sampled_from([4, "4", None])), "metadata": {}}
    if draw(st.integers(0, 5)) == 0:
        document = draw(json_values)
    text = json.dumps(document)
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    return text.encode("utf-8", "surrogatepass")


def check_notebook(data: bytes) -> None:
    _scan_sources("analysis.ipynb", data)


# -- configuration files -------------------------------------------------------------------------------------

@st.composite
def config_documents(draw: st.DrawFn) -> tuple[str, bytes]:
    """(file name, bytes): a YAML, JSON or TOML document naming models, hostile, possibly broken."""
    kind = draw(st.sampled_from(["train.yaml", "config.json", "settings.toml"]))
    data = draw(st.dictionaries(st.sampled_from(["base_model", "model_name_or_path", "model", "adapter", "x"]),
                                st.one_of(json_values, st.just("org/name")), max_size=4))
    if kind.endswith(".yaml"):
        text = yaml.safe_dump(json.loads(json.dumps(data)), allow_unicode=False)
        if draw(st.booleans()):
            text += f"\nextra: {draw(st.sampled_from(UNCONSTRUCTIBLE))}\n"
    elif kind.endswith(".json"):
        text = json.dumps(data)
    else:
        text = "\n".join(f"{key} = {json.dumps(value) if isinstance(value, str) else draw(st.sampled_from(['1', '1' * 4400, '2024-02-30', '[1,', 'true']))}"
                         for key, value in data.items())
    if draw(st.integers(0, 4)) == 0:
        text = text[: draw(st.integers(0, len(text)))]
    return kind, text.encode("utf-8", "surrogatepass")


def check_config_document(example: tuple[str, bytes]) -> None:
    name, data = example
    _scan_sources(name, data)


@st.composite
def project_settings(draw: st.DrawFn) -> tuple[str, bytes]:
    """(.licscan.yaml or pyproject.toml, bytes): licscan's own settings, hostile."""
    name = draw(st.sampled_from([".licscan.yaml", "pyproject.toml"]))
    value = draw(st.one_of(st.sampled_from(UNCONSTRUCTIBLE + ["[1,", "{", "-1", "true", "'x'", '"org/name"']),
                           hostile_text.map(json.dumps)))
    key = draw(st.sampled_from(["max_depth", "models", "policy", "timeout", "ignore", "project", "db_url", "colour"]))
    if name == "pyproject.toml":
        text = f"[tool.licscan]\n{key} = {value}\n"
    else:
        text = f"{key}: {value}\n"
    return name, text.encode("utf-8", "surrogatepass")


def check_project_settings(example: tuple[str, bytes]) -> None:
    """Only ConfigError (exit 2), never another exception, for any settings file."""
    from licscan.config import load_config
    from licscan.errors import ConfigError

    name, data = example
    with tempfile.TemporaryDirectory(prefix="licscan-fuzz-") as folder:
        (Path(folder) / name).write_bytes(data)
        try:
            load_config(Path(folder))
        except ConfigError:
            pass


# -- report writers --------------------------------------------------------------------------------------------

def render_every_format(result: Any) -> None:
    """Every registered format renders the result; the JSON report keeps its verdict."""
    from licscan.config import data_dir
    from licscan.reporting import formats

    for name, writer in formats(data_dir("reports")).items():
        text = allowed_errors(lambda: writer.render(result))
        if name == "json" and text is not None:
            assert json.loads(text)["verdict"] == result.verdict.value


_BASE_RESULT: list[Any] = []


def _base_result() -> Any:
    """One real scan result (the recorded Hub data: several models, findings, lineage) to put strings into."""
    if not _BASE_RESULT:
        mirror = Path(__file__).resolve().parent / "data" / "hub"
        with tempfile.TemporaryDirectory(prefix="licscan-fuzz-") as folder:
            _BASE_RESULT.append(_scan_models(Path(folder), ["anon/AA-llama32-3b-c205633c"], mirror=str(mirror),
                                             db_url="sqlite://"))
    return _BASE_RESULT[0]


# What a scan result can hold: text from outside is made valid Unicode where it enters (no lone surrogates),
# with every other hostile piece kept.
accepted_text = hostile_text.map(lambda text: text.encode("utf-8", "surrogatepass").decode("utf-8", "replace"))


@st.composite
def scan_results(draw: st.DrawFn) -> Any:
    """A scan result whose every free-text field a card or a project controls holds generated hostile text."""
    hostile_text = accepted_text  # noqa: F841 - shadows the module strategy for the draws below
    base = _base_result()
    findings = tuple(replace(finding, message=draw(hostile_text), evidence=((draw(hostile_text), draw(hostile_text)),))
                     for finding in base.findings)
    models = tuple(replace(model, findings=tuple(replace(f, message=draw(hostile_text)) for f in model.findings))
                   for model in base.models)
    return replace(base, project=draw(hostile_text), findings=findings, models=models)


def check_reports(result: Any) -> None:
    render_every_format(result)


# name -> (strategy, check), one example at a time.
CHANNELS: dict[str, tuple[Any, Callable[[Any], None]]] = {
    "card-text": (cards(), check_card_text),
    "license-expression": (expressions, check_license_expression),
    "gguf-header": (gguf_headers(), check_gguf),
    "safetensors-header": (safetensors_files(), check_safetensors),
    "notebook": (notebooks(), check_notebook),
    "config-file": (config_documents(), check_config_document),
    "project-settings": (project_settings(), check_project_settings),
    "reports": (scan_results(), check_reports),
}

# name -> the channel that scans many generated cards at once (built, and closed, by its runner).
SCAN_CHANNELS: dict[str, Callable[[], CardScanChannel]] = {"card-mirror": MirrorChannel, "card-hub": HubChannel}
