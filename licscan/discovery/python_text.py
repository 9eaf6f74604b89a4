"""Python source read as bytes: where its strings and comments are, and where a call ends, without parsing the module."""

from __future__ import annotations

import bisect
import functools
import re

from .common import LineIndex

CODE = "code"
STRING = "string"  # inside a one-line string literal
TRIPLE = "triple"  # inside a triple-quoted string (docstrings, templates)
COMMENT = "comment"

# Calls longer than this are left to the full parse: the fragment would be too costly to find by hand.
MAX_CALL_BYTES = 8192

# Tokens of one line, read from a point known to be code: a comment ends the code, a string is skipped whole,
# and a lone quote is a string that is still open where the line was cut.
_LINE_TOKEN = re.compile(rb"""#|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|["']""")
# Tokens inside a call's parentheses: brackets count, strings and comments are skipped.
_CALL_TOKEN = re.compile(
    rb"""[()\[\]{}]|#[^\n]*|(?s:\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*''')"""
    rb"""|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'"""
)
# The same, with the separators that end one argument.
_ARGUMENT_TOKEN = re.compile(
    rb"""[()\[\]{},\n]|#[^\n]*|(?s:\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*''')"""
    rb"""|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'"""
)
_IDENTIFIER_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") | frozenset(range(128, 256))
_BLANKS = b" \t"
_DEFINITION = re.compile(rb"(?:^|[\s;:])(?:def|class)[ \t]+$")
# A def or class at the start of a line; matched from the newline before it (a literal the engine finds fast).
_BLOCK_HEADER = re.compile(rb"\n([ \t]*)(?:async[ \t]+)?(def|class)[ \t]+([A-Za-z_][A-Za-z0-9_]*)")


