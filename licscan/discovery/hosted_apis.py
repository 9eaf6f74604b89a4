"""Models a project uses through a provider's API or a local runtime: OpenAI-compatible clients whose base_url is a
provider's host, provider SDKs, LiteLLM and OpenRouter model strings, Ollama tags, and transformers.js pipelines.

A model name counts only in its provider's context (an import of its SDK, its API host, a LiteLLM or OpenRouter
prefix, an Ollama call or command): `model="gpt"` in unrelated code names nothing.
"""

from __future__ import annotations

import ast
import bisect
import functools
import re
import warnings
from licscan.cards import is_repo_id
from licscan.model import ApiVocabulary, Location, ModelRef, Occurrence, RefKind, Skipped, hosted_key, runtime_key

from .interface import ProjectFile, SourceOutput

SOURCE = "hosted-api"
_PY = (".py",)
_JS = (".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".mts", ".cts")
_SHELL = (".sh", ".bash", ".zsh", ".md", ".markdown", ".yaml", ".yml", ".ps1")
_SCRIPT_NAMES = frozenset({"dockerfile", "containerfile", "makefile", "justfile", "modelfile"})
_DOCS = (".md", ".markdown")
_MODEL_KEYWORDS = frozenset({"model", "model_name", "model_id", "engine", "llm_model", "chat_model", "embedding_model"})
_OLLAMA_CALLS = frozenset({"chat", "generate", "embed", "embeddings", "pull", "show", "create", "push"})
_HUB_PROVIDER_PREFIXES = frozenset({"huggingface", "together_ai", "together"})  # LiteLLM: prefix/org/name -> a Hub id
_RUNTIME_PREFIXES = frozenset({"ollama", "ollama_chat"})
_MAX_NAME = 120
_NAME = re.compile(r"^[A-Za-z0-9][\w.:/@-]*$")  # a model name as providers write them (no spaces, no URL scheme)
_OLLAMA_COMMAND = re.compile(r"\bollama[ \t]+(?:pull|run)[ \t]+([A-Za-z0-9][\w.:/-]*)")
_MODELFILE_FROM = re.compile(r"(?im)^[ \t]*FROM[ \t]+(\S+)")
_FENCE = re.compile(r"(?m)^[ \t]*(?:```|~~~)")
_JS_PIPELINE = re.compile(r"""\b(?:pipeline|from_pretrained)\([ \t]*(?:(['"`])[\w-]+\1[ \t]*,[ \t]*)?(['"`])([\w.-]+/[\w.-]+)\2""")
_JS_MODEL = re.compile(r"""\bmodel[ \t]*:[ \t]*(['"`])([\w.:/@-]{1,120})\1""")
_YAML_MODEL = re.compile(r"""(?m)^[ \t-]*model[ \t]*:[ \t]*(['"]?)([\w.:/@-]{1,160})\1[ \t]*(?:#.*)?$""")


@functools.lru_cache(maxsize=4)
def _triggers(vocabulary: ApiVocabulary) -> re.Pattern[bytes]:
    """Words without which a file uses no hosted API or runtime: most files are passed over on this alone."""
    words = {"ollama", "litellm", "openrouter", "transformers", *(host for host, _ in vocabulary.hosts),
             *(package.split(".")[-1] for package, _ in vocabulary.packages)}
    return re.compile("|".join(re.escape(word) for word in sorted(words)).encode())


class HostedApiSource:
    """Hosted-API models and runtime tags, as dependencies of their own kinds (and the Hub ids they name)."""

    name = SOURCE
    header_only = False

    def wants(self, relpath: str) -> bool:
        filename = relpath.rsplit("/", 1)[-1].lower()
        return (filename.endswith(_PY + _JS + _SHELL) or filename in _SCRIPT_NAMES or _is_modelfile(filename)
                or filename.startswith(("dockerfile.", "containerfile.")))

    def scan(self, file: ProjectFile) -> SourceOutput:
        vocabulary = file.settings.api
        filename = file.relpath.rsplit("/", 1)[-1].lower()
        if vocabulary.empty or not (_is_modelfile(filename) or _triggers(vocabulary).search(file.data)):
            return SourceOutput()
        text = file.data.decode("utf-8", errors="replace")
        finds = _Finds(file.relpath, vocabulary)
        try:
            if filename.endswith(_PY):
                _python(text, finds)
            elif filename.endswith(_JS):
                _javascript(text, finds)
            else:
                _commands(text, filename, finds)
        except SyntaxError as exc:
            return SourceOutput(skipped=(Skipped(file.relpath, "parse-error", f"{SOURCE}: {exc.msg} at line {exc.lineno}"),))
        except (RecursionError, MemoryError, ValueError) as exc:
            return SourceOutput(skipped=(Skipped(file.relpath, "parse-error", f"{SOURCE}: {type(exc).__name__}"),))
        return SourceOutput(occurrences=tuple(finds.found))


class _Finds:
    """Occurrences of one file, each value classified once by what it names."""

    def __init__(self, relpath: str, vocabulary: ApiVocabulary) -> None:
        self.relpath = relpath
        self.vocabulary = vocabulary
        self.prefixes = dict(vocabulary.prefixes)
        self.found: list[Occurrence] = []

    def add(self, ref: ModelRef, line: int, text: str) -> None:
        self.found.append(Occurrence(ref, Location(self.relpath, line), SOURCE, text[:200], "literal"))

    def hosted(self, provider: str, name: str, line: int, text: str) -> None:
        if _plausible(name):
            self.add(ModelRef(hosted_key(provider, name), kind=RefKind.HOSTED_API), line, text)

    def runtime(self, tag: str, line: int, text: str, runtime: str = "ollama") -> None:
        tag = tag.strip()
        if tag.lower().startswith(("hf.co/", "huggingface.co/")):
            return  # a Hub repo itself: the command source reads those links
        if _plausible(tag) and not tag.startswith(("/", ".")) and not tag.lower().endswith((".gguf", ".bin")):
            self.add(ModelRef(runtime_key(runtime, tag), kind=RefKind.RUNTIME), line, text)

    def hub(self, repo_id: str, line: int, text: str) -> None:
        if is_repo_id(repo_id):
            self.add(ModelRef(repo_id), line, text)

    def prefixed(self, value: str, line: int, *, openrouter: bool = False) -> bool:
        """A LiteLLM (or OpenRouter) model string: 'deepseek/deepseek-chat', 'huggingface/org/name',
        'together_ai/org/name', 'ollama/llama3.1', 'openrouter/anthropic/claude-...'. Whether it was one."""
        prefix, _, rest = value.partition("/")
        lowered = prefix.lower()
        if not rest:
            return False
        if lowered == "openrouter":
            return self.prefixed(rest, line, openrouter=True)
        if lowered in _HUB_PROVIDER_PREFIXES and not openrouter:
            self.hub(rest, line, value)
            return True
        if lowered in _RUNTIME_PREFIXES and not openrouter:
            self.runtime(rest, line, value)
            return True
        provider = self.prefixes.get(lowered)
        if provider is not None and "/" not in rest:
            self.hosted(provider, rest, line, value)
            return True
        return False


def _plausible(name: str) -> bool:
    return 0 < len(name) <= _MAX_NAME and _NAME.match(name) is not None and "://" not in name


# -- Python ----------------------------------------------------------------------------------------------------------


def _python(text: str, finds: _Finds) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes in the scanned project's strings
        tree = ast.parse(text)
    vocabulary = finds.vocabulary
    imported = _imports(tree)
    packages = dict(vocabulary.packages)
    sdk_providers = sorted({provider for name in imported for package, provider in packages.items()
                            if name == package or name.startswith(package + ".")})
    lowered = text.lower()
    host_providers = sorted({provider for host, provider in vocabulary.hosts if host in lowered})
    litellm = any(name == "litellm" or name.startswith("litellm.") for name in imported)
    openrouter = "openrouter.ai" in lowered
    ollama_names = {name for name in imported if "ollama" in name.lower()}
    other_base_url = _other_base_url(tree, vocabulary)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            ollama_call = _is_ollama_call(node, ollama_names)
            values = [(keyword.value, keyword.arg) for keyword in node.keywords if keyword.arg in _MODEL_KEYWORDS]
            if ollama_call and node.args and not values:
                values.append((node.args[0], "model"))
            for value, _ in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    if ollama_call:
                        finds.runtime(value.value, value.lineno, value.value)
                    else:
                        _classify(value.value, value.lineno, finds, sdk_providers, host_providers, litellm, openrouter,
                                  other_base_url)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(target, ast.Name) and "model" in target.id.lower() for target in targets):
                _classify(node.value.value, node.value.lineno, finds, sdk_providers, host_providers, litellm,
                          openrouter, other_base_url)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and key.value in _MODEL_KEYWORDS and isinstance(value, ast.Constant) \
                        and isinstance(value.value, str):
                    _classify(value.value, value.lineno, finds, sdk_providers, host_providers, litellm, openrouter,
                              other_base_url)


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _other_base_url(tree: ast.AST, vocabulary: ApiVocabulary) -> bool:
    """Whether a client in the file is pointed at a server that is not a known provider (a local vLLM, a proxy)."""
    hosts = [host for host, _ in vocabulary.hosts]
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in ("base_url", "api_base", "openai_api_base", "endpoint"):
            value = node.value
            if not (isinstance(value, ast.Constant) and isinstance(value.value, str)
                    and any(host in value.value.lower() for host in hosts)):
                return True
    return False


