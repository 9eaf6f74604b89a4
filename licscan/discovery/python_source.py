"""Python source: model and dataset ids passed to Hugging Face loading calls, read with ast call by call, never executed."""

from __future__ import annotations

import ast
import bisect
import io
import itertools
import re
import string
import tokenize
from typing import Callable, Iterable, Iterator, NamedTuple

from licscan import lazy_re
from licscan.model import DiscoverySettings, Location, ModelRef, Occurrence, RefKind, Skipped

from .commands import commands_in
from .common import HUB_HOSTS, INVALID_ID, clip, hub_id, hub_urls, rejected_id
from .interface import ProjectFile, SourceOutput
from .needles import Needle, NeedleSet
from .readings import FileReadings, needle_matches
from .python_text import CODE, IDENTIFIER_BYTES, STRING, PythonText, Block, matches_from_line_starts

LITERAL, VARIABLE, ENV_DEFAULT, URL, NAMED = "literal", "variable", "env-default", "url", "named"
UNRESOLVED = "unresolved-reference"

# The byte filter. Every call and keyword the analysis recognises, every library fact it depends on, and every
# Hub URL holds a match of one of these needles, all searched for in one pass (needles.py).
_CALL_WORDS = (
    rb"from_(?:pretrained|single_file)",
    rb"load_(?:lora_weights|textual_inversion|ip_adapter|adapter|dataset)",
    rb"snapshot_download",
    rb"model_name_or_path",  # also inside pretrained_model_name_or_path
    rb"hf_hub_(?:download|url)",
)
# "pipeline" alone is in every diffusers file: only its calls count.
_PIPELINE_CALL = rb"pipeline[ \t]*\("
# Library facts (attributes of _FileFacts): only whether the file holds them.
_FACT_WORDS = {
    "hub_prefix": rb"hf[-_]hub:",  # "hf-hub:org/name" strings (timm, open_clip)
    "huggingface_hub": rb"ugging[Ff]ace_hub",
    "sentence_transformers": rb"sentence_transformers",
    "vllm": rb"vllm",
    "mlx": rb"mlx_v?lm",
    # `from datasets import load_dataset as ld`, `import datasets as ds`: calls that hold no needle.
    "datasets_alias": rb"(?:load_dataset|import[ \t]+datasets)[ \t]+as[ \t]",
    # A triple quote with an f (or fr, or f and a quote) just before it: without one, no literal of the file can be
    # in a triple-quoted f-string, and _command_strings looks for none (19 of the sdists' 2,267 files have one).
    "f_triple": rb"""[fF][rR"']?(?:\"\"\"|''')""",
    # Whether the file holds a ''' at all: PythonText then looks for none (most files quote their docstrings
    # with """; the search for the ''' they lack read the whole of each: 45 ms over the sdists' files with id
    # literals).
    "single_triple": rb"'''",
}
# Hub URLs: every host match, for the URL search to start from.
_URL_HOSTS = b"|".join(re.escape(host) for host in HUB_HOSTS)
# Callees that hold no needle: counted only in files with the library fact that makes them recognisable.
_CONDITIONAL_CALLEES = {
    "sentence_transformers": rb"SentenceTransformer|CrossEncoder|SparseEncoder",
    "vllm": rb"LLM|EngineArgs",
    "huggingface_hub": rb"InferenceClient",
    "hub_prefix": rb"create_model|get_tokenizer",
}
# The end of a string literal shaped like a Hub id ("org/name"): from its "/" to its closing quote (the literal
# counts where a model-naming name is bound to it, see _named_literals).
_ID_LITERAL_END = rb"/[A-Za-z0-9][A-Za-z0-9_.-]*(?:[:#][A-Za-z0-9_.:#-]*)?[\"']"
_SPAN, _PIPELINE_SPAN, _URL, _ID_LITERAL = "span", "pipeline", "url", "id-literal"  # besides a fact's name


def _needle_set() -> tuple[NeedleSet, list[str]]:
    needles = [Needle(word) for word in _CALL_WORDS] + [Needle(_PIPELINE_CALL)]
    roles = [_SPAN] * len(_CALL_WORDS) + [_PIPELINE_SPAN]
    fact_numbers: dict[str, int] = {}
    for fact, word in _FACT_WORDS.items():
        fact_numbers[fact] = len(needles)
        needles.append(Needle(word, first_only=True))
        roles.append(fact)
    needles.append(Needle(_URL_HOSTS))
    roles.append(_URL)
    needles.append(Needle(_ID_LITERAL_END))
    roles.append(_ID_LITERAL)
    for fact, word in _CONDITIONAL_CALLEES.items():
        needles.append(Needle(word, needs=fact_numbers[fact]))
        roles.append(_SPAN)
    return NeedleSet(needles), roles


_NEEDLES, _NEEDLE_ROLES = _needle_set()
_ENCODING_COOKIE = lazy_re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.M)
_MAX_FOLDED = 1000  # a folded string longer than this is not a repo id


def might_name_models(data: bytes) -> bool:
    """The cheap test: whether the file holds anything a recognised call, keyword or Hub URL needs."""
    survey = _survey(data)
    return bool(survey.hits or survey.url_hosts or survey.id_literals or survey.facts.read_whole)


# ---------------------------------------------------------------------------------------------
# Recognised calls
# ---------------------------------------------------------------------------------------------


# The records below are NamedTuples and plain classes, not dataclasses: this module is imported on every
# pre-commit check, and a dataclass costs its generated methods' compilation at import.


class _Target(NamedTuple):
    """One model-naming argument of a recognised call: its position and its keyword names."""

    positional: int | None
    keywords: tuple[str, ...]


class _Spec(NamedTuple):
    targets: tuple[_Target, ...]
    kind: RefKind = RefKind.MODEL
    download: bool = False  # a huggingface_hub download: repo_type= decides the kind
    hub_prefix: bool = False  # only "hf-hub:org/name" values name Hub repos (timm, open_clip)


_GENERIC_KEYWORDS = ("pretrained_model_name_or_path", "model_name_or_path")
_FROM_PRETRAINED = _Spec((_Target(0, ("pretrained_model_name_or_path", "repo_id")),))
_PEFT_FROM_PRETRAINED = _Spec((_Target(1, ("model_id",)),))
_ATTRIBUTE_CALLS = {
    # diffusers single-file checkpoints, LoRA and embedding loaders; PEFT / transformers adapters.
    "from_single_file": _Spec((_Target(0, ("pretrained_model_link_or_path",)),)),
    "load_lora_weights": _Spec((_Target(0, ("pretrained_model_name_or_path_or_dict",)),)),
    "load_textual_inversion": _Spec((_Target(0, ("pretrained_model_name_or_path",)),)),
    "load_ip_adapter": _Spec((_Target(0, ("pretrained_model_name_or_path_or_dict",)),)),
    "load_adapter": _Spec((_Target(0, ("peft_model_id", "model_id", "pretrained_model_name_or_path")),)),
}
_PIPELINE = _Spec(
    (_Target(1, ("model",)), _Target(None, ("tokenizer", "feature_extractor", "image_processor", "processor")))
)
_HUB_DOWNLOAD = _Spec((_Target(0, ("repo_id",)),), download=True)
_SENTENCE_TRANSFORMER = _Spec((_Target(0, ("model_name_or_path",)),))
_CROSS_ENCODER = _Spec((_Target(0, ("model_name", "model_name_or_path")),))
_VLLM = _Spec((_Target(0, ("model",)), _Target(None, ("tokenizer",))))
_INFERENCE_CLIENT = _Spec((_Target(0, ("model",)),))
_LOAD_DATASET = _Spec((_Target(0, ("path",)),), kind=RefKind.DATASET)
_HF_HUB_PREFIXED = _Spec((_Target(0, ("model_name",)), _Target(None, ("pretrained",))), hub_prefix=True)
_MLX_LOAD = _Spec((_Target(0, ("path_or_hf_repo",)),))
_TIMM_OPEN_CLIP = ("create_model", "create_model_and_transforms", "create_model_from_pretrained", "get_tokenizer")
_HUB_PREFIXES = ("hf-hub:", "hf_hub:")


class _FileFacts:
    """What call recognition needs to know about the whole file: which libraries and Hub prefixes it names."""

    def __init__(self) -> None:
        self.sentence_transformers = False
        self.vllm = False
        self.huggingface_hub = False
        self.hub_prefix = False  # "hf-hub:org/name" strings (timm, open_clip)
        self.mlx = False
        self.mlx_modules: frozenset[str] = frozenset({"mlx_lm", "mlx_vlm"})
        self.mlx_functions: frozenset[str] = frozenset()
        self.datasets_alias = False
        self.f_triple = False  # an f-string may open with a triple quote
        self.single_triple = False  # the file holds a '''
        self.datasets_modules: frozenset[str] = frozenset({"datasets"})
        self.datasets_functions: frozenset[str] = frozenset()

    @property
    def read_whole(self) -> bool:
        """Whether a loading function may be called under a name of the project's choosing (no needle in the
        call): the file is read whole, with these names from its imports."""
        return self.mlx or self.datasets_alias


def _recognize(name: str | None, receiver: str | None, attribute: bool, facts: _FileFacts) -> _Spec | None:
    """The model-naming arguments of a call to `receiver.name(...)` (receiver None for a bare name or an
    expression), or None when the call is not one that loads a model or dataset."""
    if name is None:
        return None
    if attribute:
        if name == "from_pretrained":
            # PeftModel.from_pretrained(base_model, adapter_id): the id is the second argument.
            if receiver is not None and receiver.startswith("PeftModel"):
                return _PEFT_FROM_PRETRAINED
            return _FROM_PRETRAINED
        if name in _ATTRIBUTE_CALLS:
            return _ATTRIBUTE_CALLS[name]
        if name == "load" and receiver in facts.mlx_modules:
            return _MLX_LOAD
    elif name in facts.mlx_functions:
        return _MLX_LOAD
    if name in _TIMM_OPEN_CLIP:
        return _HF_HUB_PREFIXED
    if name == "pipeline" and receiver in (None, "transformers"):
        return _PIPELINE
    if name in ("hf_hub_download", "snapshot_download", "hf_hub_url") and receiver in (None, "huggingface_hub"):
        return _HUB_DOWNLOAD
    if name in ("InferenceClient", "AsyncInferenceClient") and facts.huggingface_hub and receiver in (
        None, "huggingface_hub"
    ):
        return _INFERENCE_CLIENT
    if (name == "load_dataset" and (receiver is None or receiver in facts.datasets_modules)) or (
            not attribute and name in facts.datasets_functions):
        return _LOAD_DATASET
    if facts.sentence_transformers:
        if name in ("SentenceTransformer", "SparseEncoder") and receiver in (None, "sentence_transformers"):
            return _SENTENCE_TRANSFORMER
        if name == "CrossEncoder" and receiver in (None, "sentence_transformers", "cross_encoder"):
            return _CROSS_ENCODER
    if facts.vllm and name in ("LLM", "EngineArgs", "AsyncEngineArgs") and receiver in (None, "vllm"):
        return _VLLM
    return None


def _lazy_call_spec(call: ast.Call, facts: "_FileFacts") -> "_Spec | None":
    """mmengine-style configs (xtuner, OpenMMLab): `dict(type=load_dataset, path=ID)` is the call
    `load_dataset(path=ID)` made later; its keywords name what the call would load."""
    kind = _keyword(call, "type")
    if not isinstance(kind, (ast.Name, ast.Attribute)):
        return None
    name, receiver = _callee(kind)
    spec = _recognize(name, receiver, isinstance(kind, ast.Attribute), facts)
    if spec is None:
        return None
    # Keywords only: a dict takes no positional arguments.
    return spec._replace(targets=tuple(target._replace(positional=None) for target in spec.targets))


