"""Python source read as bytes: where its strings and comments are, and where a call ends, without parsing the module."""

from __future__ import annotations

import bisect
import functools
import re
from typing import NamedTuple

from licscan import lazy_re

from .common import LineIndex

CODE = "code"
STRING = "string"  # inside a one-line string literal
TRIPLE = "triple"  # inside a triple-quoted string (docstrings, templates)
COMMENT = "comment"

# Calls longer than this are left to the full parse: the fragment would be too costly to find by hand.
MAX_CALL_BYTES = 8192

# Tokens of one line, read from a point known to be code: a comment ends the code, a string is skipped whole,
# and a lone quote is a string that is still open where the line was cut.
_LINE_TOKEN = lazy_re.compile(rb"""#|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|["']""")
# Tokens inside a call's parentheses: brackets count, strings and comments are skipped.
_CALL_TOKEN = lazy_re.compile(
    rb"""[()\[\]{}]|#[^\n]*|(?s:\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*''')"""
    rb"""|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'"""
)
# A bracket closed before any other bracket, string or comment opens (most signatures, many calls): call_end's reading
# would close it at the same place, within the same reach.
_PLAIN_BRACKETS = lazy_re.compile(rb"""[(\[{][^()\[\]{}#"']{0,%d}[)\]}]""" % (MAX_CALL_BYTES - 2))
# The same, with the separators that end one argument.
_ARGUMENT_TOKEN = lazy_re.compile(
    rb"""[()\[\]{},\n]|#[^\n]*|(?s:\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*''')"""
    rb"""|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'"""
)
IDENTIFIER_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") | frozenset(range(128, 256))
_BLANKS = b" \t"
_NEWLINE = lazy_re.compile(rb"\n")
# Up to this far into a line, a position is read from the line's start; further, from a place kept in it.
_SHORT_LINE = 256
# What may stand before "def" or "class" (a line start being a newline).
_BEFORE_KEYWORD = frozenset(b" \t\r\n\f\v;:")
# A def or class at the start of a line (matched at the starts of the lines that hold "def" or "class").
_BLOCK_HEADER = lazy_re.compile(rb"(?m)^([ \t]*)(?:async[ \t]+)?(def|class)[ \t]+([A-Za-z_][A-Za-z0-9_]*)")


def matches_from_line_starts(data: bytes, pattern: re.Pattern[bytes], *words: bytes) -> list[re.Match[bytes]]:
    """What `pattern.finditer(data)` gives, for a pattern that matches only from a line's start (`(?m)^...`),
    within that line, and always holds one of `words`: tried only at the starts of the lines that hold one.
    (re tries a pattern opening with ^ at every byte: _DEF over the sdists' 2,267 files with id literals took
    0.7 s, this way 0.14 s.)"""
    line_starts: set[int] = set()
    for word in words:
        at = data.find(word)
        while at >= 0:
            line_starts.add(data.rfind(b"\n", 0, at) + 1)
            at = data.find(word, at + len(word))
    return [match for line_start in sorted(line_starts) if (match := pattern.match(data, line_start)) is not None]


