"""Config files (YAML, JSON, TOML): Hub ids under the configured keys, with their line numbers."""

from __future__ import annotations

import functools
import re
import tomllib
from typing import Any, Iterator

from licscan import lazy_re
from licscan import safeyaml
from licscan.errors import ParseError
from licscan.model import DiscoverySettings, Location, ModelRef, Occurrence, RefKind, Skipped

from .common import (
    INVALID_ID, LineIndex, clip, decode_utf8, find_value_line, hub_id, key_match, load_json, not_utf8_detail,
    rejected_id,
)
from .dataset_info import is_training_config, pending_names
from .interface import ProjectFile, SourceOutput
from .needles import Needle, NeedleSet
from .readings import FileReadings, needle_matches

_SUFFIXES = (".yaml", ".yml", ".json", ".toml")

# Files a model folder or a package manager writes: model_dirs reads the first group,
# the rest never name a model under a config key and lock files can be huge.
_NOT_CONFIG = frozenset(
    {
        "adapter_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
        "generation_config.json", "preprocessor_config.json", "added_tokens.json", "vocab.json",
        "config_sentence_transformers.json", "sentence_bert_config.json", "modules.json",
        "package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "composer.lock",
    }
)
# Keys real training and serving tools use for the models they load, read on top of the configured ones:
# axolotl (base_model, base_model_config, lora_model_dir), mergekit (models[].model, base_model),
# LLaMA-Factory (model_name_or_path, adapter_name_or_path, ref_model, reward_model), vLLM and TGI
# (model, tokenizer, speculative_model, model-id), docker-compose environment maps (MODEL_ID: ...).
TOOL_KEYS = (
    "base_model", "base_model_config", "lora_model_dir", "model", "model_name_or_path", "adapter_name_or_path",
    "ref_model", "reward_model", "teacher_model", "tokenizer", "tokenizer_name", "speculative_model", "draft_model",
    "model-id", "model_id", "MODEL_ID", "HF_MODEL_ID", "MODEL_NAME", "MODEL", "BASE_MODEL",
)
# Any key holding one of these words names a model (or, the second group, a dataset): `llm-model`, `LORA_ADAPTERS`,
# `APP_EMBEDDINGS_MODELNAME`, `REFLECTION_LLM`, `reranker_model`, `dataset`, `test_datasets`, `dataset_path`, and
# LLaMA-Factory's dataset_info.json `hf_hub_url`. Precision comes from the value: a Hub-shaped id, not a path.
_NAMING_KEY = lazy_re.compile(r"(?i)(model|tokenizer|llm|embed|rerank|pretrain|adapter|lora)|(dataset|data_?path|hf_hub_url)")
_KEY_WORDS = (b"model", b"Model", b"MODEL", b"tokenizer", b"TOKENIZER", b"llm", b"LLM", b"embed", b"EMBED",
              b"rerank", b"RERANK", b"pretrain", b"adapter", b"ADAPTER", b"lora", b"LORA", b"dataset", b"DATASET",
              b"data_path", b"hf_hub_url")
# Words whose keys hold a block (a list of datasets) worth parsing the file for; other words' keys only when an
# id-shaped value stands on their line.
_BLOCK_WORDS = frozenset({b"dataset", b"DATASET"})
_VALUE_IS_ID = lazy_re.compile(rb"""["']?[ \t]*[:=][ \t]*["']?(?:\$\{[^}\n]*-)?["']?[A-Za-z0-9][\w.-]*/""")
# Keys that take their meaning from the key above them: axolotl `datasets: [{path: ID}]`, alignment-handbook
# `dataset_mixture: {datasets: [{id: ID}]}`, verl `model: {path: ID}`, Kubernetes `env: [{name: X, value: ID}]`.
_INNER_KEYS = frozenset({"path", "id", "name", "repo", "repo_id", "value", "name_or_path"})
# `${VAR:-default}` (compose, shell-style interpolation): the default is the value when nothing is set.
_INTERPOLATION_DEFAULT = lazy_re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*:?-[\"']?([^\"'}]*)[\"']?\}$")
# A config.json holding these keys is a model's own config, which model_dirs reads.
MODEL_CONFIG_KEYS = frozenset(
    {"model_type", "architectures", "_name_or_path", "transformers_version", "_class_name", "_diffusers_version"}
)


# After a key: a value on the same line with a "/" in it (ids are namespace/name), or a value that is not on
# the line (a block or list below, a flow collection, an alias or anchor, a tag, a block scalar).
_VALUE_MAY_BE_ID = lazy_re.compile(rb"""["']?[ \t]*[:=][ \t]*(?:$|[\[{*&|>!]|["']?[^\s"'#,]*/)""", re.M)


