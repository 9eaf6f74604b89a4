"""The one place Jinja2 is used: load a template from the reports/ directory with the right escaping."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import jinja2


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
    )
    environment.filters.update(filters or {})
    return environment.get_template(name).render(**context)
