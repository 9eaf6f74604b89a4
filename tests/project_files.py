"""A small project written from a dict of files, then discovered: the fixture of the discovery tests."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any, Mapping

from licscan.discovery import discover
from licscan.model import DiscoverySettings


def discover_project(root: Path, files: Mapping[str, Any], settings: DiscoverySettings | None = None):
    """Write each file (text dedented, bytes as given, a dict as JSON) under root, then discover the project."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, dict):
            path.write_text(json.dumps(content, indent=2), encoding="utf-8")
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return discover(root, settings or DiscoverySettings())
