"""Models a project uses through a provider's API or a local runtime: OpenAI-compatible clients whose base_url is a
provider's host, provider SDKs, LiteLLM and OpenRouter model strings, Ollama tags, and transformers.js pipelines.

A model name counts only in its provider's context (an import of its SDK, its API host, a LiteLLM or OpenRouter
prefix, an Ollama call or command): `model="gpt"` in unrelated code names nothing.
"""

from __future__ import annotations

import ast
import bisect
import fnmatch
import functools
import re
import warnings
from collections import defaultdict, deque
from typing import Callable, Iterator

from licscan import lazy_re
from licscan.cards import is_repo_id
from licscan.errors import ParseError
from licscan.model import ApiVocabulary, DiscoverySettings, Location, ModelRef, Occurrence, RefKind, Skipped, hosted_key, runtime_key

from .commands import matches_at
from .interface import ProjectFile, SourceOutput
from .needles import Needle, NeedleSet
from .readings import needle_matches
from .notebooks import _at, read_notebook

SOURCE = "hosted-api"
UNRESOLVED = "unresolved-reference"
PREFIXED = "prefixed"  # a LiteLLM or OpenRouter string whose first part names the provider, not a Hub namespace
_PY = (".py",)
_NOTEBOOK = (".ipynb",)
_JS = (".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".mts", ".cts")
_SHELL = (".sh", ".bash", ".zsh", ".md", ".markdown", ".yaml", ".yml", ".ps1")
_SCRIPT_NAMES = frozenset({"dockerfile", "containerfile", "makefile", "justfile", "modelfile"})
_DOCS = (".md", ".markdown")
_SETTINGS_FILES = (".yaml", ".yml", ".sh", ".bash", ".zsh")
# A setting naming a checkpoint file (EMBEDDING_MODEL_CKPT_NAME="NV-Embed-QA-4.nemo") names a local file, not a model
# an API serves.
_WEIGHT_FILES = (".nemo", ".gguf", ".bin", ".safetensors", ".pt", ".pth", ".ckpt", ".onnx", ".engine", ".plan")
_BASE_URL_KEYWORDS = frozenset({"base_url", "api_base", "openai_api_base", "endpoint", "base_uri", "server_url"})
_MODEL_KEYWORDS = frozenset({"model", "model_name", "model_id", "engine", "llm_model", "chat_model", "embedding_model"})
_OLLAMA_CALLS = frozenset({"chat", "generate", "embed", "embeddings", "pull", "show", "create", "push"})
_HUB_PROVIDER_PREFIXES = frozenset({"huggingface", "together_ai", "together"})  # LiteLLM: prefix/org/name -> a Hub id
_RUNTIME_PREFIXES = frozenset({"ollama", "ollama_chat"})
_MAX_NAME = 120
_NAME = lazy_re.compile(r"^[A-Za-z0-9][\w.:/@-]*$")  # a model name as providers write them (no spaces, no URL scheme)
_OLLAMA_COMMAND = lazy_re.compile(r"\bollama[ \t]+(?:pull|run)[ \t]+([A-Za-z0-9][\w.:/-]*)")
# What a Python file must hold for the AST to be worth building: a model-naming key, parameter or constant given
# a literal (or a list of them), or a literal passed first to a call an Ollama client makes (the values are checked
# against the providers' model names before anything is parsed).
_PY_CANDIDATE = lazy_re.compile(
    r"""(?i)(?:model\w*|engine)['"]?[ \t]*(?::[ \t]*[\w.\[\], ]+)?[:=][ \t]*[\[(]?[ \t]*(['"])([A-Za-z0-9][\w.:/@-]{0,119})\1"""
    r"""|\b(?:chat|generate|pull|embed\w*|show|create|push)\([ \t]*(['"])([A-Za-z0-9][\w.:/@-]{0,119})\3""")
_OLLAMA_VARIABLE = lazy_re.compile(r"\bollama[ \t]+(?:pull|run)[ \t]+[\"']?(\$\{?[A-Za-z_]\w*\}?)")
_INDENTED_CODE = lazy_re.compile(r"(?:    |\t)")  # a Markdown indented code block's line
_OLLAMA_CREATE = lazy_re.compile(r"\bollama[ \t]+create[ \t]+([A-Za-z0-9][\w.:/-]*)")
_MODELFILE_FROM = lazy_re.compile(r"(?im)^[ \t]*FROM[ \t]+(\S+)")
_FENCE = lazy_re.compile(r"(?m)^[ \t]*(?:```|~~~)")
_JS_PIPELINE = lazy_re.compile(r"""\b(?:pipeline|from_pretrained)\([ \t]*(?:(['"`])[\w-]+\1[ \t]*,[ \t]*)?(['"`])([\w.-]+/[\w.-]+)\2""")
_JS_MODEL_CONSTANT = lazy_re.compile(r"""\b(?:const|let|var|static)[ \t]+\w*(?:model|MODEL)\w*[ \t]*=[ \t]*(['"`])([\w.-]+/[\w.-]+)\1""")
_JS_MODEL = lazy_re.compile(r"""\bmodel[ \t]*:[ \t]*(['"`])([\w.:/@-]{1,120})\1""")
_YAML_MODEL = lazy_re.compile(r"""(?m)^[ \t-]*(?:model|model_name|model_id)[ \t]*:[ \t]*(['"]?)([\w.:/@-]{1,160})\1[ \t]*(?:#.*)?$""")
# A key or variable given a value in a YAML, compose, env or shell file: `model_name: x`, `- LLM_MODEL=x`,
# `export MODEL="x"`, and a compose default `${MODEL:-x}` (the names are checked for 'model' afterwards).
_SETTING = lazy_re.compile(
    r"""(?m)^[ \t]*(?:-[ \t]+)?(?:export[ \t]+)?(['"]?)([A-Za-z_][\w.-]{0,80})\1[ \t]*[:=][ \t]*"""
    r"""(?:\$\{\w{1,80}:?[-=])?(['"]?)([A-Za-z0-9][\w.:/@-]{0,159})\3\}?[ \t]*(?:#.*)?\r?$""")
# A model name pinned to a version, 'owner/name:<64 hex digits>' (Replicate's form), anywhere in a text.
_VERSIONED = lazy_re.compile(r"(?<![\w./@:-])([a-z0-9][\w.-]{0,60}/[\w.-]{1,100}):([0-9a-f]{64})(?![\w-])")
# The pin alone, which every _VERSIONED match ends with. It opens with a literal, which re looks for fast; _VERSIONED
# opens with a lookbehind and a class, so re tries it at every character (2.7 ms on a 100 KB module, 0.04 ms this).
_VERSION_PIN = lazy_re.compile(r":[0-9a-f]{64}(?![\w-])")
# The keys of a config mapping whose value says which client or server runs its model (NeMo Agent toolkit's
# `_type: nim`, NVIDIA's RAG examples' `model_engine: nvidia-ai-endpoints`).
_ENGINE_KEYS = frozenset({"_type", "type", "engine", "model_engine", "llm_engine", "provider", "model_provider",
                          "api_type", "backend"})


def _triggers(vocabulary: ApiVocabulary) -> NeedleSet:
    """_trigger_set's answer, remembered for the vocabulary object last asked about: hashing a vocabulary (as
    lru_cache does on every call) costs 10 us, asked for every file."""
    if _LAST_TRIGGERS[0] is not vocabulary:
        _LAST_TRIGGERS[:] = [vocabulary, _trigger_set(vocabulary)]
    return _LAST_TRIGGERS[1]  # type: ignore[return-value]


_LAST_TRIGGERS: list[object] = [None, None]


@functools.lru_cache(maxsize=4)
def _trigger_set(vocabulary: ApiVocabulary) -> NeedleSet:
    """Words without which a file uses no hosted API or runtime, found in one pass: an API host, an import of a
    provider's SDK, a runtime, LiteLLM, OpenRouter, transformers.js. Most files are passed over on this alone."""
    return NeedleSet([Needle(re.escape(word), first_only=True) for word in _trigger_words(vocabulary)])


def may_use_an_api(data: bytes, vocabulary: ApiVocabulary) -> bool:
    """The trigger words tested one by one, with no engine to compile: for a handful of files (the pre-commit
    check), where compiling the one-pass search would cost more than reading them."""
    return any(word in data for word in _trigger_words(vocabulary))


@functools.lru_cache(maxsize=4)
def _trigger_words(vocabulary: ApiVocabulary) -> tuple[bytes, ...]:
    phrases = set()
    for package, _ in vocabulary.packages:
        phrases |= {f"import {package}", f"from {package}"}
        if "." in package:
            head, _, tail = package.rpartition(".")
            phrases.add(f"from {head} import {tail}")
    words = {"ollama", "litellm", "openrouter", "@huggingface/transformers", "@xenova/transformers",
             *(host for host, _ in vocabulary.hosts), *phrases, *(name for name, _ in vocabulary.key_variables),
             *_config_word_forms(vocabulary),
             # A pinned name ('owner/name:<version>') is read where the file names its provider as code does
             # (replicate.run(...), a 'replicate:' prefix in a string): a pattern of 64 hex digits in the one-pass
             # search would cost more to compile than the search itself, and the bare 'replicate.' or 'replicate:'
             # is common prose and code in ML libraries.
             *(form for key in vocabulary.versioned
               for form in (f"{key}.run(", f"'{key}:", f'"{key}:', f'\\"{key}:'))}
    # A word that contains another adds nothing (the shorter one is there too), and the one-pass engine wants none.
    minimal = sorted(word for word in words if not any(other != word and other in word for other in words))
    return tuple(word.encode() for word in minimal)


@functools.lru_cache(maxsize=4)
def _config_word_forms(vocabulary: ApiVocabulary) -> frozenset[str]:
    """A short config word as a value is written after a colon or an equals sign, or quoted (in a notebook's JSON,
    a double quote is escaped): the bare word ('nim') is too common a string to look for. A long one
    ('nvidia-ai-endpoints') is looked for as it is (fewer words for the one-pass search)."""
    return frozenset(form for word, _ in vocabulary.config_words
                     for form in ((word,) if len(word) >= 8 else
                                  (f": {word}", f"={word}", f'"{word}"', f"'{word}'", f'\\"{word}\\"')))


@functools.lru_cache(maxsize=4)
def _model_names(vocabulary: ApiVocabulary) -> re.Pattern[str]:
    """Every provider's model-name globs as one pattern (letter case aside)."""
    globs = sorted({glob for _, items in vocabulary.patterns for glob in items})
    return re.compile("|".join(fnmatch.translate(glob) for glob in globs) or "(?!)", re.IGNORECASE)


def _worth_parsing(text: str, vocabulary: ApiVocabulary) -> bool:
    """Whether any literal the Python reading could classify is there (a parse costs more than this search)."""
    lowered = text.lower()
    if "litellm" in lowered or "openrouter" in lowered or ("ollama" in lowered and _may_use_ollama(lowered)):
        return True
    if vocabulary.versioned and _VERSION_PIN.search(text) and _VERSIONED.search(text):
        return True
    if any(form in lowered for form in _config_word_forms(vocabulary)):
        return True  # a config class naming a provider's engine beside its model field's default
    names = _model_names(vocabulary)
    return any(names.match(match.group(2) or match.group(4)) for match in _py_candidates(text, lowered))


def _may_use_ollama(lowered: str) -> bool:
    """Whether a text that mentions ollama (`lowered`: in lower case) may use it the ways _python reads: a call on
    the `ollama` module (`ollama.chat(`), a name imported from a module whose name holds it (`from langchain_ollama
    import ChatOllama`: an import on the word's line, or a bracketed or continued import it stands in), or a command
    in a string (`"ollama pull gemma2"`). Names and messages that only mention it (`get_ollama_modelfile`, "ollama
    modelfile saved") leave nothing to find: a parse and a walk of the module spared (LLaMA-Factory's 100 KB
    template.py: 25 ms). Each stretch of the text is read a bounded number of times, however many mentions."""
    size = len(lowered)
    last_import = -1  # the last "import" before the mention read
    closed = -1  # an import whose statement is known to end before the mentions read so far
    searched_to = 0  # every "import" starting before this is known
    line_read = -1
    at = lowered.find("ollama")
    while at >= 0:
        if _OLLAMA_USE.match(lowered, at):
            return True
        line_start = lowered.rfind("\n", max(0, at - _OLLAMA_REACH), at) + 1
        line_end = lowered.find("\n", at, at + _OLLAMA_REACH)
        if (line_start == 0 and at > _OLLAMA_REACH) or (line_end < 0 and at + _OLLAMA_REACH < size):
            return True  # a very long line: the parse decides
        if line_start != line_read and "import" in lowered[line_start : line_end if line_end >= 0 else size]:
            return True
        line_read = line_start  # (a line of many mentions is looked at once)
        found = lowered.find("import", searched_to, line_start)
        while found >= 0:
            last_import = found
            found = lowered.find("import", last_import + 1, line_start)
        searched_to = max(searched_to, line_start - 5)  # (an "import" ending past it is found from there)
        if last_import >= 0 and last_import != closed:
            if _OPEN_BRACKET.match(lowered, last_import + 6) and lowered.find(")", last_import, at) < 0:
                return True  # a name of `from x import (...)`
            if _continued_to(lowered, last_import, line_start):
                return True  # a name of an import continued by backslashes
            closed = last_import  # (both stay false for later mentions: the bracket closed, the chain broke)
        at = lowered.find("ollama", at + 6)
    return False


def _continued_to(text: str, start: int, line_start: int) -> bool:
    """Whether every line from the one holding `start` up to the line starting at `line_start` ends with a backslash."""
    newline = text.find("\n", start, line_start)
    while newline >= 0:
        if not text.endswith("\\", 0, newline) and not text.endswith("\\\r", 0, newline):
            return False
        newline = text.find("\n", newline + 1, line_start)
    return True


_OLLAMA_REACH = 4096
_OPEN_BRACKET = lazy_re.compile(r"[ \t]*\(")
# `ollama.chat(` (blanks, a parenthesis or a line's continuation before the dot), or a command's words in a string
# (separated in the source by blanks, an escape, or the quotes of strings written side by side).
_OLLAMA_USE = lazy_re.compile(r"ollama[\s)\\]*\.|ollama[ \t\\'\"](?s:.{0,64}?)(?:pull|run)")


# Every match of _PY_CANDIDATE opens with one of these words (letter case aside).
_PY_CANDIDATE_WORDS = ("model", "engine", "chat", "generate", "pull", "embed", "show", "create", "push")
# The characters beyond ASCII that re's IGNORECASE matches to an ASCII letter: 'İ' and 'ı' (i), 'ſ' (s), the Kelvin
# sign (k). 'İ' is also the only character str.lower() turns into two, and the Kelvin sign the only one it turns
# into an ASCII letter. (tests/test_discovery_sources_work.py checks both over every character.)
_FOLDED_TO_ASCII = ("\u0130", "\u0131", "\u017f", "\u212a")


def _py_candidates(text: str, lowered: str) -> Iterator[re.Match[str]]:
    """What _PY_CANDIDATE.finditer(text) gives, tried only where its opening words stand (found in `lowered`, the
    text in lower case: for ASCII, letter for letter). re tried the case-blind alternation at every character: 0.17 s
    over the corpus's 204 Python files holding a trigger word, where the parse it spares costs about as much.

    A text beyond ASCII is read the same way unless it holds a character that re's case folding matches to an
    ASCII letter (_FOLDED_TO_ASCII); without those, str.lower() keeps every offset and lowers the opening words
    as re folds them (LLaMA-Factory's 100 KB template.py, with Chinese text: 8 ms by re alone, 0.5 ms so)."""
    if not text.isascii() and any(char in text for char in _FOLDED_TO_ASCII):
        return _PY_CANDIDATE.finditer(text)  # (case folding beyond ASCII: re's own reading)
    return matches_at(_PY_CANDIDATE, text, [at for word in _PY_CANDIDATE_WORDS for at in _occurrences(word, lowered)])


_NOTHING = SourceOutput()


class HostedApiSource:
    """Hosted-API models and runtime tags, as dependencies of their own kinds (and the Hub ids they name)."""

    name = SOURCE
    header_only = False

    def wants(self, relpath: str) -> bool:
        filename = relpath.rsplit("/", 1)[-1].lower()
        return (filename.endswith(_PY + _NOTEBOOK + _JS + _SHELL) or filename in _SCRIPT_NAMES or _is_modelfile(filename)
                or filename.startswith(("dockerfile.", "containerfile.")) or _is_env_file(filename))

    def needles(self, settings: DiscoverySettings) -> tuple[NeedleSet, ...]:
        return (_triggers(settings.api),)

    def scan(self, file: ProjectFile) -> SourceOutput:
        vocabulary = file.settings.api
        filename = file.relpath.rsplit("/", 1)[-1].lower()
        # Runtime tags, LiteLLM's Hub prefixes and transformers.js need no provider table; hosted APIs do. (Most
        # files hold no trigger word: asked first, and answered with one shared empty output.)
        if not (needle_matches(file.readings, _triggers(vocabulary), file.data) or _is_modelfile(filename)):
            return _NOTHING
        text = file.data.decode("utf-8", errors="replace")
        finds = _Finds(file.relpath, vocabulary)
        try:
            if filename.endswith(_NOTEBOOK):
                return _notebook(file, finds)
            if filename.endswith(_PY):
                if _worth_parsing(text, vocabulary):
                    _python(text, finds)
            elif filename.endswith(_JS):
                _javascript(text, finds)
            else:
                _commands(text, filename, finds)
        except SyntaxError as exc:
            return SourceOutput(occurrences=tuple(finds.found), skipped=(
                Skipped(file.relpath, "parse-error", f"{SOURCE}: {exc.msg} at line {exc.lineno}"),))
        except (RecursionError, MemoryError, ValueError) as exc:
            return SourceOutput(occurrences=tuple(finds.found), skipped=(
                Skipped(file.relpath, "parse-error", f"{SOURCE}: {type(exc).__name__}"),))
        return SourceOutput(occurrences=tuple(finds.found), skipped=tuple(finds.unresolved))


class _Finds:
    """Occurrences of one file, each value classified once by what it names."""

    def __init__(self, relpath: str, vocabulary: ApiVocabulary,
                 locate: Callable[[int], Location] | None = None) -> None:
        self.relpath = relpath
        self.vocabulary = vocabulary
        self.locate = locate or (lambda line: Location(relpath, line))
        self.prefixes = dict(vocabulary.prefixes)
        self.found: list[Occurrence] = []
        self.unresolved: list[Skipped] = []

    def run_time(self, line: int, text: str) -> None:
        """A runtime tag the project gives only when it runs (`ollama pull $MODEL`): listed, never dropped."""
        where = self.locate(line)
        cell = f"cell {where.cell}, " if where.cell is not None else ""
        self.unresolved.append(Skipped(where.path, UNRESOLVED, f"{cell}line {where.line}: {text[:120]} "
                                                               "(a runtime tag given at run time)"))

    def add(self, ref: ModelRef, line: int, text: str, via: str = "literal") -> None:
        self.found.append(Occurrence(ref, self.locate(line), SOURCE, text[:200], via))

    def hosted(self, provider: str, name: str, line: int, text: str, via: str = "literal") -> None:
        if _plausible(name):
            self.add(ModelRef(hosted_key(provider, name), kind=RefKind.HOSTED_API), line, text, via)

    def runtime(self, tag: str, line: int, text: str, runtime: str = "ollama", via: str = "literal") -> None:
        tag = tag.strip()
        if tag.lower().startswith(("hf.co/", "huggingface.co/")):
            return  # a Hub repo itself: the command source reads those links
        if _plausible(tag) and not tag.startswith(("/", ".")) and not tag.lower().endswith((".gguf", ".bin")):
            self.add(ModelRef(runtime_key(runtime, tag), kind=RefKind.RUNTIME), line, text, via)

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
            self.runtime(rest, line, value, via=PREFIXED)
            return True
        provider = self.prefixes.get(lowered)
        if provider is not None and "/" not in rest:
            self.hosted(provider, rest, line, value, via=PREFIXED)
            return True
        return False


def _plausible(name: str) -> bool:
    return 0 < len(name) <= _MAX_NAME and _NAME.match(name) is not None and "://" not in name


# -- Python ----------------------------------------------------------------------------------------------------------


def _parse(text: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes in the scanned project's strings
        return ast.parse(text)


def _python(text: str, finds: _Finds, *, imported_elsewhere: frozenset[str] = frozenset(), context: str = "",
            tree: ast.Module | None = None) -> None:
    """One module (or one notebook cell, with what the other cells import and name as `imported_elsewhere` and
    `context`). The tree is walked once: a walk costs more than the parse."""
    tree = tree if tree is not None else _parse(text)
    vocabulary = finds.vocabulary
    imported = set(imported_elsewhere)
    candidates: list[ast.AST] = []
    versioned = vocabulary.versioned if len(vocabulary.versioned) == 1 else ()
    engine_words = dict(vocabulary.config_words)
    engines: set[str] = set()
    other_base_url = False
    default_openai_client = False  # OpenAI() with no base_url: requests go to OpenAI's own API
    for node in _walk(tree):
        kind = type(node)
        if kind is ast.Import:
            imported.update(alias.name for alias in node.names)
        elif kind is ast.ImportFrom:
            if node.module and not node.level:
                imported.add(node.module)
                imported.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif kind is ast.keyword:
            other_base_url = other_base_url or (node.arg in _BASE_URL_KEYWORDS and _local_server(node.value, vocabulary))
        elif kind is ast.Assign:
            value_kind = type(node.value)
            if value_kind is ast.Constant and isinstance(node.value.value, str):
                candidates.append(node)
                # base_url = "http://localhost:5000/v1", then OpenAI(base_url=base_url)
                other_base_url = other_base_url or (_local_server(node.value, vocabulary) and any(
                    type(target) is ast.Name and target.id.lower() in _BASE_URL_KEYWORDS for target in node.targets))
            elif value_kind in _LISTING_VALUES:
                candidates.append(node)
        elif kind is ast.AnnAssign or kind is ast.Call or kind is ast.arguments or kind is ast.Dict:
            candidates.append(node)
            default_openai_client = default_openai_client or (kind is ast.Call and _default_openai_client(node))
        elif kind is ast.Constant and type(node.value) is str:
            if "ollama" in node.value:
                candidates.append(node)
            elif len(node.value) > 66 and versioned:  # replicate.run("owner/name:<version>")
                for match in _versioned(node.value):
                    finds.hosted(versioned[0], match.group(1), node.lineno, match.group(0))
            elif node.value in engine_words:  # model_engine = "nvidia-ai-endpoints": the file's models go there
                engines.add(engine_words[node.value])
    packages = dict(vocabulary.packages)
    # A package is a name's own dotted prefix (`google.genai` of `google.genai.types`): looked up, not tried in turn.
    sdk_providers = sorted({packages[prefix] for name in imported for prefix in _dotted_prefixes(name)
                            if prefix in packages})
    lowered, host_providers = _hosts_named(context or text, vocabulary)
    # The provider's API key variable or a config value naming its engine (model_engine = "nvidia-ai-endpoints"):
    # the file uses that API, asked last (after the hosts and SDKs a file names).
    named_providers = sorted({provider for name, provider in vocabulary.key_variables if name in (context or text)}
                             | engines)
    litellm = any(name == "litellm" or name.startswith("litellm.") for name in imported)
    openrouter = "openrouter.ai" in lowered
    ollama_names = {name for name in imported if "ollama" in name.lower()}

    # Names a provider's SDK gives the file (ChatTogether from langchain_together): calls of them are the API's.
    sdk_names = {name.rsplit(".", 1)[1] for name in imported
                 if any(prefix in packages for prefix in _dotted_prefixes(name)[:-1])}

    def classify(value: str, line: int, client_call: bool = False) -> None:
        _classify(value, line, finds, sdk_providers, host_providers, litellm, openrouter, other_base_url,
                  client_call, default_openai_client, named_providers)

    for node in candidates:
        if isinstance(node, ast.Call):
            if any(keyword.arg in _BASE_URL_KEYWORDS and _local_server(keyword.value, vocabulary)
                   for keyword in node.keywords):
                continue  # ChatOpenAI(base_url="http://localhost:8000/v1", model=...): a server of the project's own
            ollama_call = _is_ollama_call(node, ollama_names)
            values = [keyword.value for keyword in node.keywords if keyword.arg in _MODEL_KEYWORDS]
            if ollama_call and node.args and not values:
                values.append(node.args[0])
            client_call = _client_call(node, sdk_names)
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    if ollama_call:
                        finds.runtime(value.value, value.lineno, value.value)
                    else:
                        classify(value.value, value.lineno, client_call)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if not any(isinstance(target, ast.Name) and "model" in target.id.lower() for target in targets):
                continue
            # MODEL = "x"; models_to_try = ["x", "y"]; model_name: str = field(default="x")
            for value in _assigned_strings(node.value):
                classify(value.value, value.lineno)
        elif isinstance(node, ast.arguments):  # def ask(prompt, model="llama3-70b-8192"): a default that is used
            named = [*node.posonlyargs, *node.args][-len(node.defaults):] if node.defaults else []
            for arg, default in [*zip(named, node.defaults), *zip(node.kwonlyargs, node.kw_defaults)]:
                if arg.arg in _MODEL_KEYWORDS and isinstance(default, ast.Constant) and isinstance(default.value, str):
                    classify(default.value, default.lineno)
        elif isinstance(node, ast.Constant):
            for match in _OLLAMA_COMMAND.finditer(node.value):  # subprocess.run("ollama pull gemma2")
                finds.runtime(match.group(1), node.lineno, match.group(0))
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and key.value in _MODEL_KEYWORDS and isinstance(value, ast.Constant) \
                        and isinstance(value.value, str):
                    classify(value.value, value.lineno)


_LISTING_VALUES = (ast.List, ast.Tuple, ast.Set, ast.IfExp, ast.BoolOp, ast.Call)


def _assigned_strings(value: ast.AST | None) -> list[ast.Constant]:
    """The literal names a model-named variable or field is given: the value itself, the items of a list, tuple or
    set (through `a if c else [...]` and `a or [...]`), or a field's `default=` (dataclasses, pydantic, config
    classes); not the arguments of any other call."""
    if isinstance(value, ast.Constant):
        return [value] if isinstance(value.value, str) else []
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        return [item for item in value.elts if isinstance(item, ast.Constant) and isinstance(item.value, str)]
    if isinstance(value, ast.IfExp):
        return _assigned_strings(value.body) + _assigned_strings(value.orelse)
    if isinstance(value, ast.BoolOp):
        return [found for item in value.values for found in _assigned_strings(item)]
    if isinstance(value, ast.Call):
        return [found for keyword in value.keywords if keyword.arg == "default"
                for found in _assigned_strings(keyword.value) if isinstance(keyword.value, ast.Constant)]
    return []


def _dotted_prefixes(name: str) -> list[str]:
    """`a`, `a.b`, `a.b.c` for `a.b.c`: the names a module of that name is imported under or inside."""
    parts = name.split(".")
    return [".".join(parts[:count]) for count in range(1, len(parts) + 1)]


def _hosts_named(text: str, vocabulary: ApiVocabulary) -> tuple[str, list[str]]:
    """The text in lower case and the providers whose API hosts it names; remembered for the text last asked about
    (a notebook read cell by cell asks about the whole notebook for each cell)."""
    if _LAST_HOSTS[0] is not text or _LAST_HOSTS[1] is not vocabulary:
        lowered = text.lower()
        _LAST_HOSTS[:] = [text, vocabulary, (lowered, sorted({provider for host, provider in vocabulary.hosts
                                                              if host in lowered}))]
    return _LAST_HOSTS[2]  # type: ignore[return-value]


_LAST_HOSTS: list[object] = [None, None, None]


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in _walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _import_lines(lines: list[str]) -> set[str]:
    """The imports of a cell that does not parse, read line by line."""
    names: set[str] = set()
    for line in lines:
        if line.startswith(("import ", "from ")):
            try:
                names |= _imports(_parse(line))
            except (SyntaxError, ValueError):
                continue
    return names


def _local_server(value: ast.AST, vocabulary: ApiVocabulary) -> bool:
    if isinstance(value, ast.JoinedStr):  # f"http://localhost:{port}/v1"
        text = "".join(part.value for part in value.values if isinstance(part, ast.Constant) and isinstance(part.value, str))
    elif isinstance(value, ast.Constant) and isinstance(value.value, str):
        text = value.value
    else:
        return False
    lowered = text.lower()
    return "://" in lowered and not any(host in lowered for host, _ in vocabulary.hosts)


def _is_ollama_call(node: ast.Call, ollama_names: set[str]) -> bool:
    func = node.func
    if isinstance(func, ast.Attribute):
        if isinstance(func.value, ast.Name) and func.value.id == "ollama" and func.attr in _OLLAMA_CALLS:
            return True
        maker = func.value.func if isinstance(func.value, ast.Call) else None  # AsyncClient().chat(model=...)
        if isinstance(maker, ast.Name) and f"ollama.{maker.id}" in ollama_names and func.attr in _OLLAMA_CALLS:
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


_CLIENT_METHODS = frozenset({"create", "acreate", "stream"})  # client.chat.completions.create(model=...)


_OPENAI_CLIENTS = frozenset({"OpenAI", "AsyncOpenAI", "ChatOpenAI", "OpenAIEmbeddings"})


def _called_name(call: ast.Call) -> str | None:
    """The last name of what a call calls: `create` for client.chat.completions.create(...), `OpenAI` for OpenAI()."""
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _default_openai_client(call: ast.Call) -> bool:
    """`OpenAI()` (or LangChain's ChatOpenAI) made without a base_url (nor **options that may hold one): a client
    of OpenAI's own API."""
    return _called_name(call) in _OPENAI_CLIENTS and not any(
        keyword.arg in _BASE_URL_KEYWORDS or keyword.arg is None for keyword in call.keywords)


def _client_call(call: ast.Call, sdk_names: set[str]) -> bool:
    """Whether a call is a request to an API client (a `create` method) or a class of a provider's SDK."""
    name = _called_name(call)
    return name is not None and (name in _CLIENT_METHODS or name in sdk_names)


def _classify(value: str, line: int, finds: _Finds, sdk_providers: list[str], host_providers: list[str],
              litellm: bool, openrouter: bool, other_base_url: bool, client_call: bool = False,
              default_openai_client: bool = False, named_providers: list[str] | None = None) -> None:
    """`client_call`: the value is a model argument of a request to an API client; a provider whose names are Hub
    ids is credited only there (the same id in a reranker's or an embedder's keyword is a model loaded locally).
    `default_openai_client`: the file also makes an OpenAI client with no base_url, so a name no named host's
    provider serves but OpenAI does goes to OpenAI's own API. `named_providers`: providers the file names by their
    API key variable or engine value, asked when no host or SDK gave the name a provider."""
    vocabulary = finds.vocabulary
    if (litellm or openrouter) and "/" in value and finds.prefixed(value, line, openrouter=openrouter and not litellm):
        return
    if host_providers and other_base_url:
        return  # clients of a provider and of some other server side by side: which one a name goes to is unsaid
    # The name must be one a named host's provider serves: a file that names an API host also names other things
    # ('llama' as a backend choice, a tokenizer, a local file).
    serving = [provider for provider in host_providers if _serves(vocabulary, provider, value)
               and (client_call or provider not in vocabulary.hub_named)]
    if len(serving) == 1:
        finds.hosted(serving[0], value, line, value)
        return
    # The OpenAI SDK pointed at another server does not say who serves the model, unless the file also has a
    # default client and no other named server's provider serves the name (gpt-4o beside a Together client).
    sdk_pointed_elsewhere = (other_base_url or any(item != "openai" for item in host_providers)) and not (
        default_openai_client and not other_base_url
        and not any(_serves(vocabulary, item, value) for item in host_providers))
    for provider in sdk_providers:
        if provider == "openai" and sdk_pointed_elsewhere:
            continue
        if _serves(vocabulary, provider, value) and (client_call or provider not in vocabulary.hub_named):
            finds.hosted(provider, value, line, value)
            return
    if named_providers and not other_base_url:
        serving = [provider for provider in named_providers if _serves(vocabulary, provider, value)
                   and (client_call or provider not in vocabulary.hub_named)]
        if len(serving) == 1:
            finds.hosted(serving[0], value, line, value)


def _serves(vocabulary: ApiVocabulary, provider: str, value: str) -> bool:
    """A provider's model name; one with a slash only in lower case ('meta/llama3-70b-instruct' at NVIDIA), since
    a Hub id loaded beside the API client is usually written with its capitals ('BAAI/bge-small-en-v1.5'), unless
    the provider names its models by their Hub ids (DeepInfra's 'meta-llama/Meta-Llama-3.1-405B-Instruct')."""
    return vocabulary.models_of(provider, value) and (
        "/" not in value or value == value.lower() or provider in vocabulary.hub_named)


# -- Jupyter notebooks ----------------------------------------------------------------------------------------------


def _notebook(file: ProjectFile, finds: _Finds) -> SourceOutput:
    """Code cells as one module (an import in one cell serves the next), `!` and %%bash lines as commands."""
    try:
        notebook, joined = read_notebook(file)  # (read once for the notebook source and this one)
    except (UnicodeDecodeError, ParseError):
        return SourceOutput()  # the notebook source reports what is wrong with the file
    whole = "\n".join(joined.python)
    if not _worth_parsing(whole, finds.vocabulary):
        whole = ""  # nothing the code cells could name: their commands and prose are still read
    try:
        tree = _parse(whole)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        # Cell by cell, each with what the readable cells import: a client made in one cell is used in the next.
        imported: set[str] = set()
        for _, lines, _ in joined.cells:
            try:
                imported |= _imports(_parse("\n".join(lines)))
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                imported |= _import_lines(lines)  # the cell is broken further down: its imports still count
        for _, lines, places in joined.cells:
            finds.locate = lambda line, places=places: _at(file.relpath, places, line)
            text = "\n".join(lines)
            try:
                _python(text, finds, imported_elsewhere=frozenset(imported), context=whole)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue  # a cell that is not Python: the notebook source reports it
    else:
        finds.locate = lambda line: _at(file.relpath, joined.python_places, line)
        _python(whole, finds, tree=tree)
    for _, lines, places in joined.cells:  # a JavaScript cell (%%writefile app.js) using transformers.js
        text = "\n".join(lines)
        if "@huggingface/transformers" in text or "@xenova/transformers" in text:
            finds.locate = lambda line, places=places: _at(file.relpath, places, line)
            _javascript(text, finds)
    if joined.shell:
        finds.locate = lambda line: _at(file.relpath, joined.shell_places, line)
        _commands("\n".join(joined.shell), "notebook.sh", finds)
    for number, text in _markdown_cells(notebook):  # a command in a code block of the notebook's prose
        if "ollama" in text:
            finds.locate = lambda line, number=number: Location(file.relpath, line, number)
            _commands(text, "cell.md", finds)
    return SourceOutput(occurrences=tuple(finds.found), skipped=tuple(finds.unresolved))


def _markdown_cells(notebook: object) -> list[tuple[int, str]]:
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    found = []
    for number, cell in enumerate(cells if isinstance(cells, list) else [], start=1):
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            source = cell.get("source")
            text = "".join(item for item in source if isinstance(item, str)) if isinstance(source, list) else source
            if isinstance(text, str):
                found.append((number, text))
    return found


# -- JavaScript and TypeScript ---------------------------------------------------------------------------------------


def _javascript(text: str, finds: _Finds) -> None:
    starts = _line_starts(text)
    if "@huggingface/transformers" in text or "@xenova/transformers" in text:
        for match in _JS_PIPELINE.finditer(text):
            finds.hub(match.group(3), _line(starts, match.start(3)), match.group(3))
        for match in _JS_MODEL_CONSTANT.finditer(text):  # const model_id = "org/name"; pipeline(task, model_id)
            finds.hub(match.group(2), _line(starts, match.start(2)), match.group(2))
    if len(finds.vocabulary.versioned) == 1:  # replicate.run("owner/name:<version>")
        _versioned_names(text, starts, finds)
    lowered = text.lower()
    host_providers = sorted({provider for host, provider in finds.vocabulary.hosts if host in lowered})
    if len(host_providers) == 1:
        for match in _JS_MODEL.finditer(text):
            finds.hosted(host_providers[0], match.group(2), _line(starts, match.start(2)), match.group(2))


# -- shell, Dockerfiles, Makefiles, Modelfiles, Markdown commands, YAML configs ---------------------------------------


def _commands(text: str, filename: str, finds: _Finds) -> None:
    starts = _line_starts(text)
    fences = [match.start() for match in _FENCE.finditer(text)] if filename.endswith(_DOCS) else None
    # `ollama create me -f Modelfile` then `ollama run me`: a model the project builds itself, not a library tag.
    # The three ollama patterns open with the word at a word boundary, which keeps re from looking for it fast: they
    # are tried where str.find puts it (a 60 KB README that mentions ollama: 1 ms per pattern so, 0.05 ms this way).
    mentions = _occurrences("ollama", text)
    created = {match.group(1).lower() for match in matches_at(_OLLAMA_CREATE, text, mentions)}
    for match in matches_at(_OLLAMA_COMMAND, text, mentions):
        if match.group(1).lower() in created or match.group(1).lower().split(":")[0] in created:
            continue
        line_start = text.rfind("\n", 0, match.start()) + 1
        if text[line_start:match.start()].lstrip().startswith("#") and fences is None:
            continue  # a comment in a script is not a use
        if fences is not None and bisect.bisect_right(fences, line_start) % 2 == 0 \
                and not _INDENTED_CODE.match(text, line_start):
            continue  # prose: only a Markdown code block (fenced or indented) is a command
        finds.runtime(match.group(1), _line(starts, match.start(1)), match.group(0))
    for match in matches_at(_OLLAMA_VARIABLE, text, mentions):
        line_start = text.rfind("\n", 0, match.start()) + 1
        if not text[line_start:match.start()].lstrip().startswith("#") or fences is not None:
            finds.run_time(_line(starts, match.start(1)), match.group(0))
    if _is_modelfile(filename):
        for match in _MODELFILE_FROM.finditer(text):
            finds.runtime(match.group(1), _line(starts, match.start(1)), match.group(0))
    prefixed: set[int] = set()
    if filename.endswith((".yaml", ".yml")) and "litellm" in text.lower():
        for match in _YAML_MODEL.finditer(text):
            value, line = match.group(2), _line(starts, match.start(2))
            if "/" in value and finds.prefixed(value, line):
                prefixed.add(line)
    if filename.endswith(_SETTINGS_FILES) or _is_env_file(filename):
        _settings(text, filename.endswith((".yaml", ".yml")), starts, finds, prefixed)
    if len(finds.vocabulary.versioned) == 1 and fences is None:  # (in prose, a pinned name is documentation)
        _versioned_names(text, starts, finds)


def _settings(text: str, yaml: bool, starts: list[int], finds: _Finds, skip: set[int]) -> None:
    """Model names a YAML, compose, env or shell file sets (any key or variable whose name says 'model', a compose
    default `${MODEL:-x}` too) where the file uses one provider's API: it names the API's host or sets its API
    key variable (NVIDIA_API_KEY beside LLM_MODEL), or, in YAML, the name's own mapping selects the provider's
    engine (`_type: nim`) and names no other server."""
    vocabulary = finds.vocabulary
    lowered, host_providers = _hosts_named(text, vocabulary)
    named = set(host_providers) | {provider for name, provider in vocabulary.key_variables if name in text}
    engines = yaml and any(form in lowered for form in _config_word_forms(vocabulary))
    if not (named or engines):
        return
    blocks = _mapping_blocks(text, starts) if engines else None
    words = dict(vocabulary.config_words)
    engine_of: dict[int, set[str]] = defaultdict(set)
    other_server: set[int] = set()
    models: list[tuple[int, str, int]] = []  # (block, name, line)
    for match in _SETTING.finditer(text):
        key, value = match.group(2).lower(), match.group(4)
        line = _line(starts, match.start(4))
        block = blocks[line - 1] if blocks is not None else -1
        if key in _ENGINE_KEYS and value.lower() in words:
            engine_of[block].add(words[value.lower()])
        elif key in _BASE_URL_KEYWORDS or key.endswith(("base_url", "api_base")):
            if "://" in value and not any(host in value.lower() for host, _ in vocabulary.hosts):
                other_server.add(block)  # a server of the project's own (a self-hosted NIM at localhost:8000)
        elif "model" in key and line not in skip and not value.lower().endswith(_WEIGHT_FILES):
            models.append((block, value, line))
    for block, value, line in models:
        if block in other_server and block != -1:
            continue
        candidates = named | (engine_of.get(block, set()) if block != -1 else set())
        serving = [provider for provider in sorted(candidates) if _serves(vocabulary, provider, value)]
        if len(serving) == 1:
            finds.hosted(serving[0], value, line, value)


def _mapping_blocks(text: str, starts: list[int]) -> list[int]:
    """For each line of a YAML text, a number shared by the keys of one mapping (siblings at the same indent
    under the same parent; a list item `- ` opens a mapping of its own); -1 for blank and comment lines. One pass
    with a stack of the open mappings' indents."""
    numbers: list[int] = []
    stack: list[tuple[int, int]] = []  # (indent, mapping number)
    count = 0
    for index, start in enumerate(starts):
        end = starts[index + 1] - 1 if index + 1 < len(starts) else len(text)
        line = text[start:end]
        content = line.lstrip(" ")
        if not content.strip() or content.startswith("#"):
            numbers.append(-1)
            continue
        indent = len(line) - len(content)
        if content.startswith("- ") or content.rstrip() == "-":
            rest = content[1:]
            indent += 1 + len(rest) - len(rest.lstrip(" "))
            while stack and stack[-1][0] >= indent:
                stack.pop()
        else:
            while stack and stack[-1][0] > indent:
                stack.pop()
        if not stack or stack[-1][0] != indent:
            count += 1
            stack.append((indent, count))
        numbers.append(stack[-1][1])
    return numbers


def _versioned_names(text: str, starts: list[int], finds: _Finds) -> None:
    """'owner/name:<64 hex digits>': a model of the one provider whose names carry version pins (Replicate)."""
    provider = finds.vocabulary.versioned[0]
    for match in _versioned(text):
        finds.hosted(provider, match.group(1), _line(starts, match.start(1)), match.group(0))


def _occurrences(word: str, text: str) -> list[int]:
    """Where `word` stands in `text`, in order."""
    found = []
    at = text.find(word)
    while at >= 0:
        found.append(at)
        at = text.find(word, at + 1)
    return found


def _versioned(text: str) -> Iterator[re.Match[str]]:
    """_VERSIONED's matches in a text, looked for only where the text holds a pin (most texts hold none)."""
    return _VERSIONED.finditer(text) if _VERSION_PIN.search(text) else iter(())


def _is_env_file(filename: str) -> bool:
    """`.env`, `.env.example`, `model_config.env`: KEY=value lines a compose file or a shell reads."""
    return filename.startswith(".env") or filename.endswith(".env") or ".env." in filename


def _is_modelfile(filename: str) -> bool:
    # (asked of every file holding no trigger word: the one search first)
    return "modelfile" in filename and (
        filename == "modelfile" or filename.startswith("modelfile.") or filename.endswith(".modelfile"))


def _line_starts(text: str) -> list[int]:
    return [0, *map(re.Match.end, _NEWLINE.finditer(text))]  # (not a Python step per character, nor a frame per line)


_NEWLINE = lazy_re.compile("\n")


def _walk(tree: ast.AST) -> Iterator[ast.AST]:
    """What ast.walk yields, in its order (breadth first), without its generator per node: the walk of every node
    of a module cost more than its parse (the corpus's 464 modules and notebooks: 1.9 s of 6.9 under a profiler)."""
    todo = deque([tree])
    while todo:
        node = todo.popleft()
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                todo.extend(item for item in value if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST):
                todo.append(value)
        yield node


def _line(starts: list[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset)

