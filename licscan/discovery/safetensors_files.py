"""safetensors model files: the header's __metadata__ (a licence, a base model), read within a bound; never the tensors."""

from __future__ import annotations

import json
import struct
from typing import Any

from licscan.model import CardData, ParentLink, Relation, Skipped

from .common import hub_id
from .gguf_files import local_model
from .interface import ProjectFile, SourceOutput

MAX_HEADER_BYTES = 16_000_000  # of JSON; real headers are a few hundred KB
_LICENSE_KEYS = ("license", "modelspec.license")
_BASE_KEYS = ("base_model", "modelspec.base_model", "base_model_name_or_path", "_name_or_path", "ss_sd_model_name")


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


class SafetensorsSource:
    """A safetensors file's `__metadata__`: a licence and base model some exporters write (kohya, modelspec)."""

    name = "safetensors"
    header_only = True

    def wants(self, relpath: str) -> bool:
        return relpath.lower().endswith(".safetensors")

    def scan(self, file: ProjectFile) -> SourceOutput:
        head = file.data
        if len(head) < 8:
            return SourceOutput(skipped=(Skipped(file.relpath, "parse-error", "too short for a safetensors header"),))
        (length,) = struct.unpack_from("<Q", head, 0)
        if length > MAX_HEADER_BYTES:
            return SourceOutput(
                skipped=(Skipped(file.relpath, "too-large", f"safetensors header of {length} bytes, over {MAX_HEADER_BYTES}"),)
            )
        raw = head[8 : 8 + length]
        if len(raw) < length:
            try:
                with open(file.abspath, "rb") as handle:
                    handle.seek(8)
                    raw = handle.read(length)
            except OSError as exc:
                return SourceOutput(skipped=(Skipped(file.relpath, "unreadable", exc.strerror or str(exc)),))
        if len(raw) < length:
            return SourceOutput(skipped=(Skipped(file.relpath, "parse-error", "safetensors header is cut short"),))
        try:
            header = json.loads(raw)
        except (ValueError, RecursionError):
            return SourceOutput(skipped=(Skipped(file.relpath, "parse-error", "safetensors header is not valid JSON"),))
        metadata = header.get("__metadata__") if isinstance(header, dict) else None
        if not isinstance(metadata, dict):
            return SourceOutput()
        license_id = next((_text(metadata.get(key)) for key in _LICENSE_KEYS if _text(metadata.get(key))), None)
        # kohya's LoRA trainer records its network module: the file is an adapter on the base it names.
        relation = Relation.ADAPTER if "ss_network_module" in metadata else Relation.UNSPECIFIED
        bases = []
        for key in _BASE_KEYS:
            value = metadata.get(key)
            repo_id = hub_id(value) if isinstance(value, str) else None
            if repo_id is not None and repo_id not in bases:
                bases.append(repo_id)
        if license_id is None and not bases:
            return SourceOutput()
        card = CardData(license=license_id.lower() if license_id else None, base_models=tuple(bases))
        return local_model(file, card, [ParentLink(repo_id, relation, "safetensors") for repo_id in bases])