class PythonText:
    """Lexical facts about one Python file, each computed on first use."""

    def __init__(self, data: bytes, single_triples: bool = True) -> None:
        """single_triples: False when the data is known to hold no ''' (it is then not looked for)."""
        self.data = data
        self.lines = LineIndex(data)
        # Triple-quoted strings, found in order only as far as a question needs (_spans_through).
        self._spans: list[tuple[int, int]] = []
        self._span_starts: list[int] = []
        self._spans_read_to = 0  # every delimiter before this offset is accounted for
        self._next_double = -2  # the next '"""' / "'''" at or after it, -1 when none (-2: not looked for yet)
        self._next_single = -2 if single_triples else -1
        self._blocks: list[Block] | None = None
        self._outer_defs: list[Block] | None = None
        self._outer_firsts: list[int] = []
        self._line_starts: list[int] | None = None
        self._walrus: bool | None = None
        self._scan: _LineScan | None = None

    def line_starts(self) -> list[int]:
        """The offset at which each line starts (line n at index n - 1)."""
        if self._line_starts is None:
            starts = [0]
            starts.extend(map(re.Match.end, _NEWLINE.finditer(self.data)))  # (no Python frame per line)
            self._line_starts = starts
        return self._line_starts

    def line_of(self, offset: int) -> int:
        """The line holding `offset`, in any order of asking (LineIndex is cheaper for offsets in order)."""
        return bisect.bisect_right(self.line_starts(), offset)

    # Lines are looked along with bytes.find within this distance; a longer line (generated code, a hostile
    # file) is looked up in the table of line starts, so that many finds on one line cost no square of it.
    _NEAR = 4096

    def line_start(self, offset: int) -> int:
        """Where the line holding `offset` starts."""
        floor = offset - self._NEAR
        found = self.data.rfind(b"\n", floor if floor > 0 else 0, offset)
        if found >= 0 or floor <= 0:
            return found + 1
        starts = self.line_starts()
        return starts[bisect.bisect_right(starts, offset) - 1]

    def line_end(self, offset: int) -> int:
        """Where the line holding `offset` ends (its newline, or the end of the data)."""
        found = self.data.find(b"\n", offset, offset + self._NEAR)
        if found >= 0:
            return found
        starts = self.line_starts()
        following = bisect.bisect_right(starts, offset)
        return starts[following] - 1 if following < len(starts) else len(self.data)

    @property
    def has_walrus(self) -> bool:
        if self._walrus is None:
            self._walrus = b":=" in self.data
        return self._walrus

    # -- triple-quoted strings --------------------------------------------------------------

    def _spans_through(self, position: int) -> list[tuple[int, int]]:
        """(start, end) of every triple-quoted string that starts at or before `position`, in order, found by their
        delimiters alone.

        A delimiter counts only where the line before it is code (not inside a one-line string or a comment). The
        reading goes only as far as asked and continues from there on the next question: whether a literal near
        the top of a file is in a docstring needs no reading of the rest (the named literals ask for 43% of the
        bytes of the sdists' files they look into).
        """
        data = self.data
        spans = self._spans
        if self._spans_read_to > position or self._spans_read_to > len(data):
            return spans
        size = len(data)
        read_to = self._spans_read_to
        # The next of each delimiter, found again only once the reading has passed it (else it is quadratic).
        next_double, next_single = self._next_double, self._next_single
        if next_double == -2:
            next_double = data.find(b'"""')
        if next_single == -2:
            next_single = data.find(b"'''")
        while True:
            if 0 <= next_double < read_to:
                next_double = data.find(b'"""', read_to)
            if 0 <= next_single < read_to:
                next_single = data.find(b"'''", read_to)
            if next_double < 0 and next_single < 0:
                read_to = size + 1  # (past the end: nothing is left to read)
                break
            start = next_single if next_double < 0 or (0 <= next_single < next_double) else next_double
            if start > position:
                read_to = start  # (a question about `start` or later reads on from it)
                break
            context = self._line_context(start, spans[-1][1] if spans else 0)
            if context == COMMENT:
                newline = data.find(b"\n", start)
                read_to = size if newline < 0 else newline + 1
                continue
            if context != CODE:
                read_to = start + 1
                continue
            delimiter = data[start : start + 3]
            end = data.find(delimiter, start + 3)
            while end >= 0 and _escaped(data, end, start + 3):
                end = data.find(delimiter, end + 1)
            end = size if end < 0 else end + 3
            spans.append((start, end))
            self._span_starts.append(start)
            read_to = end
        self._spans_read_to, self._next_double, self._next_single = read_to, next_double, next_single
        return spans

    def _line_context(self, position: int, code_from: int) -> str:
        """Whether `position` is code, in a one-line string or in a comment, reading its line from its start
        (or from `code_from`, the end of a triple-quoted string on the same line).

        On a long line, positions asked in order continue the reading where the last one stopped.
        """
        start = max(self.line_start(position), code_from)
        if position - start <= _SHORT_LINE:
            # A line of ordinary length: read from its start, as cheap as keeping a place in it.
            for token in _LINE_TOKEN.finditer(self.data, start, position):
                if self.data[token.start()] == 0x23:  # "#"
                    return COMMENT
                if token.end() - token.start() == 1:
                    return STRING  # a quote still open where the reading stops
            return CODE
        scan = self._scan
        if scan is None or scan.start != start or position < scan.asked:
            scan = self._scan = _LineScan(start, self.line_end(position))
        scan.asked = position
        if scan.comment_from is not None and position >= scan.comment_from:
            return COMMENT
        while True:
            token = scan.next_token
            if token is None:
                token = scan.next_token = _LINE_TOKEN.search(self.data, scan.position, scan.end)
            if token is None or token.start() >= position:
                return CODE
            # (Not token.group(): a long string asked about many times would be copied each time.)
            if self.data[token.start()] == 0x23:  # "#"
                scan.comment_from = token.start()
                return COMMENT
            if token.end() - token.start() == 1 or token.end() > position:
                return STRING  # inside this string, or in one still open at the end of the line
            scan.position, scan.next_token = token.end(), None

    def context(self, position: int) -> str:
        """CODE, STRING, TRIPLE or COMMENT: what the byte at `position` is part of."""
        spans = self._spans_through(position)
        index = bisect.bisect_right(self._span_starts, position) - 1
        if index >= 0 and spans[index][0] <= position < spans[index][1]:
            return TRIPLE
        return self._line_context(position, spans[index][1] if index >= 0 else 0)

    def triple_span(self, position: int) -> tuple[int, int] | None:
        """(start, end) of the triple-quoted string holding `position`, or None."""
        spans = self._spans_through(position)
        index = bisect.bisect_right(self._span_starts, position) - 1
        return spans[index] if index >= 0 and spans[index][0] <= position < spans[index][1] else None

    def string_span(self, position: int) -> tuple[int, int] | None:
        """(start, end) of the string literal holding `position`, its quotes included (not its prefix), or None
        when `position` is code or a comment, or on a line too long to read token by token."""
        spans = self._spans_through(position)
        index = bisect.bisect_right(self._span_starts, position) - 1
        if index >= 0 and spans[index][0] <= position < spans[index][1]:
            return spans[index]
        start = max(self.line_start(position), spans[index][1] if index >= 0 else 0)
        if position - start > _SHORT_LINE:
            return None
        for token in _LINE_TOKEN.finditer(self.data, start, self.line_end(position)):
            if token.start() > position:
                return None
            if self.data[token.start()] == 0x23:  # "#"
                return None
            if token.end() > position:
                return (token.start(), token.end()) if token.end() - token.start() > 1 else None
        return None

    # -- calls ------------------------------------------------------------------------------

    def call_end(self, open_paren: int) -> int | None:
        """The offset just after the parenthesis that closes the one at `open_paren`, or None."""
        plain = _PLAIN_BRACKETS.match(self.data, open_paren)
        if plain is not None:
            return plain.end()  # (what the token reading finds, without a Python step per token)
        return self.call_end_by_tokens(open_paren)

    def call_end_by_tokens(self, open_paren: int) -> int | None:
        """call_end, read token by token: brackets counted, strings and comments passed over."""
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
            while cursor >= 0 and data[cursor] in IDENTIFIER_BYTES:
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
        data = self.data
        cursor = chain_start
        while cursor > 0 and data[cursor - 1] in _BLANKS:
            cursor -= 1
        if cursor == chain_start:
            return False
        for keyword in (b"def", b"class"):
            begin = cursor - len(keyword)
            if begin >= 0 and data[begin:cursor] == keyword and (begin == 0 or data[begin - 1] in _BEFORE_KEYWORD):
                return True
        return False

    def segment(self, start: int, end: int, max_lines: int = 5) -> str:
        """The source text from `start` to `end`, at most `max_lines` lines of it."""
        piece = self.data[start:end]
        if piece.count(b"\n") >= max_lines:
            piece = b"\n".join(piece.split(b"\n", max_lines)[:max_lines])
        return piece.decode("utf-8", errors="replace")


    # -- the module with the blocks that do not matter left out --------------------------------

    def _in_string(self, position: int) -> int | None:
        """The end of the triple-quoted string holding `position`, or None."""
        spans = self._spans_through(position)
        found = bisect.bisect_right(self._span_starts, position) - 1
        return spans[found][1] if found >= 0 and spans[found][1] > position else None

    def blocks(self) -> list[Block]:
        """Every def and class block, in order: where its header starts and its last line ends.

        Block ends come from indentation; where that misleads (a bracket continuing at the left margin), the
        text cut there does not parse, and callers fall back to the whole module.
        """
        if self._blocks is not None:
            return self._blocks
        data = self.data
        line_starts = self.line_starts()
        last_line = len(line_starts)
        line_of = functools.partial(bisect.bisect_right, line_starts)  # (self.line_of, without a frame per call)
        # The headers run through the whole file, so every triple-quoted string is read: at once, asked below
        # without a frame per question.
        spans = self._spans_through(len(data))
        span_starts = self._span_starts

        def in_string(position: int) -> int | None:
            """The end of the triple-quoted string holding `position`, or None (as _in_string)."""
            found = bisect.bisect_right(span_starts, position) - 1
            return spans[found][1] if found >= 0 and spans[found][1] > position else None

        def block_end(depth: int, after: int) -> tuple[int, int]:
            """(last line, end offset) of a block: before the next line of code indented no deeper than
            `depth`, looked for from offset `after`."""
            pattern = _dedent_pattern(depth)
            position = after
            while True:
                match = pattern.search(data, position)
                if match is None:
                    return last_line, len(data)
                string_end = in_string(match.start() + 1)
                if string_end is None:
                    return line_of(match.start()), match.start()  # the newline ends the block's last line
                position = string_end

        blocks: list[Block] = []
        for header in matches_from_line_starts(data, _BLOCK_HEADER, b"def", b"class"):
            if in_string(header.start()) is not None:
                continue
            # A signature that spans lines ends at its closing parenthesis, which formatters put back at the
            # block's own indentation: the body is looked for after it.
            after = header.end()
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
            last, end = block_end(len(header.group(1)), end_of_line)
            blocks.append(Block(line_of(header.start()), line_of(end_of_line), last, header.start(), end, header))
        self._blocks = blocks
        return blocks

    # -- the module with the blocks that do not matter left out --------------------------------

    def stubbed(self, keep: list[int]) -> bytes:
        """The source with every def/class block that holds none of the `keep` lines replaced by a one-line
        stub (`def name(): pass`), blank lines keeping every line where it was.

        The stub binds the name the block bound, so scopes outside it are unchanged; what the blocks held
        is only ever visible inside them.
        """
        kept = sorted(keep)
        out = self.data.split(b"\n")
        covered_until = 0
        for block in self.blocks():
            first, last, header = block.first, block.last, block.header
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

    # -- one function alone -----------------------------------------------------------------------

    def outermost_function(self, line: int) -> Block | None:
        """The outermost def whose body holds `line` below its signature, or None (module or class level, or
        a signature: those are read in the scope around the def)."""
        if self._outer_defs is None:
            # Defs in no other def, in order and apart (classes may hold them): found by bisection, so that
            # a file with thousands of defs and of calls costs no product of the two.
            self._outer_defs = []
            last = 0
            for block in self.blocks():
                if block.header.group(2) == b"def" and block.first > last:
                    self._outer_defs.append(block)
                    last = block.last
            self._outer_firsts = [block.first for block in self._outer_defs]
        found = bisect.bisect_left(self._outer_firsts, line) - 1
        if found < 0:
            return None
        block = self._outer_defs[found]
        return block if block.signature_end < line <= block.last else None

    def innermost_function_at(self, offset: int) -> Block | None:
        """The innermost def whose block holds the byte at `offset`, or None."""
        found = None
        for block in self.blocks():
            if block.start > offset:
                break
            if offset < block.end and block.header.group(2) == b"def":
                found = block  # a later block that still holds the offset is nested deeper
        return found

    def function_alone(self, block: Block) -> tuple[bytes, int]:
        """The def of `block` as a module of its own, every line at its column (an `if 1:` line above an
        indented def), and how many lines to add to its line numbers to put them back in place."""
        source = self.data[block.start : block.end]
        if block.header.group(1):
            return b"if 1:\n" + source, block.first - 2
        return source, block.first - 1


    # -- top-level statements ----------------------------------------------------------------------

    def statement_starts(self, until: int) -> tuple[list[int], list[int]] | None:
        """Where the module's top-level statements start (the first at 0), read up to the first start past `until`
        (the text after it is one piece), and the starts of the stretches of code (outside strings and comments)
        holding bytes beyond ASCII; None when the text cannot be split with certainty: a quote left open, a
        bracket closed that was not opened, a carriage return alone (a line end the reading would not see), a
        null byte (the module does not parse).

        A line starts a statement only when it stands at the left margin outside every bracket and string, the
        line above does not end with a backslash (even one in a comment), it does not go on with a compound
        statement (else, elif, except, finally) and it does not follow a decorator. Splitting less is always
        safe: a piece then holds two statements.
        """
        data = self.data
        if b"\0" in data or data.count(b"\r") != data.count(b"\r\n"):
            return None
        ascii_only = data.isascii()
        foreign: list[int] = []  # (code stretches with bytes beyond ASCII: an identifier may be spelled there)
        starts = [0]
        depth = 0
        counted_to = 0  # brackets before this are counted (strings and comments left out)
        decorated = data.startswith(b"@")
        # Strings and comments, found from their first character (re tried the alternation at every byte: 24 ns a
        # byte) and matched there; a quote or triple quote no string closes ends the reading.
        opening = _STRING_OR_COMMENT.search(data)
        token = None
        for candidate in _MARGIN_LINE.finditer(data):
            at = candidate.start() + 1
            inside = False
            while True:
                if token is None and opening is not None and opening.start() < at:
                    token = _STATEMENT_TOKEN.match(data, opening.start())
                    if token is None or token.end() - token.start() in (1, 3) and token.group() in _OPEN_QUOTES:
                        return None
                if token is None or token.start() >= at:
                    break
                if token.end() > at:
                    inside = True  # (a string over lines: the candidate is in it)
                    break
                depth += _bracket_change(data, counted_to, token.start())
                if not ascii_only and not data[counted_to : token.start()].isascii():
                    foreign.append(counted_to)
                counted_to = token.end()
                opening = _STRING_OR_COMMENT.search(data, counted_to)
                token = None
            if inside:
                continue
            depth += _bracket_change(data, counted_to, at)
            if not ascii_only and not data[counted_to:at].isascii():
                foreign.append(counted_to)
            counted_to = at
            if depth < 0:
                return None
            if depth or data.endswith(_BACKSLASH_ENDS, 0, at) or data.startswith(_CONTINUING, at):
                continue  # inside brackets, the line above continues into this one, or it goes on with a compound
            if decorated:
                decorated = data.startswith(b"@", at)  # (the def or class after the decorators is in their statement)
                continue
            decorated = data.startswith(b"@", at)
            starts.append(at)
            if at > until:
                break
        if not ascii_only and not data[counted_to:].isascii():
            foreign.append(counted_to)  # (the rest, not read: as if all of it were code)
        return starts, foreign


