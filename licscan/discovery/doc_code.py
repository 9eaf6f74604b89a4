"""Python code blocks in Markdown docs: a fenced ```python block tells the reader to run that code, so the models and
datasets it loads count, read by the Python analysis at the block's own lines (prose around it does not)."""

from __future__ import annotations

from licscan import lazy_re
from licscan.model import Occurrence, Skipped

from .interface import ProjectFile, SourceOutput
from .python_source import UNRESOLVED, analyze, might_name_models

_SUFFIXES = (".md", ".markdown")
# A fence's opening line and its language: ```python, ~~~py, ```python3, ```ipython.
_FENCE = lazy_re.compile(rb"[ \t]{0,3}(`{3,}|~{3,})[ \t]*([A-Za-z0-9_+-]*)")
_PYTHON = frozenset({b"python", b"py", b"python3", b"ipython", b"ipython3"})
# An interactive session's prompts: the rest of the line is the code.
_PROMPT = lazy_re.compile(rb"[ \t]*(?:>>>|\.\.\.)[ \t]?")


def python_blocks(data: bytes) -> bytes | None:
    """The doc's Python blocks, every other line blank (so that lines keep their numbers); None when there is none.

    Blocks are joined in order, as the reader runs them: a name bound in one is used in the next."""
    lines = data.split(b"\n")
    kept: list[bytes] = [b""] * len(lines)
    fence: bytes | None = None
    python = False
    found = False
    for number, line in enumerate(lines):
        opening = _FENCE.match(line)
        if fence is None:
            if opening is not None:
                fence, python = opening.group(1), opening.group(2).lower() in _PYTHON
            continue
        if opening is not None and opening.group(1).startswith(fence[:1] * len(fence)) and not opening.group(2):
            fence = None  # the closing fence
            continue
        if python:
            prompt = _PROMPT.match(line)
            kept[number] = line[prompt.end():] if prompt is not None else line
            found = True
    return b"\n".join(kept) if found else None


class DocCodeSource:
    """`from_pretrained("org/name")`, `load_dataset("org/data")`, `model_id = "org/name"` in a doc's Python blocks."""

    name = "doc-code"
    header_only = False

    def wants(self, relpath: str) -> bool:
        return relpath.lower().endswith(_SUFFIXES)

    def scan(self, file: ProjectFile) -> SourceOutput:
        data = file.data
        if b"``" not in data and b"~~~" not in data:
            return SourceOutput()
        code = python_blocks(data)
        if code is None or not might_name_models(code):
            return SourceOutput()
        occurrences, problems = analyze(code, file.relpath)
        # A snippet that does not parse is still read call by call; its parse error is not the project's code's.
        # A name known only at run time in an example is the reader's to choose: not listed.
        kept: list[Skipped] = [item for item in problems if item.reason not in ("parse-error", UNRESOLVED)]
        return SourceOutput(
            occurrences=tuple(Occurrence(item.ref, item.location, self.name, item.text, item.via) for item in occurrences),
            skipped=tuple(kept),
        )