def _is_ollama_call(node: ast.Call, ollama_names: set[str]) -> bool:
    func = node.func
    if isinstance(func, ast.Attribute):
        if isinstance(func.value, ast.Name) and func.value.id == "ollama" and func.attr in _OLLAMA_CALLS:
            return True
        name = func.attr
    elif isinstance(func, ast.Name):
        name = func.id
        if any(imported.endswith("." + name) and imported.startswith("ollama.") for imported in ollama_names) \
                and name in _OLLAMA_CALLS:
            return True
    else:
        return False
    return "ollama" in name.lower() and bool(ollama_names)


def _classify(value: str, line: int, finds: _Finds, sdk_providers: list[str], host_providers: list[str],
              litellm: bool, openrouter: bool, other_base_url: bool) -> None:
    vocabulary = finds.vocabulary
    if (litellm or openrouter) and "/" in value and finds.prefixed(value, line, openrouter=openrouter and not litellm):
        return
    if host_providers:
        serving = [provider for provider in host_providers if vocabulary.models_of(provider, value)]
        if len(host_providers) == 1 and "/" not in value:
            finds.hosted(host_providers[0], value, line, value)
        elif len(serving) == 1:
            finds.hosted(serving[0], value, line, value)
        return
    if other_base_url:
        return  # an OpenAI-compatible client of some other server: the SDK does not say who serves the model
    for provider in sdk_providers:
        if vocabulary.models_of(provider, value):
            finds.hosted(provider, value, line, value)
            return


