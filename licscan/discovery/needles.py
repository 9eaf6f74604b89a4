"""Many byte patterns found in one pass over a file: with hyperscan where it is installed and works, else with re.

Both engines give the same answer (tests/test_discovery_needles.py holds them to it): every match of each
pattern as (pattern number, start, end), sorted; a pattern that asks only whether it occurs is reported once,
as (number, 0, 0). Patterns must mean the same to both: literals, classes, groups and alternatives (none a
prefix of another, none overlapping itself, as re reports one match where hyperscan reports each end).

Small jobs (a pre-commit check of a few files) never load hyperscan: importing it and compiling the patterns
cost more than the re passes over a few megabytes. Past that much data, or once a set's re passes have taken as
long as loading the one-pass engine would, the one-pass engine takes over.
"""

from __future__ import annotations

import re
import time
from typing import Iterator, NamedTuple

# Bytes searched with re before the one-pass engine is loaded; it saves ~5 ms per 1 MB of Python. re makes a pass
# per needle: a set of more than _RE_NEEDLES needles counts each byte once per _RE_NEEDLES of them (a set of
# 121 words cost 0.1 s over its first 2 MB with re, where loading hyperscan and compiling it cost 0.01 s).
ONE_PASS_AFTER_BYTES = 2_000_000
_RE_NEEDLES = 16
# Seconds of re passes of one set after which the one-pass engine is loaded, whatever the bytes count says. The
# count above cannot know a pattern's cost: an alternation of a dozen words followed by classes takes re 10 ms per
# MB (the command source's assignment needle), a set of 180 words 90 ms per MB; importing hyperscan in a running
# licscan costs ~5 ms, compiling a set 0.2 ms (one pattern) to 11 ms (180). Over the six sdists of the discovery
# benchmark, sets spent 0.12 s in re before the bytes count moved them; measured, they spend about 0.03 s. (Either
# engine gives the same matches, so the clock decides only how fast they are found.)
ONE_PASS_AFTER_SECONDS = 0.004


class Needle(NamedTuple):
    pattern: bytes
    first_only: bool = False  # only whether it occurs matters: reported once, as (number, 0, 0)
    needs: int | None = None  # reported only where the (earlier, first-only) needle of this number occurs
    # What re searches for instead, where it would backtrack on `pattern` (hyperscan, an automaton, never does): the
    # same matches, with `pattern`'s start as the start of the first group. (`word[a-z]*;` tries every word of a
    # long run of letters, each to the run's end: the square of the run's length.)
    for_re: bytes | None = None


Match = tuple[int, int, int]  # (needle number, start, end)


