"""Models the project declares in its licscan settings ([tool.licscan] models), with or without code using them."""

from __future__ import annotations

import pathlib
import re

from licscan.cards import normalize_repo_id
from licscan.model import DiscoverySettings, Location, ModelRef, Occurrence, Skipped

from .common import clip, line_at
from .interface import SourceOutput

DEFAULT_DECLARED_IN = "pyproject.toml"
_MAX_SETTINGS_BYTES = 2_000_000


def parse_declared(value: str) -> ModelRef | None:
    """ModelRef for "org/name" or "org/name@revision"; None when it is not a Hub id."""
    text = value.strip() if isinstance(value, str) else ""
    repo, revision = text, None
    if "@" in text:
        repo, revision = text.rsplit("@", 1)
        if not revision.strip():
            return None
        revision = revision.strip()
    repo_id = normalize_repo_id(repo)
    return ModelRef(repo_id, revision) if repo_id else None


class DeclaredSource:
    """The declared list: models named in settings, located in the file that declares them."""

    name = "declared"

    def run(self, root: pathlib.Path, settings: DiscoverySettings) -> SourceOutput:
        if not settings.declared_models:
            return SourceOutput()
        relpath, text = _settings_file(root, settings.declared_in or DEFAULT_DECLARED_IN)
        occurrences = []
        skipped = []
        for value in settings.declared_models:
            ref = parse_declared(value)
            if ref is None:
                skipped.append(Skipped(relpath, "invalid-id", str(value)))
                continue
            occurrences.append(
                Occurrence(
                    ref=ref,
                    location=Location(relpath, _find(text, value.strip()) if text else None),
                    source=self.name,
                    text=clip(value.strip()),
                    via="declared",
                )
            )
        return SourceOutput(occurrences=tuple(occurrences), skipped=tuple(skipped))


def _settings_file(root: pathlib.Path, declared_in: str) -> tuple[str, str | None]:
    """(path to report, its text or None): relative to root when the file is inside it."""
    path = pathlib.Path(declared_in)
    full = path if path.is_absolute() else root / path
    try:
        shown = full.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError, RuntimeError):
        shown = path.as_posix()
    try:
        if full.stat().st_size > _MAX_SETTINGS_BYTES:
            return shown, None
        return shown, full.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return shown, None


def _find(text: str, value: str) -> int | None:
    # Bounded on both sides so "org/name" is not found inside "org/name-v2" or "big-org/name".
    match = re.search(rf"(?<![\w./@-]){re.escape(value)}(?![\w./@-])", text)
    return line_at(text, match.start()) if match else None
