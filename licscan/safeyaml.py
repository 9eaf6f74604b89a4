"""Safe YAML loading for untrusted documents: no Python objects, bounded size and aliases."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

import yaml

from licscan.errors import ParseError

MAX_YAML_BYTES = 1_000_000
MAX_ALIASES = 200


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses alias bombs (billion laughs) before they expand."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise ParseError(f"too many YAML aliases (more than {MAX_ALIASES}); refusing a possible alias bomb")
        return super().compose_node(parent, index)


@contextlib.contextmanager
def _loader(text: str | bytes, what: str) -> Iterator[_BoundedLoader]:
    """A bounded loader over text; every YAML failure leaves as a ParseError naming `what`."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(f"{what} is not UTF-8 (byte {exc.start})") from None
    if len(text) > MAX_YAML_BYTES:
        raise ParseError(f"{what} is larger than {MAX_YAML_BYTES} bytes")
    loader = _BoundedLoader(text)
    try:
        yield loader
    except ParseError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or exc.__class__.__name__
        raise ParseError(f"{what} is not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise ParseError(f"{what} nests too deeply") from None
    finally:
        loader.dispose()


def load(text: str | bytes, *, what: str = "YAML document") -> Any:
    """Parse one YAML document; raise ParseError with a short reason on anything bad."""
    with _loader(text, what) as loader:
        return loader.get_single_data()


def load_all(text: str | bytes, *, what: str = "YAML stream") -> list[Any]:
    """Parse every document of a multi-document YAML stream (e.g. Kubernetes manifests)."""
    with _loader(text, what) as loader:
        documents = []
        while loader.check_data():
            documents.append(loader.get_data())
        return documents


def compose_all(text: str | bytes, *, what: str = "YAML stream") -> list[Any]:
    """The node trees of a YAML stream, with line positions, nothing constructed, aliases bounded.

    Nodes have `.id` ("scalar", "sequence", "mapping"), `.value` and `.start_mark.line` (0-based).
    """
    with _loader(text, what) as loader:
        nodes = []
        while loader.check_node():
            nodes.append(loader.get_node())
        return nodes


def dump(data: Any) -> str:
    """Serialise plain data to YAML, keys in order given."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
