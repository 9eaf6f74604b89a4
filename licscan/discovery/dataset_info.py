"""LLaMA-Factory dataset names: a training YAML's `dataset: a,b` resolved through the project's dataset_info.json."""

from __future__ import annotations

import json
import os
import pathlib
from typing import Any

from licscan.errors import ParseError
from licscan.model import Location, ModelRef, Occurrence, RefKind, Skipped

from .common import clip, decode_utf8, hub_id, load_json

# What the config source leaves for this module: a dataset name (detail: JSON of line, name, dataset_dir), resolved
# after the per-file scan (and its cache), since the answer depends on another file of the project.
PENDING = "dataset-name"
UNKNOWN = "unknown-dataset-name"
FILE_NAME = "dataset_info.json"
_DEFAULT_DIR = "data"
_NAME_KEYS = ("dataset", "eval_dataset")
# Keys only LLaMA-Factory's training arguments have: a `dataset:` of bare names beside them names its registry.
_MARKERS = (b"finetuning_type", b"template:", b"stage:")


def is_training_config(data: bytes) -> bool:
    return b"dataset" in data and any(marker in data for marker in _MARKERS)


def pending_names(document: Any, relpath: str, lines: dict[str, int]) -> list[Skipped]:
    """The names of `dataset` / `eval_dataset` (comma-separated text or a list) of a LLaMA-Factory training
    config's top level that are not Hub ids, each a PENDING entry for resolve()."""
    if not isinstance(document, dict):
        return []
    directory = document.get("dataset_dir")
    directory = directory if isinstance(directory, str) else None
    pending = []
    for key in _NAME_KEYS:
        value = document.get(key)
        names = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else []
        for name in names:
            if not isinstance(name, str) or not name.strip() or hub_id(name.strip()) is not None:
                continue  # (a Hub id is the config source's own reading)
            detail = json.dumps({"line": lines.get(key), "name": name.strip()[:200], "dir": directory})
            pending.append(Skipped(relpath, PENDING, detail))
    return pending


def resolve(root: pathlib.Path, skipped: list[Skipped], max_bytes: int) -> tuple[list[Occurrence], list[Skipped]]:
    """Each PENDING name looked up in the project's dataset_info.json: `hf_hub_url` is a Hub dataset; `file_name`
    a local file (nothing to report); anything else, or a name no dataset_info.json maps, a Skipped with why."""
    occurrences: list[Occurrence] = []
    rest: list[Skipped] = []
    tables = _Tables(root, max_bytes)
    for item in skipped:
        if item.reason != PENDING:
            rest.append(item)
            continue
        try:
            pending = json.loads(item.detail)
            line, name, directory = pending["line"], str(pending["name"]), pending["dir"]
        except (ValueError, KeyError, TypeError):
            continue
        where = f"line {line}: " if line else ""
        table, table_path, problem = tables.for_config(item.path, directory)
        if table is None:
            rest.append(Skipped(item.path, UNKNOWN, clip(f"{where}dataset {name!r}: {problem}")))
            continue
        entry = table.get(name)
        if not isinstance(entry, dict):
            rest.append(Skipped(item.path, UNKNOWN, clip(f"{where}dataset {name!r} is not in {table_path}")))
            continue
        repo_id = hub_id(entry["hf_hub_url"]) if isinstance(entry.get("hf_hub_url"), str) else None
        if repo_id is not None:
            occurrences.append(Occurrence(ModelRef(repo_id, None, RefKind.DATASET), Location(item.path, line),
                                          "config-file", clip(f"dataset: {name} ({table_path}: {repo_id})"),
                                          "dataset-info"))
        elif not isinstance(entry.get("file_name"), str):
            what = "only a ModelScope or other hub's name" if entry.get("ms_hub_url") or entry.get("om_hub_url") else \
                "neither a Hub repo (hf_hub_url) nor a file"
            rest.append(Skipped(item.path, UNKNOWN, clip(f"{where}dataset {name!r}: {table_path} gives {what}")))
    return occurrences, rest


class _Tables:
    """The dataset_info.json files of a project, each read once; only regular files inside the project."""

    def __init__(self, root: pathlib.Path, max_bytes: int) -> None:
        self.root = os.path.realpath(root)
        self.max_bytes = max_bytes
        self.read: dict[str, tuple[dict | None, str]] = {}

    def for_config(self, relpath: str, directory: str | None) -> tuple[dict | None, str, str]:
        """(table, its path relative to the root, why there is none) for a config at `relpath`: in its
        `dataset_dir` (from the project root, then from the config's folder), else data/dataset_info.json in the
        config's folder or a folder above it, inside the project."""
        folder = os.path.dirname(relpath)
        if directory is not None:
            if os.path.isabs(directory):
                return None, "", f"dataset_dir {directory!r} is outside the project"
            candidates = [os.path.join(directory, FILE_NAME), os.path.join(folder, directory, FILE_NAME)]
        else:
            candidates = []
            while True:
                candidates.append(os.path.join(folder, _DEFAULT_DIR, FILE_NAME))
                if not folder:
                    break
                folder = os.path.dirname(folder)
        problems = []
        for candidate in dict.fromkeys(os.path.normpath(item) for item in candidates):
            table, problem = self._table(candidate)
            if table is not None:
                return table, candidate.replace(os.sep, "/"), ""
            if problem:
                problems.append(problem)
        looked = f"dataset_dir {directory!r}" if directory is not None else f"{_DEFAULT_DIR}/{FILE_NAME} up the tree"
        return None, "", "; ".join(problems) or f"no {FILE_NAME} found ({looked})"

    def _table(self, relpath: str) -> tuple[dict | None, str]:
        if relpath in self.read:
            return self.read[relpath]
        self.read[relpath] = found = self._load(relpath)
        return found

    def _load(self, relpath: str) -> tuple[dict | None, str]:
        shown = relpath.replace(os.sep, "/")
        path = os.path.join(self.root, relpath)
        real = os.path.realpath(path)
        if not real.startswith(self.root.rstrip(os.sep) + os.sep):
            return None, f"{shown} leads outside the project" if os.path.lexists(path) else ""
        if not os.path.isfile(real):
            return None, ""
        try:
            if os.path.getsize(real) > self.max_bytes:
                return None, f"{shown} is over the limit of {self.max_bytes} bytes"
            with open(real, "rb") as handle:
                data = load_json(decode_utf8(handle.read(self.max_bytes + 1)))
        except (OSError, UnicodeDecodeError, ParseError, RecursionError) as exc:
            return None, f"{shown} cannot be read ({type(exc).__name__})"
        if not isinstance(data, dict):
            return None, f"{shown} is not a JSON object of dataset names"
        return data, ""
