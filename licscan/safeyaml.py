"""Safe YAML loading for untrusted documents: no Python objects, bounded size, no alias bombs."""

from __future__ import annotations

import contextlib
import functools
from typing import Any, Iterator

from licscan import lazy_re
from licscan.errors import ParseError

MAX_YAML_BYTES = 1_000_000
# A document may use aliases, but what it expands to is bounded: a "billion laughs" document is small
# as text and as composed nodes, and only explodes when something walks it.
MAX_EXPANDED_NODES = 200_000


@functools.lru_cache(maxsize=1)
def _yaml() -> Any:
    """PyYAML, imported on first use: commands that parse no YAML (pre-commit's check) skip its import."""
    # PyYAML compiles ten patterns as it is imported (its pure-Python reader's, its resolver's, ~6 ms), which
    # libyaml's parser and the untagged composer never use: each compiles when first used, if ever.
    with lazy_re.compiled_on_use("yaml"):
        import yaml

    return yaml


def import_parser() -> None:
    """Import PyYAML now: for a process about to fork helpers, each of which would otherwise import it again."""
    _yaml()


def _loader_class() -> type:
    # libyaml's parser is an order of magnitude faster; the checks below run on its node tree all the same.
    yaml = _yaml()
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=1)
def _composer_class() -> type:
    """libyaml's parser and composer with no tag resolution: node trees for callers that read only shapes,
    values and lines (about 40% less time composing discovery's config files than with CSafeLoader).

    The composer asks the resolver for each node's tag (a Python call per node matching the value against the
    implicit types' regexes); here every node gets its kind's plain tag. Without libyaml, the safe loader.
    """
    yaml = _yaml()
    try:
        from yaml.cyaml import CParser
    except ImportError:
        return _loader_class()

    class UntaggedComposer(CParser):  # type: ignore[misc, valid-type]
        _TAGS = {yaml.ScalarNode: "tag:yaml.org,2002:str", yaml.SequenceNode: "tag:yaml.org,2002:seq",
                 yaml.MappingNode: "tag:yaml.org,2002:map"}

        def resolve(self, kind: type, value: Any, implicit: Any) -> str:
            return self._TAGS[kind]

        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            pass

        def ascend_resolver(self) -> None:
            pass

    return UntaggedComposer


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


def _duplicate_key(root: Any) -> tuple[str, int] | None:
    """The first key given twice in one mapping of the tree (its text and 1-based line), or None."""
    seen_nodes: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None or node.id == "scalar" or id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))  # an alias points at a node already checked
        if node.id == "mapping":
            keys: set[str] = set()
            for key, value in node.value:
                if key.id == "scalar" and key.tag != "tag:yaml.org,2002:merge":
                    if key.value in keys:
                        return key.value, key.start_mark.line + 1
                    keys.add(key.value)
                stack.append(key)
                stack.append(value)
        else:
            stack.extend(node.value)
    return None


def _nodes(text: str | bytes, what: str, unique_keys: bool = False,
           loader_class: type | None = None) -> Iterator[tuple[Any, Any]]:
    """(loader, node) for each document, each node checked for alias expansion before use.

    With `unique_keys`, a mapping that gives a key twice is refused: PyYAML keeps the last silently, so a
    careless or hostile edit could drop a fact (a second `notes:` replacing the first) without a word.
    """
    text = _text(text, what)
    # Without an alias ("*name") of an anchor ("&name") the tree is no bigger than the text. (A "*" alone, as in
    # the model-name globs of rules/providers.yaml, would have the whole tree walked again for nothing.)
    may_alias = "*" in text and "&" in text
    loader = (loader_class or _loader_class())(text)
    try:
        with _errors(what):
            while loader.check_node():
                node = loader.get_node()
                if may_alias and node is not None and _expanded_size(node) > MAX_EXPANDED_NODES:
                    raise ParseError(
                        f"{what} expands to more than {MAX_EXPANDED_NODES} nodes through aliases; "
                        "refusing a possible alias bomb"
                    )
                duplicate = _duplicate_key(node) if unique_keys and node is not None else None
                if duplicate is not None:
                    shown = duplicate[0].encode("utf-8", "backslashreplace").decode("utf-8")[:80]
                    raise ParseError(f"{what} gives the key {shown!r} twice in one mapping (line {duplicate[1]})")
                yield loader, node
    finally:
        loader.dispose()


def load(text: str | bytes, *, what: str = "YAML document", unique_keys: bool = False) -> Any:
    """Parse one YAML document; raise ParseError with a short reason on anything bad.

    `unique_keys` refuses a key given twice in one mapping (licscan's own rules and settings, where the last
    one silently winning would lose data); cards and project files are read as their tools read them.
    """
    documents = load_all(text, what=what, unique_keys=unique_keys)
    if len(documents) > 1:
        raise ParseError(f"{what} has {len(documents)} YAML documents where one was expected")
    return documents[0] if documents else None


def load_all(text: str | bytes, *, what: str = "YAML stream", unique_keys: bool = False) -> list[Any]:
    """Parse every document of a multi-document YAML stream (e.g. Kubernetes manifests)."""
    documents = []
    for loader, node in _nodes(text, what, unique_keys):
        with _errors(what):
            documents.append(loader.construct_document(node))
    return documents


def compose_all(text: str | bytes, *, what: str = "YAML stream", tags: bool = True) -> list[Any]:
    """The node trees of a YAML stream, with line positions, nothing constructed, aliases bounded.

    Nodes have `.id` ("scalar", "sequence", "mapping"), `.value` and `.start_mark.line` (0-based).
    tags=False leaves implicit tags unresolved (a plain `1` is tagged str, not int), which composes faster.
    """
    return [node for _, node in _nodes(text, what, loader_class=None if tags else _composer_class())]


def dump(data: Any) -> str:
    """Serialise plain data to YAML, keys in order given."""
    return _yaml().safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
