"""A stand-in for a compiled pattern that counts what it is given to read: the discovery work tests hold a shortcut
to reading only near its words (work counted, never timed)."""

from __future__ import annotations


class CountedReads:
    """A compiled pattern that adds up the characters it is given to read: the rest of the text for a search or a
    finditer, a short stretch for a match at a known start (a name, its "=" and its value)."""

    def __init__(self, pattern) -> None:
        self.pattern, self.read = pattern, 0

    def finditer(self, text, pos=0, endpos=None):
        self.read += len(text) - pos
        return self.pattern.finditer(text, pos, len(text) if endpos is None else endpos)

    def search(self, text, pos=0, endpos=None):
        self.read += len(text) - pos
        return self.pattern.search(text, pos, len(text) if endpos is None else endpos)

    def match(self, text, pos=0, endpos=None):
        self.read += 64
        return self.pattern.match(text, pos, len(text) if endpos is None else endpos)
