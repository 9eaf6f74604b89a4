"""The explicit list of discovery sources: adding a source means adding it here, nowhere else."""

from __future__ import annotations

from .config_files import ConfigFileSource
from .declared import DeclaredSource
from .interface import DiscoverySource, ProjectSource
from .model_dirs import ModelDirSource
from .python_source import PythonSource

SOURCES: tuple[DiscoverySource, ...] = (
    PythonSource(),
    ConfigFileSource(),
    ModelDirSource(),
)

PROJECT_SOURCES: tuple[ProjectSource, ...] = (DeclaredSource(),)


def wanted_by(relpath: str) -> tuple[DiscoverySource, ...]:
    """The sources that read a file, in registry order."""
    return tuple(source for source in SOURCES if source.wants(relpath))
