"""Hub URLs (https://huggingface.co/ID, hf.co/ID) in the project's other text files: code in other languages, configs."""

from __future__ import annotations

from licscan.model import Location, Occurrence

from .common import LineIndex, clip, hub_urls
from .interface import ProjectFile, SourceOutput

# Text files no other source reads. Python, notebooks, scripts, configs and docs have sources of their own;
# prose (Markdown, reST, plain text, HTML) is left out on purpose: a link there points at a model, it does
# not use it, and a library's docs hold thousands of such links.
_SUFFIXES = (
    ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".vue", ".svelte", ".go", ".rs", ".java", ".kt", ".kts", ".scala",
    ".rb", ".php", ".cs", ".swift", ".c", ".cc", ".cpp", ".h", ".hpp", ".m", ".r", ".jl", ".lua", ".pl", ".dart",
    ".ex", ".exs", ".sql", ".properties", ".xml", ".jinja", ".j2", ".tpl", ".tmpl", ".tf", ".hcl", ".nix", ".gradle",
    ".cmake",
)
_HOSTS = (b"ugging", b"hf.co/")


class HubLinkSource:
    """Hub model and dataset URLs in source files of other languages and templates."""

    name = "hub-url"
    header_only = False

    def wants(self, relpath: str) -> bool:
        return relpath.rsplit("/", 1)[-1].lower().endswith(_SUFFIXES)

    def scan(self, file: ProjectFile) -> SourceOutput:
        data = file.data
        if not any(host in data for host in _HOSTS):
            return SourceOutput()
        lines = LineIndex(data)
        return SourceOutput(
            occurrences=tuple(
                Occurrence(ref, Location(file.relpath, lines.line(start)), self.name,
                           clip(data[start:end].decode("utf-8", errors="replace")), "url")
                for ref, start, end in hub_urls(data)
            )
        )
