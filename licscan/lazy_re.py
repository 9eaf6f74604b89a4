"""Regular expressions compiled on first use, so that importing a module of many patterns costs none of them."""

from __future__ import annotations

import contextlib
import re
import sys
from typing import Any, AnyStr, Iterator

# Why: discovery's modules hold some 120 module-level patterns, and compiling them all at import took about a
# sixth of a pre-commit `licscan check` of a few Python files, which uses a handful.
#
# A pattern made here is a stand-in until first used. Then it compiles, and the module-level name it was
# assigned to is given the compiled pattern itself, so the hot path (a function reading the global) calls a
# plain re.Pattern: a stand-in's method costs ~50 ns more per call, about 9 ms over the discovery benchmark's
# 170,000 calls. A reference taken before that (a name imported into another module, a tuple built at import)
# keeps the stand-in, which from then on hands out the compiled pattern's bound methods.
#
# Because the name changes its value, code must not compare a pattern by identity (`pattern is _X`) with a
# value read earlier: a pattern compared that way stays a plain re.compile.
_METHODS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split", "scanner")

_pending: list["LazyPattern"] = []


class LazyPattern:
    """A stand-in for `re.compile(pattern, flags)` that compiles on first use. `pattern` is known at once;
    anything else (a method, `flags`, `groups`, `groupindex`) compiles it."""

    def __init__(self, pattern: Any, flags: int, namespace: dict[str, Any]) -> None:
        self.pattern = pattern
        self._flags = flags
        self._namespace = namespace

    def __getattr__(self, name: str) -> Any:
        # Reached only for what the instance does not hold yet: once compiled, the methods are found directly.
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.compiled(), name)

    def compiled(self) -> "re.Pattern[Any]":
        """The compiled pattern, compiled now if it is not yet (and put in place of the stand-in's name)."""
        found = self.__dict__.get("_compiled")
        if found is None:
            found = re.compile(self.pattern, self._flags)
            for name in _METHODS:
                setattr(self, name, getattr(found, name))
            self._compiled = found
            namespace = self._namespace
            for key in [key for key, value in namespace.items() if value is self]:
                namespace[key] = found
        return found

    def __repr__(self) -> str:
        return f"lazy_re.compile({self.pattern!r}, {self._flags})"


def compile(pattern: AnyStr, flags: int = 0) -> "re.Pattern[AnyStr]":  # noqa: A001 - re.compile's name, on purpose
    """re.compile(pattern, flags), compiled the first time it is used. For a module-level name only."""
    lazy = LazyPattern(pattern, flags, sys._getframe(1).f_globals)
    _pending.append(lazy)
    return lazy  # type: ignore[return-value] - it answers every call a compiled pattern answers


def compile_pending() -> int:
    """Compile every pattern made so far that is not compiled yet; returns how many were. For a process about to
    fork helpers, which would otherwise each compile again, after the fork, the patterns they use."""
    count = 0
    while _pending:
        lazy = _pending.pop()
        if "_compiled" not in lazy.__dict__:
            lazy.compiled()
            count += 1
    return count


@contextlib.contextmanager
def compiled_on_use(package: str) -> Iterator[None]:
    """While it lasts, a re.compile made by the modules of `package` (a third-party library being imported) gives a
    stand-in that compiles on first use, and is not one compile_pending() compiles: for a library that compiles
    patterns at import its caller never uses. Other modules' calls compile at once. Only while no other thread runs
    (re.compile is replaced for the whole process meanwhile); otherwise everything compiles as usual."""
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        yield
        return
    compile_now = re.compile
    prefix = package + "."

    def deferred(pattern: Any, flags: int = 0) -> Any:
        namespace = sys._getframe(1).f_globals
        name = namespace.get("__name__") or ""
        if name != package and not name.startswith(prefix):
            return compile_now(pattern, flags)
        return LazyPattern(pattern, flags, namespace)

    re.compile = deferred  # type: ignore[assignment]
    try:
        yield
    finally:
        re.compile = compile_now
