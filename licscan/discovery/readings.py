"""Readings of one file that several sources need, each made once per file: the needle searches, in one or two
passes, and what a source computes for others to reuse (a notebook's cells)."""

from __future__ import annotations

import functools
from typing import Any, Callable

from .needles import Match, NeedleSet, SearchedTogether


class FileReadings:
    """What the sources that want one file have read of it so far, for the next source to reuse.

    The needle sets of the sources that want the file (their `needles(settings)`) are searched by the passes
    that hold them (runner.py says which), each pass the first time one of its sets is asked for; a set in no
    pass is searched on its own.
    """

    def __init__(self, data: bytes, passes: tuple[SearchedTogether, ...] = ()) -> None:
        self.data = data
        self._passes = passes
        self._shares: list[list[list[Match]] | None] = [None] * len(passes)
        self._made: dict[str, tuple[bool, Any]] = {}

    def once(self, key: str, compute: Callable[[], Any]) -> Any:
        """compute()'s answer for this file, made by the first source that asks under `key`; an exception it
        raised is raised again to each source that asks. (The answer is shared: no source may change it.)"""
        if key not in self._made:
            try:
                self._made[key] = (True, compute())
            except Exception as exc:  # noqa: BLE001 - each source handles it as it would its own
                self._made[key] = (False, exc)
        made, value = self._made[key]
        if not made:
            raise value
        return value

    def find(self, needles: NeedleSet, data: bytes) -> list[Match]:
        """needles.find(data), from the shared pass when `data` is this file's bytes (not a decoded or cut copy)."""
        if data is not self.data:
            return needles.find(data)
        for turn, together in enumerate(self._passes):
            for number, member in enumerate(together.sets):
                if member is needles:
                    shares = self._shares[turn]
                    if shares is None:
                        shares = self._shares[turn] = together.find(data)
                    return shares[number]
        return needles.find(data)


@functools.lru_cache(maxsize=16)  # one per pass (runner.py); sets are compared by identity
def searched_together(sets: tuple[NeedleSet, ...]) -> SearchedTogether:
    """The sets searched in one pass."""
    return SearchedTogether(sets)


def made_once(readings: FileReadings | None, key: str, compute: Callable[[], Any]) -> Any:
    """compute(), through the file's shared readings when there are any."""
    return readings.once(key, compute) if readings is not None else compute()


def needle_matches(readings: FileReadings | None, needles: NeedleSet, data: bytes) -> list[Match]:
    """needles.find(data), through the file's shared readings when there are any."""
    return readings.find(needles, data) if readings is not None else needles.find(data)
