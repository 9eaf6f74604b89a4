"""Each third-party library is used from one module, so swapping or upgrading it touches one place."""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "licscan"

# library -> the module (or package, for generated migration scripts) allowed to import it
OWNERS = {
    "huggingface_hub": {"licscan.resolution.hub"},
    # huggingface_hub's own HTTP client, whose transport errors the Hub source tells apart
    "httpx": {"licscan.resolution.hub"},
    "httpx2": {"licscan.resolution.hub"},
    # below httpx: the network backend that holds each request to its deadline
    "httpcore": {"licscan.resolution.hub"},
    "httpcore2": {"licscan.resolution.hub"},
    "sqlalchemy": {"licscan.resolution.store", "licscan.resolution.migrations"},
    "alembic": {"licscan.resolution.store", "licscan.resolution.migrations"},
    "yaml": {"licscan.safeyaml"},
    "jinja2": {"licscan.reporting.templating"},
    "rich": {"licscan.reporting.terminal"},
    "typer": {"licscan.cli"},
    "license_expression": {"licscan.evaluation.licenses"},
    "spdx_tools": {"licscan.reporting.spdx_sbom"},
    "cyclonedx": {"licscan.reporting.cyclonedx_sbom"},
    "packageurl": {"licscan.reporting.cyclonedx_sbom"},
    "pathspec": {"licscan.discovery.walk"},
    "hyperscan": {"licscan.discovery.needles"},
    "platformdirs": {"licscan.config"},
    "orjson": {"licscan.json_text"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_each_third_party_library_is_imported_by_one_module():
    users: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        module = _module_name(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top == "licscan" or top in sys.stdlib_module_names or top == "__future__":
                    continue
                users[top].add(module)
    unknown = sorted(set(users) - set(OWNERS))
    assert not unknown, f"libraries without an owning module in this test: {unknown}"
    for library, modules in users.items():
        allowed = OWNERS[library]
        stray = {m for m in modules if not any(m == owner or m.startswith(owner + ".") for owner in allowed)}
        assert not stray, f"{library} is imported outside {sorted(allowed)}: {sorted(stray)}"
