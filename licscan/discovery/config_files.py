"""Config files (YAML, JSON, TOML): Hub ids under the configured keys, with their line numbers."""

from __future__ import annotations

import functools
import re
import tomllib
from typing import Any, Iterator

from licscan import safeyaml
from licscan.errors import ParseError
from licscan.model import Location, ModelRef, Occurrence, Skipped

from .common import LineIndex, clip, decode_utf8, find_value_line, hub_id, load_json, not_utf8_detail
from .interface import ProjectFile, SourceOutput

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
# A config.json holding these keys is a model's own config, which model_dirs reads.
MODEL_CONFIG_KEYS = frozenset(
    {"model_type", "architectures", "_name_or_path", "transformers_version", "_class_name", "_diffusers_version"}
)


# After a key: a value on the same line with a "/" in it (ids are namespace/name), or a value that is not on
# the line (a block or list below, a flow collection, an alias or anchor, a tag, a block scalar).
_VALUE_MAY_BE_ID = re.compile(rb"""["']?[ \t]*[:=][ \t]*(?:$|[\[{*&|>!]|["']?[^\s"'#,]*/)""", re.M)


_KEY_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


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


def _may_name_an_id(data: bytes, keys: tuple[str, ...]) -> bool:
    """Whether some configured key could hold a Hub id: the file is parsed only then."""
    wanted = {key.encode("utf-8") for key in keys}
    for word in _key_words(keys):
        position = data.find(word)
        while position >= 0:
            start, end = position, position + len(word)
            while start > 0 and data[start - 1] in _KEY_CHARS:
                start -= 1
            while end < len(data) and data[end] in _KEY_CHARS:
                end += 1
            if data[start:end] in wanted and _VALUE_MAY_BE_ID.match(data, end):
                return True
            position = data.find(word, end)
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

    def scan(self, file: ProjectFile) -> SourceOutput:
        keys = tuple(dict.fromkeys((*file.settings.config_keys, *TOOL_KEYS)))
        if not _may_name_an_id(file.data, keys):
            return SourceOutput()
        try:
            text = decode_utf8(file.data)
        except UnicodeDecodeError as exc:
            return SourceOutput(skipped=(Skipped(file.relpath, "not-utf8", not_utf8_detail(exc)),))
        suffix = file.relpath.rsplit(".", 1)[-1].lower()
        try:
            if suffix in ("yaml", "yml"):
                hits = list(_yaml_hits(text, set(keys)))
            elif suffix == "json":
                data = load_json(text)
                if file.relpath.rsplit("/", 1)[-1] == "config.json" and is_model_config(data):
                    return SourceOutput()
                hits = list(_located(text, _data_hits(data, set(keys))))
            else:
                hits = list(_located(text, _data_hits(_load_toml(text), set(keys))))
        except ParseError as exc:
            return SourceOutput(skipped=(Skipped(file.relpath, "parse-error", str(exc)),))
        except RecursionError:
            return SourceOutput(skipped=(Skipped(file.relpath, "parse-error", "nests too deeply"),))
        found = []
        for key, value, line in _split_lists(hits):
            repo_id = hub_id(value)
            if repo_id is None:
                continue
            found.append(
                Occurrence(
                    ref=ModelRef(repo_id),
                    location=Location(file.relpath, line),
                    source=self.name,
                    text=clip(f"{key}: {value}"),
                    via="config",
                )
            )
        return SourceOutput(occurrences=tuple(found))


def _split_lists(hits: Iterator[tuple[str, str, int | None]] | list) -> Iterator[tuple[str, str, int | None]]:
    # LLaMA-Factory takes several adapters as "a,b": no repo id holds a comma.
    for key, value, line in hits:
        for part in value.split(",") if "," in value else (value,):
            yield key, part.strip(), line


def _load_toml(text: str) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParseError(f"not valid TOML: {exc}") from None


def _data_hits(data: Any, keys: set[str]) -> Iterator[tuple[str, str]]:
    """(key, string) for every configured key holding a string or a list of strings, in order."""
    stack: list[Any] = [data]
    while stack:
        node = stack.pop()
        children: list[Any] = []
        if isinstance(node, dict):
            for key, value in node.items():
                if key in keys:
                    if isinstance(value, str):
                        yield key, value
                    elif isinstance(value, list):
                        for item in value:
                            if isinstance(item, str):
                                yield key, item
                if isinstance(value, (dict, list)):
                    children.append(value)
        elif isinstance(node, list):
            children = [item for item in node if isinstance(item, (dict, list))]
        stack.extend(reversed(children))


def _located(text: str, hits: Iterator[tuple[str, str]]) -> Iterator[tuple[str, str, int | None]]:
    # JSON and TOML parsers keep no positions: search the raw text, moving forward in
    # document order, for each value after its key.
    cursor = 0
    lines = LineIndex(text)
    for key, value in hits:
        line, cursor = find_value_line(text, key, value, cursor, lines)
        if line is None:
            line, _ = find_value_line(text, key, value, 0, lines)
        yield key, value, line


def _licscan_document(node: Any) -> bool:
    """licscan's own files (a policy, rules): their `model:` keys are waiver patterns and rule facts, not
    models the project uses."""
    return node.id == "mapping" and any(
        key.id == "scalar" and key.value == "schema" and value.id == "scalar"
        and str(value.value).startswith("licscan-") for key, value in node.value)


def _yaml_hits(text: str, keys: set[str]) -> Iterator[tuple[str, str, int]]:
    seen: set[int] = set()  # aliases share nodes: each node is walked once, so bombs stay linear
    documents = safeyaml.compose_all(text, what="YAML")
    stack = [node for node in reversed(documents) if node is not None and not _licscan_document(node)]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        children: list[Any] = []
        if node.id == "mapping":
            for key_node, value_node in node.value:
                if key_node.id == "scalar" and key_node.value in keys:
                    if value_node.id == "scalar":
                        yield key_node.value, value_node.value, value_node.start_mark.line + 1
                    elif value_node.id == "sequence":
                        for item in value_node.value:
                            if item.id == "scalar":
                                yield key_node.value, item.value, item.start_mark.line + 1
                if value_node.id != "scalar":
                    children.append(value_node)
        elif node.id == "sequence":
            children = [item for item in node.value if item.id != "scalar"]
        stack.extend(reversed(children))
