"""Commands that fetch or serve models: shell scripts, Dockerfiles, Makefiles, CI workflows, docker-compose, Modelfiles, docs."""

from __future__ import annotations

import bisect
import re
import shlex
from typing import Any, Iterator

from licscan import lazy_re
from licscan.model import DiscoverySettings, Location, ModelRef, Occurrence, RefKind, Skipped

from .common import INVALID_ID, LineIndex, clip, hub_id, hub_urls, rejected_id
from .interface import ProjectFile, SourceOutput
from .needles import Needle, NeedleSet
from .readings import FileReadings, needle_matches

COMMAND, URL, VARIABLE, ENV_DEFAULT = "command", "url", "variable", "env-default"
UNRESOLVED = "unresolved-reference"

# (Slurm batch scripts, Helm templates that run `hf download`, and env example files are shell text too.)
_SHELL_SUFFIXES = (".sh", ".bash", ".zsh", ".fish", ".ps1", ".bat", ".cmd", ".mk", ".dockerfile", ".env", ".modelfile",
                   ".sbatch", ".slurm", ".tpl", ".env.example", ".env.sample", ".env.template")
_CONFIG_SUFFIXES = (".yaml", ".yml", ".toml", ".json", ".jsonc", ".cfg", ".ini", ".conf")
_DOC_SUFFIXES = (".md", ".markdown", ".rst", ".txt", ".adoc")
_SCRIPT_NAMES = frozenset(
    {"dockerfile", "containerfile", "makefile", "gnumakefile", "justfile", "procfile", "modelfile", "jenkinsfile",
     "vagrantfile", ".env"}
)
# Files a package manager or a model folder writes: no commands in them, and lock files can be large.
_NOT_SCRIPTS = frozenset(
    {"package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "composer.lock", "tokenizer.json", "vocab.json",
     "tokenizer_config.json", "special_tokens_map.json", "config.json", "adapter_config.json", "added_tokens.json"}
)

# The cheap test: a file without any of these words holds no command this source reads.
_NEEDLES = (b"download", b"clone", b"model", b"MODEL", b"-hf", b"serve", b"ugging", b"hf.co", b"Model", b"pretrain",
            b"dataset", b"DATASET", b"data")

