"""safetensors model files: the header's __metadata__ (a licence, a base model), read within a bound; never the tensors."""

from __future__ import annotations

import json
import os
import struct
from typing import Any

from licscan.model import CardData, ParentLink, Relation, Skipped
from licscan.untrusted import valid_text

from .common import hub_id
from .gguf_files import local_model
from .interface import ProjectFile, SourceOutput

MAX_HEADER_BYTES = 16_000_000  # of JSON; real headers are a few hundred KB
MAX_HEADER_VALUES = 1_000_000  # real headers hold about eight per tensor (dtype, shape, offsets): 125,000 tensors
_LICENSE_KEYS = ("license", "modelspec.license")
_BASE_KEYS = ("base_model", "modelspec.base_model", "base_model_name_or_path", "_name_or_path", "ss_sd_model_name")


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    # JSON may escape a lone surrogate ("\\ud800"), which no UTF-8 writer takes: made U+FFFD here, at the source.
    return valid_text(value).strip() or None  # type: ignore[union-attr]


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
                    size = os.fstat(handle.fileno()).st_size
                    if length > size - 8:  # checked against the file before anything is allocated
                        return SourceOutput(skipped=(Skipped(
                            file.relpath, "parse-error",
                            f"safetensors header claims {length} bytes; the file holds {max(size - 8, 0)} after its length"),))
                    handle.seek(8)
                    raw = handle.read(length)
            except OSError as exc:
                return SourceOutput(skipped=(Skipped(file.relpath, "unreadable", exc.strerror or str(exc)),))
        if len(raw) < length:
            return SourceOutput(skipped=(Skipped(file.relpath, "parse-error", "safetensors header is cut short"),))
        values = raw.count(b",") + raw.count(b"{") + raw.count(b"[")
        if values > MAX_HEADER_VALUES:
            # Each JSON value costs 50 to 100 bytes once parsed: 16 MB of "a":0 pairs would take half a gigabyte.
            # Counted on the bytes (commas and brackets bound the values) before anything is parsed.
            return SourceOutput(skipped=(Skipped(
                file.relpath, "too-large", f"safetensors header of about {values} JSON values, over {MAX_HEADER_VALUES}"),))
        try:
            header = json.loads(raw)
        except (ValueError, RecursionError):  # also an integer past Python's 4,300-digit limit, a ValueError
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