class NeedleSet:
    """A fixed list of needles, searched for together."""

    def __init__(self, needles: "list[Needle] | tuple[Needle, ...]", engine: str = "auto") -> None:
        """engine: "auto" (re for the first ONE_PASS_AFTER_BYTES, then hyperscan if it works), "re" or
        "hyperscan" (raises ImportError when it cannot be used)."""
        self.needles = tuple(needles)
        # re's patterns are compiled on first use: a large job's sets use the one-pass engine from the start.
        self._compiled: list[re.Pattern[bytes]] | None = None
        self._first_only = frozenset(number for number, needle in enumerate(self.needles) if needle.first_only)
        for number, needle in enumerate(self.needles):
            if needle.needs is not None and not (needle.needs < number and needle.needs in self._first_only):
                raise ValueError(f"needle {number} needs {needle.needs}, which is not an earlier first-only needle")
        self._needs = [needle.needs for needle in self.needles]
        self._conditional = any(number is not None for number in self._needs)
        self._engine = engine
        self._searched = 0
        self._re_seconds = 0.0
        self._weight = max(1, len(self.needles) // _RE_NEEDLES)
        self._database: object | None = None
        # The pass (SearchedTogether) this set is also searched in, and its place there: see find().
        self._pass: "tuple[SearchedTogether, int] | None" = None
        if engine == "hyperscan":
            self._database = _one_pass_database(self.needles)
            if self._database is None:
                raise ImportError("hyperscan is not installed or does not run on this processor")

    @property
    def engine(self) -> str:
        return "hyperscan" if self._database is not None or self._in_loaded_pass() else "re"

    def _in_loaded_pass(self) -> bool:
        return self._pass is not None and self._pass[0].one_pass_loaded()

    def use_one_pass(self) -> None:
        """Load the one-pass engine now, whatever has been searched (a large job, known to be one before it starts:
        helper processes forked after this inherit the compiled engine instead of each starting with re)."""
        if self._database is None and self._engine == "auto":
            self._engine = "settled"
            self._database = _one_pass_database(self.needles)

    def find(self, data: bytes) -> list[Match]:
        """Every match in `data`, ordered by start, then end, then needle."""
        if self._database is None and self._in_loaded_pass():
            # Searched alone (text that is not a whole file: a notebook's decoded code), a set of a pass whose
            # one-pass engine is loaded takes its share of the pass's matches: the same answer, and no database of
            # its own to compile in each process (the Python source's set 5 ms, the hosted-API words 3 ms).
            together, share = self._pass  # type: ignore[misc]
            return together.find(data)[share]
        if self._database is None and self._engine == "auto":
            self._searched += len(data) * self._weight
            if self._searched > ONE_PASS_AFTER_BYTES or self._re_seconds > ONE_PASS_AFTER_SECONDS:
                self._engine = "settled"  # one attempt: a failure leaves re in charge
                self._database = _one_pass_database(self.needles)
        if self._database is not None:
            found: list[Match] = []
            try:
                self._database.scan(data, match_event_handler=_collect, context=found)  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001 - hyperscan.error (say, its scratch space in use): re from now on
                self._database, self._engine = None, "settled"
                return self._find_with_re(data)
            if self._first_only:
                # Compiled without start tracking, a single-match needle's offsets mean nothing.
                first_only = self._first_only
                found = [(0, 0, item[2]) if item[2] in first_only else item for item in found]
            if self._conditional:
                present = {item[2] for item in found if item[2] in self._first_only}
                needs = self._needs
                found = [item for item in found if needs[item[2]] is None or needs[item[2]] in present]
            found.sort()
            return [(number, start, end) for start, end, number in found]
        if self._engine != "auto":
            return self._find_with_re(data)
        # This thread's CPU time, not the clock's: on a busy machine a pass the scheduler interrupts took the clock
        # 5 ms over a few small files, and a pre-commit check of 50 loaded the one-pass engine in one run of three.
        started = time.thread_time()
        matches = self._find_with_re(data)
        self._re_seconds += time.thread_time() - started
        return matches

    def _find_with_re(self, data: bytes) -> list[Match]:
        found: list[tuple[int, int, int]] = []
        present: set[int] = set()
        if self._compiled is None:
            # A plain word is searched with bytes.find: compiling a set's few hundred words as regexes cost more
            # than its re passes before the one-pass engine took over (~20 ms per process over the sdists).
            self._compiled = [_literal(needle.pattern) or re.compile(needle.for_re or needle.pattern)
                              for needle in self.needles]
        for number, (needle, pattern) in enumerate(zip(self.needles, self._compiled)):
            if needle.needs is not None and needle.needs not in present:
                continue
            if isinstance(pattern, bytes):
                if needle.first_only:
                    if pattern in data:
                        found.append((0, 0, number))
                        present.add(number)
                else:
                    found.extend((start, start + len(pattern), number) for start in _occurrences(pattern, data))
            elif needle.first_only:
                if pattern.search(data) is not None:
                    found.append((0, 0, number))
                    present.add(number)
            elif needle.for_re is not None:
                found.extend((match.start(1), match.end(), number) for match in pattern.finditer(data))
            else:
                found.extend((match.start(), match.end(), number) for match in pattern.finditer(data))
        found.sort()
        return [(number, start, end) for start, end, number in found]


def _literal(pattern: bytes) -> bytes | None:
    """The bytes a pattern matches when it is a plain word as re.escape writes one (no class, group or
    repetition), else None."""
    text = bytearray()
    escaped = False
    for byte in pattern:
        if escaped or byte != 0x5C:  # (a backslash escapes the byte after it)
            text.append(byte)
            escaped = False
        else:
            escaped = True
    literal = bytes(text)
    return literal if literal and not escaped and re.escape(literal) == pattern else None


def _occurrences(literal: bytes, data: bytes) -> Iterator[int]:
    """Where the literal starts in data, left to right and not overlapping (as re.finditer finds it)."""
    start = data.find(literal)
    while start >= 0:
        yield start
        start = data.find(literal, start + len(literal))


def _collect(number: int, start: int, end: int, flags: int, found: list[tuple[int, int, int]]) -> None:
    found.append((start, end, number))


def _one_pass_database(needles: tuple[Needle, ...]) -> object | None:
    """The needles compiled for hyperscan, or None when it is not installed or cannot run here."""
    try:
        import hyperscan
    except ImportError:
        return None
    try:
        database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        database.compile(
            expressions=[needle.pattern for needle in needles],
            ids=list(range(len(needles))),
            flags=[
                hyperscan.HS_FLAG_SINGLEMATCH if needle.first_only else hyperscan.HS_FLAG_SOM_LEFTMOST
                for needle in needles
            ],
        )
    except Exception:  # noqa: BLE001 - hyperscan.error, or an instruction set it needs missing: use re
        return None
    return database


class SearchedTogether:
    """Several needle sets searched in one pass over a file, each set's matches as its own find() gives them.

    Why: sources that read the same file (the Python source and the hosted-API source both search every .py
    file) each paid a pass; and hyperscan matches a few dozen patterns with a faster literal engine than a
    dozen (over the 100 MB of Python of the discovery benchmark: both sets together 0.06 s, against 0.13 s
    and 0.04 s apart).
    """

    def __init__(self, sets: "tuple[NeedleSet, ...]") -> None:
        self.sets = sets
        needles: list[Needle] = []
        self._offsets: list[int] = []
        self._owners: list[int] = []
        for owner, needle_set in enumerate(sets):
            offset = len(needles)
            self._offsets.append(offset)
            # (A conditional needle's `needs` points into its own set: moved by the set's offset.)
            needles.extend(needle if needle.needs is None else needle._replace(needs=needle.needs + offset)
                           for needle in needle_set.needles)
            self._owners.extend(owner for _ in needle_set.needles)
            if needle_set._engine == "auto":  # (a set given an engine keeps it)
                needle_set._pass = (self, owner)
        self._union = NeedleSet(needles)

    def use_one_pass(self) -> None:
        self._union.use_one_pass()

    def one_pass_loaded(self) -> bool:
        return self._union._database is not None

    def find(self, data: bytes) -> list[list[Match]]:
        """Per set, in the order given, what that set's find(data) returns."""
        shares: list[list[Match]] = [[] for _ in self.sets]
        owners, offsets = self._owners, self._offsets
        for number, start, end in self._union.find(data):
            owner = owners[number]
            shares[owner].append((number - offsets[owner], start, end))
        return shares
