"""licscan's exception tree; each error knows the exit code it maps to (see cli.py)."""

from __future__ import annotations

import re


class LicscanError(Exception):
    """Base of every error licscan reports to the user as a message, not a traceback."""

    exit_code = 2


class ConfigError(LicscanError):
    """The user's configuration or command line cannot be used."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        where = ", ".join(part for part in (file, f"key {key!r}" if key else None) if part)
        super().__init__(f"{where}: {message}" if where else message)
        self.file = file
        self.key = key


class RuleError(LicscanError):
    """A rules/ file is malformed; names the file and the rule or key."""

    def __init__(self, message: str, *, file: str, rule: str | None = None) -> None:
        super().__init__(f"{file}{f' [{rule}]' if rule else ''}: {message}")
        self.file = file
        self.rule = rule


class ParseError(LicscanError):
    """A document (YAML, JSON, TOML, front matter) could not be parsed safely."""


class CacheError(LicscanError):
    """The metadata cache or history database cannot be used."""

    exit_code = 3


class ResolutionError(LicscanError):
    """Resolution could not run at all (as opposed to one model being unresolved)."""

    exit_code = 3


_TOKEN_PATTERN = re.compile(r"hf_[A-Za-z0-9]{8,}")


def redact(text: str, *secrets: str | None) -> str:
    """Remove Hub tokens from text that may reach a report, a log or a message."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return _TOKEN_PATTERN.sub("hf_***", text)


def detach_stdout() -> None:
    """After the reader of standard output has gone (`licscan ... | head`): point it at the null device, so
    the rest of the run and the exit's flush write nowhere instead of raising BrokenPipeError again."""
    import os
    import sys

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