# `huggingface-cli download [options] ID [files]`, `hf download ...`: found by the literal "download" (fast),
# then the word before it is checked.
_DOWNLOAD = lazy_re.compile(rb"download[ \t]+([^\n;&|#]*)")
_DOWNLOADER = lazy_re.compile(rb"(?:huggingface-cli|(?<![\w.-])hf)[ \t]+\Z")
# `git clone https://huggingface.co/ID`, `git lfs clone ...`, `git clone git@hf.co:ID`
_CLONE = lazy_re.compile(rb"git[ \t]+(?:lfs[ \t]+)?clone\b([^\n;&|]*)")
_SSH_REMOTE = lazy_re.compile(rb"git@(?:hf\.co|huggingface\.co):((?:datasets/)?[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*)")
# Server and tool flags that take a Hub id: vLLM, TGI, TEI, SGLang, llama.cpp (-hf org/name:quant), mlx_lm.
_FLAG_NAMES = (
    rb"--model(?:[-_](?:id|name|path|repo|name[-_]or[-_]path))?|--tokenizer(?:[-_]name)?|--hf[-_]repo|-hf|"
    rb"--draft[-_]model|--speculative[-_]model|--base[-_]model|--adapter[-_]name[-_]or[-_]path|--lora[-_]modules"
)
# The value follows a blank or "=", or, in JSON/YAML argument lists, the next list item. The pattern starts
# with its literal "-" (found fast); the lookbehind then checks the flag starts a word. (Compiled at import, as
# _ENV: both are compared by identity below, which a lazy_re pattern's change of value would upset.)
_FLAG = re.compile(
    rb"-(?<![\w-]-)(" + _FLAG_NAMES.replace(b"--", b"-").replace(b"|-hf|", b"|hf|") + rb")[\"']?"
    rb"(?:[ \t]*=[ \t]*|[ \t]+|[ \t]*,[ \t]*|[ \t]*\n[ \t]*-[ \t]+)[\"']?([^\s\"',\]\)}]+)"
)
_FLAG_WORDS = (b"-model", b"-tokenizer", b"-hf", b"-draft", b"-speculative", b"-base", b"-adapter", b"-lora")
# Any flag or KEY=VALUE whose name holds one of these words takes a model (or, for the dataset words, a
# dataset): `--reward_pretrain ID`, `--dataset 'ID#500' ID`, `actor_rollout_ref.model.path=ID`,
# `EMBEDDING_MODEL_ID=ID`. Precision comes from the value: a Hub-shaped id, not a path or a variable.
_NAMING_WORDS = (b"model", b"Model", b"MODEL", b"tokenizer", b"TOKENIZER", b"pretrain", b"dataset", b"DATASET", b"data", b"DATA")
_NAME_WORD = lazy_re.compile(rb"(?i)(model|tokenizer|pretrain)|(dataset|data)")
# Keys of `key=value` arguments that name a model though no naming word is in them (lm-eval's model_args).
_ARGUMENT_KEYS = frozenset({"peft", "adapter", "lora", "base"})
_ARGUMENT_KEY = lazy_re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,64}")  # (not a URL with a query: `...?download=true`)
# Flags and keys of what a run writes or caches (`--output_model_dir`, `--cached_dataset`, `--push_to_hub_model_id`).
_WRITTEN = lazy_re.compile(rb"(?i)output|save|push|upload|export|cache")
_NAMING_WORDS_PATTERN = rb"(?:model|Model|MODEL|tokenizer|Tokenizer|TOKENIZER|pretrain|PRETRAIN|data|Data|DATA)"
_FLAG_TOKEN = lazy_re.compile(
    rb"-(?<![\w$./-]-)(-?(?=[A-Za-z])[A-Za-z0-9_.-]*?" + _NAMING_WORDS_PATTERN + rb"[A-Za-z0-9_.-]*)"
    rb"(?:[ \t]*=[ \t]*|[ \t]+)(?=[\"'$A-Za-z0-9])"
)
_ASSIGNMENT_TOKEN = lazy_re.compile(
    _NAMING_WORDS_PATTERN + rb"([A-Za-z0-9_.-]*)[ \t]*[?:+]?=[ \t]*(?=[\"'$A-Za-z0-9])"
)


def _named_key(ending: bytes) -> Needle:
    """The needle for a key holding a naming word up to `ending` (which opens with no key character), from the key's
    first naming word (the one-pass search reports the leftmost start of each match). For re, the same matches
    without trying each naming word of a long run of key characters to its end: the run is looked at once, from
    its first character, then its first naming word found."""
    key = rb"[A-Za-z0-9_.-]"
    return Needle(_NAMING_WORDS_PATTERN + key + b"*" + ending,
                  for_re=b"(?<!" + key + b")(?=" + key + b"++" + ending + b")" + key + b"*?(" + _NAMING_WORDS_PATTERN
                  + b")" + key + b"*+" + ending)


