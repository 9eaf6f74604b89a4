"""Safe YAML loading for untrusted documents: no Python objects, bounded size, no alias bombs."""

from __future__ import annotations

import contextlib
import functools
from typing import Any, Iterator

from licscan.errors import ParseError

MAX_YAML_BYTES = 1_000_000
# A document may use aliases, but what it expands to is bounded: a "billion laughs" document is small
# as text and as composed nodes, and only explodes when something walks it.
MAX_EXPANDED_NODES = 200_000


@functools.lru_cache(maxsize=1)
def _yaml() -> Any:
    """PyYAML, imported on first use: commands that parse no YAML (pre-commit's check) skip its import."""
    import yaml

    return yaml


def _loader_class() -> type:
    # libyaml's parser is an order of magnitude faster; the checks below run on its node tree all the same.
    yaml = _yaml()
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _expanded_size(root: Any) -> int:
    """How many nodes the tree has once every alias is expanded (shared nodes counted per use)."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if node.id == "scalar":
            sizes[id(node)] = 1
            continue
        children = [part for pair in node.value for part in pair] if node.id == "mapping" else node.value
        if not children_done:
            if id(node) in visiting:
                return MAX_EXPANDED_NODES + 1  # a recursive alias expands without end
            visiting.add(id(node))
        if children_done:
            total = 1
            for child in children:
                total += sizes.get(id(child), 0)
                if total > MAX_EXPANDED_NODES:
                    break
            sizes[id(node)] = total
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes.get(id(root), 0)


@contextlib.contextmanager
def _errors(what: str) -> Iterator[None]:
    """Every YAML failure leaves as a ParseError naming `what`."""
    try:
        yield
    except ParseError:
        raise
    except _yaml().YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or exc.__class__.__name__
        raise ParseError(f"{what} is not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise ParseError(f"{what} nests too deeply") from None
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as exc:
        # What PyYAML parses but its constructors cannot build: "date: 2024-02-30", "!!int x", "!!bool maybe",
        # "!!timestamp x", an integer past Python's 4,300-digit limit. They raise plain Python errors.
        raise ParseError(f"{what} has a value that cannot be read: {_shown(exc)}") from None


def _shown(exc: Exception) -> str:
    """A constructor's error in one short line (a KeyError's message is only the key)."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")[:200]
    return f"{type(exc).__name__}: {text}" if isinstance(exc, KeyError) or not text else text


def _text(text: str | bytes, what: str) -> str:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(f"{what} is not UTF-8 (byte {exc.start})") from None
    else:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate, which no YAML parser takes
            raise ParseError(f"{what} is not valid Unicode (character {exc.start})") from None
    if len(text) > MAX_YAML_BYTES:
        raise ParseError(f"{what} is larger than {MAX_YAML_BYTES} bytes")
    return text


def _nodes(text: str | bytes, what: str) -> Iterator[tuple[Any, Any]]:
    """(loader, node) for each document, each node checked for alias expansion before use."""
    text = _text(text, what)
    # Without "*" there is no alias, and the tree is no bigger than the text.
    may_alias = "*" in text
    loader = _loader_class()(text)
    try:
        with _errors(what):
            while loader.check_node():
                node = loader.get_node()
                if may_alias and node is not None and _expanded_size(node) > MAX_EXPANDED_NODES:
                    raise ParseError(
                        f"{what} expands to more than {MAX_EXPANDED_NODES} nodes through aliases; "
                        "refusing a possible alias bomb"
                    )
                yield loader, node
    finally:
        loader.dispose()


def load(text: str | bytes, *, what: str = "YAML document") -> Any:
    """Parse one YAML document; raise ParseError with a short reason on anything bad."""
    documents = load_all(text, what=what)
    if len(documents) > 1:
        raise ParseError(f"{what} has {len(documents)} YAML documents where one was expected")
    return documents[0] if documents else None


def load_all(text: str | bytes, *, what: str = "YAML stream") -> list[Any]:
    """Parse every document of a multi-document YAML stream (e.g. Kubernetes manifests)."""
    documents = []
    for loader, node in _nodes(text, what):
        with _errors(what):
            documents.append(loader.construct_document(node))
    return documents


def compose_all(text: str | bytes, *, what: str = "YAML stream") -> list[Any]:
    """The node trees of a YAML stream, with line positions, nothing constructed, aliases bounded.

    Nodes have `.id` ("scalar", "sequence", "mapping"), `.value` and `.start_mark.line` (0-based).
    """
    return [node for _, node in _nodes(text, what)]


def dump(data: Any) -> str:
    """Serialise plain data to YAML, keys in order given."""
    return _yaml().safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
