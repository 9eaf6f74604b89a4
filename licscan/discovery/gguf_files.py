"""GGUF model files: the header's general.license and general.base_model.* / general.source.* (never the tensors)."""

from __future__ import annotations

from typing import Any

from licscan.gguf_header import GGUF_MAGIC, SOURCE_KEYS, read_general
from licscan.model import CardData, Location, LocalModel, ParentLink, Relation, Skipped

from .common import hub_id
from .interface import ProjectFile, SourceOutput


def local_model(file: ProjectFile, card: CardData, parents: list[ParentLink]) -> SourceOutput:
    """A model file as a local model of its own (keyed by its path), each parent once."""
    unique = list({link.repo_id: link for link in parents}.values())
    return SourceOutput(
        local_models=(LocalModel(f"local:{file.relpath}", Location(file.relpath), card, tuple(unique)),)
    )


class GgufSource:
    """A GGUF file: general.license and general.base_model.* / general.source.* as its card and lineage."""

    name = "gguf"
    header_only = True

    def wants(self, relpath: str) -> bool:
        return relpath.lower().endswith(".gguf")

    def scan(self, file: ProjectFile) -> SourceOutput:
        head = file.data
        if len(head) < 24 or head[:4] != GGUF_MAGIC:
            return SourceOutput(skipped=(Skipped(file.relpath, "parse-error", "not a GGUF file (no GGUF magic)"),))
        try:
            # The whole metadata is walked in place: every count and length it claims is checked against the
            # file's size and a fixed cap before anything is read, and only the general.* values are kept.
            with open(file.abspath, "rb") as handle:
                header = read_general(handle, whole=True)
        except OSError as exc:
            return SourceOutput(skipped=(Skipped(file.relpath, "unreadable", exc.strerror or str(exc)),))
        if header.problem is not None:
            return SourceOutput(skipped=(Skipped(file.relpath, "parse-error", header.problem[:300]),))
        metadata = header.general
        problems: list[str] = []
        bases: list[str] = []
        count = metadata.get("general.base_model.count")
        for index in range(min(count, 64) if isinstance(count, int) else 0):
            prefix = f"general.base_model.{index}."
            url = metadata.get(prefix + "repo_url") or metadata.get(prefix + "url")
            repo_id = hub_id(url) if isinstance(url, str) else None
            if repo_id is None:
                organization, name = metadata.get(prefix + "organization"), metadata.get(prefix + "name")
                guess = f"{organization}/{name}" if isinstance(organization, str) and isinstance(name, str) else None
                repo_id = hub_id(guess) if guess else None
                if repo_id is None:
                    shown = url or guess or f"base model {index}"
                    problems.append(f"GGUF names base model {str(shown)[:100]!r} without a Hub repo")
                    continue
            bases.append(repo_id)
        parents = [ParentLink(repo_id, Relation.UNSPECIFIED, "gguf") for repo_id in bases]
        for key in SOURCE_KEYS:
            value = metadata.get(key)
            repo_id = hub_id(value) if isinstance(value, str) else None
            if repo_id is not None:
                # The repo the file was converted from: a GGUF conversion is what the Hub calls quantized.
                parents.insert(0, ParentLink(repo_id, Relation.QUANTIZED, "gguf"))
                break
        license_id = metadata.get("general.license")
        card = CardData(
            license=license_id.strip().lower() if isinstance(license_id, str) and license_id.strip() else None,
            license_name=_text(metadata.get("general.license.name")),
            license_link=_text(metadata.get("general.license.link")),
            base_models=tuple(dict.fromkeys(bases)),
            tags=tuple(tag for tag in metadata.get("general.tags", ()) if isinstance(tag, str))[:50]
            if isinstance(metadata.get("general.tags"), list) else (),
            problems=tuple(problems),
        )
        if card.license is None and not parents and not problems:
            return SourceOutput()  # a bare conversion naming nothing: not a model licscan can say anything about
        return local_model(file, card, parents)


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