# Where the assignments start, in one pass (to the "=": _ASSIGNMENT_TOKEN reads the value there).
_ASSIGNMENT_STARTS = NeedleSet([_named_key(rb"[ \t]*[?:+]?=")])
# A quoted key holding a naming word, with a quoted value (_QUOTED_KEY_OPENING, where the key's quote opens): found
# in one pass from the key's first naming word to the value's quote, then checked by re at the key's quote
# (_key_opening). The one-pass search took the whole pattern, but its bounded repeats after the opening quote cost
# hyperscan 11 ms to compile. (The quotes may be escaped: a JSON object inside a double-quoted shell string.)
_QUOTED_KEY_OPENING = lazy_re.compile(
    rb"[\"'][A-Za-z0-9_.-]{0,64}" + _NAMING_WORDS_PATTERN + rb"[A-Za-z0-9_.-]{0,64}\\?[\"'][ \t]*:[ \t]*\\?[\"']"
)
_QUOTED_KEY_STARTS = NeedleSet([_named_key(rb"\\?[\"'][ \t]*:[ \t]*\\?[\"']")])
_QUOTED_KEY = lazy_re.compile(rb"""["']([A-Za-z0-9_.-]{1,140})\\?["'][ \t]*:[ \t]*\\?(?=["'])""")
_OUTPUT_LINE = lazy_re.compile(rb"[ \t]*[\[{\"]")
_TOKEN_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_QUOTES = frozenset(b"\"'")
_NOT_BEFORE_NAME = frozenset(b"$/{\\")
_MAX_NAME = 96
_WORD = lazy_re.compile(rb"""[ \t]*(?:"([^"\n]*)"|'([^'\n]*)'|([^\s"'\\|;&)`]+))""")
# Shell variables: NAME=value (or export NAME=value) at a line start; $NAME, ${NAME} and ${NAME:-default} uses.
_SHELL_ASSIGNMENT = lazy_re.compile(rb"(?m)^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=")
_SHELL_USE = lazy_re.compile(r"^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-=]([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))$")
_COMMENT_LINE = lazy_re.compile(rb"[ \t]*(?:#|//|REM[ \t]|::)")
_CONTINUATION = lazy_re.compile(rb"[ \t]*\\\r?\n")
_MAX_VALUES = 64  # words read after one flag (a dataset flag takes a list)
_ENV_WORDS = (b"MODEL", b"REPO_ID", b"TOKENIZER")
_DOCKER_WORDS = (b"ENV", b"ARG")
# Tools whose subcommands take a model as their first positional argument: `xtuner convert merge ID ADAPTER OUT`,
# `xtuner chat ID`, `tune download ID` (torchtune), `litgpt download ID`.
_POSITIONAL_MODEL = {
    "xtuner": (("chat",), ("convert", "merge")),
    "tune": (("download",),),
    "litgpt": (("download",), ("chat",), ("finetune",), ("finetune_lora",), ("generate",), ("serve",), ("evaluate",)),
}
_TOOL_WORDS = tuple(name.encode() for name in _POSITIONAL_MODEL)
_TOOL_COMMAND = lazy_re.compile(rb"(?<![\w./-])(xtuner|tune|litgpt)[ \t]+([^\n;&|#]*)")
# Which of the words that decide what to search for a file holds, found in one pass (needles.py).
_WORDS = tuple(dict.fromkeys((*_NEEDLES, *_FLAG_WORDS, *_ENV_WORDS, *_DOCKER_WORDS, b"vllm", *_NAMING_WORDS,
                              *_TOOL_WORDS)))
# (A tool's name is found at every place it stands, which _tool_commands tries; every other word only once.)
_PRESENCE = NeedleSet([Needle(re.escape(word), first_only=word not in _TOOL_WORDS) for word in _WORDS])
_VLLM_SERVE = lazy_re.compile(rb"vllm[ \t]+serve[ \t]+[\"']?([^\s\"';]+)")
# MODEL_ID=org/name in shell, .env, Dockerfile ENV/ARG, compose environment lists, Makefile (?=, :=).
_ENV_NAME = rb"(?:[A-Z][A-Z0-9_]*_)?(?:MODEL|MODEL_ID|MODEL_NAME|MODEL_REPO|MODEL_PATH|REPO_ID|TOKENIZER|TOKENIZER_NAME)"
_ENV = re.compile(rb"(?<![A-Za-z0-9_])(" + _ENV_NAME + rb")[ \t]*[?:+]?=[ \t]*[\"']?([^\s\"';]+)")
# Dockerfile's older form: ENV MODEL_ID org/name
_DOCKER_ENV = lazy_re.compile(rb"(?m)^[ \t]*(?:ENV|ARG)[ \t]+(" + _ENV_NAME + rb")[ \t]+[\"']?([^\s\"'=]+)")
_DOWNLOAD_OPTIONS_WITH_VALUE = frozenset(
    {"--repo-type", "--revision", "--include", "--exclude", "--local-dir", "--cache-dir", "--token", "--max-workers",
     "--local-dir-use-symlinks", "--format"}
)
_QUANT_SUFFIX = lazy_re.compile(r":[A-Za-z0-9_.-]+$")