# -- JavaScript and TypeScript ---------------------------------------------------------------------------------------


def _javascript(text: str, finds: _Finds) -> None:
    starts = _line_starts(text)
    if "@huggingface/transformers" in text or "@xenova/transformers" in text:
        for match in _JS_PIPELINE.finditer(text):
            finds.hub(match.group(3), _line(starts, match.start(3)), match.group(3))
    lowered = text.lower()
    host_providers = sorted({provider for host, provider in finds.vocabulary.hosts if host in lowered})
    if len(host_providers) == 1:
        for match in _JS_MODEL.finditer(text):
            finds.hosted(host_providers[0], match.group(2), _line(starts, match.start(2)), match.group(2))


# -- shell, Dockerfiles, Makefiles, Modelfiles, Markdown commands, YAML configs ---------------------------------------


def _commands(text: str, filename: str, finds: _Finds) -> None:
    starts = _line_starts(text)
    fences = [match.start() for match in _FENCE.finditer(text)] if filename.endswith(_DOCS) else None
    for match in _OLLAMA_COMMAND.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        if text[line_start:match.start()].lstrip().startswith("#") and fences is None:
            continue  # a comment in a script is not a use
        if fences is not None and bisect.bisect_right(fences, line_start) % 2 == 0:
            continue  # prose: only a Markdown code block is a command
        finds.runtime(match.group(1), _line(starts, match.start(1)), match.group(0))
    if _is_modelfile(filename):
        for match in _MODELFILE_FROM.finditer(text):
            finds.runtime(match.group(1), _line(starts, match.start(1)), match.group(0))
    if filename.endswith((".yaml", ".yml")) and "litellm" in text.lower():
        for match in _YAML_MODEL.finditer(text):
            if "/" in match.group(2):
                finds.prefixed(match.group(2), _line(starts, match.start(2)))


def _is_modelfile(filename: str) -> bool:
    return filename == "modelfile" or filename.startswith("modelfile.") or filename.endswith(".modelfile")


def _line_starts(text: str) -> list[int]:
    return [0, *(index + 1 for index, char in enumerate(text) if char == "\n")]


def _line(starts: list[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset)

