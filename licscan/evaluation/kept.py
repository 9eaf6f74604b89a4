"""Evaluation results kept across scans: the digest of what one lineage's evaluation reads, and its results as
JSON (never pickle), read back only into the record types listed here, every value checked."""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import hashlib
import json
import types
import typing
import zlib
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Union

from licscan import __version__
from licscan.json_text import loads
from licscan.model import (
    CommercialUse, ComputeEstimate, DatasetLicense, Decision, DecisionKind, DeploymentContext, EffectiveTerms,
    Finding, FindingKind, Judgement, Lineage, ListedParty, NodeLicense, Obligation, Outcome, Remedy, Severity, Source,
    Waiver,
)

FORMAT = 1  # of the kept JSON: a change of it (or of licscan's code) makes every kept result a miss
_PACKAGE = Path(__file__).resolve().parent.parent
# The record types a kept result may hold, and the enums among their fields; nothing else is ever built.
RECORDS: tuple[type, ...] = (NodeLicense, EffectiveTerms, Obligation, Finding, Waiver, DatasetLicense,
                             ComputeEstimate, Judgement, Decision, ListedParty, Remedy, Source)
ENUMS: tuple[type, ...] = (CommercialUse, FindingKind, Severity, Outcome, DecisionKind)
MAX_KEPT_BYTES = 16 << 20  # one lineage's results are tens of KB; a row decompressing past this is not ours


class Unusable(ValueError):
    """A kept row that is not what this licscan writes: ignored, and the lineage evaluated again."""


@dataclasses.dataclass(frozen=True)
class KeptModel:
    """What the evaluation of one lineage gives, policy applied: everything of its ModelReport that is not its
    input (key, revision, occurrences, lineage, origins are rebuilt), its waivers' counts and its answers."""

    licenses: Mapping[str, NodeLicense]
    effective: EffectiveTerms
    findings: tuple[Finding, ...]
    training_data: tuple[DatasetLicense, ...]
    compute: tuple[ComputeEstimate, ...]
    waiver_counts: tuple[tuple[int, int], ...]
    judgements: tuple[Judgement, ...]
    decision: Decision
    remedies: tuple[Remedy, ...]