def _filename(relpath: str) -> str:
    return relpath.rsplit("/", 1)[-1].lower()


def is_doc(relpath: str) -> bool:
    """Prose: commands in it count (they tell the reader to fetch a model), bare links do not."""
    return _filename(relpath).endswith(_DOC_SUFFIXES)


class CommandSource:
    """`huggingface-cli download ID`, `hf download ID`, `git clone https://huggingface.co/ID`, `vllm serve ID`,
    `--model ID`, `MODEL_ID=ID`, and Hub URLs (Ollama's `FROM hf.co/...`) in scripts and configs."""

    name = "command"
    header_only = False

    def wants(self, relpath: str) -> bool:
        filename = _filename(relpath)
        if filename in _NOT_SCRIPTS or filename.endswith((".index.json", "-lock.json", "-lock.yaml")):
            return False
        if filename in _SCRIPT_NAMES or filename.startswith((".env.", "env.", "dockerfile.", "containerfile.", "modelfile.")):
            return True
        if filename.endswith(("dockerfile", "makefile")):
            return True
        return filename.endswith(_SHELL_SUFFIXES + _CONFIG_SUFFIXES + _DOC_SUFFIXES)

    def needles(self, settings: DiscoverySettings) -> tuple[NeedleSet, ...]:
        # (The assignments' and quoted keys' starts too: searched alone, each set spent its first 2 MB in re, in
        # every process, before loading its own one-pass engine.)
        return (_PRESENCE, _ASSIGNMENT_STARTS, _QUOTED_KEY_STARTS)

    def scan(self, file: ProjectFile) -> SourceOutput:
        data = file.data
        present = _words_in(data, file.readings)
        if not present.intersection(_NEEDLES) and not present.intersection(_TOOL_WORDS):
            return SourceOutput()
        unresolved: list[Skipped] = []
        found = list(commands_in(data, file.relpath, present=present, unresolved=unresolved, readings=file.readings))
        if not is_doc(file.relpath):
            found.extend(urls_in(data, lambda line: Location(file.relpath, line), self.name))
        return SourceOutput(occurrences=tuple(found), skipped=tuple(unresolved))


def urls_in(data: bytes, locate, source: str) -> Iterator[Occurrence]:
    """Hub URLs on the code lines of a script (`wget https://huggingface.co/ID/resolve/main/...` fetches from the
    repo); a URL in a comment line points at a model, it does not use it."""
    lines = LineIndex(data)
    in_code = _Placement(data, doc=False)
    for ref, start, end in hub_urls(data):
        if in_code(start):
            yield Occurrence(ref, locate(lines.line(start)), source, clip(data[start:end].decode("utf-8", errors="replace")), URL)


def _words_in(data: bytes, readings: FileReadings | None = None) -> set[bytes]:
    return {_WORDS[number] for number, _, _ in needle_matches(readings, _PRESENCE, data)}