def _bracket_change(code: bytes, start: int, end: int) -> int:
    """Brackets opened less brackets closed in code[start:end] (a stretch with no string or comment): what deleting
    the closing brackets leaves less what deleting the opening ones leaves (two passes, where counting each of the
    six took six)."""
    stretch = code[start:end]
    return len(stretch.translate(None, b")]}")) - len(stretch.translate(None, b"([{"))


# A line at the left margin (after its newline) that may start a statement: not blank, a comment or a closing bracket.
_MARGIN_LINE = lazy_re.compile(rb"\n[^\s#)\]}]")
# What is blanked out before brackets are counted: comments, strings (triple-quoted ones over lines; a backslash in a
# string escapes even a newline), and a quote or triple quote no string closes (then the text is not split). A
# string's pattern that fails reads on to the end of its line, or of the text when backslashes escape every newline.
_STATEMENT_TOKEN = lazy_re.compile(
    rb"""#[^\n]*|(?s:\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*''')|\"\"\"|'''"""
    rb"""|"(?:[^"\\\n]|\\(?s:.))*"|'(?:[^'\\\n]|\\(?s:.))*'|["']"""
)
_OPEN_QUOTES = frozenset({b'"', b"'", b'"""', b"'''"})
_STRING_OR_COMMENT = lazy_re.compile(rb"[#\"']")
_BACKSLASH_ENDS = (b"\\\n", b"\\\r\n")
_CONTINUING = (b"else", b"elif", b"except", b"finally")


class _LineScan:
    """How far the reading of one line has got: everything before `position` is code."""

    __slots__ = ("start", "end", "position", "asked", "next_token", "comment_from")

    def __init__(self, start: int, end: int) -> None:
        self.start = start
        self.end = end
        self.position = start
        self.asked = start
        self.next_token: re.Match[bytes] | None = None
        self.comment_from: int | None = None


class Block(NamedTuple):
    first: int  # the header's line (decorators are outside the block)
    signature_end: int  # the line on which the header's signature ends
    last: int
    start: int  # offset of the header line's start
    end: int  # offset just past the last line (its newline excluded)
    header: re.Match[bytes]  # groups: indentation, "def" or "class", name


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