class PythonText:
    """Lexical facts about one Python file, each computed on first use."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.lines = LineIndex(data)
        self._spans: list[tuple[int, int]] | None = None
        self._span_starts: list[int] = []

    # -- triple-quoted strings --------------------------------------------------------------

    def _triple_spans(self) -> list[tuple[int, int]]:
        """(start, end) of every triple-quoted string, in order, found by their delimiters alone.

        A delimiter counts only where the line before it is code (not inside a one-line string or a comment).
        """
        if self._spans is not None:
            return self._spans
        data = self.data
        spans: list[tuple[int, int]] = []
        self._spans = spans  # the context checks below read the spans found so far
        position = 0
        size = len(data)
        # The next of each delimiter, found again only once the scan has passed it (else it is quadratic).
        next_double = data.find(b'"""')
        next_single = data.find(b"'''")
        while True:
            if 0 <= next_double < position:
                next_double = data.find(b'"""', position)
            if 0 <= next_single < position:
                next_single = data.find(b"'''", position)
            if next_double < 0 and next_single < 0:
                break
            start = next_single if next_double < 0 or (0 <= next_single < next_double) else next_double
            context = self._line_context(start, spans[-1][1] if spans else 0)
            if context == COMMENT:
                newline = data.find(b"\n", start)
                position = size if newline < 0 else newline + 1
                continue
            if context != CODE:
                position = start + 1
                continue
            delimiter = data[start : start + 3]
            end = data.find(delimiter, start + 3)
            while end >= 0 and _escaped(data, end, start + 3):
                end = data.find(delimiter, end + 1)
            end = size if end < 0 else end + 3
            spans.append((start, end))
            self._span_starts.append(start)
            position = end
        return spans

    def _line_context(self, position: int, code_from: int) -> str:
        """Whether `position` is code, in a one-line string or in a comment, reading its line from its start
        (or from `code_from`, the end of a triple-quoted string on the same line)."""
        start = max(self.data.rfind(b"\n", 0, position) + 1, code_from)
        for token in _LINE_TOKEN.finditer(self.data, start, position):
            text = token.group()
            if text == b"#":
                return COMMENT
            if len(text) == 1:
                return STRING
        return CODE

    def context(self, position: int) -> str:
        """CODE, STRING, TRIPLE or COMMENT: what the byte at `position` is part of."""
        spans = self._triple_spans()
        index = bisect.bisect_right(self._span_starts, position) - 1
        if index >= 0 and spans[index][0] <= position < spans[index][1]:
            return TRIPLE
        return self._line_context(position, spans[index][1] if index >= 0 else 0)

    # -- calls ------------------------------------------------------------------------------

    def call_end(self, open_paren: int) -> int | None:
        """The offset just after the parenthesis that closes the one at `open_paren`, or None."""
        depth = 0
        limit = min(len(self.data), open_paren + MAX_CALL_BYTES)
        for token in _CALL_TOKEN.finditer(self.data, open_paren, limit):
            first = token.group()[:1]
            if first in (b"(", b"[", b"{"):
                depth += 1
            elif first in (b")", b"]", b"}"):
                depth -= 1
                if depth == 0:
                    return token.end()
        return None

    def argument_end(self, start: int) -> int | None:
        """Where the argument starting at `start` ends: at a comma or closing bracket of its own level, or at the
        end of the line when it is not inside brackets. None when that is not found nearby."""
        depth = 0
        limit = min(len(self.data), start + MAX_CALL_BYTES)
        for token in _ARGUMENT_TOKEN.finditer(self.data, start, limit):
            first = token.group()[:1]
            if first in (b"(", b"[", b"{"):
                depth += 1
            elif first in (b")", b"]", b"}"):
                if depth == 0:
                    return token.start()
                depth -= 1
            elif first == b"," and depth == 0:
                return token.start()
            elif first == b"\n" and depth == 0:
                return token.start()
        return None

    def receiver_chain(self, name_start: int) -> tuple[int | None, list[str], bool]:
        """(start, names, attribute) of what precedes a callee: `a.b.callee(` gives (offset of a, ["a", "b"], True).

        The start is None when the chain begins with an expression (`f().callee(`, `x[0].b.callee(`): only a
        parse knows where that expression starts; `names` then holds the names after it.
        """
        data = self.data
        start = name_start
        names: list[str] = []
        attribute = False
        while True:
            cursor = start - 1
            while cursor >= 0 and data[cursor] in _BLANKS:
                cursor -= 1
            if cursor < 0 or data[cursor] != 0x2E:  # "."
                break
            attribute = True
            cursor -= 1
            while cursor >= 0 and data[cursor] in _BLANKS:
                cursor -= 1
            end = cursor + 1
            while cursor >= 0 and data[cursor] in _IDENTIFIER_BYTES:
                cursor -= 1
            if cursor + 1 == end or data[cursor + 1] in b"0123456789":
                names.reverse()
                return None, names, attribute
            names.append(data[cursor + 1 : end].decode("utf-8", errors="replace"))
            start = cursor + 1
        names.reverse()
        return start, names, attribute

    def is_definition(self, chain_start: int) -> bool:
        """Whether the name at `chain_start` is being defined (`def name(`), not called."""
        line_start = self.data.rfind(b"\n", 0, chain_start) + 1
        return bool(_DEFINITION.search(self.data, line_start, chain_start))

    def segment(self, start: int, end: int, max_lines: int = 5) -> str:
        """The source text from `start` to `end`, at most `max_lines` lines of it."""
        piece = self.data[start:end]
        if piece.count(b"\n") >= max_lines:
            piece = b"\n".join(piece.split(b"\n", max_lines)[:max_lines])
        return piece.decode("utf-8", errors="replace")


    # -- the module with the blocks that do not matter left out --------------------------------

    def stubbed(self, keep: list[int]) -> bytes:
        """The source with every def/class block that holds none of the `keep` lines replaced by a one-line
        stub (`def name(): pass`), blank lines keeping every line where it was.

        The stub binds the name the block bound, so scopes outside it are unchanged; what the blocks held
        is only ever visible inside them. Block ends come from indentation; where that misleads (a bracket
        continuing at the left margin), the result does not parse and the caller parses the real source.
        """
        data = self.data
        spans = self._triple_spans()
        span_starts = self._span_starts
        index = LineIndex(data)
        last_line = data.count(b"\n") + 1

        def in_string(position: int) -> int | None:
            """The end of the triple-quoted string holding `position`, or None."""
            found = bisect.bisect_right(span_starts, position) - 1
            return spans[found][1] if found >= 0 and spans[found][1] > position else None

        def block_end(depth: int, after: int) -> int:
            """The last line before the next line of code indented no deeper than `depth`, from offset `after`."""
            pattern = _dedent_pattern(depth)
            position = after
            while True:
                match = pattern.search(data, position)
                if match is None:
                    return last_line
                string_end = in_string(match.start() + 1)
                if string_end is None:
                    return index.line(match.start())  # the newline ends the block's last line
                position = string_end

        blocks: list[tuple[int, int, re.Match[bytes]]] = []  # (first line, last line, header)
        # Searched in the data after a newline, so that a header on the first line is found like the others.
        for header in _BLOCK_HEADER.finditer(b"\n" + data):
            # Offsets in b"\n" + data are one more than in data: header.start() is the line's start in data.
            if in_string(header.start()) is not None:
                continue
            # A signature that spans lines ends at its closing parenthesis, which formatters put back at the
            # block's own indentation: the body is looked for after it.
            after = header.end() - 1
            while after < len(data) and data[after] in _BLANKS:
                after += 1
            if data[after : after + 1] == b"(":
                closing = self.call_end(after)
                if closing is None:
                    continue
                after = closing
            end_of_line = data.find(b"\n", after)
            if end_of_line < 0:
                continue
            number = index.line(header.start())
            blocks.append((number, block_end(len(header.group(1)), end_of_line), header))

        kept = sorted(keep)
        out = data.split(b"\n")
        covered_until = 0
        for first, last, header in blocks:
            if first <= covered_until:
                continue
            position = bisect.bisect_left(kept, first)
            if position < len(kept) and kept[position] <= last:
                continue  # holds a kept line: stays, and its own nested blocks are looked at in turn
            body = b"(): pass" if header.group(2) == b"def" else b": pass"
            out[first - 1] = header.group(1) + header.group(2) + b" " + header.group(3) + body
            out[first : last] = [b""] * (last - first)
            covered_until = last
        return b"\n".join(out)


@functools.lru_cache(maxsize=64)
def _dedent_pattern(depth: int) -> re.Pattern[bytes]:
    """A newline followed by a line of code indented at most `depth` columns."""
    return re.compile(rb"\n[ \t]{0,%d}(?=[^ \t\r\n#\f])" % depth)


def _escaped(data: bytes, position: int, floor: int) -> bool:
    """Whether the quote at `position` is escaped by an odd run of backslashes."""
    count = 0
    cursor = position - 1
    while cursor >= floor and data[cursor] == 0x5C:
        count += 1
        cursor -= 1
    return count % 2 == 1