def commands_in(
    data: bytes, relpath: str, locate=None, source: str = CommandSource.name, present: set[bytes] | None = None,
    unresolved: "list[Skipped] | None" = None, readings: FileReadings | None = None,
) -> Iterator[Occurrence]:
    """Occurrences for the model-fetching commands in `data` (shell text, a config, a notebook's ! lines).

    `present`: which of _WORDS data holds, when the caller has looked already; `unresolved`: where to list the
    model flags whose value is a shell variable set at run time; `readings`: the file's shared readings, when
    `data` is the whole file."""
    if present is None:
        present = _words_in(data)
    lines = LineIndex(data)
    where = locate or (lambda line: Location(relpath, line))
    counts = _Placement(data, is_doc(relpath))

    def occurrence(ref: ModelRef, start: int, via: str = COMMAND) -> Occurrence:
        return Occurrence(ref, where(lines.line(start)), source, clip(_line_around(data, start)), via)

    if present.intersection(_NAMING_WORDS):
        variables = _ShellVariables(data)
        # (In TOML and INI files `key = value` is the config source's to read; in prose, MODEL_ID=ID lines
        # are read by _ENV below.)
        assignments = not _filename(relpath).endswith((".toml", ".ini", ".cfg", ".conf", *_DOC_SUFFIXES))
        # (In YAML and JSON files a quoted key is the config source's to read.)
        quoted = not _filename(relpath).endswith(_CONFIG_SUFFIXES)
        doc = is_doc(relpath)
        for start, kind, value in _named_values(data, assignments, quoted, readings):
            if not counts(start) or (doc and _OUTPUT_LINE.match(data, data.rfind(b"\n", max(0, start - 4096), start) + 1)):
                continue  # (in prose, a line that opens with JSON is output shown to the reader, not a command)
            found = _command_id(value)
            if found is not None:
                yield occurrence(ModelRef(found, None, kind), start)
            elif unresolved is not None and rejected_id(value):
                unresolved.append(_listed(INVALID_ID, relpath, where(lines.line(start)), data, start,
                                          f"{clip(value, 60)} is not a Hub repo id"))
            elif value.startswith("$"):
                resolved, why = variables.value(value, start)
                if resolved is not None:
                    yield occurrence(ModelRef(resolved[0], None, kind), start, resolved[1])
                elif why and unresolved is not None:
                    unresolved.append(_listed(UNRESOLVED, relpath, where(lines.line(start)), data, start, why))

    # Each pattern runs only where its literal words are: a needle search is far faster than a regex scan.
    if b"download" in present:
        for match in _DOWNLOAD.finditer(data):
            if not _DOWNLOADER.search(data, max(0, match.start() - 24), match.start()):
                continue
            ref = _download_ref(match.group(1).decode("utf-8", errors="replace"))
            if ref is not None and counts(match.start()):
                yield occurrence(ref, match.start())
    if b"clone" in present:
        for match in _CLONE.finditer(data):
            rest = match.group(1)
            for ref, _, _ in hub_urls(rest):
                yield occurrence(ref, match.start())
            for remote in _SSH_REMOTE.finditer(rest):
                path = remote.group(1).decode("ascii")
                kind = RefKind.DATASET if path.startswith("datasets/") else RefKind.MODEL
                repo_id = hub_id(path.removeprefix("datasets/").removesuffix(".git"))
                if repo_id:
                    yield occurrence(ModelRef(repo_id, None, kind), match.start())
    if present.intersection(_TOOL_WORDS):
        for match in _tool_commands(data, readings):
            repo_id = _tool_positional(match.group(1).decode("ascii"), match.group(2).decode("utf-8", errors="replace"))
            if repo_id is not None and counts(match.start()):
                yield occurrence(ModelRef(repo_id), match.start())
    patterns = [_FLAG] if present.intersection(_FLAG_WORDS) else []
    if b"vllm" in present:
        patterns.append(_VLLM_SERVE)
    if present.intersection(_ENV_WORDS):
        patterns.append(_ENV)
        if present.intersection(_DOCKER_WORDS):
            patterns.append(_DOCKER_ENV)
    for pattern in patterns:
        for match in _env_matches(data) if pattern is _ENV else pattern.finditer(data):
            value = match.group(match.lastindex or 1).decode("utf-8", errors="replace")
            if pattern is _FLAG and match.group(1).lower().startswith(b"-lora"):
                value = value.rsplit("=", 1)[-1]  # vLLM: --lora-modules name=org/adapter
            repo_id = _command_id(value)
            if repo_id is not None and counts(match.start()):
                yield occurrence(ModelRef(repo_id), match.start())


