"""The explicit list of discovery sources: adding a source means adding it here, nowhere else."""

from __future__ import annotations

import functools
import importlib
from typing import Any

from .commands import CommandSource
from .config_files import ConfigFileSource
from .declared import DeclaredSource
from .doc_code import DocCodeSource
from .hosted_apis import HostedApiSource
from .hub_links import HubLinkSource
from .interface import DiscoverySource, ProjectFile, ProjectSource, SourceOutput
from .model_dirs import ModelDirSource
from .notebooks import NotebookSource
from .python_source import PythonSource


class WeightsReader:
    """A header-only reader of model weights (GGUF, safetensors), imported when a file of its kind first turns up:
    few projects commit weights, and importing the readers (GGUF's header record, struct) cost every pre-commit
    check of a few Python files ~1 ms. Its file-name rule, one file ending, is the reader's own, said here too
    (tests/test_discovery_registry.py holds the two to the same answers)."""

    header_only = True

    def __init__(self, name: str, ending: str, module: str, class_name: str) -> None:
        self.name = name
        self.ending = ending
        self._where = (module, class_name)
        self._reader: Any = None

    def wants(self, relpath: str) -> bool:
        if not relpath.lower().endswith(self.ending):
            return False
        self.reader()  # (the walk asks first: loaded before any helper process forks, not once in each)
        return True

    def scan(self, file: ProjectFile) -> SourceOutput:
        return self.reader().scan(file)

    def reader(self) -> Any:
        """The reader itself (its module imported now if it is not yet)."""
        if self._reader is None:
            module, class_name = self._where
            self._reader = getattr(importlib.import_module(module), class_name)()
        return self._reader


SOURCES: tuple[DiscoverySource, ...] = (
    PythonSource(),
    NotebookSource(),
    ConfigFileSource(),
    CommandSource(),
    DocCodeSource(),
    HubLinkSource(),
    ModelDirSource(),
    WeightsReader("gguf", ".gguf", "licscan.discovery.gguf_files", "GgufSource"),
    WeightsReader("safetensors", ".safetensors", "licscan.discovery.safetensors_files", "SafetensorsSource"),
    HostedApiSource(),
)

PROJECT_SOURCES: tuple[ProjectSource, ...] = (DeclaredSource(),)


def wanted_by(relpath: str) -> tuple[DiscoverySource, ...]:
    """The sources that read a file, in registry order."""
    return _wanted(relpath.rsplit("/", 1)[-1])


@functools.lru_cache(maxsize=1 << 16)  # a name per file of a large monorepo; asked by the walk, then the scan
def _wanted(filename: str) -> tuple[DiscoverySource, ...]:
    # Sources decide by file name (interface.py), so a project's many __init__.py are asked about once.
    return tuple(source for source in SOURCES if source.wants(filename))


# The sources of a file as bits of SOURCES' positions: what a helper process is sent with each file. The parent's
# walk has already asked every source about each file name; a helper forked early in the walk would otherwise ask
# them again for most names (its copy of the memo above stops at the fork): ~7 us per name, ~20 ms over the sdists.
_MASKS: dict[tuple[DiscoverySource, ...], int] = {}
_BY_MASK: dict[int, tuple[DiscoverySource, ...]] = {}


def wanted_mask(relpath: str) -> int:
    """wanted_by(relpath) as bits (source i of SOURCES is bit i)."""
    sources = wanted_by(relpath)
    mask = _MASKS.get(sources)
    if mask is None:
        mask = _MASKS[sources] = sum(1 << SOURCES.index(source) for source in sources)
    return mask


def sources_of_mask(mask: int) -> tuple[DiscoverySource, ...]:
    """The sources wanted_mask() gave `mask` for, in registry order."""
    sources = _BY_MASK.get(mask)
    if sources is None:
        sources = _BY_MASK[mask] = tuple(source for number, source in enumerate(SOURCES) if mask >> number & 1)
    return sources
