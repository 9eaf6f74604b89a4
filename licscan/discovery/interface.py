"""The contract every discovery source implements, and the values it receives and returns."""

from __future__ import annotations

import pathlib
from typing import TYPE_CHECKING, NamedTuple, Protocol, runtime_checkable

from licscan.model import DiscoverySettings, LocalModel, Occurrence, Skipped

if TYPE_CHECKING:
    from .readings import FileReadings


# NamedTuples rather than dataclasses: every pre-commit check imports this, and they cost nothing to create.
class ProjectFile(NamedTuple):
    """One project file, read once by the walker and shared by every source that wants it."""

    relpath: str  # POSIX, relative to the project root
    abspath: str  # for the sources that read more than the walker did (model-file headers)
    data: bytes
    # Context rather than file content: the project root (to tell local folders from Hub ids)
    # and the settings (config keys), so that scan() keeps a one-argument signature.
    root: pathlib.Path = pathlib.Path()
    settings: DiscoverySettings = DiscoverySettings()
    # What the sources before have read of the file (runner.scan_file sets it): a source that searches the
    # whole file asks it, so that the needle searches of all the file's sources are made in one pass.
    readings: "FileReadings | None" = None


class SourceOutput(NamedTuple):
    """What one source found in one file (or, for a project-level source, in the project)."""

    occurrences: tuple[Occurrence, ...] = ()
    local_models: tuple[LocalModel, ...] = ()
    skipped: tuple[Skipped, ...] = ()


@runtime_checkable
class DiscoverySource(Protocol):
    """A per-file source: claims files by name, then reads the bytes the walker hands it.

    A header-only source (model weights) is handed the file's first bytes whatever its size, and reads
    more itself, bounded; a file only such sources want is never read whole.

    A source that searches whole files for a NeedleSet also has `needles(settings) -> tuple[NeedleSet, ...]`
    and asks `readings.needle_matches(file.readings, SET, data)` instead of `SET.find(data)`: the sets of all
    the sources that want a file are then searched in one pass.
    """

    name: str
    header_only: bool

    def wants(self, relpath: str) -> bool:
        """Whether this source reads the file, decided from its file name alone (no I/O, not its folder:
        the registry remembers the answer per name)."""
        ...

    def scan(self, file: ProjectFile) -> SourceOutput:
        """Everything the file names; bad content becomes Skipped entries, never an exception."""
        ...


@runtime_checkable
class ProjectSource(Protocol):
    """A project-level source that reads settings rather than one file (e.g. the declared list)."""

    name: str

    def run(self, root: pathlib.Path, settings: DiscoverySettings) -> SourceOutput:
        ...