# A name of more than this many capitals, digits and underscores before its naming word is looked for by re.
_MAX_ENV_PREFIX = 256
_ENV_NAME_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _env_matches(data: bytes) -> Iterator[re.Match[bytes]]:
    """The matches _ENV.finditer gives, tried only where a naming word of _ENV_WORDS stands (found with bytes.find).

    Every match's name holds one of the words, and starts where the run of capitals, digits and underscores
    around it starts (its lookbehind allows no identifier byte before it): that run start is the one place tried
    for each word. re tried every byte (the pattern opens with a lookbehind and a class: 38 ns per byte, 0.17 s
    over the corpus's 234 scripts, configs and docs that hold one of the words)."""
    starts: set[int] = set()
    for word in _ENV_WORDS:
        at = data.find(word)
        while at >= 0:
            start, floor = at, max(0, at - _MAX_ENV_PREFIX)
            while start > floor and data[start - 1] in _ENV_NAME_BYTES:
                start -= 1
            if start == floor and floor > 0 and data[floor - 1] in _ENV_NAME_BYTES:
                yield from _ENV.finditer(data)  # (a run too long to walk back: re reads the file, as it did)
                return
            starts.add(start)
            at = data.find(word, at + 1)
    yield from matches_at(_ENV, data, starts)


def _tool_commands(data: bytes, readings: FileReadings | None = None) -> Iterator[re.Match[bytes]]:
    """The matches _TOOL_COMMAND.finditer gives, read only where a tool's name stands: the lookbehind the pattern
    opens with keeps re from looking for the names fast, so it tried every byte (0.15 s over the sdists' 9.5 MB of
    scripts, configs and docs, where "tune" of fine-tune is common). The places are the shared needle pass's (a
    bytes.find per name read the 110 sdist files holding "tune", 6.5 MB, once more: 7 ms)."""
    starts = [start for number, start, _ in needle_matches(readings, _PRESENCE, data) if number in _TOOL_NUMBERS]
    yield from matches_at(_TOOL_COMMAND, data, starts)


_TOOL_NUMBERS = frozenset(_WORDS.index(word) for word in _TOOL_WORDS)


def matches_at(pattern: re.Pattern[Any], data: Any, starts: "set[int] | list[int]") -> Iterator[re.Match[Any]]:
    """What pattern.finditer(data) gives, for a pattern whose every match starts at one of `starts` (bytes or str)."""
    reached = 0  # (finditer's matches do not overlap: the next is looked for after the last one's end)
    for at in sorted(starts):
        if at >= reached:
            match = pattern.match(data, at)
            if match is not None:
                reached = match.end()
                yield match