def _callee(func: ast.expr) -> tuple[str | None, str | None]:
    """(the called name, the name of its receiver or module) of a call."""
    if isinstance(func, ast.Name):
        return func.id, None
    if isinstance(func, ast.Attribute):
        receiver = func.value
        if isinstance(receiver, ast.Name):
            return func.attr, receiver.id
        if isinstance(receiver, ast.Attribute):
            return func.attr, receiver.attr
        return func.attr, None
    return None, None


def _argument(call: ast.Call, target: _Target) -> ast.expr | None:
    if target.positional is not None and len(call.args) > target.positional:
        # After a *args splat the positions of later arguments are unknown.
        if not any(isinstance(arg, ast.Starred) for arg in call.args[: target.positional + 1]):
            return call.args[target.positional]
        return None
    for keyword in call.keywords:
        if keyword.arg in target.keywords:
            return keyword.value
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


# ---------------------------------------------------------------------------------------------
# Values: literals, names bound to them, and the strings built from both
# ---------------------------------------------------------------------------------------------


class _Value(NamedTuple):
    """A string an expression certainly holds (text), or why it is known only at run time (text None)."""

    text: str | None
    via: str = LITERAL
    why: str = ""
    origin: int | None = None  # the line of the one literal the text comes from (read by _named_literals)


# lookup(name, depth, purpose) -> (the expressions the name is bound to, the depth of their scope), or None.
# purpose is ID (the value matters only if it can name a repo) or ANY (a revision: every string matters).
Lookup = Callable[[str, int, str], "tuple[list[ast.expr | None], int] | None"]
ID, ANY = "id", "any"
# The depth of the module scope of a function read on its own: its bindings come from another tree, whose
# lines are the file's (a name looked up from there falls through to the module again).
CUT_MODULE = -1


class _NeedsFullParse(Exception):
    """The fast path met something only the whole module's scopes can decide."""


def _via(*values: _Value) -> str:
    vias = {value.via for value in values}
    if ENV_DEFAULT in vias:
        return ENV_DEFAULT
    return VARIABLE if VARIABLE in vias else LITERAL


def _is_environ(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "environ") or (
        isinstance(node, ast.Attribute) and node.attr == "environ"
    )


def _env_name(node: ast.expr | None) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return f"environment variable {node.value[:60]}"
    return "an environment variable"


def _id_shaped(text: str) -> bool:
    """Whether a string could name a Hub repo (as is, or after timm's "hf-hub:" prefix)."""
    if text.startswith(_HUB_PREFIXES):
        text = text[len(_HUB_PREFIXES[0]) :]
    return hub_id(text) is not None


class _Evaluator:
    """Folds an expression to the string it holds, following names through `lookup`."""

    def __init__(self, lookup: Lookup) -> None:
        self.lookup = lookup
        self.purpose = ID
        self.line_offset = 0  # what to add to the lines of the tree read to have the file's

    def _origin(self, node: ast.expr, depth: int) -> int:
        return node.lineno + (0 if depth == CUT_MODULE else self.line_offset)

    def value(self, node: ast.expr | None, depth: int, hops: int = 0, purpose: str = ID) -> _Value | None:
        """The string `node` holds, an unresolved _Value when it is built from run-time values, or None
        when it is not a string this analysis can speak about (a parameter, an attribute, a call)."""
        if node is None or hops > 12:
            return None
        self.purpose = purpose
        if isinstance(node, ast.Constant):
            return _Value(node.value, origin=self._origin(node, depth)) if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr):
            return self._f_string(node, depth, hops)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Add):
                return self._concatenation(node, depth, hops)
            if isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
                return self._percent(node, depth, hops)
            return None
        if isinstance(node, ast.Call):
            return self._call(node, depth, hops)
        if isinstance(node, ast.Subscript) and _is_environ(node.value):
            return _Value(None, why=_env_name(node.slice))
        if isinstance(node, ast.Name):
            return self._name(node.id, depth, hops)
        return None

    def _name(self, name: str, depth: int, hops: int) -> _Value | None:
        purpose = self.purpose
        found = self.lookup(name, depth, purpose)
        if found is None:
            return None
        bindings, scope_depth = found
        if len(bindings) == 1:
            if bindings[0] is None:
                return None
            bound = self.value(bindings[0], scope_depth, hops + 1, purpose)
            if bound is None or bound.text is None:
                return bound
            return _Value(bound.text, ENV_DEFAULT if bound.via == ENV_DEFAULT else VARIABLE, origin=bound.origin)
        candidates = [self.value(node, scope_depth, hops + 1, purpose) for node in bindings if node is not None]
        # Rebinding makes the value unknowable; it is worth a report only when a binding could name a repo.
        if any(candidate is not None and (purpose == ANY or candidate.text is None or _id_shaped(candidate.text))
               for candidate in candidates):
            return _Value(None, why=f"{name} is assigned more than once")
        return None

    def _f_string(self, node: ast.JoinedStr, depth: int, hops: int) -> _Value:
        parts: list[str] = []
        values: list[_Value] = []
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                parts.append(part.value)
                continue
            if isinstance(part, ast.FormattedValue) and part.format_spec is None and part.conversion in (-1, 115):
                inner = self.value(part.value, depth, hops + 1, ANY)
                if inner is not None and inner.text is not None:
                    parts.append(inner.text)
                    values.append(inner)
                    continue
            return _Value(None, why="an f-string with a part known only at run time")
        text = "".join(parts)
        return _Value(text, _via(*values)) if len(text) <= _MAX_FOLDED else _Value(None, why="a very long f-string")

    def _concatenation(self, node: ast.BinOp, depth: int, hops: int) -> _Value | None:
        # A part of a built string need not look like an id itself: "acme" + "/model" does.
        left = self.value(node.left, depth, hops + 1, ANY)
        right = self.value(node.right, depth, hops + 1, ANY)
        if left is None and right is None:
            return None  # not known to be strings at all (numbers, paths, objects)
        if left is not None and right is not None and left.text is not None and right.text is not None:
            text = left.text + right.text
            if len(text) <= _MAX_FOLDED:
                return _Value(text, _via(left, right))
        return _Value(None, why="a concatenation with a part known only at run time")

    def _percent(self, node: ast.BinOp, depth: int, hops: int) -> _Value:
        template = node.left.value  # type: ignore[attr-defined]
        items = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        unresolved = _Value(None, why="a %-format with a part known only at run time")
        if re.sub(r"%[s%]", "", template).count("%") or template.count("%s") != len(items):
            return unresolved
        values = [self.value(item, depth, hops + 1, ANY) for item in items]
        if any(value is None or value.text is None for value in values):
            return unresolved
        pieces = iter(value.text for value in values)  # type: ignore[union-attr]
        text = re.sub(r"%[s%]", lambda match: "%" if match.group() == "%%" else next(pieces), template)
        return _Value(text, _via(*values)) if len(text) <= _MAX_FOLDED else unresolved  # type: ignore[arg-type]

    def _call(self, node: ast.Call, depth: int, hops: int) -> _Value | None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "format" and isinstance(func.value, ast.Constant):
            if isinstance(func.value.value, str):
                return self._format(func.value.value, node, depth, hops)
            return None
        is_getenv = (isinstance(func, ast.Name) and func.id == "getenv") or (
            isinstance(func, ast.Attribute) and func.attr == "getenv"
        )
        is_environ_get = isinstance(func, ast.Attribute) and func.attr == "get" and _is_environ(func.value)
        if not (is_getenv or is_environ_get):
            return None
        key = node.args[0] if node.args else _keyword(node, "key")
        default = node.args[1] if len(node.args) > 1 else _keyword(node, "default")
        fallback = self.value(default, depth, hops + 1, self.purpose)
        if fallback is not None and fallback.text is not None:
            return _Value(fallback.text, ENV_DEFAULT, origin=fallback.origin)
        return _Value(None, why=_env_name(key))

    def _format(self, template: str, node: ast.Call, depth: int, hops: int) -> _Value:
        # Never str.format() a project's template: a format spec can ask for gigabytes of padding.
        unresolved = _Value(None, why="a str.format() with a part known only at run time")
        try:
            fields = list(string.Formatter().parse(template))
        except ValueError:
            return unresolved
        keywords = {keyword.arg: keyword.value for keyword in node.keywords if keyword.arg}
        pieces: list[str] = []
        values: list[_Value] = []
        automatic = 0
        for literal, name, spec, conversion in fields:
            pieces.append(literal)
            if name is None:
                continue
            if spec or conversion:
                return unresolved
            if name == "":
                argument = node.args[automatic] if automatic < len(node.args) else None
                automatic += 1
            elif name.isdigit():
                argument = node.args[int(name)] if int(name) < len(node.args) else None
            else:
                argument = keywords.get(name)
            value = self.value(argument, depth, hops + 1, ANY)
            if value is None or value.text is None:
                return unresolved
            pieces.append(value.text)
            values.append(value)
        text = "".join(pieces)
        return _Value(text, _via(*values)) if len(text) <= _MAX_FOLDED else unresolved


# ---------------------------------------------------------------------------------------------
# What a recognised call names
# ---------------------------------------------------------------------------------------------


class _Finds:
    """Everything one file (or notebook) yields: occurrences and unresolved references."""

    def __init__(self, relpath: str, locate: Callable[[int], Location]) -> None:
        self.relpath = relpath
        self.locate = locate
        self.occurrences: list[Occurrence] = []
        self.unresolved: list[Skipped] = []
        # (line, repo id) of the literals the calls' reading followed: not reported again where they stand.
        self.literals_read: set[tuple[int, str]] = set()

    def absorb(self, other: "_Finds") -> None:
        self.occurrences.extend(other.occurrences)
        self.unresolved.extend(other.unresolved)
        self.literals_read |= other.literals_read

    def clear(self) -> None:
        self.occurrences.clear()
        self.unresolved.clear()
        self.literals_read.clear()

    def where(self, line: int) -> str:
        location = self.locate(line)
        return f"cell {location.cell}, line {location.line}" if location.cell is not None else f"line {location.line}"


def _record(
    finds: _Finds,
    call: ast.Call,
    spec: _Spec | None,
    evaluator: _Evaluator,
    depth: int,
    line: int,
    text: Callable[[], str],
    run_time: bool = False,
) -> None:
    """Add what `call` names to `finds`: Hub ids as occurrences, run-time values as unresolved references.

    run_time: also list a model argument that is a name, attribute or item known only at run time (not for a
    call on an expression, `super().from_pretrained(name)`: a library's own plumbing)."""
    targets = spec.targets if spec is not None else ()
    generic = tuple(_Target(None, (keyword.arg,)) for keyword in call.keywords if keyword.arg in _GENERIC_KEYWORDS)
    if not targets and not generic:
        return
    kind = spec.kind if spec is not None else RefKind.MODEL
    if spec is not None and spec.download:
        repo_type = evaluator.value(_keyword(call, "repo_type"), depth, purpose=ANY)
        if repo_type is not None and repo_type.text not in (None, "model", ""):
            if repo_type.text != "dataset":
                return  # a Space is not a model the project runs
            kind = RefKind.DATASET
    revision = evaluator.value(_keyword(call, "revision"), depth, purpose=ANY)
    pinned = revision.text if revision is not None else None
    seen: set[tuple[str, RefKind]] = set()
    shown: str | None = None
    for target in (*targets, *generic):
        argument = _argument(call, target)
        value = evaluator.value(argument, depth)
        if value is None and run_time and target in targets and _run_time_name(argument, spec):
            value = _Value(None, why=f"known only at run time: {clip(_expression_text(argument), 60)}")  # type: ignore[arg-type]
        if value is None:
            continue
        if shown is None:
            shown = clip(text())
        if value.text is None:
            finds.unresolved.append(Skipped(finds.relpath, UNRESOLVED, f"{finds.where(line)}: {shown} ({value.why})"))
            continue
        candidate = value.text
        if spec is not None and spec.hub_prefix:
            if not candidate.startswith(_HUB_PREFIXES):
                continue
            candidate = candidate[len(_HUB_PREFIXES[0]) :]
        repo_id = hub_id(candidate)
        if repo_id is None and rejected_id(candidate):
            finds.unresolved.append(
                Skipped(finds.relpath, INVALID_ID, f"{finds.where(line)}: {shown} ({clip(candidate, 60)} is not a Hub repo id)")
            )
        if repo_id is None or (repo_id, kind) in seen:
            continue
        seen.add((repo_id, kind))
        if value.origin is not None:
            finds.literals_read.add((value.origin, repo_id))
        finds.occurrences.append(
            Occurrence(
                ref=ModelRef(repo_id, pinned, kind),
                location=finds.locate(line),
                source=PythonSource.name,
                text=shown,
                via=value.via,
            )
        )