_KEY_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
# The rest of a key after a word in it, when a ":" or "=" follows (as the value patterns below require).
_KEY_REST = lazy_re.compile(rb"""[A-Za-z0-9_-]*(?=["']?[ \t]*[:=])""")
_NAMED_VALUE = lazy_re.compile(rb"""[A-Za-z0-9_-]*["']?[ \t]*\r?\n[ \t]*value[ \t]*:[ \t]*["']?[A-Za-z0-9][\w.-]*/""")


@functools.lru_cache(maxsize=8)
def _key_words(keys: tuple[str, ...]) -> tuple[bytes, ...]:
    """Few words, each found with bytes.find, one of which every key contains (a regex alternation of all
    the keys is many times slower over large JSON files)."""
    words: list[bytes] = []
    for key in keys:
        encoded = key.encode("utf-8")
        if not any(word in encoded for word in words):
            common = next((word for word in (b"model", b"MODEL", b"tokenizer") if word in encoded), encoded)
            words.append(common)
    return tuple(words)


@functools.lru_cache(maxsize=8)
def _word_needles(keys: tuple[str, ...]) -> tuple[tuple[bytes, ...], NeedleSet]:
    """The words of the keys and the naming words, searched for in one pass (a pass per word over a large
    JSON data file costs more than all the rest of the check)."""
    words = tuple(dict.fromkeys((*_key_words(keys), *_KEY_WORDS)))
    return words, NeedleSet([Needle(re.escape(word)) for word in words])


def _may_name_an_id(data: bytes, keys: tuple[str, ...], readings: FileReadings | None = None) -> bool:
    """Whether some configured or naming key could hold a Hub id: the file is parsed only then."""
    wanted = {key.encode("utf-8") for key in keys}
    words, needles = _word_needles(keys)
    for number, start, end in needle_matches(readings, needles, data):
        word = words[number]
        rest = _KEY_REST.match(data, end)
        if rest is None:
            # Kubernetes' `- name: EMBEDDING_MODEL_ID` with `value: ID` on the next line; else prose, no key.
            if word in _KEY_WORDS and _NAMED_VALUE.match(data, end):
                return True
            continue
        end = rest.end()
        while start > 0 and data[start - 1] in _KEY_CHARS:
            start -= 1
        key = data[start:end]
        if key in wanted or word in _BLOCK_WORDS:
            if _VALUE_MAY_BE_ID.match(data, end):
                return True
        elif word in _KEY_WORDS and _VALUE_IS_ID.match(data, end):
            return True  # (a key named by a word alone: only for an id on its own line, which is cheap to tell)
    return False


def is_model_config(data: Any) -> bool:
    return isinstance(data, dict) and any(key in data for key in MODEL_CONFIG_KEYS)


class ConfigFileSource:
    """Training and serving configs: axolotl's base_model, Hydra's model_name_or_path, and so on."""

    name = "config-file"
    header_only = False

    def wants(self, relpath: str) -> bool:
        filename = relpath.rsplit("/", 1)[-1]
        lowered = filename.lower()
        if not lowered.endswith(_SUFFIXES) or lowered in _NOT_CONFIG:
            return False
        # Sharded-weight indexes and *-lock.json files are machine output.
        if lowered.startswith("tokenizer") and lowered.endswith(".json"):
            return False
        return not (lowered.endswith(".index.json") or "-lock." in lowered or ".lock." in lowered)

    def needles(self, settings: DiscoverySettings) -> tuple[NeedleSet, ...]:
        return (_word_needles(_keys(settings))[1],)

    def scan(self, file: ProjectFile) -> SourceOutput:
        keys = _keys(file.settings)
        # licscan's own configuration lists models to declare or ignore: the declared source reads it.
        own_config = file.relpath in (file.settings.declared_in, ".licscan.yaml")
        suffix = file.relpath.rsplit(".", 1)[-1].lower()
        training = suffix in ("yaml", "yml") and is_training_config(file.data)
        if own_config or not (_may_name_an_id(file.data, keys, file.readings) or training):
            return SourceOutput()
        try:
            text = decode_utf8(file.data)
        except UnicodeDecodeError as exc:
            return SourceOutput(skipped=(Skipped(file.relpath, "not-utf8", not_utf8_detail(exc)),))
        pending: list[Skipped] = []
        try:
            if suffix in ("yaml", "yml"):
                # Composed once for both readings; no reading looks at tags, so none are resolved.
                documents = safeyaml.compose_all(text, what="YAML", tags=False)
                hits = list(_yaml_hits(documents, set(keys)))
                if training:
                    pending = _dataset_names(documents, file.relpath)
            elif suffix == "json":
                data = load_json(text)
                if file.relpath.rsplit("/", 1)[-1] == "config.json" and is_model_config(data):
                    return SourceOutput()
                hits = list(_located(text, _data_hits(data, set(keys))))
            else:
                data = _load_toml(text)
                if file.relpath == "pyproject.toml" and isinstance(data.get("tool"), dict):
                    data["tool"].pop("licscan", None)  # licscan's own settings: the declared source reads them
                hits = list(_located(text, _data_hits(data, set(keys))))
        except ParseError as exc:
            return SourceOutput(skipped=(Skipped(file.relpath, "parse-error", str(exc)),))
        except RecursionError:
            return SourceOutput(skipped=(Skipped(file.relpath, "parse-error", "nests too deeply"),))
        found = []
        rejected = []
        for key, value, line in _split_lists(hits):
            kind = RefKind.MODEL
            if isinstance(key, tuple):
                key, kind = key
            candidate = _plain_value(value)
            repo_id = hub_id(candidate) or (hub_id(candidate.split(":", 1)[0]) if ":" in candidate else None)
            if repo_id is None:
                if rejected_id(candidate):
                    where = f"line {line}: " if line else ""
                    rejected.append(Skipped(file.relpath, INVALID_ID, clip(f"{where}{key}: {value} (not a Hub repo id)")))
                continue
            found.append(
                Occurrence(
                    ref=ModelRef(repo_id, None, kind),
                    location=Location(file.relpath, line),
                    source=self.name,
                    text=clip(f"{key}: {value}"),
                    via="config",
                )
            )
        return SourceOutput(occurrences=tuple(found), skipped=tuple(rejected + pending))