def _named_values(
    data: bytes, assignments: bool = True, quoted: bool = False, readings: FileReadings | None = None
) -> Iterator[tuple[int, RefKind, str]]:
    """(offset, kind, value) for each value of a flag, KEY=VALUE or quoted `'key': 'value'` pair (a dict written
    into a command: `--model_lock="[{'base_model': 'ID'}]"`) whose name holds a naming word: the value of a model
    flag (and the Hub ids after it), every value (and comma-separated part) of a dataset flag.

    Both patterns start with a literal (the flag's "-", the naming word) that the engine finds fast; an
    assignment's name is widened back to its start only where a value follows."""
    found: list[tuple[int, bytes, int, bool]] = []  # (name start, name, value start, is a flag)
    for match in _FLAG_TOKEN.finditer(data):
        found.append((match.start(), match.group(1), match.end(), True))
    if assignments:
        # The one-pass search finds where each assignment starts; re reads its parts there.
        for _, at, _ in needle_matches(readings, _ASSIGNMENT_STARTS, data):
            match = _ASSIGNMENT_TOKEN.match(data, at)
            if match is None:
                continue
            start = match.start()
            floor = max(0, start - _MAX_NAME)
            while start > floor and data[start - 1] in _TOKEN_CHARS:
                start -= 1
            if (start and data[start - 1] in _NOT_BEFORE_NAME) or data[start : start + 1] in (b"-", b"."):
                continue  # part of a path, a variable use, or a flag (read above)
            found.append((start, data[start : match.end(1)], match.end(), False))
    if quoted:
        for _, word, _ in needle_matches(readings, _QUOTED_KEY_STARTS, data):
            at = _key_opening(data, word)
            match = None if at is None else _QUOTED_KEY.match(data, at)
            if match is not None:
                found.append((match.start(), match.group(1), match.end(), False))
    for start, name, position, flag in found:
        if _WRITTEN.search(name):
            continue
        kinds = [RefKind.DATASET if word.group(2) else RefKind.MODEL for word in _NAME_WORD.finditer(name)]
        if not kinds:
            continue
        kind = kinds[-1]
        for number in range(_MAX_VALUES if flag else 1):
            continued = _CONTINUATION.match(data, position)
            if continued is not None:
                position = continued.end()  # a list of values over several lines ending in "\\"
            word = _WORD.match(data, position)
            if word is None or word.end() == position:
                break
            text = (word.group(1) or word.group(2) or word.group(3) or b"").decode("utf-8", errors="replace")
            text = text.rstrip("\\")  # (the escaped closing quote of a value inside a quoted string)
            if text.startswith("-") or (number and kind is RefKind.MODEL and _command_id(text) is None):
                break  # (a model flag takes more values only where they are Hub ids: `--reward_model ID ID`)
            for part in text.split(","):
                key, equals, value = part.partition("=")
                if equals and _ARGUMENT_KEY.fullmatch(key.strip()):
                    # `--model_args pretrained=ID,dtype=float` (lm-eval): the pairs whose key names a model.
                    if not (_NAME_WORD.search(key.encode()) or key.strip().lower() in _ARGUMENT_KEYS):
                        continue
                    part = value
                yield start, kind, part.split("#", 1)[0].strip()
            position = word.end()


def _key_opening(data: bytes, word: int) -> int | None:
    """Where the quoted key whose first naming word starts at `word` opens, when _QUOTED_KEY_OPENING matches there:
    the key's quote, at most 64 key characters before the word (the one-pass search reports a key's leftmost
    word); else None."""
    at = word - 1
    while at >= 0 and data[at] in _TOKEN_CHARS:
        at -= 1
        if at < word - 65:
            return None  # more than 64 key characters before the key's first naming word
    if at < 0 or data[at] not in _QUOTES:
        return None
    return at if _QUOTED_KEY_OPENING.match(data, at) else None


def _listed(reason: str, relpath: str, place: Location, data: bytes, start: int, why: str) -> Skipped:
    """A value listed rather than dropped (known only at run time, or not a Hub id): its place, line and why."""
    cell = f"cell {place.cell}, " if place.cell else ""
    return Skipped(relpath, reason, f"{cell}line {place.line}: {clip(_line_around(data, start))} ({why})")


class _Placement:
    """Whether a match counts as a command: not on a comment line of a script or config; in prose (docs), not
    in inline code inside a sentence outside a code block (an id a sentence mentions is not a command)."""

    def __init__(self, data: bytes, doc: bool) -> None:
        self.data = data
        self.doc = doc
        self._fences: list[int] | None = None

    def __call__(self, start: int) -> bool:
        data = self.data
        line_start = data.rfind(b"\n", 0, start) + 1
        if not self.doc:
            return not _COMMENT_LINE.match(data, line_start)
        before = data[line_start:start]
        if before.count(b"`") % 2 == 0 or self._in_fence(line_start):
            return True
        # Inside `inline code`: a command only when the code span is the whole line (a bare command).
        line_end = data.find(b"\n", start)
        line = data[line_start : len(data) if line_end < 0 else line_end].strip()
        return line.startswith(b"`") and line.endswith(b"`") and line.count(b"`") == 2

    def _in_fence(self, line_start: int) -> bool:
        if self._fences is None:
            self._fences = [match.start() for match in re.finditer(rb"(?m)^[ \t]*(?:```|~~~)", self.data)]
        return bisect.bisect_right(self._fences, line_start) % 2 == 1


