"""Jupyter notebooks: code cells through the Python analysis, `!` shell lines through the command scanner, by cell and line."""

from __future__ import annotations

from typing import Any

from licscan import lazy_re
from licscan.errors import ParseError
from licscan.model import Location, Occurrence, Skipped
from licscan.untrusted import valid_text

from .commands import commands_in, urls_in
from .common import decode_utf8, load_json, not_utf8_detail, url_fallback
from .interface import ProjectFile, SourceOutput
from .python_source import analyze, might_name_models
from .readings import made_once

_SHELL_CELL = lazy_re.compile(r"^%%(?:bash|sh|script\s+(?:ba)?sh|system)\b")
# `%%writefile [-a] path`: the cell's body is that file (a YAML config, a shell script), read as its name says.
_WRITEFILE_CELL = lazy_re.compile(r"^%%writefile(?:\s+(?:-a|--append))?\s+(?:\"([^\"\n]+)\"|'([^'\n]+)'|(\S+))")
_SHELL_LINE = lazy_re.compile(r"^(\s*)(?:[A-Za-z_][\w]*\s*=\s*)?!(.*)$")
_MAGIC_LINE = lazy_re.compile(r"^(\s*)%")
_COMMAND_HINTS = (b"download", b"clone", b"--model", b"MODEL", b"serve", b"-hf", b"xtuner", b"%%writefile")


class _Cells:
    """The code of a notebook's cells joined into one module, with each line's (cell, line) kept."""

    def __init__(self) -> None:
        self.python: list[str] = []
        self.python_places: list[tuple[int, int]] = []
        self.shell: list[str] = []
        self.shell_places: list[tuple[int, int]] = []
        self.cells: list[tuple[int, list[str], list[tuple[int, int]]]] = []  # per cell, for the fallback
        self.written: list[tuple[int, str, str]] = []  # (cell, file name, body) of %%writefile cells not in Python

    def add(self, number: int, source: str) -> None:
        lines = source.splitlines()
        written = _WRITEFILE_CELL.match(lines[0]) if lines else None
        name = "" if written is None else (
            written.group(1) or written.group(2) or written.group(3)).replace("\\", "/").rsplit("/", 1)[-1]
        routed = written is not None and not name.endswith(".py") and bool(_readers_of(name))
        if routed:
            self.written.append((number, name, "\n".join(lines[1:])))
        own: list[str] = []
        own_places: list[tuple[int, int]] = []
        shell_cell = bool(lines) and bool(_SHELL_CELL.match(lines[0]))
        for index, line in enumerate(lines, start=1):
            place = (number, index)
            # (Each pattern needs its mark: most lines hold neither, and are not tried.)
            shell = _SHELL_LINE.match(line) if "!" in line else None
            if shell_cell or shell:
                if shell_cell and index == 1:
                    python_line = ""
                else:
                    self.shell.append(line if shell_cell else shell.group(2))  # type: ignore[union-attr]
                    self.shell_places.append(place)
                    python_line = "" if shell_cell else f"{shell.group(1)}pass"  # type: ignore[union-attr]
            elif "%" in line and _MAGIC_LINE.match(line):
                # IPython magics are not Python: keep the line (and the block it may sit in) valid.
                python_line = f"{_MAGIC_LINE.match(line).group(1)}pass"  # type: ignore[union-attr]
            else:
                python_line = line
            own.append(python_line)
            own_places.append(place)
        # A written file that is not Python is kept out of the module (a YAML body would make it fail to parse); the
        # cell keeps its lines for the readers that look at cells (JavaScript using transformers.js).
        self.python.extend([""] * len(own) if routed else own)
        self.python_places.extend(own_places)
        self.cells.append((number, own, own_places))


def _source_text(value: Any) -> str:
    if isinstance(value, list):
        value = "".join(item for item in value if isinstance(item, str))
    if not isinstance(value, str):
        return ""
    # JSON may escape a lone surrogate ("\\ud800"), which cannot be read as Python source: U+FFFD instead, so
    # the rest of the notebook is still read.
    return valid_text(value)  # type: ignore[return-value]


def read_notebook(file: ProjectFile) -> tuple[Any, _Cells]:
    """The notebook's JSON document and its code cells joined, read once for every source that wants the file;
    raises UnicodeDecodeError or ParseError for a file that is not a notebook."""
    return made_once(file.readings, "notebook", lambda: _read(file.data))


def _read(data: bytes) -> tuple[Any, _Cells]:
    notebook = load_json(decode_utf8(data))
    joined = _Cells()
    for number, source in _code_cells(notebook):
        joined.add(number, source)
    return notebook, joined


def _code_cells(notebook: Any) -> list[tuple[int, str]]:
    """(1-based cell number counting every cell, source) of each code cell; nbformat 4, and 3's worksheets."""
    if not isinstance(notebook, dict):
        raise ParseError("a notebook is a JSON object")
    cells = notebook.get("cells")
    if cells is None:
        worksheets = notebook.get("worksheets")
        cells = worksheets[0].get("cells") if isinstance(worksheets, list) and worksheets and isinstance(worksheets[0], dict) else None
    if not isinstance(cells, list):
        raise ParseError("the notebook has no list of cells")
    found = []
    for number, cell in enumerate(cells, start=1):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            found.append((number, _source_text(cell.get("source", cell.get("input")))))
    return found