def _dataset_names(composed: list[Any], relpath: str) -> list[Skipped]:
    """LLaMA-Factory's dataset names in the first document's top level, left for dataset_info.resolve()."""
    documents = [node for node in composed if node is not None]
    if not documents or documents[0].id != "mapping":
        return []
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key, value in documents[0].value:
        if key.id != "scalar":
            continue
        if value.id == "scalar":
            values[key.value] = value.value
        elif value.id == "sequence":
            values[key.value] = [item.value for item in value.value if item.id == "scalar"]
        lines[key.value] = value.start_mark.line + 1
    return pending_names(values, relpath, lines)


def _keys(settings: DiscoverySettings) -> tuple[str, ...]:
    """The configured keys, then the tools' own."""
    return tuple(dict.fromkeys((*settings.config_keys, *TOOL_KEYS)))


def _plain_value(value: str) -> str:
    """The id in a value: `${VAR:-ID}` gives its default; `ID#500` (a sample count, ms-swift) its id."""
    default = _INTERPOLATION_DEFAULT.match(value)
    if default is not None:
        value = default.group(1)
    return value.split("#", 1)[0]


def key_kind(key: object, keys: "set[str] | frozenset[str]", context: "RefKind | None") -> "RefKind | None":
    """What a key's value names: MODEL for a configured key or a key holding a model word, DATASET for a
    dataset word, the context's kind for an inner key (path, id, name, value) under such a key; else None."""
    if not isinstance(key, str):
        return None
    if key in keys:
        return RefKind.MODEL
    named = _named_by_words(key) if len(key) <= _MAX_KEY else None
    if named is not None:
        return named
    return context if key in _INNER_KEYS else None


_MAX_KEY = 256  # longer keys are data, not names


@functools.lru_cache(maxsize=4096)  # a config's keys repeat from file to file and within one
def _named_by_words(key: str) -> "RefKind | None":
    match = None
    for match in _NAMING_KEY.finditer(key):
        pass
    if match is None:
        return None
    return RefKind.DATASET if match.group(2) else RefKind.MODEL


def _split_lists(hits: Iterator[tuple[str, str, int | None]] | list) -> Iterator[tuple[str, str, int | None]]:
    # LLaMA-Factory takes several adapters as "a,b": no repo id holds a comma.
    for key, value, line in hits:
        for part in value.split(",") if "," in value else (value,):
            yield key, part.strip(), line


def _load_toml(text: str) -> Any:
    try:
        return tomllib.loads(text)
    except (ValueError, RecursionError) as exc:  # TOMLDecodeError, or an integer past the 4,300-digit limit
        raise ParseError(f"not valid TOML: {str(exc)[:200] or type(exc).__name__}") from None