# What the last part of a name says it holds, for calls that also take objects (pipeline(model=model)).
_HOLDS_A_NAME = lazy_re.compile(r"(?i)(name|path|id|repo|dir|ckpt|checkpoint|pretrain)")


def _expression_text(node: ast.expr) -> str:
    """`args.model_name_or_path`, `config["model"]`: without ast.unparse for the common shapes (it is slow)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_expression_text(node.value)}.{node.attr}"
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return f"{_expression_text(node.value)}[{node.slice.value!r}]"
    return ast.unparse(node)


def _run_time_name(node: ast.expr | None, spec: _Spec | None) -> bool:
    """Whether a loading call's model argument is a name, attribute or item known only at run time
    (`model_path`, `args.model_name_or_path`, `self.model_id`, `config["model"]`): it is listed, never dropped.
    Where the call also takes a loaded object (pipeline), only a name that says it holds a name or path."""
    if isinstance(node, ast.Name):
        last = node.id
    elif isinstance(node, ast.Attribute):
        last = node.attr
    elif isinstance(node, ast.Subscript):
        key = node.slice
        last = key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else "name"
    else:
        return False
    if spec is _PIPELINE or spec is _VLLM:
        return bool(_HOLDS_A_NAME.search(last))
    return True


# ---------------------------------------------------------------------------------------------
# The full parse: scopes, bindings and every call of the module
# ---------------------------------------------------------------------------------------------


class _Scope:
    """Names bound in one scope: each binding is the expression it was given, or None when unknowable."""

    def __init__(self, *, is_class: bool = False) -> None:
        self.bindings: dict[str, list[ast.expr | None]] = {}
        self.globals: set[str] = set()
        self.nonlocals: set[str] = set()
        self.is_class = is_class

    def bind(self, name: str, value: ast.expr | None) -> None:
        self.bindings.setdefault(name, []).append(value)


class _BindingCollector(ast.NodeVisitor):
    """Records the names a scope body binds, without entering nested scopes.

    Expressions bind names only through walrus operators: a file without ":=" has its statements read only.
    """

    def __init__(self, scope: _Scope, walrus: bool = True) -> None:
        self.scope = scope
        self.walrus = walrus

    def visit(self, node: ast.AST) -> None:
        if self.walrus or not isinstance(node, ast.expr):
            super().visit(node)

    def collect(self, body: list[ast.stmt]) -> _Scope:
        for statement in body:
            self.visit(statement)
        return self.scope

    def _target(self, target: ast.AST, value: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            self.scope.bind(target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._target(element, None)
        elif isinstance(target, ast.Starred):
            self._target(target.value, None)
        else:
            self.visit(target)  # attribute or subscript targets bind nothing, but may hold walruses

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._target(target, node.value)
        self.visit(node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._target(node.target, node.value)
            self.visit(node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._target(node.target, None)
        self.visit(node.value)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self._target(node.target, None)
        self.visit(node.value)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self._target(node.target, None)
        self.visit(node.iter)
        for statement in node.body + node.orelse:
            self.visit(statement)

    visit_AsyncFor = visit_For

    def visit_withitem(self, node: ast.withitem) -> None:
        self.visit(node.context_expr)
        if node.optional_vars is not None:
            self._target(node.optional_vars, None)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.scope.bind(node.name, None)
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            self.scope.bind((alias.asname or alias.name).split(".")[0], None)

    visit_ImportFrom = visit_Import

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._target(target, None)

    def visit_Global(self, node: ast.Global) -> None:
        self.scope.globals.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.scope.nonlocals.update(node.names)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name:
            self.scope.bind(node.name, None)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self.scope.bind(node.name, None)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest:
            self.scope.bind(node.rest, None)
        self.generic_visit(node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        # Comprehension targets live in the comprehension's own scope.
        self.visit(node.iter)
        for condition in node.ifs:
            self.visit(condition)

    def _nested(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.scope.bind(node.name, None)
        for decorator in node.decorator_list:
            self.visit(decorator)

    visit_FunctionDef = _nested
    visit_AsyncFunctionDef = _nested
    visit_ClassDef = _nested

    def visit_Lambda(self, node: ast.Lambda) -> None:
        pass


def _arguments(args: ast.arguments) -> list[str]:
    every = args.posonlyargs + args.args + args.kwonlyargs
    names = [arg.arg for arg in every]
    names += [arg.arg for arg in (args.vararg, args.kwarg) if arg is not None]
    return names


def _alias_facts(tree: ast.Module, facts: _FileFacts) -> _FileFacts:
    """The names under which the file imports mlx_lm / mlx_vlm and their load(), and datasets and its
    load_dataset()."""
    modules = set(facts.mlx_modules)
    functions: set[str] = set()
    datasets_modules = set(facts.datasets_modules)
    datasets_functions: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            package = (node.module or "").split(".")[0]
            if package in ("mlx_lm", "mlx_vlm"):
                functions.update(alias.asname or alias.name for alias in node.names if alias.name == "load")
            elif package == "datasets":
                datasets_functions.update(alias.asname for alias in node.names
                                          if alias.name == "load_dataset" and alias.asname)
        elif isinstance(node, ast.Import):
            modules.update(alias.asname for alias in node.names if alias.asname and alias.name in ("mlx_lm", "mlx_vlm"))
            datasets_modules.update(alias.asname for alias in node.names if alias.asname and alias.name == "datasets")
    facts.mlx_modules = frozenset(modules)
    facts.mlx_functions = frozenset(functions)
    facts.datasets_modules = frozenset(datasets_modules)
    facts.datasets_functions = frozenset(datasets_functions)
    return facts


class _Scopes:
    """The stack of scopes a walk is in (the module's at the bottom), and the lookup of a name in it."""

    def __init__(self, module: _Scope, cut_from: "Callable[[], _Scope] | None") -> None:
        self.stack = [module]
        self.cut_from = cut_from

    def __call__(self, name: str, start: int, purpose: str = ID) -> tuple[list[ast.expr | None], int] | None:
        """The bindings a name has where it is used (scope `start` of the stack), by Python's scope rules."""
        innermost = min(start, len(self.stack) - 1)
        skip_functions = False
        for depth in range(innermost, 0, -1):
            scope = self.stack[depth]
            if scope.is_class and depth != innermost:
                continue  # class bodies are not visible from the functions inside them
            if name in scope.globals:
                skip_functions = True
            if skip_functions:
                continue
            if name in scope.nonlocals:
                continue
            if name in scope.bindings:
                return scope.bindings[name], depth
        if self.cut_from is None:
            module, depth = self.stack[0], 0
        else:
            module, depth = self.cut_from(), CUT_MODULE
        return (module.bindings[name], depth) if name in module.bindings else None


class _CallFinder(ast.NodeVisitor):
    """Walks a module with a stack of scopes, recording the recognised calls and what they name."""

    def __init__(
        self, text: PythonText, module: _Scope, finds: _Finds, facts: _FileFacts, lines: list[int] | None,
        cut_from: "Callable[[], _Scope] | None" = None, line_offset: int = 0,
    ) -> None:
        """cut_from: when the tree is one function cut from its module, gives the scope where names not bound
        inside it are looked up (the tree's own module scope holds only the function); line_offset: what to add to the
        tree's line numbers to have the file's (`lines` are the tree's)."""
        self.line_offset = line_offset
        self.text = text
        self.lines = lines
        self.walrus = text.has_walrus
        scopes = _Scopes(module, cut_from)
        self.stack = scopes.stack
        self.finds = finds
        self.facts = facts
        # (The lookup is an object of its own, not a bound method of the finder: a finder holding an evaluator
        # holding the finder is a reference cycle, garbage only the cycle collector frees, with all it holds.)
        self.evaluator = _Evaluator(scopes)
        self.evaluator.line_offset = line_offset

    def visit(self, node: ast.AST) -> None:
        if self.lines is not None:
            first = getattr(node, "lineno", None)
            if first is not None:
                # Nothing recognisable starts in a node whose lines hold no hit: skip the whole subtree.
                index = bisect.bisect_left(self.lines, first)
                if index == len(self.lines) or self.lines[index] > (getattr(node, "end_lineno", None) or first):
                    return
        super().visit(node)

    # -- scopes -----------------------------------------------------------------------------

    def _enter(self, scope: _Scope, body: list[ast.stmt] | list[ast.expr]) -> None:
        self.stack.append(scope)
        for node in body:
            self.visit(node)
        self.stack.pop()

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for outer in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
            if outer is not None:
                self.visit(outer)
        scope = _BindingCollector(_Scope(), self.walrus).collect(node.body)
        for name in _arguments(node.args):
            scope.bind(name, None)
        self._enter(scope, node.body)

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for outer in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(outer)
        scope = _BindingCollector(_Scope(is_class=True), self.walrus).collect(node.body)
        self._enter(scope, node.body)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for outer in [*node.args.defaults, *node.args.kw_defaults]:
            if outer is not None:
                self.visit(outer)
        scope = _Scope()
        for name in _arguments(node.args):
            scope.bind(name, None)
        self._enter(scope, [node.body])

    def _visit_comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        # The loop variables shadow outer names inside the comprehension only.
        scope = _Scope()
        collector = _BindingCollector(scope)
        for generator in node.generators:
            collector._target(generator.target, None)
        self.visit(node.generators[0].iter)  # evaluated in the enclosing scope
        parts: list[ast.expr] = [generator.target for generator in node.generators]
        parts += [generator.iter for generator in node.generators[1:]]
        parts += [condition for generator in node.generators for condition in generator.ifs]
        parts += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        self._enter(scope, parts)

    visit_ListComp = _visit_comprehension
    visit_SetComp = _visit_comprehension
    visit_GeneratorExp = _visit_comprehension
    visit_DictComp = _visit_comprehension

    # -- calls ------------------------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        name, receiver = _callee(node.func)
        spec = _recognize(name, receiver, isinstance(node.func, ast.Attribute), self.facts)
        if spec is None and name == "dict" and receiver is None:
            spec = _lazy_call_spec(node, self.facts)
        if spec is not None or any(keyword.arg in _GENERIC_KEYWORDS for keyword in node.keywords):
            on_expression = isinstance(node.func, ast.Attribute) and not isinstance(
                node.func.value, (ast.Name, ast.Attribute)
            )
            _record(
                self.finds, node, spec, self.evaluator, len(self.stack) - 1, node.lineno + self.line_offset,
                lambda: self._segment(node), run_time=not on_expression,
            )
        self.generic_visit(node)

    def _segment(self, node: ast.expr) -> str:
        # Offsets are in UTF-8 bytes of each line.
        line_starts = self.text.line_starts()
        start = line_starts[node.lineno + self.line_offset - 1] + node.col_offset
        end_line = (node.end_lineno or node.lineno) + self.line_offset
        end = line_starts[end_line - 1] + (node.end_col_offset or 0)
        return self.text.segment(start, end)


# "global NAME" in a function: that function may rebind the module's NAME whenever it runs.
_GLOBAL_STATEMENT = lazy_re.compile(rb"^[ \t]+global[ \t]+([A-Za-z_][\w \t,]*)", re.M)


def _module_scope(tree: ast.Module, text: PythonText) -> _Scope:
    """The names the module binds; a name that a function declares global and binds gets one more binding,
    unknown (what it holds depends on when that function runs)."""
    scope = _BindingCollector(_Scope(), text.has_walrus).collect(tree.body)
    if b"global" in text.data:
        for name in _rebound_globals(text):
            scope.bind(name, None)
    return scope


# More global statements than this in one file are not looked into: each of their names counts as rebound.
_MAX_GLOBAL_STATEMENTS = 64


def _rebound_globals(text: PythonText) -> set[str]:
    """Names declared global in a function that also binds them there, read from that function alone (each
    function parsed once)."""
    declared: dict[int | None, set[str]] = {}  # function block start (None: none found) -> names
    blocks = {}
    for count, statement in enumerate(matches_from_line_starts(text.data, _GLOBAL_STATEMENT, b"global")):
        names = {name.strip().decode("ascii") for name in statement.group(1).split(b",") if name.strip()}
        if count >= _MAX_GLOBAL_STATEMENTS:
            declared.setdefault(None, set()).update(names)
            continue
        if text.context(statement.start(1)) != CODE:
            continue
        block = text.innermost_function_at(statement.start(1))
        key = block.start if block is not None else None
        blocks[key] = block
        declared.setdefault(key, set()).update(names)
    rebound = declared.pop(None, set())  # cannot tell: assume they are
    for key, names in declared.items():
        try:
            function = _parse_alone(text, blocks[key], "<function>")[0].body[0]
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            rebound |= names
            continue
        if isinstance(function, ast.If):  # the "if 1:" around an indented def
            function = function.body[0]
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            rebound |= names  # (the block's end misread: cannot tell)
            continue
        bound = _BindingCollector(_Scope(), text.has_walrus).collect(function.body).bindings  # type: ignore[attr-defined]
        rebound |= names & set(bound)
    return rebound


def _full_parse(
    text: PythonText, source: str, finds: _Finds, facts: _FileFacts, lines: list[int] | None
) -> Skipped | None:
    """Analyse the module (only the statements spanning `lines`, when given); a Skipped when it cannot be parsed."""
    try:
        tree = ast.parse(source, filename=finds.relpath)
    except SyntaxError as exc:
        return Skipped(finds.relpath, "parse-error", _describe(exc))
    except (ValueError, RecursionError, MemoryError) as exc:
        return Skipped(finds.relpath, "parse-error", _describe(exc))
    if facts.read_whole:
        facts = _alias_facts(tree, facts)
    module = _module_scope(tree, text)
    finder = _CallFinder(text, module, finds, facts, lines)
    try:
        for statement in tree.body:
            finder.visit(statement)
    except RecursionError:
        return Skipped(finds.relpath, "parse-error", "nests too deeply to read")
    return None


# ---------------------------------------------------------------------------------------------
# The fast path: parse only the calls, where a literal or a name may decide something
# ---------------------------------------------------------------------------------------------

# What may precede a name an assignment binds on its line: indentation, or the targets of a chained assignment.
# A line that starts with ">>>" is never code (no expression can continue with ">>>"): a doctest prompt.
_DOCTEST_LINE = lazy_re.compile(rb"[ \t]*>>>")
_ASSIGNMENT_REACH = 4096
_ASSIGNMENT_PREFIX = lazy_re.compile(rb"[ \t]*(?:[A-Za-z_][\w.]*[ \t]*=[ \t]*)*\Z")


_MAX_NAMES_SEARCHED = 256


class _Maybe(Exception):
    """A right-hand side names something that may hold a string: the whole module must decide."""


class _FastLookup:
    """Name lookup without scopes. It answers only "holds nothing that matters": when some assignment in the
    file could give the name a value that matters (judged from that assignment's right-hand side alone), the
    module's scopes must decide, and it raises _NeedsFullParse."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.decided: dict[tuple[str, str], bool] = {}

    def __call__(self, name: str, depth: int, purpose: str) -> None:
        if self.maybe_bound(name, purpose):
            raise _NeedsFullParse(name)
        return None

    def maybe_bound(self, name: str, purpose: str) -> bool:
        key = (name, purpose)
        known = self.decided.get(key)
        if known is None and len(self.decided) >= _MAX_NAMES_SEARCHED:
            return True  # each name is a search of the whole file: past this many, the module's scopes decide
        if known is None:
            self.decided[key] = True  # a name bound to itself (x = x + "a") stops here
            known = self.decided[key] = self._search(name, purpose)
        return known

    def _static_lookup(self, name: str, depth: int, purpose: str) -> None:
        if self.maybe_bound(name, purpose):
            raise _Maybe(name)
        return None

    def value_may_matter(self, text: bytes, purpose: str) -> bool:
        """Whether an expression, read alone, could hold a value that matters for `purpose`."""
        try:
            node = ast.parse(text.strip() or b"_", mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return True  # continued on later lines: unknown
        try:
            # (An evaluator of its own each time: one kept here would hold this lookup's bound method, a cycle.)
            value = _Evaluator(self._static_lookup).value(node, 0, purpose=purpose)
        except _Maybe:
            return True
        if value is None:
            return False
        return value.text is None or purpose == ANY or _id_shaped(value.text)

    def _search(self, name: str, purpose: str) -> bool:
        data = self.data
        for at, value in _assigned_after(data, name.encode("utf-8")):
            line_start = data.rfind(b"\n", 0, at) + 1
            if not _ASSIGNMENT_PREFIX.match(data, line_start, at):
                continue  # a keyword argument, an attribute or a longer name: no binding of this name
            if self.value_may_matter(value, purpose):
                return True
        return False


# What follows a name an assignment binds: an annotation, "=", and the value's line. The annotation is bounded:
# unbounded, every "name:" on a long line would re-read the rest of it.
_BOUND_AFTER_NAME = lazy_re.compile(rb"[ \t]*(?::[^=\n]{0,200})?=(?!=)([^\n]*)")
_BINDING_NEXT = frozenset(b" \t:=")


def _assigned_after(data: bytes, name: bytes) -> Iterator[tuple[int, bytes]]:
    """(offset, value text) of each place `name` stands followed by "=" (and maybe an annotation): what a pattern of
    the name and _BOUND_AFTER_NAME finds with finditer, without compiling a pattern per name in every process that
    meets it (149 names over the sdists, 549 searches: about 9 ms of compiling)."""
    size = len(data)
    at = data.find(name)
    while at >= 0:
        end = at + len(name)
        # (Most places go on with a letter, "(", "." or ","; only a blank, ":" or "=" may start the pattern.)
        if end < size and data[end] in _BINDING_NEXT:
            match = _BOUND_AFTER_NAME.match(data, end)
            if match is not None:
                yield at, match.group(1)
                at = data.find(name, match.end())
                continue
        at = data.find(name, at + 1)




class _Hit(NamedTuple):
    """An identifier holding a needle, followed by "(" (a call) or "=" (a keyword or an assignment)."""

    start: int
    end: int
    after: int  # the offset of the "(" or "="
    is_call: bool


class _Survey(NamedTuple):
    """What the byte scan found in a file: its hits, its library facts, whether it holds Hub URLs."""

    hits: list[_Hit]
    facts: _FileFacts
    url_hosts: list[tuple[int, int]]  # (start, end) of each Hub host name
    id_literals: list[tuple[int, int]]  # (the "/", just after the closing quote) of each id-shaped literal
    lazy: bool = False  # a loading callable given as `type=` (a config dict's lazy call)


def _survey(data: bytes, readings: FileReadings | None = None) -> _Survey:
    facts = _FileFacts()
    spans: list[tuple[int, int]] = []
    url_hosts: list[tuple[int, int]] = []
    id_literals: list[tuple[int, int]] = []
    roles = _NEEDLE_ROLES
    for number, start, end in needle_matches(readings, _NEEDLES, data):
        role = roles[number]
        if role is _SPAN:
            spans.append(_identifier_around(data, start, end))
        elif role is _PIPELINE_SPAN:
            spans.append(_identifier_around(data, start, start + 8))
        elif role is _URL:
            url_hosts.append((start, end))
        elif role is _ID_LITERAL:
            id_literals.append((start, end))
        else:
            setattr(facts, role, True)
    hits: list[_Hit] = []
    seen: set[int] = set()
    size = len(data)
    lazy = False
    for start, end in spans:
        if start in seen:
            continue
        seen.add(start)
        after = end
        while after < size and data[after] in b" \t":
            after += 1
        following = data[after : after + 1]
        if following == b"(":
            hits.append(_Hit(start, end, after, True))
        elif following == b"=" and data[after + 1 : after + 2] != b"=":
            hits.append(_Hit(start, end, after, False))
        elif not lazy and _LAZY_BEFORE.search(data, max(0, start - 64), start):
            lazy = True
    hits.sort(key=lambda hit: hit.start)
    return _Survey(hits, facts, url_hosts, id_literals, lazy)


def _fast_parse(text: PythonText, finds: _Finds, facts: _FileFacts, hits: list[_Hit]) -> list[int]:
    """Analyse each recognised call on its own. Returns the lines of the calls and keywords that only the
    module's scopes can decide (a name bound somewhere to a string, a call on an expression)."""
    data = text.data
    lookup = _FastLookup(data)
    evaluator = _Evaluator(lookup)
    calls_read: list[tuple[int, int]] = []  # argument ranges of recognised calls (their keywords are read)
    keyword_hits: list[_Hit] = []
    undecided: list[int] = []
    for hit in hits:
        if _DOCTEST_LINE.match(data, text.line_start(hit.start)):
            continue  # an example in a docstring: telling it from code needs no look at the file's strings
        name = data[hit.start : hit.end].decode("ascii", errors="replace")
        if not hit.is_call:
            if name in _GENERIC_KEYWORDS:
                keyword_hits.append(hit)
            continue
        own = _Finds(finds.relpath, finds.locate)
        try:
            _fast_call(text, own, facts, evaluator, name, hit.start, hit.after, calls_read)
        except _NeedsFullParse:
            undecided.append(text.lines.line(hit.start))
            continue
        finds.absorb(own)
    in_calls_read = _Covered(calls_read)
    for hit in keyword_hits:
        # A model keyword of a call not recognised (Trainer args, a config dict, ...): only the full parse
        # knows the call, and it is needed only when the value could name a repo. (An assignment to a
        # variable of that name is looked at where the variable is used.)
        if in_calls_read.holds(hit.start) or text.context(hit.start) != CODE:
            continue
        line_start = text.line_start(hit.start)
        # (An assignment chain longer than _ASSIGNMENT_REACH is not one: the value is looked at.)
        if (
            hit.start - line_start <= _ASSIGNMENT_REACH
            and _ASSIGNMENT_PREFIX.match(data, line_start, hit.start)
            and not _continues_arguments(data, line_start)
        ):
            continue
        end = text.argument_end(hit.after + 1)
        if end is None or lookup.value_may_matter(data[hit.after + 1 : end], ID):
            undecided.append(text.lines.line(hit.start))
    return undecided


class _Covered:
    """Whether an offset lies in one of some ranges given in order of their starts (nested or apart): the furthest
    end among each range and those before it reaches past the offset. One bisection per question, where trying
    every range for every question grew with the square of a file of both (10,000 calls each with a model
    keyword: 3.6 s)."""

    def __init__(self, ranges: list[tuple[int, int]]) -> None:
        self.starts = [low for low, _ in ranges]
        self.furthest_ends = list(itertools.accumulate((high for _, high in ranges), max))

    def holds(self, offset: int) -> bool:
        """Whether low <= offset < high for some (low, high) of the ranges."""
        before = bisect.bisect_right(self.starts, offset) - 1
        return before >= 0 and self.furthest_ends[before] > offset


# `type=load_dataset` / `type=AutoModel.from_pretrained` in a config dict: a call made later (see _lazy_call_spec).
_LAZY_TYPE = lazy_re.compile(rb"\btype[ \t]*=[ \t]*(?:[A-Za-z_][\w.]*\.)?(?:from_pretrained|load_dataset|snapshot_download|hf_hub_download)\b")


_LAZY_BEFORE = lazy_re.compile(rb"\btype[ \t]*=[ \t]*(?:[A-Za-z_][\w.]*\.)?\Z")


def _lazy_call_lines(text: PythonText) -> set[int]:
    data = text.data
    if b"type" not in data:
        return set()
    return {text.lines.line(match.start()) for match in _LAZY_TYPE.finditer(data) if text.context(match.start()) == CODE}


def _continues_arguments(data: bytes, line_start: int) -> bool:
    """Whether the line starting at `line_start` continues an argument list (the code line before it ends with
    "(" or ","): a `name=` there is a keyword argument on a line of its own, not an assignment."""
    end = line_start - 1
    while end > 0:
        start = data.rfind(b"\n", 0, end) + 1
        line = data[start:end].split(b"#", 1)[0].rstrip()
        if line:
            return line.endswith((b"(", b","))
        end = start - 1
    return False


_WORD_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_WORD_RUN = lazy_re.compile(rb"[A-Za-z0-9_]*")


def _identifier_around(data: bytes, start: int, end: int) -> tuple[int, int]:
    """The run of ASCII word characters holding data[start:end] (a needle's match)."""
    while start > 0 and data[start - 1] in _WORD_BYTES:
        start -= 1
    return start, _WORD_RUN.match(data, end).end()  # type: ignore[union-attr]


def _fast_call(
    text: PythonText,
    finds: _Finds,
    facts: _FileFacts,
    evaluator: _Evaluator,
    name: str,
    name_start: int,
    open_paren: int,
    calls_read: list[tuple[int, int]],
) -> None:
    chain_start, names, attribute = text.receiver_chain(name_start)
    spec = _recognize(name, names[-1] if names else None, attribute, facts)
    if spec is None or text.context(name_start) != CODE:
        return
    if not attribute and text.is_definition(name_start):
        return
    close = text.call_end(open_paren)
    if close is None:
        raise _NeedsFullParse("call end")
    calls_read.append((open_paren, close))
    try:
        fragment = ast.parse(b"_" + text.data[open_paren:close], mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise _NeedsFullParse("fragment") from None
    call = fragment.body
    if not isinstance(call, ast.Call):
        raise _NeedsFullParse("fragment")
    if chain_start is None:
        # Called on an expression (f().name(...)): where the call starts, for its line and text, needs the
        # real parse, which is worth it only when an argument could name something.
        if _may_decide(call, evaluator, spec):
            raise _NeedsFullParse("receiver")
        return
    line = text.lines.line(chain_start)
    evaluator.line_offset = text.lines.line(open_paren) - 1  # the fragment's first line is the "(" line
    _record(finds, call, spec, evaluator, 0, line, lambda: text.segment(chain_start, close), run_time=True)


def _may_decide(call: ast.Call, evaluator: _Evaluator, spec: _Spec) -> bool:
    nodes = [*call.args, *(keyword.value for keyword in call.keywords)]
    try:
        return any(evaluator.value(node, 0) is not None for node in nodes)
    except _NeedsFullParse:
        return True


# ---------------------------------------------------------------------------------------------
# Hub URLs in string literals
# ---------------------------------------------------------------------------------------------


# What follows the repo in a URL that fetches from it (a file, the git remote), rather than shows its page.
_FETCHED = lazy_re.compile(rb"(?:\.git\b|/(?:resolve|raw|blob|xet|info/refs)/)")


def _url_occurrences(text: PythonText, finds: _Finds, hosts: list[tuple[int, int]]) -> None:
    """Hub URLs that fetch a file or clone the repo, in one-line string literals of code; comments and docstrings
    are prose, and a repo's page is a link for a reader, not a use."""
    data = text.data
    quoted = []
    line_start, first_quote = -1, -1
    for host in hosts:
        start = text.line_start(host[0])
        if start != line_start:  # the line's first quote, found once however many hosts the line holds
            line_start, end = start, text.line_end(host[0])
            quotes = [found for found in (data.find(b'"', start, end), data.find(b"'", start, end)) if found >= 0]
            first_quote = min(quotes) if quotes else -1
        # No quote opens before it on its line: prose in a docstring or a comment.
        if 0 <= first_quote < host[0]:
            quoted.append(host)
    for ref, start, end in hub_urls(data, quoted):
        if not _FETCHED.match(data, end) or text.context(start) != STRING:
            continue  # (a repo's page: a link for a reader, as in a registry of models to show)
        finds.occurrences.append(
            Occurrence(
                ref=ref,
                location=finds.locate(text.lines.line(start)),
                source=PythonSource.name,
                text=clip(text.data[start:end].decode("utf-8", errors="replace")),
                via=URL,
            )
        )


# ---------------------------------------------------------------------------------------------
# Hub ids bound to model-naming names, whatever the call or statement
# ---------------------------------------------------------------------------------------------

_ID_PART = lazy_re.compile(rb"[A-Za-z0-9_.-]+")
_MAX_ID_PART = 96
# Words of the names that hold a model or a dataset (assignment targets, keywords, dict keys, option strings,
# environment variable names), the nearest one before the literal deciding its kind. Each is looked for from
# the end with bytes.rfind in the lowered text (a case-blind alternation tried at every byte costs more than
# the rest of the reading of a literal).
_MODEL_WORDS = (b"model", b"tokenizer", b"repo_id", b"repoid", b"hf_repo", b"hfrepo", b"checkpoint", b"embed", b"rerank",
                b"encoder", b"llm", b"adapter", b"lora")
_REPO_WORDS = tuple(word for word in _MODEL_WORDS if b"repo" in word)
_MODEL_WORDS_BUT_REPO = tuple(word for word in _MODEL_WORDS if b"repo" not in word)
_DATASET_WORDS = (b"dataset", b"data_path", b"datapath", b"data_name", b"dataname", b"data_id", b"dataid",
                  b"data_file", b"datafile", b"data_source", b"datasource")
# A literal alone on its line after an opening bracket, a "key": or default= (a multi-line call, list or dict):
# the name is looked for on the lines just before.
_CONTINUED_PREFIX = lazy_re.compile(rb"[ \t]*(?:[\[({,][ \t]*|(?:default|value)[ \t]*=[ \t]*)?\Z")
# Names of what a project writes (push_to_hub targets, output folders, caches), and calls into other registries
# (Kaggle, TensorFlow Datasets, torch.hub, Replicate, ModelScope's own hub): their "org/name" is not a Hub use.
# Searched for in lower-cased text (_not_a_use): re tries a case-blind alternation at every byte about 4x slower.
_NOT_A_USE = lazy_re.compile(
    rb"push|output|save|upload|export|cache|kagglehub|kaggle|tfds|tensorflow_datasets|torch\.hub|replicate"
)


def _not_a_use(text: bytes) -> bool:
    """Whether the text names what a project writes or another registry (a word of _NOT_A_USE, in any case)."""
    return _NOT_A_USE.search(text.lower()) is not None

_LINES_BACK = 3
# An element line of a long list or call (a literal, a comment or nothing first): the name is looked for above
# such lines, where the bracket opens (`DEFAULT_MODELS = [`, `@pytest.mark.parametrize("base_model", [`).
_ELEMENT_LINE = lazy_re.compile(rb"[ \t]*(?:[\"'#]|\r?\n|\Z)")
_MAX_ELEMENT_LINES = 500  # a list longer than this is data, not a list of models
_ID_STRING = lazy_re.compile(rb"""(["'])[A-Za-z0-9][\w.-]*/[\w.:#-]*\1""")
_BARE_HEAD = lazy_re.compile(rb"[ \t]*(?:return[ \t]+|yield[ \t]+)?[\[({][ \t]*(?:#[^\n]*)?$", re.M)
# After a literal, a comparison with a name (`"org/name" == base_model`, `"org/name".lower() in model_name`).
# A class called with the literal first (CapWords, or all capitals): a model wrapper's constructor. Not gradio's
# `Client(ID)`, which connects to a Space (an app, not a model the project runs).
_CONSTRUCTED = lazy_re.compile(
    rb"(?<![\w.])(?!Client\()[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*\([ \t]*\Z|(?<![\w.])[A-Z][A-Z0-9_]{2,}\([ \t]*\Z"
)
_COMPARED = lazy_re.compile(rb"(?:\.[A-Za-z_]\w*\(\))*[ \t]*(?:==|!=|in[ \t(]|not[ \t]+in[ \t(])")
_PROSE_LINE = lazy_re.compile(rb"[ \t]*(?:>>>|\.\.\.[ \t]|#)")
_DICT_KEY = lazy_re.compile(rb"[ \t]*:(?!=)")
_BEFORE_KEY = lazy_re.compile(rb"(?:[{,]|^)[ \t]*\Z", re.M)
_SUBSET = lazy_re.compile(r"[:#]")
_SPACE_REPO = lazy_re.compile(rb"repo_type[ \t]*=[ \t]*[\"']space")
# A list or tuple of string literals bound to a name of any words (`LLAMA_3_1_INSTRUCT_EVALS = [...]`): when at
# least two of its strings are Hub ids and the file reads the name again, it is a list of models, unless its name
# says what is left out. (A list no code reads is a note, as h2oGPT's lists of datasets judged useful.)
_LIST_BINDING = lazy_re.compile(rb"[ \t]*(?:[A-Za-z_]\w{0,120}\.)?([A-Za-z_]\w{0,120})[ \t]*(?::[^=\n]{0,120})?=[ \t]*([\[(])")
_STRINGS_ONLY = lazy_re.compile(rb"""[\[(](?:[ \t\r\n,]|#[^\n]*+|"[^"\\\n]*+"|'[^'\\\n]*+')*+[\])]""")
_STRING_ITEM = lazy_re.compile(rb"""["']([^"'\\\n]*)["']""")
_LEFT_OUT = lazy_re.compile(rb"(?i)exclu|skip|ignor|block|deny|banned|unsupported|broken")
_MIN_LISTED_IDS = 2


def _named_literals(text: PythonText, finds: _Finds, literals: list[tuple[int, int]]) -> None:
    """A Hub-shaped string literal in code that a model- or dataset-naming name takes: an assignment
    (`embed_model = "org/name"`), a keyword of any call (`HuggingFaceEmbeddings(model_name="org/name")`), a dict
    key, a parameter or dataclass field default, an argparse option default, an `os.environ.get("MODEL", ...)`
    default, an `or` fallback. Precision comes from the value: a Hub-shaped id, not a local path."""
    data = text.data
    # A literal the calls' own reading followed (reported at the call, or where a name bound to it is used) is
    # not reported a second time where it stands; the file's other literals of the same id are.
    places: set[tuple[str, Location]] = set()
    heads = _ListHeads(text)
    long_lines: dict[int, _LongLine] = {}
    space_lines: dict[int, bool] = {}  # (a line's repo_type="space", searched once for all its literals)
    for slash, end in literals:
        # The opening quote: the nearest before the "/" with only id characters between (C searches, no loop).
        floor = max(0, slash - _MAX_ID_PART - 1)
        quote = max(data.rfind(b'"', floor, slash), data.rfind(b"'", floor, slash))
        if quote < 0 or data[quote] != data[end - 1] or end - slash > _MAX_ID_PART:
            continue
        start = quote + 1
        if not _ID_PART.fullmatch(data, start, slash):
            continue
        if quote > 0 and data[quote - 1 : quote].isalpha():
            continue  # an f-string (a template) or another prefixed literal
        if _DICT_KEY.match(data, end) and _BEFORE_KEY.search(data, max(0, quote - 64), quote):
            continue  # a dict key ("reward_model/score": ...), not a value (`if x == "org/name":` is one)
        # ("ID:subset#500": a dataset's subset and sample count, as ms-swift writes them.)
        line_start = text.line_start(quote)
        if _PROSE_LINE.match(data, line_start):
            continue  # a doctest example or a comment: decided without mapping the file's strings
        value = data[start : end - 1].decode("ascii")
        if ":" in value or "#" in value:
            value = _SUBSET.split(value, maxsplit=1)[0]
        repo_id = hub_id(value)
        if repo_id is None:
            continue
        # Whether the id is reported already (where a call read it, or on this line) before what it is named: a
        # fifth of the sdists' named ids stand in a call that the calls' reading followed.
        line = text.lines.line(quote)
        location = finds.locate(line)
        if (line, repo_id) in finds.literals_read or (repo_id, location) in places:
            continue
        # The name first (a search of the line), where the literal stands last (it maps the file's strings).
        kind = _naming_kind(text, quote, end, heads, line_start, long_lines)
        if kind is None:
            continue
        line_end = text.line_end(quote)
        if line_start not in space_lines:
            space_lines[line_start] = _SPACE_REPO.search(data, line_start, line_end) is not None
        if space_lines[line_start]:
            continue  # (a Space is an app, not a model the project runs)
        if text.context(quote) != CODE:
            continue
        places.add((repo_id, location))
        finds.occurrences.append(
            Occurrence(
                ref=ModelRef(repo_id, None, kind),
                location=location,
                source=PythonSource.name,
                text=clip(data[line_start:line_end].decode("utf-8", errors="replace")),
                via=NAMED,
            )
        )


# What stands before a message's text: a print or log call (an example run it shows is not a command it runs).
_MESSAGE_CALL = lazy_re.compile(
    rb"(?:\bprint|\blog|\.(?:info|debug|warning|warn|error|critical|exception|write|echo|secho|markdown))[ \t]*\([ \t]*\Z"
)


_F_QUOTE = lazy_re.compile(rb"[fF][rR]?[\"']|[rR][fF][\"']")
_F_REACH = 512  # an f-string opened further back on its line is not looked for (long lines stay linear)
_F_TRIPLE_REACH = 4096  # a triple-quoted f-string is looked for this far back


def _command_strings(text: PythonText, finds: _Finds, literals: list[tuple[int, int]], f_triple: bool = True) -> None:
    """An f-string that is a command line (`cmd += f"--tokenizer-path ID"`, `f'--model_lock="[{{'base_model':
    'ID'}}]"'`): its literal parts read as a command, as in a script; its placeholders are values known only at
    run time. Not an f-string a print or log call shows (an example run in a message).

    f_triple: whether the file may hold a triple-quoted f-string (_FileFacts.f_triple); without one, only the
    literal's own line is looked at."""
    data = text.data
    read: set[int] = set()
    for slash, _ in literals:
        # The cheap test first: an f-string's opening on the literal's line, or a triple-quoted f-string opened
        # shortly before it (finding the file's triple-quoted strings costs a pass of its own).
        if _F_QUOTE.search(data, max(text.line_start(slash), slash - _F_REACH), slash) is None:
            if not f_triple:
                continue  # (the test below passes only at a triple quote that an f stands just before)
            floor = max(0, slash - _F_TRIPLE_REACH)
            opening = max(data.rfind(b'"""', floor, slash), data.rfind(b"'''", floor, slash))
            if opening <= 0 or _F_QUOTE.search(data, max(0, opening - 2), opening + 1) is None:
                continue
        span = text.string_span(slash)
        if span is None or span[0] in read:
            continue
        start, end = span
        read.add(start)
        if start == 0 or data[start - 1 : start] not in (b"f", b"F") and data[max(0, start - 2) : start].lower() not in (
                b"rf", b"fr"):
            continue
        prefix_start = start - 1 if data[start - 1 : start] in (b"f", b"F") else start - 2
        before = data[_lines_above(text, text.line_start(prefix_start), 1) : prefix_start]
        if _MESSAGE_CALL.search(before):
            continue
        first_line = text.lines.line(start)
        for item in commands_in(data[start:end], finds.relpath, lambda line: finds.locate(first_line + line - 1),
                                PythonSource.name):
            finds.occurrences.append(item)


class _ListHeads:
    """Where the list or call that an element line belongs to opens: walking up over element lines, the first
    line where more brackets open than close (or that is not an element line). Remembered per line, so that
    the elements of one long list walk up once between them."""

    def __init__(self, text: PythonText) -> None:
        self.text = text
        self.heads: dict[int, int] = {}
        self.id_lists: dict[int, tuple[int, int] | None] = {}  # head line start -> a list of ids' (open, close)
        self.words: dict[bytes, list[int]] | None = None  # every identifier's places, once many lists need them
        self.names_searched = 0  # list names looked for alone (before the index of every word is made)
        self.defs: dict[bytes, list[bytes]] | None = None  # the file's functions' parameter names, once needed
        self.defs_looked_for: dict[bytes, list[bytes] | None] = {}  # (the same, for the first few names alone)

    def in_id_list(self, quote: int, line_start: int, continued: bool) -> bool:
        """Whether the literal at `quote` is an element of a list of Hub ids bound to a name (see _LIST_BINDING):
        the list opens on its own line or, for a literal continuing a bracket, where the long list opens."""
        head = self.head(line_start) if continued else line_start
        if head not in self.id_lists:
            self.id_lists[head] = self._id_list(head)
        span = self.id_lists[head]
        return span is not None and span[0] < quote < span[1]

    def _id_list(self, head: int) -> tuple[int, int] | None:
        data = self.text.data
        binding = _LIST_BINDING.match(data, head, self.text.line_end(head))
        if binding is None or _LEFT_OUT.search(data, head, binding.start(2)):
            return None
        opening = binding.start(2)
        closing = self.text.call_end(opening)
        if closing is None or not _STRINGS_ONLY.fullmatch(data, opening, closing):
            return None
        ids = sum(hub_id(item.group(1).decode("utf-8", errors="replace")) is not None
                  for item in _STRING_ITEM.finditer(data, opening, closing))
        if ids < _MIN_LISTED_IDS or not self._read_again(binding.group(1), binding.start(1)):
            return None
        return opening, closing

    def parameter_kind(self, prefix: bytes) -> RefKind | None:
        """The kind a literal's parameter name says, for a positional argument of a call on the literal's line to
        a function the file defines (`def build_retriever(config, embedding_model_name, k)`): the file's own
        functions say what their arguments are, where no library list could."""
        opening = prefix.rfind(b"(")
        if opening <= 0 or len(prefix) - opening > _MAX_ARGUMENTS_BEFORE:
            return None
        arguments = prefix[opening + 1 :]
        called = _CALLED_NAME.search(prefix, max(0, opening - 96), opening)
        if called is None or not _PLAIN_ARGUMENTS.fullmatch(arguments):
            return None
        parameters = self._parameters(called.group())
        if parameters is None:
            return None
        if parameters and parameters[0] in (b"self", b"cls") and prefix[called.start() - 1 : called.start()] == b".":
            parameters = parameters[1:]  # a method called on an object: its first parameter is the object
        index = arguments.count(b",")
        return _kind_named(parameters[index]) if index < len(parameters) else None

    def _parameters(self, name: bytes) -> list[bytes] | None:
        """The parameter names of the file's first def of `name`. The first few names are looked for where they
        stand (a def's line holds its name); past them every def of the file is read once (many names stay linear)."""
        if self.defs is None and (name in self.defs_looked_for or len(self.defs_looked_for) < _MAX_NAMES_LOOKED_FOR):
            if name not in self.defs_looked_for:
                self.defs_looked_for[name] = _first_def_parameters(self.text.data, name)
            return self.defs_looked_for[name]
        if self.defs is None:
            self.defs = {}
            for found in matches_from_line_starts(self.text.data, _DEF, b"def"):
                self.defs.setdefault(found.group(1), _parameter_names(found))
        return self.defs.get(name)

    def _read_again(self, name: bytes, bound_at: int) -> bool:
        """Whether `name` stands as a whole word in the file's code anywhere but where it is bound (the first
        _MAX_READS_LOOKED_AT of its other places looked at, in order). The first few names are looked for with
        bytes.find, which stops at the first place in code (the index of every word of a 300 KB file took 3 ms);
        past them the places of every word are found in one pass (a file of many lists stays linear)."""
        places: Iterable[int]
        if self.words is None and self.names_searched < _MAX_NAMES_LOOKED_FOR:
            self.names_searched += 1
            places = _word_places(self.text.data, name)
        else:
            if self.words is None:
                self.words = {}
                for match in _IDENTIFIER.finditer(self.text.data):
                    self.words.setdefault(match.group(), []).append(match.start())
            places = self.words.get(name, ())
        looked_at = 0
        for at in places:
            if at == bound_at:
                continue
            if looked_at == _MAX_READS_LOOKED_AT:
                break
            looked_at += 1
            if self.text.context(at) == CODE:
                return True
        return False

    def head(self, line_start: int) -> int:
        text, data = self.text, self.text.data
        walked: list[int] = []  # lines passed with the brackets balanced from them down
        balance = 0
        head = line_start
        while head > 0 and len(walked) < _MAX_ELEMENT_LINES:
            above = text.line_start(head - 1)
            if balance == 0:
                known = self.heads.get(above)
                if known is not None:
                    head = known
                    break
            if not _ELEMENT_LINE.match(data, above):
                head = above
                break
            own = _bracket_balance(data[above:head])
            if own == 0 and balance == 0:
                walked.append(above)  # a plain element: a literal below it has the same head
            balance += own
            if balance > 0:
                head = above
                break
            head = above
        for line in walked:
            self.heads[line] = head
        return head


_IDENTIFIER = lazy_re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
_DIGITS = frozenset(b"0123456789")
_MAX_NAMES_LOOKED_FOR = 8  # names looked for one by one in a file; past them, every word or def is read once


def _parameter_names(found: re.Match[bytes]) -> list[bytes]:
    """The parameter names of a _DEF match."""
    return [part.split(b"=")[0].split(b":")[0].strip().lstrip(b"*") for part in found.group(2).split(b",")]


def _first_def_parameters(data: bytes, name: bytes) -> list[bytes] | None:
    """The parameter names of the first _DEF match of the file that defines `name`, found from the places of the name
    (the lines _DEF is tried at are those holding "def" before it): what the index of every def gives for it."""
    line_end = -1
    at = data.find(name)
    while at >= 0:
        if at > line_end:  # (each line looked at once, however many times it holds the name)
            line_start = data.rfind(b"\n", 0, at) + 1
            line_end = data.find(b"\n", at)
            line_end = len(data) if line_end < 0 else line_end
            if data.rfind(b"def", line_start, at) >= 0:
                found = _DEF.match(data, line_start)
                if found is not None and found.group(1) == name:
                    return _parameter_names(found)
        at = data.find(name, at + 1)
    return None


def _word_places(data: bytes, word: bytes) -> Iterator[int]:
    """Where `word` (an ASCII identifier) starts a word of `data`, in order: the places of `word` among what
    _IDENTIFIER.finditer finds (a word starts at the first letter or "_" of a run of word characters, so only
    digits may stand before it in its run)."""
    size = len(data)
    at = data.find(word)
    while at >= 0:
        end = at + len(word)
        if end == size or data[end] not in _WORD_BYTES:
            before = at
            while before > 0 and data[before - 1] in _DIGITS:
                before -= 1
            if before == 0 or data[before - 1] not in _WORD_BYTES:
                yield at
        at = data.find(word, at + 1)
# A function the file defines, with its parameters (a parameter list without brackets of its own, on one line).
_DEF = lazy_re.compile(rb"(?m)^[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*\(([^()\[\]{}\n]{0,1000})\)")
# The plain arguments before a literal in a call open on its line (names, attributes, subscripts with a string key,
# numbers; a keyword argument is the keyword's to name), and the name called.
_PLAIN_ARGUMENTS = lazy_re.compile(rb"(?:[ \t]*[A-Za-z0-9_.]+(?:\[[\"'][^\"'\n\]]{0,64}[\"']\])?[ \t]*,)*[ \t]*")
_CALLED_NAME = lazy_re.compile(rb"[A-Za-z_][A-Za-z0-9_]{0,95}\Z")
_MAX_ARGUMENTS_BEFORE = 512
_MAX_READS_LOOKED_AT = 64  # places of a name looked at for one in code (the rest are strings or comments)
_OPENING, _CLOSING, _QUOTES = frozenset(b"[({"), frozenset(b"])}"), frozenset(b"\"'")


def _bracket_balance(line: bytes) -> int:
    """Brackets opened less brackets closed on one line, outside its strings and its comment."""
    if b'"' not in line and b"'" not in line and b"#" not in line:
        return sum(map(line.count, (b"[", b"(", b"{"))) - sum(map(line.count, (b"]", b")", b"}")))
    balance, quote, escaped = 0, 0, False
    for byte in line:
        if quote:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == quote:
                quote = 0
        elif byte in _QUOTES:
            quote = byte
        elif byte == 0x23:
            break
        elif byte in _OPENING:
            balance += 1
        elif byte in _CLOSING:
            balance -= 1
    return balance


def _lines_above(text: PythonText, line_start: int, count: int = _LINES_BACK) -> int:
    back = line_start
    for _ in range(count):
        if back <= 0:
            break
        back = text.line_start(back - 1)
    return back


def _kind_named(searched: bytes) -> RefKind | None:
    """The kind the last naming word in `searched` says."""
    if b"/" in searched:
        searched = _ID_STRING.sub(b"''", searched)  # (other ids hold words too)
    lowered = searched.lower()
    # (The repo words all hold "repo" and the dataset words "data": a text without it is not searched for them.)
    model = max(map(lowered.rfind, _MODEL_WORDS_BUT_REPO))
    if b"repo" in lowered:
        model = max(model, *map(lowered.rfind, _REPO_WORDS))
    dataset = max(map(lowered.rfind, _DATASET_WORDS)) if b"data" in lowered else -1
    if model < 0 and dataset < 0:
        return None
    return RefKind.DATASET if dataset > model else RefKind.MODEL


def _constructed(opening: bytes) -> bool:
    """Whether `opening` ends with a class called on what follows (_CONSTRUCTED), looked for only where it ends with
    "(" and blanks (re tries the pattern's lookbehind at every byte of the text)."""
    return opening.rstrip(b" \t").endswith(b"(") and _CONSTRUCTED.search(opening) is not None


def _opening(text: PythonText, line_start: int, prefix: bytes) -> bytes:
    """What opens the argument list a literal is first in: the text before it, or the line above when the literal
    begins its line."""
    if prefix.strip() or line_start == 0:
        return prefix
    above = text.line_start(line_start - 1)
    return text.data[above : line_start - 1]


# A literal further into its line than _LONG_PREFIX (generated code; a hostile file with thousands of calls on one
# line) is not named by reading all the text before it again, which grows with the square of the line: the text
# is read in two parts, the literal's own window and, once for the whole line, what lies before it (_LongLine).
# The parts meet just after a character no reading can span (_HANDOVER: not in an id string, a naming word, a
# word of _NOT_A_USE, nor a `Class(` opening with its blanks), so both parts give what the whole prefix gives.
_LONG_PREFIX = 4096
_HANDOVER = lazy_re.compile(rb"[,;=)\]}+*<>!%&|~^@?$\\`]")
_WINDOW = _MAX_ARGUMENTS_BEFORE + 128  # at least what parameter_kind looks back over (the arguments and the name)


class _LongLine:
    """What the text of one long line says from its start up to a handover point, read forward once for all
    the literals on the line: the kind of its last naming word and whether a word of _NOT_A_USE came before."""

    def __init__(self, line_start: int) -> None:
        self.read_to = line_start
        self.kind: RefKind | None = None
        self.not_a_use = False

    def read(self, data: bytes, handover: int) -> None:
        if handover <= self.read_to:
            return
        segment = data[self.read_to : handover]
        kind = _kind_named(segment)
        if kind is not None:
            self.kind = kind
        if not self.not_a_use:
            self.not_a_use = _not_a_use(segment)
        self.read_to = handover


def _long_line_window(data: bytes, line_start: int, quote: int, long_lines: dict[int, _LongLine]) -> _LongLine | None:
    """The line's reading up to where the literal's window starts (at `.read_to`), or None to read the whole
    prefix: a prefix that is not long, or no handover point in the stretch looked at."""
    if quote - line_start <= _LONG_PREFIX:
        return None
    handover = _HANDOVER.search(data, quote - 2 * _WINDOW, quote - _WINDOW)
    if handover is None:
        return None
    line = long_lines.get(line_start)
    if line is None:
        line = long_lines[line_start] = _LongLine(line_start)
    line.read(data, handover.end())
    return line


def _kind_compared(text: PythonText, end: int) -> tuple[RefKind | None, bytes]:
    """The kind the name a literal is compared with after it says (`"org/name" == base_model`), and the text
    that was read for it."""
    compared = _COMPARED.match(text.data, end)
    if compared is None:
        return None, b""
    after = text.data[compared.end() : text.line_end(end)].split(b"#", 1)[0]
    return _kind_named(after), after


def _naming_kind(
    text: PythonText, quote: int, end: int, heads: _ListHeads, line_start: int, long_lines: dict[int, _LongLine]
) -> RefKind | None:
    """MODEL or DATASET by the nearest naming word before the literal on its line (or, for a literal continuing
    a bracket, a `"key":` or `default=`, on the few lines before, or where the long list it is an element of
    opens), or by the name it is compared with after it; None when no name says what it holds."""
    data = text.data
    continued = _CONTINUED_PREFIX.match(data, line_start, quote) is not None
    long_line = None if continued else _long_line_window(data, line_start, quote, long_lines)
    if long_line is not None:
        return _naming_kind_in_window(text, quote, end, heads, line_start, long_line)
    prefix = data[line_start:quote]
    searched = prefix
    if continued:
        back = _lines_above(text, line_start)
        searched = data[back:quote]
        kind = _kind_named(searched)
        if kind is None:
            head = heads.head(line_start)
            head_end = text.line_end(head)
            # A bare bracket (`[`, `return [`): the name is above it (a parametrised test's argument name).
            above = _lines_above(text, head) if _BARE_HEAD.match(data, head, head_end) else head
            searched = data[above:head_end]
            kind = _kind_named(searched)
    else:
        kind = _kind_named(searched)
    if kind is None:
        kind, after = _kind_compared(text, end)
        searched += after
    if kind is None and _constructed(_opening(text, line_start, prefix)):
        kind = RefKind.MODEL  # the first argument of a class: `TransformersEngine(ID)`, the project's own wrapper
    if kind is None and heads.in_id_list(quote, line_start, continued):
        kind = RefKind.MODEL
    if kind is None:
        kind = heads.parameter_kind(prefix)  # `build_retriever(config, ID)`, `def build_retriever(config, embed)`
    if kind is not None and _not_a_use(searched):
        return None
    return kind


def _naming_kind_in_window(
    text: PythonText, quote: int, end: int, heads: _ListHeads, line_start: int, line: _LongLine
) -> RefKind | None:
    """_naming_kind for a literal far into a long line, its prefix not continued: the same readings, each over
    the literal's window, with the line's reading before the window standing for the rest of the prefix."""
    data = text.data
    window = data[line.read_to : quote]
    searched = window
    kind = _kind_named(window)
    if kind is None:
        kind = line.kind
    if kind is None:
        kind, after = _kind_compared(text, end)
        searched += after
    if kind is None and _constructed(window):  # (the window is what _opening gives: the prefix is not blank)
        kind = RefKind.MODEL
    if kind is None and heads.in_id_list(quote, line_start, False):
        kind = RefKind.MODEL
    if kind is None:
        kind = heads.parameter_kind(window)
    if kind is not None and (line.not_a_use or _not_a_use(searched)):
        return None
    return kind


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


def analyze(
    data: bytes,
    relpath: str,
    locate: Callable[[int], Location] | None = None,
    source_text: str | None = None,
    survey: "_Survey | None" = None,
    by_statement: bool = True,
) -> tuple[list[Occurrence], list[Skipped]]:
    """What Python code (bytes, UTF-8) names: occurrences, and unresolved references or a parse error.

    `locate` maps a line of `data` to its Location (notebooks map it to a cell); `source_text` is the
    decoded text when the caller has it. `by_statement`: whether calls at module level may be read in their
    top-level statements alone, as calls in functions are read in their functions (a syntax error elsewhere in
    the module then goes unseen); a notebook's cells, joined, are parsed whole: a parse error sends them back
    cell by cell.
    """
    survey = survey or _survey(data)
    if not survey.hits and not survey.url_hosts and not survey.id_literals and not survey.facts.read_whole:
        return [], []
    finds = _Finds(relpath, locate or (lambda line: Location(relpath, line)))
    text = PythonText(data, single_triples=survey.facts.single_triple)
    facts = survey.facts
    source = source_text if source_text is not None else None
    if facts.read_whole:
        # mlx's load() and an aliased load_dataset() hold no needle: such files are read whole.
        source = source if source is not None else data.decode("utf-8")
        problem = _full_parse(text, source, finds, facts, None)
        if problem is not None:
            return [], [problem]
    elif survey.hits or survey.lazy:
        try:
            undecided = _fast_parse(text, finds, facts, survey.hits)
        except _NeedsFullParse:
            finds.clear()
            undecided = sorted({text.lines.line(hit.start) for hit in survey.hits})
        lazy = _lazy_call_lines(text) if survey.lazy else set()
        if lazy:
            undecided = sorted(set(undecided) | lazy)
        if undecided:
            problem = _decide(text, source_text, finds, facts, undecided, by_statement)
            if problem is not None:
                return finds.occurrences, [problem, *finds.unresolved]
    if survey.url_hosts:
        _url_occurrences(text, finds, survey.url_hosts)
    if survey.id_literals:
        _named_literals(text, finds, survey.id_literals)
        _command_strings(text, finds, survey.id_literals, survey.facts.f_triple)
    return finds.occurrences, finds.unresolved


def _decide(
    text: PythonText, source_text: str | None, finds: _Finds, facts: _FileFacts, lines: list[int],
    by_statement: bool = True,
) -> Skipped | None:
    """The calls on `lines`, read with the module's scopes: each function holding some of them on its own, with
    the module's bindings read from the module with every def and class stubbed out (cheap); the lines outside
    functions from the module with only the blocks that hold none of them stubbed out, or, where no block can be
    stubbed out, in their top-level statements (`by_statement`), each name's module bindings read from the
    statements holding it; and, when the cut text does not parse, from the whole module."""
    if not facts.read_whole:  # the aliases come from the whole module's imports
        lines = _decide_in_functions(text, finds, facts, lines)
        if not lines:
            return None
    stubbed = text.stubbed(lines)
    if stubbed == text.data and by_statement and not facts.read_whole:
        # No block to stub out (a config module of settings): each statement holding some of the lines alone,
        # which costs more than a stubbed module's parse where defs and classes fill the file.
        lines = _decide_in_statements(text, finds, facts, lines)
        if not lines:
            return None
    if stubbed != text.data:
        partial = _Finds(finds.relpath, finds.locate)
        if _full_parse(text, stubbed.decode("utf-8", errors="replace"), partial, facts, lines) is None:
            finds.absorb(partial)
            return None
    source = source_text if source_text is not None else text.data.decode("utf-8", errors="replace")
    return _full_parse(text, source, finds, facts, lines)


def _decide_in_statements(text: PythonText, finds: _Finds, facts: _FileFacts, lines: list[int]) -> list[int]:
    """Read each top-level statement holding some of `lines` on its own (a config module's lazy
    `dict(type=AutoModel.from_pretrained, pretrained_model_name_or_path=ID)` at module level: xtuner's 600 config
    modules were each parsed whole), the module's bindings of each name it reads from the statements that hold
    that name. Returns the lines left for the module-wide reading: all of them when the text cannot be split."""
    line_starts = text.line_starts()
    split = text.statement_starts(line_starts[min(max(lines), len(line_starts) - 1)])
    if split is None or len(split[0]) < 2:
        return lines
    starts, foreign = split
    groups: dict[int, list[int]] = {}
    for line in lines:
        groups.setdefault(bisect.bisect_right(starts, line_starts[line - 1]) - 1, []).append(line)
    if len(groups) > _MAX_STATEMENTS_READ:
        return lines  # (thousands of statements to read: the module parsed once costs less, and grows linearly)
    module = _StatementBindings(text, starts, foreign, finds.relpath)
    # (The scope holds the reading's bound method; kept by the reading too, it would make a reference cycle.)
    module_bindings = _Scope()
    module_bindings.bindings = _NamesRead(module.read)

    def module_scope() -> _Scope:
        return module_bindings

    rest: list[int] = []
    for done, (index, group) in enumerate(groups.items()):
        own = _Finds(finds.relpath, finds.locate)
        finder = _CallFinder(text, _Scope(), own, facts, group, cut_from=module_scope)
        try:
            for statement in module.tree(index).body:
                finder.visit(statement)
        except _TooCommon:
            # A name most statements hold: the module parsed once costs less than its statements one by one.
            return sorted(rest + [line for _, left in list(groups.items())[done:] for line in left])
        except (_NeedsFullParse, RecursionError):
            rest.extend(group)  # the statement does not parse alone, nor a statement binding a name it reads
            continue
        finds.absorb(own)
    return sorted(rest)


class _TooCommon(_NeedsFullParse):
    """A name held by more statements than are worth parsing one by one."""


class _StatementBindings:
    """The module bindings of statements read on their own (what a _NamesRead scope asks): a name's bindings come
    from the top-level statements that hold the name (no other statement can bind it; with the rebinding `global`
    statements of functions, as _module_scope), each statement parsed once, with the file's line numbers."""

    def __init__(self, text: PythonText, starts: list[int], foreign: list[int], relpath: str) -> None:
        self.text = text
        self.starts = starts
        self.relpath = relpath
        # Statements with bytes beyond ASCII in their code: an identifier there may be another spelling of a name
        # (Python reads identifiers in their NFKC form), so each is read for every name.
        self._foreign = sorted({bisect.bisect_right(starts, at) - 1 for at in foreign})
        self._trees: dict[int, ast.Module | None] = {}
        self._scopes: dict[int, _Scope] = {}
        self._rebound: set[str] | None = None
        self._unreadable: set[str] = set()
        self._words: dict[bytes, list[int]] | None = None

    def tree(self, index: int) -> ast.Module:
        """Statement `index` parsed alone, its nodes at the file's lines; _NeedsFullParse when it does not parse."""
        if index not in self._trees:
            start = self.starts[index]
            end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.text.data)
            source = self.text.data[start:end].decode("utf-8", errors="replace")
            lines_before = self.text.line_of(start) - 1
            try:
                if lines_before <= _MAX_PADDING_LINES:
                    # Blank lines put it in place for the parser (far cheaper than renumbering every node), ...
                    tree = ast.parse("\n" * lines_before + source, filename=self.relpath)
                else:
                    # ... up to a bound: a file of thousands of statements does not parse the square of its lines.
                    tree = ast.increment_lineno(ast.parse(source, filename=self.relpath), lines_before)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                tree = None
            self._trees[index] = tree
        tree = self._trees[index]
        if tree is None:
            raise _NeedsFullParse("statement")
        return tree

    def read(self, name: str, found: dict[str, list[ast.expr | None]]) -> None:
        """Put the module bindings of `name` into `found` (a scope's _NamesRead), if it has any."""
        if name in self._unreadable:
            raise _NeedsFullParse(name)
        bindings: list[ast.expr | None] = []
        holding = self._holding(name)
        if len(holding) > _MAX_STATEMENTS_HOLDING:
            raise _TooCommon(name)
        for index in holding:
            if index not in self._scopes:
                try:
                    tree = self.tree(index)
                except _NeedsFullParse:
                    self._unreadable.add(name)  # (each statement asking it is sent to the module-wide reading)
                    raise
                self._scopes[index] = _BindingCollector(_Scope(), self.text.has_walrus).collect(tree.body)
            bindings.extend(self._scopes[index].bindings.get(name, ()))
        if self._rebound is None:
            self._rebound = _rebound_globals(self.text) if b"global" in self.text.data else set()
        if name in self._rebound:
            bindings.append(None)
        if bindings:
            found[name] = bindings

    def _holding(self, name: str) -> list[int]:
        """The statements holding `name` as a word, and those with bytes beyond ASCII in their code."""
        data = self.text.data
        encoded = name.encode("utf-8")
        held = set(self._foreign)
        if len(data) > _INDEXED_FROM:
            # A large file: every word's places found in one pass (each search for a name reads on to the end of
            # the file after its last place: a file of thousands of names would cost the square of its size).
            if self._words is None:
                self._words = {}
                for word in _IDENTIFIER.finditer(data):
                    self._words.setdefault(word.group(), []).append(word.start())
            held.update(bisect.bisect_right(self.starts, at) - 1 for at in self._words.get(encoded, ()))
            return sorted(held)
        at = data.find(encoded)
        while at >= 0:
            end = at + len(encoded)
            if (at == 0 or data[at - 1] not in IDENTIFIER_BYTES) and (end == len(data) or data[end] not in IDENTIFIER_BYTES):
                held.add(bisect.bisect_right(self.starts, at) - 1)
            at = data.find(encoded, end)
        return sorted(held)


class _NamesRead(dict):  # type: ignore[type-arg]
    """A scope's bindings read on first use of each name (`name in bindings`, `bindings[name]`)."""

    def __init__(self, read: Callable[[str, dict], None]) -> None:
        super().__init__()
        self._read = read
        self._asked: set[str] = set()

    def _ask(self, name: str) -> None:
        if name not in self._asked:
            self._read(name, self)  # (a name it could not read is asked again: the reading fails again, at once)
            self._asked.add(name)

    def __contains__(self, name: object) -> bool:
        self._ask(name)  # type: ignore[arg-type]
        return super().__contains__(name)

    def __getitem__(self, name: str) -> list[ast.expr | None]:
        self._ask(name)
        return super().__getitem__(name)


_MAX_PADDING_LINES = 2000
_MAX_STATEMENTS_HOLDING = 64  # (xtuner's configs: 4 at most)
_MAX_STATEMENTS_READ = 64  # statements holding undecided lines (xtuner's configs: 3 or 4)
_INDEXED_FROM = 65536  # bytes: in a smaller file a name is searched for (a pass over its words costs more)


def _parse_alone(text: PythonText, block: Block, relpath: str) -> tuple[ast.Module, int]:
    """One def parsed on its own, and what to add to its line numbers to have the file's. (Not blank lines
    to pad it into place: thousands of defs would each parse all the lines above them.)"""
    source, lines_before = text.function_alone(block)
    return ast.parse(source, filename=relpath), lines_before


def _decide_in_functions(text: PythonText, finds: _Finds, facts: _FileFacts, lines: list[int]) -> list[int]:
    """Read each top-level function (or method) holding some of `lines` on its own. Every scope between such a
    function and the module is a class body, which its code does not see: names not bound inside it are the
    module's. Returns the lines left for the module-wide reading."""
    by_function: dict[int, list[int]] = {}
    blocks = {}
    rest: list[int] = []
    for line in lines:
        block = text.outermost_function(line)
        if block is None:
            rest.append(line)
        else:
            by_function.setdefault(block.start, []).append(line)
            blocks[block.start] = block
    module = _ModuleBindings(text, finds.relpath)
    for start, group in by_function.items():
        try:
            tree, lines_before = _parse_alone(text, blocks[start], finds.relpath)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            rest.extend(group)  # the indentation misled the block's end: the module decides
            continue
        own = _Finds(finds.relpath, finds.locate)
        local_lines = [line - lines_before for line in group]
        finder = _CallFinder(text, _Scope(), own, facts, local_lines, cut_from=module.scope, line_offset=lines_before)
        try:
            for statement in tree.body:
                finder.visit(statement)
        except (_NeedsFullParse, RecursionError):
            rest.extend(group)
            continue
        finds.absorb(own)
    return sorted(rest)


class _ModuleBindings:
    """The module scope of a file, from the module with every def and class block stubbed out, parsed on
    first use: its bindings are the same as the whole module's (a block binds only its name out there)."""

    def __init__(self, text: PythonText, relpath: str) -> None:
        self.text = text
        self.relpath = relpath
        self._scope: _Scope | None = None
        self._failed = False

    def scope(self) -> _Scope:
        if self._scope is None:
            if self._failed:
                raise _NeedsFullParse("module")
            try:
                tree = ast.parse(self.text.stubbed([]), filename=self.relpath)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                self._failed = True
                raise _NeedsFullParse("module") from None
            self._scope = _module_scope(tree, self.text)
        return self._scope


class PythonSource:
    """Calls such as AutoModel.from_pretrained("org/name"), pipeline(model=...), load_dataset("org/data")."""

    name = "python"
    header_only = False

    def wants(self, relpath: str) -> bool:
        return relpath.endswith(".py")

    def needles(self, settings: DiscoverySettings) -> tuple[NeedleSet, ...]:
        return (_NEEDLES,)

    def scan(self, file: ProjectFile) -> SourceOutput:
        data = file.data
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        survey = _survey(data, file.readings)  # (from the shared pass unless the BOM was cut off)
        if not survey.hits and not survey.url_hosts and not survey.id_literals and not survey.facts.read_whole:
            return SourceOutput()
        cookie = _ENCODING_COOKIE.search(data, 0, _second_line_end(data))
        if cookie is not None and cookie.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
            # Another declared encoding: decode as Python would, then read the UTF-8 of it.
            try:
                encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
                data = data.decode(encoding).encode("utf-8")
            except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
                reason = "not-utf8" if isinstance(exc, UnicodeDecodeError) else "parse-error"
                return SourceOutput(skipped=(Skipped(file.relpath, reason, _describe(exc)),))
            survey = _survey(data)
        source_text = None  # (ASCII is UTF-8: decoded only if a reading needs the text, most need only the bytes)
        if not data.isascii():
            try:
                source_text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                return SourceOutput(skipped=(Skipped(file.relpath, "not-utf8", _describe(exc)),))
        occurrences, skipped = analyze(data, file.relpath, source_text=source_text, survey=survey)
        return SourceOutput(occurrences=tuple(occurrences), skipped=tuple(skipped))


def _second_line_end(data: bytes) -> int:
    first = data.find(b"\n")
    if first < 0:
        return len(data)
    second = data.find(b"\n", first + 1)
    return len(data) if second < 0 else second


def _describe(exc: Exception) -> str:
    if isinstance(exc, SyntaxError):
        return f"invalid Python at line {exc.lineno}: {exc.msg}"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 (byte {exc.start})"
    return f"{type(exc).__name__}: {exc}"[:200]