class NotebookSource:
    """Code cells of .ipynb files, read as Python; shell lines (`!huggingface-cli download ...`) as commands."""

    name = "notebook"
    header_only = False

    def wants(self, relpath: str) -> bool:
        return relpath.endswith(".ipynb")

    def scan(self, file: ProjectFile) -> SourceOutput:
        data = file.data
        if not might_name_models(data) and not any(hint in data for hint in _COMMAND_HINTS):
            return SourceOutput()
        try:
            _, joined = read_notebook(file)
        except UnicodeDecodeError as exc:
            return SourceOutput(skipped=(Skipped(file.relpath, "not-utf8", not_utf8_detail(exc)),))
        except ParseError as exc:
            return SourceOutput(skipped=(Skipped(file.relpath, "parse-error", str(exc)),))
        occurrences, skipped = self._python(file.relpath, joined)
        if joined.shell:
            shell_text = "\n".join(joined.shell).encode("utf-8")
            places = joined.shell_places
            locate = lambda line: _at(file.relpath, places, line)  # noqa: E731
            occurrences.extend(commands_in(shell_text, file.relpath, locate, self.name))
            occurrences.extend(urls_in(shell_text, locate, self.name))  # `!wget https://huggingface.co/...`
        for number, name, body in joined.written:
            found, problems = _written_file(file, number, name, body)
            occurrences.extend(found)
            skipped.extend(problems)
        return SourceOutput(occurrences=tuple(occurrences), skipped=tuple(skipped))

    def _python(self, relpath: str, joined: _Cells) -> tuple[list[Occurrence], list[Skipped]]:
        """The cells as one module (names bound in one cell are used in later ones); when that does not parse,
        cell by cell, each bad cell reported and searched for Hub URLs."""
        text = "\n".join(joined.python)
        places = joined.python_places
        occurrences, skipped = analyze(
            text.encode("utf-8"), relpath, lambda line: _at(relpath, places, line), source_text=text,
            by_statement=False,  # (a parse error of the joined cells is what sends them back cell by cell)
        )
        occurrences = [_renamed(item, self.name) for item in occurrences]
        if not any(item.reason == "parse-error" for item in skipped):
            return occurrences, skipped
        occurrences, skipped = [], []
        written = {number for number, _, _ in joined.written}
        for number, lines, cell_places in joined.cells:
            if number in written:
                continue  # read as the file it writes
            cell_text = "\n".join(lines)
            found, problems = analyze(
                cell_text.encode("utf-8"), relpath, lambda line, p=cell_places: _at(relpath, p, line), source_text=cell_text,
                by_statement=False,  # (each bad cell is reported)
            )
            occurrences.extend(_renamed(item, self.name) for item in found)
            for problem in problems:
                if problem.reason == "parse-error":
                    skipped.append(Skipped(relpath, "parse-error", f"cell {number}: {problem.detail}"))
                    for fallback in url_fallback(cell_text.encode("utf-8"), relpath, self.name):
                        line = fallback.location.line or 1
                        occurrences.append(
                            Occurrence(fallback.ref, _at(relpath, cell_places, line), self.name, fallback.text, "fallback")
                        )
                else:
                    skipped.append(problem)
        return occurrences, skipped


# Sources a written file is not handed to: this one (a notebook written by a notebook), the hosted-API source (it
# reads a notebook's written JavaScript cells itself), and those that read model files' headers.
_NOT_FOR_WRITTEN = frozenset({"notebook", "hosted-api"})


def _readers_of(name: str) -> list:
    """The sources that read a written file of this name; none when only the Hub-link search would (JavaScript:
    such a cell is read as before)."""
    from .registry import wanted_by  # (the registry lists this source)

    readers = [source for source in wanted_by(name) if not source.header_only and source.name not in _NOT_FOR_WRITTEN]
    return readers if any(source.name != "hub-url" for source in readers) else []


def _written_file(file: ProjectFile, cell: int, name: str, body: str) -> tuple[list[Occurrence], list[Skipped]]:
    """What the sources that read a file of this name find in a %%writefile cell's body, placed in the cell (the
    body starts on the cell's second line)."""
    written = ProjectFile(name, file.abspath, body.encode("utf-8"), file.root, file.settings)
    occurrences: list[Occurrence] = []
    skipped: list[Skipped] = []
    for source in _readers_of(name):
        output = source.scan(written)
        for item in output.occurrences:
            line = item.location.line
            place = Location(file.relpath, line + 1 if line else None, cell)
            occurrences.append(Occurrence(item.ref, place, NotebookSource.name, item.text, item.via))
        skipped.extend(Skipped(file.relpath, item.reason, f"cell {cell} ({name}): {item.detail}")
                       for item in output.skipped)
    return occurrences, skipped


def _at(relpath: str, places: list[tuple[int, int]], line: int) -> Location:
    if 1 <= line <= len(places):
        cell, cell_line = places[line - 1]
        return Location(relpath, cell_line, cell)
    return Location(relpath, None)


def _renamed(item: Occurrence, source: str) -> Occurrence:
    return Occurrence(item.ref, item.location, source, item.text, item.via)