def _data_hits(data: Any, keys: set[str]) -> Iterator[tuple[Any, str]]:
    """((key, kind), string) for every naming key holding a string or a list of strings, in order."""
    stack: list[tuple[Any, RefKind | None]] = [(data, None)]
    while stack:
        node, context = stack.pop()
        children: list[tuple[Any, RefKind | None]] = []
        if isinstance(node, dict):
            named = _named_entry(node, context)
            if named is not None:
                yield named
            for key, value in node.items():
                kind = key_kind(key, keys, context)
                if kind is not None:
                    if isinstance(value, str):
                        yield (key, kind), value
                    elif isinstance(value, list):
                        for item in value:
                            if isinstance(item, str):
                                yield (key, kind), item
                if isinstance(value, (dict, list)):
                    if kind is RefKind.DATASET and isinstance(value, dict) and "mix" in str(key).lower():
                        # dataset_mixer: {ID: weight}: the keys are the datasets.
                        yield from (((str(key), kind), name) for name in value if isinstance(name, str))
                    children.append((value, kind or context))
        elif isinstance(node, list):
            children = [(item, context) for item in node if isinstance(item, (dict, list))]
        stack.extend(reversed(children))


def _named_entry(node: dict, context: "RefKind | None") -> "tuple[Any, str] | None":
    """Kubernetes-style `{name: LLM_MODEL_ID, value: ID}`: the name says what the value is."""
    name, value = node.get("name"), node.get("value")
    if not isinstance(name, str) or not isinstance(value, str):
        return None
    kind = key_kind(name, frozenset(), None)
    return ((name, kind), value) if kind is not None else None


def _located(text: str, hits: Iterator[tuple[Any, str]]) -> Iterator[tuple[Any, str, int | None]]:
    # JSON and TOML parsers keep no positions: search the raw text, moving forward in
    # document order, for each value after its key.
    cursor = 0
    lines = LineIndex(text)
    # A key found nowhere at or after an offset is not searched for again from there on: the values of one key
    # that its text does not hold as such (escaped) would each search the rest of the file, over and over.
    # Nor is its first place searched for from the top each time: it is remembered.
    absent_from: dict[str, int] = {}
    first_at: dict[str, int | None] = {}
    for key, value in hits:
        name = key[0] if isinstance(key, tuple) else key
        line = None
        if cursor < absent_from.get(name, len(text) + 1):
            line, cursor = find_value_line(text, name, value, cursor, lines)
            if line is None:
                absent_from[name] = cursor
        if line is None:
            if name not in first_at:
                first = key_match(text, name)
                first_at[name] = first.start() if first is not None else None
            first_start = first_at[name]
            if first_start is not None:
                line, _ = find_value_line(text, name, value, first_start, lines)
        yield key, value, line


def _licscan_document(node: Any) -> bool:
    """licscan's own files (a policy, rules): their `model:` keys are waiver patterns and rule facts, not
    models the project uses."""
    return node.id == "mapping" and any(
        key.id == "scalar" and key.value == "schema" and value.id == "scalar"
        and str(value.value).startswith("licscan-") for key, value in node.value)


def _yaml_hits(documents: list[Any], keys: set[str]) -> Iterator[tuple[Any, str, int]]:
    seen: set[int] = set()  # aliases share nodes: each node is walked once, so bombs stay linear
    stack: list[tuple[Any, RefKind | None]] = [
        (node, None) for node in reversed(documents) if node is not None and not _licscan_document(node)
    ]
    while stack:
        node, context = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        children: list[tuple[Any, RefKind | None]] = []
        if node.id == "mapping":
            scalars = {k.value: v for k, v in node.value if k.id == "scalar" and v.id == "scalar"}
            name, value = scalars.get("name"), scalars.get("value")
            if name is not None and value is not None:
                kind = key_kind(name.value, frozenset(), None)
                if kind is not None:
                    yield (name.value, kind), value.value, value.start_mark.line + 1
            for key_node, value_node in node.value:
                kind = key_kind(key_node.value, keys, context) if key_node.id == "scalar" else None
                if kind is not None:
                    if value_node.id == "scalar":
                        yield (key_node.value, kind), value_node.value, value_node.start_mark.line + 1
                    elif value_node.id == "sequence":
                        for item in value_node.value:
                            if item.id == "scalar":
                                yield (key_node.value, kind), item.value, item.start_mark.line + 1
                    elif kind is RefKind.DATASET and value_node.id == "mapping" and "mix" in str(key_node.value).lower():
                        for mixed, _ in value_node.value:
                            if mixed.id == "scalar":
                                yield (key_node.value, kind), mixed.value, mixed.start_mark.line + 1
                if value_node.id != "scalar":
                    children.append((value_node, kind or context))
        elif node.id == "sequence":
            children = [(item, context) for item in node.value if item.id != "scalar"]
        stack.extend(reversed(children))
