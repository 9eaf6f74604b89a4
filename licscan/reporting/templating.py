"""The one place Jinja2 is used: load a template from the reports/ directory with the right escaping."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

import jinja2


class _CompiledTemplates(jinja2.BytecodeCache):
    """Each template compiled once per process and kept in memory.

    Compiling the HTML report's template costs far more than rendering it (and the Markdown summary may be
    rendered several times, halved until it fits). Jinja checks each entry against its source's checksum, so
    an edited template is compiled again. Filters stay per render: the compiled code looks them up in the
    environment it runs in.
    """

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with self._lock:
            compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        compiled = bucket.bytecode_to_string()
        with self._lock:
            self._compiled[bucket.key] = compiled


# One cache per set of options, since the options (escaping, whitespace) change the compiled code.
_COMPILED = {True: _CompiledTemplates(), False: _CompiledTemplates()}


def render_template(templates: Path, name: str, *, html: bool, filters: dict[str, Callable[[Any], str]] | None = None,
                    **context: Any) -> str:
    """Render reports/<name>. HTML autoescapes every value (card text is untrusted); Markdown templates
    must pass card-derived values through their own escaping filters instead."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=html,
        lstrip_blocks=html,
        keep_trailing_newline=True,
        bytecode_cache=_COMPILED[html],
    )
    environment.filters.update(filters or {})
    return environment.get_template(name).render(**context)