# ---------------------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def code_digest() -> str:
    """licscan's version and the text of its code: a changed check (even unreleased) never reuses a result."""
    digest = hashlib.sha256(f"{__version__}\0{FORMAT}".encode())
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def rules_digest(rules_dirs: Iterable[str | Path]) -> str:
    """Every file of the rules directories, in order (a later directory overrides an earlier one)."""
    digest = hashlib.sha256()
    for directory in rules_dirs:
        root = Path(directory)
        digest.update(b"dir\0" + str(directory).encode("utf-8", "replace") + b"\0")
        if not root.is_dir():
            continue
        for path in sorted(item for item in root.rglob("*") if item.is_file() and not item.is_symlink()):
            digest.update(path.relative_to(root).as_posix().encode("utf-8", "replace") + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def canonical(value: Any) -> Any:
    """A JSON value that says everything a settings record holds, the same in every process (sets sorted)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [type(value).__name__, {field.name: canonical(getattr(value, field.name))
                                       for field in dataclasses.fields(value)}]
    if isinstance(value, enum.Enum):
        return [type(value).__name__, canonical(value.value)]
    if isinstance(value, (set, frozenset)):
        return ["set", sorted((canonical(item) for item in value), key=lambda item: json.dumps(item, sort_keys=True))]
    if isinstance(value, Mapping):
        return ["map", sorted(([str(key), canonical(item)] for key, item in value.items()), key=lambda pair: pair[0])]
    if isinstance(value, (list, tuple)):
        return [canonical(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return ["repr", repr(value)]


def scan_digest(*, rules: str, policy: Any, context: DeploymentContext | None, today: str | None) -> str:
    """What every lineage's evaluation in this scan reads besides the lineage itself. The scan's date enters
    only when a waiver can expire (a waiver's expiry is the one thing judged against the clock)."""
    expiring = any(getattr(waiver, "expires", None) for waiver in getattr(policy, "waivers", ()))
    parts = [code_digest(), rules, canonical(policy), canonical(context), today if expiring else None]
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


class LineageDigests:
    """The digest of each lineage's facts (every node's record, the edges, the gaps, the datasets), computed
    once per node for a scan: a foundation under a thousand models is digested once."""

    def __init__(self, scan: str) -> None:
        self._scan = scan
        self._nodes: dict[int, tuple[Any, bytes]] = {}

    def _node(self, record: Any) -> bytes:
        held = self._nodes.get(id(record))
        if held is None or held[0] is not record:
            # The records are frozen dataclasses of strings, numbers, tuples and JSON mappings: repr says all
            # of each field, the same way in every process.
            held = self._nodes[id(record)] = (record, hashlib.sha256(repr(record).encode("utf-8", "replace")).digest())
        return held[1]

    def digest(self, key: str, lineage: Lineage) -> str:
        digest = hashlib.sha256(self._scan.encode() + b"\0" + key.encode("utf-8", "replace") + b"\0")
        digest.update(lineage.root.encode("utf-8", "replace") + b"\0")
        for record in lineage.nodes:
            digest.update(self._node(record))
        for record in lineage.datasets:
            digest.update(self._node(record))
        digest.update(repr((lineage.edges, lineage.unresolved)).encode("utf-8", "replace"))
        return digest.hexdigest()


# ---------------------------------------------------------------------------------------------------------
# The JSON form
# ---------------------------------------------------------------------------------------------------------


def _default(value: Any) -> Any:
    if type(value) in _FIELDS:
        return [getattr(value, name) for name in _FIELDS[type(value)]]
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not kept")


def encode(kept: KeptModel, digest: str) -> bytes:
    """The results as compressed JSON: each record a list of its fields in order, after the digest they are
    kept under (so a row moved to another digest is not taken for that digest's results)."""
    body = [digest, dict(kept.licenses), kept.effective, kept.findings, kept.training_data, kept.compute,
            kept.waiver_counts, kept.judgements, kept.decision, kept.remedies]
    return zlib.compress(json.dumps(body, default=_default, ensure_ascii=False, separators=(",", ":"),
                                    allow_nan=False).encode("utf-8"), 6)


def decode(data: bytes, digest: str) -> KeptModel:
    """The results encode() wrote under this digest; Unusable for anything else (damaged, truncated, hostile,
    another format, another digest's results)."""
    try:
        inflater = zlib.decompressobj()
        text = inflater.decompress(data, MAX_KEPT_BYTES)
        if inflater.unconsumed_tail or not inflater.eof:
            raise Unusable("not a complete kept result")
        body = loads(text)
        if type(body) is not list or len(body) != 10:
            raise Unusable("not a kept result")
        if body[0] != digest:
            raise Unusable("the results of another digest")
        return KeptModel(*(convert(item) for convert, item in zip(_BODY, body[1:])))
    except Unusable:
        raise
    except (zlib.error, ValueError, TypeError, RecursionError, UnicodeDecodeError) as exc:
        raise Unusable(str(exc)[:200]) from None


def _fail(what: str) -> Unusable:
    return Unusable(f"a kept result holds {what}")


def _scalar(kind: type) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if type(value) is kind:
            return value
        raise _fail(f"a {type(value).__name__} where a {kind.__name__} belongs")
    return convert


def _number(value: Any) -> Any:
    if type(value) in (int, float):
        return value
    raise _fail(f"a {type(value).__name__} where a number belongs")


def _any(value: Any) -> Any:
    return value


def _converter(hint: Any) -> Callable[[Any], Any]:
    """A checking converter from the JSON form to the type a field is annotated with."""
    origin = typing.get_origin(hint)
    if hint is str or hint is bool:
        return _scalar(hint)
    if hint is int:
        return _scalar(int)
    if hint is float:
        return _number
    if hint is Any:
        return _any
    if origin in (Union, types.UnionType):
        options = [item for item in typing.get_args(hint) if item is not type(None)]
        inner = _converter(options[0]) if len(options) == 1 else None
        if inner is None:
            raise TypeError(f"no kept form for {hint!r}")

        def optional(value: Any) -> Any:
            return None if value is None else inner(value)
        return optional
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            item = _converter(args[0])
            kinds = _plain_types(args[0])
            shape = _plain_tuple(args[0])
            if shape is not None:  # (what, value) evidence pairs: checked in one pass, no call per pair
                size, members = shape
                is_member = frozenset.__contains__
                alike = members[0] if all(kinds == members[0] for kinds in members) else None
                lists, sizes = {list}, {size}

                def plain_tuples(value: Any) -> tuple:
                    if type(value) is not list:
                        raise _fail("something else where a list of tuples belongs")
                    if alike is not None:  # every place takes the same types: checked over all places at once
                        fits = (lists.issuperset(map(type, value)) and sizes.issuperset(map(len, value))
                                and alike.issuperset(map(type, chain.from_iterable(value))))
                    else:
                        fits = all(type(element) is list and len(element) == size
                                   and all(map(is_member, members, map(type, element))) for element in value)
                    if not fits:
                        raise _fail("something else where a list of tuples of plain values belongs")
                    return tuple(map(tuple, value))
                return plain_tuples
            if kinds is not None:
                def plain_sequence(value: Any) -> tuple:
                    if type(value) is not list or not kinds.issuperset(map(type, value)):
                        raise _fail("something else where a list of plain values belongs")
                    return tuple(value)
                return plain_sequence

            def sequence(value: Any) -> tuple:
                if type(value) is not list:
                    raise _fail("something else where a list belongs")
                return tuple(map(item, value))
            return sequence
        items = [_converter(arg) for arg in args]
        if all(_plain_types(arg) is not None for arg in args):
            all_kinds = [_plain_types(arg) for arg in args]
            size = len(args)

            def plain_fixed(value: Any) -> tuple:
                if type(value) is not list or len(value) != size or not all(
                        map(frozenset.__contains__, all_kinds, map(type, value))):
                    raise _fail("something else where a tuple of plain values belongs")
                return tuple(value)
            return plain_fixed

        def fixed(value: Any) -> tuple:
            if type(value) is not list or len(value) != len(items):
                raise _fail("a list of the wrong length")
            return tuple(convert(element) for convert, element in zip(items, value))
        return fixed
    if origin in (collections.abc.Mapping, dict):
        key_type, value_type = typing.get_args(hint) or (str, Any)
        keys, values = _converter(key_type), _converter(value_type)

        def mapping(value: Any) -> dict:
            if type(value) is not dict:
                raise _fail("something else where an object belongs")
            if key_type is str:  # a JSON object's keys are strings: only its values need converting
                return dict(zip(value, map(values, value.values())))
            return {keys(name): values(item) for name, item in value.items()}
        return mapping
    if isinstance(hint, type) and hint in ENUMS:
        members = {item.value: item for item in hint}

        def member(value: Any) -> Any:
            found = members.get(value) if type(value) is str else None
            if found is None:
                raise _fail(f"{value!r}, not a {hint.__name__}")
            return found
        return member
    if isinstance(hint, type) and hint in RECORDS:
        # Built here when first needed (a record's fields are built before it): a direct reference, not a
        # look-up per value.
        if hint not in _RECORD_CONVERTERS:
            _RECORD_CONVERTERS[hint] = _record(hint)
        return _RECORD_CONVERTERS[hint]
    raise TypeError(f"no kept form for {hint!r}")


def _plain_tuple(hint: Any) -> tuple[int, list[frozenset[type]]] | None:
    """The size and the plain types of each place of a fixed tuple of plain values; None for anything else."""
    if typing.get_origin(hint) is not tuple:
        return None
    args = typing.get_args(hint)
    kinds = [_plain_types(arg) for arg in args]
    if not args or Ellipsis in args or any(kind is None for kind in kinds):
        return None
    return len(args), kinds  # type: ignore[return-value]


def _plain_types(hint: Any) -> frozenset[type] | None:
    """The JSON types a plain field (a string, number, boolean, or one of these or null) may hold; None for a
    field that needs converting (an enum, a list to make a tuple, a record)."""
    if hint is str or hint is bool or hint is int:
        return frozenset({hint})
    if hint is float:
        return frozenset({int, float})
    if typing.get_origin(hint) in (Union, types.UnionType):
        options = [item for item in typing.get_args(hint) if item is not type(None)]
        inner = _plain_types(options[0]) if len(options) == 1 else None
        return None if inner is None else inner | {type(None)}
    return None


def _record(cls: type) -> Callable[[Any], Any]:
    """A record from the list of its fields: plain fields checked by type, the others converted. The record is
    filled in directly, as its generated __init__ would (these records have no __post_init__): a lineage's
    results are thousands of records, and building them is most of what reading them back costs."""
    hints = typing.get_type_hints(cls)
    names = [field.name for field in dataclasses.fields(cls)]
    plain = [(index, kinds) for index, name in enumerate(names)
             if (kinds := _plain_types(hints[name])) is not None]
    plain_at = [index for index, _ in plain]
    plain_kinds = [kinds for _, kinds in plain]
    converted = [(index, _converter(hints[name])) for index, name in enumerate(names)
                 if _plain_types(hints[name]) is None]
    count = len(names)
    new = object.__new__
    contains = frozenset.__contains__

    def build(value: Any) -> Any:
        if type(value) is not list or len(value) != count:
            raise _fail(f"something else where a {cls.__name__} belongs")
        if not all(map(contains, plain_kinds, map(type, map(value.__getitem__, plain_at)))):
            raise _fail(f"a value of the wrong type in a {cls.__name__}")
        for index, convert in converted:
            value[index] = convert(value[index])
        record = new(cls)
        record.__dict__.update(zip(names, value))
        return record
    return build


_FIELDS: dict[type, tuple[str, ...]] = {cls: tuple(field.name for field in dataclasses.fields(cls)) for cls in RECORDS}
_RECORD_CONVERTERS: dict[type, Callable[[Any], Any]] = {}
for _cls in RECORDS:
    _converter(_cls)
_KEPT_HINTS = typing.get_type_hints(KeptModel)
_BODY = [_converter(_KEPT_HINTS[field.name]) for field in dataclasses.fields(KeptModel)]
