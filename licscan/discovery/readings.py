"""Readings of one file that several sources need, each made once per file: the needle searches, together, and
what a source computes for others to reuse (a notebook's cells)."""

from __future__ import annotations

import functools
from typing import Any, Callable

from .needles import Match, NeedleSet, SearchedTogether


class FileReadings:
    """What the sources that want one file have read of it so far, for the next source to reuse.

    The needle sets of every source that wants the file (their `needles(settings)`) are searched in one pass the
    first time any of them is asked for; a set not among them is searched on its own.
    """

    def __init__(self, data: bytes, together: SearchedTogether | None = None) -> None:
        self.data = data
        self._together = together
        self._shares: list[list[Match]] | None = None
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
        together = self._together
        if together is None or data is not self.data:
            return needles.find(data)
        for number, member in enumerate(together.sets):
            if member is needles:
                if self._shares is None:
                    self._shares = together.find(data)
                return self._shares[number]
        return needles.find(data)


@functools.lru_cache(maxsize=64)  # one per combination of sources (by file kind); sets are compared by identity
def searched_together(sets: tuple[NeedleSet, ...]) -> SearchedTogether | None:
    """The sets searched in one pass, or None when there are fewer than two."""
    return SearchedTogether(sets) if len(sets) > 1 else None


def made_once(readings: FileReadings | None, key: str, compute: Callable[[], Any]) -> Any:
    """compute(), through the file's shared readings when there are any."""
    return readings.once(key, compute) if readings is not None else compute()


def needle_matches(readings: FileReadings | None, needles: NeedleSet, data: bytes) -> list[Match]:
    """needles.find(data), through the file's shared readings when there are any."""
    return readings.find(needles, data) if readings is not None else needles.find(data)