class _ShellVariables:
    """The literal each shell variable of a script is set to, when it is set once."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._assigned: dict[str, list[tuple[int, str]]] | None = None

    @property
    def assigned(self) -> dict[str, list[tuple[int, str]]]:
        # Read on the first variable a flag uses: most files never need it.
        if self._assigned is not None:
            return self._assigned
        data = self.data
        self._assigned = {}
        for match in _SHELL_ASSIGNMENT.finditer(data):
            word = _WORD.match(data, match.end())
            text = b"" if word is None else (word.group(1) or word.group(2) or word.group(3) or b"")
            self._assigned.setdefault(match.group(1).decode("ascii"), []).append(
                (match.start(), text.decode("utf-8", errors="replace"))
            )
        return self._assigned

    def value(self, use: str, at: int) -> tuple[tuple[str, str] | None, str]:
        """((repo id, via), "") when the use names a Hub id; (None, why) when it is known only at run time;
        (None, "") when it is a local path."""
        match = _SHELL_USE.match(use)
        if match is None:
            return None, "a value built at run time"
        name = match.group(1) or match.group(3)
        default = match.group(2)
        values = [text for offset, text in self.assigned.get(name, ()) if offset < at] or [
            text for _, text in self.assigned.get(name, ())
        ]
        if len(values) == 1 and "$" not in values[0]:
            found = _command_id(values[0])
            return ((found, VARIABLE) if found else None), ""
        if not values and default:
            found = _command_id(default)
            if found is not None:
                return (found, ENV_DEFAULT), ""
        if len(values) > 1:
            return None, f"shell variable {name} is set more than once"
        return None, f"shell variable {name}"


# The text of a command is its line; of a very long one (many commands on one line), the part from the match.
_LINE_REACH = 512


def _line_around(data: bytes, start: int) -> str:
    floor = max(0, start - _LINE_REACH)
    newline = data.rfind(b"\n", floor, start)
    if newline >= 0:
        line_start = newline + 1
    else:
        line_start = 0 if floor == 0 else start  # a line begun further back is shown from the match on
    line_end = data.find(b"\n", start, start + _LINE_REACH)
    if line_end < 0:
        line_end = min(len(data), start + _LINE_REACH)
    return data[line_start:line_end].decode("utf-8", errors="replace")


def _command_id(value: str) -> str | None:
    if "$" in value or "{" in value:
        return None  # a variable: the value is chosen where it is set
    return hub_id(_QUANT_SUFFIX.sub("", value))


def _tool_positional(tool: str, arguments: str) -> str | None:
    """The Hub id a tool's subcommand takes first (see _POSITIONAL_MODEL), or None."""
    words = arguments.replace("`", " ").split()
    for subcommand in _POSITIONAL_MODEL[tool]:
        if tuple(words[: len(subcommand)]) == subcommand:
            rest = [word for word in words[len(subcommand):] if not word.startswith("-")]
            return _command_id(rest[0].strip("\"'")) if rest else None
    return None


def _download_ref(arguments: str) -> ModelRef | None:
    """The repo of `huggingface-cli download <arguments>`: the first positional argument, with --repo-type and
    --revision applied."""
    arguments = arguments.replace("`", " ")  # a command quoted as inline code in prose ends at its backtick
    try:
        words = shlex.split(arguments, comments=True)
    except ValueError:
        words = arguments.split()
    repo_type = "model"
    revision = None
    positional: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word.startswith("--"):
            flag, _, inline = word.partition("=")
            value = inline or (words[index + 1] if flag in _DOWNLOAD_OPTIONS_WITH_VALUE and index + 1 < len(words) else "")
            if not inline and flag in _DOWNLOAD_OPTIONS_WITH_VALUE:
                index += 1
            if flag == "--repo-type":
                repo_type = value
            elif flag == "--revision":
                revision = value or None
        elif not word.startswith("-"):
            positional.append(word)
        index += 1
    if not positional or repo_type not in ("model", "dataset"):
        return None
    repo_id = _command_id(positional[0])
    if repo_id is None:
        return None
    return ModelRef(repo_id, revision, RefKind.DATASET if repo_type == "dataset" else RefKind.MODEL)
