"""The explicit list of discovery sources: adding a source means adding it here, nowhere else."""

from __future__ import annotations

import functools

from .commands import CommandSource
from .config_files import ConfigFileSource
from .declared import DeclaredSource
from .doc_code import DocCodeSource
from .hub_links import HubLinkSource
from .interface import DiscoverySource, ProjectSource
from .model_dirs import ModelDirSource
from .gguf_files import GgufSource
from .safetensors_files import SafetensorsSource
from .notebooks import NotebookSource
from .python_source import PythonSource

SOURCES: tuple[DiscoverySource, ...] = (
    PythonSource(),
    NotebookSource(),
    ConfigFileSource(),
    CommandSource(),
    DocCodeSource(),
    HubLinkSource(),
    ModelDirSource(),
    GgufSource(),
    SafetensorsSource(),
)

PROJECT_SOURCES: tuple[ProjectSource, ...] = (DeclaredSource(),)


def wanted_by(relpath: str) -> tuple[DiscoverySource, ...]:
    """The sources that read a file, in registry order."""
    return _wanted(relpath.rsplit("/", 1)[-1])


@functools.lru_cache(maxsize=1 << 16)  # a name per file of a large monorepo; asked by the walk, then the scan
def _wanted(filename: str) -> tuple[DiscoverySource, ...]:
    # Sources decide by file name (interface.py), so a project's many __init__.py are asked about once.
    return tuple(source for source in SOURCES if source.wants(filename))
