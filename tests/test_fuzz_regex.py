"""Every regular expression in licscan is listed here, and none backtracks super-linearly on hostile text.

The list is found, not kept by hand: the first test collects every `re.*(pattern, ...)` call in licscan's source
(and every `lazy_re.compile(pattern, ...)`, compiled on first use) and fails when one is missing from SITES below
(a new pattern cannot arrive unguarded) or when an entry no longer exists. The second runs each guarded pattern
over 1 MB inputs made from the characters the pattern itself names (runs of digits, of separators, of quotes, of
pairs ...) in a helper process, with a generous per-input allowance: a linear pattern takes milliseconds, a
quadratic one takes hours, so the allowance is a hang guard, not a timing assertion.
"""

from __future__ import annotations

import ast
import importlib
import os
import pickle
import re
import select
import string
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "licscan"
_CALLS = {"compile", "search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer"}
# Where the flags argument sits when it is passed by position.
_FLAGS_AT = {"compile": 1, "search": 2, "match": 2, "fullmatch": 2, "findall": 2, "finditer": 2, "split": 3,
             "sub": 4, "subn": 4}
INPUT_BYTES = 1_000_000
ALLOWANCE_SECONDS = 10.0  # per input; a linear pattern never comes near it, a quadratic one always passes it


def _provider_needles():
    from licscan.config import data_dir
    from licscan.discovery.hosted_apis import _triggers
    from licscan.providers import load_providers

    return _triggers(load_providers([data_dir("rules")]).vocabulary).needles


def _needles():
    """Every needle of every source's sets, as the re engine searches for it (needles.py)."""
    from licscan.config import data_dir
    from licscan.discovery.registry import SOURCES
    from licscan.discovery.runner import _needle_sets
    from licscan.model import DiscoverySettings
    from licscan.providers import load_providers

    settings = DiscoverySettings(api=load_providers([data_dir("rules")]).vocabulary)
    needles = dict.fromkeys(needle for needle_set in _needle_sets(SOURCES, settings) for needle in needle_set.needles)
    assert len(needles) > 100 and _provider_needles()[0] in needles
    return [re.compile(needle.for_re or needle.pattern) for needle in needles]


# site ("module: pattern expression as written") -> how to guard it.
#   op:       how the code applies it: "search" (every match, as finditer and sub do: every start position is
#             tried), "first" (the first match only), "match" (anchored at one position), "fullmatch".
#   bind:     for a pattern made from values known only at the call (a key, a name): representative values of
#             those local names, one compiled pattern each, from the expression as written in licscan.
#   build:    representative patterns, where the expression cannot be evaluated on its own.
#   extra:    input units beyond the generated ones: a unit repeated to INPUT_BYTES, or (prefix, unit, suffix)
#             with the unit repeated between them (a key, a megabyte of blanks, then what makes the match fail).
#   trusted:  why the pattern never sees outside text (then it is only listed, not run).
SITES: dict[str, dict[str, Any]] = {
    "licscan.cards._REPO_ID": {"op": "match"},
    "licscan.cards._FRONT_MATTER": {"op": "match", "extra": ["---\n", "--- \t\n", "---\n---x\n", "\n... x"]},
    "licscan.cards._HUB_URL_PREFIX": {"op": "match"},
    "licscan.config._URL_PORT": {"op": "fullmatch", "extra": ["a://", "a:", "a@", ":@", "[", "a:a@"]},
    "licscan.config._AMOUNT": {"op": "match", "extra": ["1.5", "10k", "2m", "1,000", "0."]},
    "licscan.config._REGION": {"op": "match", "extra": ["EU", "DE", "de"]},
    "licscan.discovery.commands._DOWNLOAD": {"extra": ["download ", "download a"]},
    "licscan.discovery.commands._OUTPUT_LINE": {"op": "match"},
    "licscan.discovery.commands._ARGUMENT_KEY": {"op": "fullmatch"},
    "licscan.discovery.commands._QUOTED_KEY": {"op": "match", "extra": ["'a'", "'a\\' :", "'a': \\"]},
    "licscan.discovery.commands._QUOTED_KEY_OPENING": {"op": "match", "extra": ["'model", "'amodel' :", "\"data\\\" : \\"]},
    "licscan.discovery.commands._DOWNLOADER": {"extra": ["hf ", "huggingface-cli "]},
    "licscan.discovery.commands._CLONE": {"extra": ["git ", "git lfs ", "git clone"]},
    "licscan.discovery.commands._SSH_REMOTE": {"extra": ["git@hf.co:", "git@hf.co:a", "git@hf.co:datasets/a"]},
    "licscan.discovery.commands._FLAG": {"extra": ["--model", "--model ", "-m ", "--model= ", "--model\n- "]},
    "licscan.discovery.commands._VLLM_SERVE": {"extra": ["vllm ", "vllm serve "]},
    "licscan.discovery.commands._TOOL_COMMAND": {"extra": ["xtuner ", "tune  ", "litgpt convert "]},
    "licscan.discovery.commands._ENV": {"extra": ["MODEL_ID", "MODEL ", "HF_MODEL_ID=", "A_MODEL_A_MODEL"]},
    "licscan.discovery.commands._DOCKER_ENV": {"extra": ["ENV ", "ENV MODEL ", " ENV MODEL"]},
    "licscan.discovery.commands._QUANT_SUFFIX": {"extra": [":a", ":a:"]},
    "licscan.discovery.doc_code._FENCE": {"op": "match", "extra": ["```", "~~~ a", "   ````"]},
    "licscan.discovery.doc_code._PROMPT": {"op": "match", "extra": [">>> ", "... "]},
    "licscan.discovery.common._ID_SHAPED": {"op": "fullmatch", "extra": ["a/", "a/a", "/a"]},
    "licscan.discovery.common._BEFORE_HOST": {"extra": ["http://", "www.", "https://www."]},
    "licscan.discovery.common._URL_PATH": {"op": "match", "extra": ["models/", "a/", "a.", "models/a"]},
    "licscan.discovery.common._WINDOWS_DRIVE": {"op": "match"},
    "licscan.discovery.common._key_pattern()": {
        "bind": [{"key": "base_model"}],
        "extra": ["base_model", "base_model ", '"base_model"  ']},
    "licscan.discovery.config_files._KEY_REST": {"op": "match", "extra": ["a", "a \t", "a\" :"]},
    "licscan.discovery.config_files._NAMED_VALUE": {"op": "match", "extra": ["a\n value: a", "a\n", " value:"]},
    "licscan.discovery.config_files._VALUE_MAY_BE_ID": {"op": "match", "extra": [": a", ": '", '= "a']},
    "licscan.discovery.declared._find()": {
        "bind": [{"value": "org/name"}],
        "extra": ["org/name", "org/name-", "org/"]},
    "licscan.discovery.model_dirs._SPACE_CARD": {"extra": ["sdk ", "sdk\t"]},
    "licscan.discovery.needles._find_with_re()": {"build": _needles, "extra": [
        "from_pretrained", "hf.co/", "pipeline(", "model", "dataModel_", "model\"", ("", "model", "\": '")]},
    "licscan.discovery.notebooks._SHELL_CELL": {"op": "match"},
    "licscan.discovery.notebooks._WRITEFILE_CELL": {"op": "match", "extra": ["%%writefile ", "%%writefile -a \"", "%%writefile 'a"]},
    "licscan.discovery.notebooks._SHELL_LINE": {"op": "match", "extra": ["a =", "a = ", " a"]},
    "licscan.discovery.notebooks._MAGIC_LINE": {"op": "match"},
    "licscan.discovery.python_source._ENCODING_COOKIE": {"extra": ["# coding", "#coding:", " #", "# coding= "]},
    "licscan.discovery.python_source._percent()": {},
    "licscan.discovery.python_source._percent()#2": {},
    "licscan.discovery.python_source._GLOBAL_STATEMENT": {"extra": [" global a", " global ", "\n global a,"]},
    "licscan.discovery.python_source._DOCTEST_LINE": {"op": "match", "extra": [" >>"]},
    "licscan.discovery.python_source._ASSIGNMENT_PREFIX": {"op": "match", "extra": ["a=", "a =", "a.b = ", "a= a"]},
    "licscan.discovery.python_source._BOUND_AFTER_NAME": {"op": "match", "extra": [":", " :", "==", ": a =", "="]},
    # Read one token at a time (.search), and the reading stops at a lone quote (an open string); finditer only
    # over the first 256 bytes of a line.
    "licscan.discovery.python_text._LINE_TOKEN": {"op": "first", "extra": ['"a', "'\\", '"\\"', "\"\\'"]},
    "licscan.discovery.python_text._CALL_TOKEN": {"extra": ['"""a', "'''\\", '""\\"', "#a(", '"""\\"']},
    "licscan.discovery.python_text._PLAIN_BRACKETS": {"op": "match", "extra": [("(", "a", ""), ("[", " ", ")")]},
    "licscan.discovery.python_text._ARGUMENT_TOKEN": {"extra": ['"""a', "'''\\", '""\\"', "#a,", '"""\\"']},
    "licscan.discovery.python_text._NEWLINE": {},
    "licscan.discovery.python_text._STRING_OR_COMMENT": {},
    "licscan.discovery.python_text._MARGIN_LINE": {"extra": ["\n", "\na", "\n)"]},
    # Read token by token; the reading stops at a quote or triple quote no string closes (the first failed string).
    "licscan.discovery.python_text._STATEMENT_TOKEN": {"op": "first", "extra": ['"""a', "'''\\", '""\\"', "#a(", '"a\\', "'a\\\n"]},
    "licscan.discovery.python_text._BLOCK_HEADER": {"extra": ["\n ", "\nasync ", "\ndef ", "\n async def"]},
    "licscan.discovery.python_text._dedent_pattern()": {"bind": [{"depth": 4}, {"depth": 200}], "extra": ["\n ", "\n#", "\n  \n"]},
    "licscan.discovery.walk._any_of()": {
        "trusted": "matched against a path (the OS bounds one at 4,096 bytes), never against file text; the "
                   "patterns are pathspec's translation of the project's own ignore files"},
    "licscan.discovery.walk._any_of()#2": {"trusted": "the empty pattern"},
    "licscan.discovery.walk._NAMED_GROUP": {"trusted": "applied to pathspec's regexes, not to file text"},
    "licscan.discovery.commands._ASSIGNMENT_TOKEN": {},
    "licscan.discovery.commands._COMMENT_LINE": {"op": "match"},
    "licscan.discovery.commands._CONTINUATION": {"op": "match"},
    "licscan.discovery.commands._FLAG_TOKEN": {},
    "licscan.discovery.commands._NAME_WORD": {},
    "licscan.discovery.commands._SHELL_ASSIGNMENT": {},
    "licscan.discovery.commands._SHELL_USE": {},
    "licscan.discovery.commands._WORD": {"op": "match"},
    "licscan.discovery.commands._WRITTEN": {},
    "licscan.discovery.commands._in_fence()": {},
    "licscan.discovery.common._FILE_ENDING": {},
    "licscan.discovery.common._PLACEHOLDER": {},
    "licscan.discovery.config_files._INTERPOLATION_DEFAULT": {},
    "licscan.discovery.config_files._NAMING_KEY": {},
    "licscan.discovery.config_files._VALUE_IS_ID": {"op": "match"},
    "licscan.discovery.python_source._CONTINUED_PREFIX": {},
    "licscan.discovery.python_source._HANDOVER": {},
    "licscan.discovery.python_source._DICT_KEY": {"op": "match"},
    "licscan.discovery.python_source._BEFORE_KEY": {},
    "licscan.discovery.python_source._ELEMENT_LINE": {"op": "match", "extra": [" '", " #", " \n"]},
    "licscan.discovery.python_source._ID_STRING": {"extra": ["'a/", "'a/b", '"a/b\'']},
    "licscan.discovery.python_source._BARE_HEAD": {"op": "match", "extra": [" [", "return [", "[ #"]},
    "licscan.discovery.python_source._CONSTRUCTED": {"extra": ["Ab(", "AB_(", "Client( ", "a.Ab("]},
    "licscan.discovery.python_source._COMPARED": {"op": "match", "extra": [".a()", " ==", " in ", " not in("]},
    "licscan.discovery.python_source._HOLDS_A_NAME": {},
    "licscan.discovery.python_source._LAZY_BEFORE": {},
    "licscan.discovery.python_source._LAZY_TYPE": {},
    "licscan.discovery.python_source._NOT_A_USE": {},
    "licscan.discovery.python_source._WORD_RUN": {"op": "match"},
    "licscan.discovery.python_source._PROSE_LINE": {"op": "match"},
    "licscan.discovery.python_source._SPACE_REPO": {},
    "licscan.discovery.python_source._LIST_BINDING": {"op": "match", "extra": ["a = [", "a.b: list = (", "a: =", "a ="]},
    "licscan.discovery.python_source._STRINGS_ONLY": {"op": "fullmatch", "extra": ["['a', ", "[# a", '["a\\', "[, '"]},
    "licscan.discovery.python_source._STRING_ITEM": {"extra": ["'a", "\"a/b"]},
    "licscan.discovery.python_source._LEFT_OUT": {},
    "licscan.discovery.python_source._IDENTIFIER": {},
    "licscan.discovery.python_source._DEF": {"extra": ["def a(", "def a(b, c", " async def a(b"]},
    "licscan.discovery.python_source._PLAIN_ARGUMENTS": {"op": "fullmatch", "extra": ["a, ", "a[\"b\"], ", " 1,"]},
    "licscan.discovery.python_source._CALLED_NAME": {},
    "licscan.discovery.python_source._MESSAGE_CALL": {"extra": ["print(", "log (", ".info( ", "a.write("]},
    "licscan.discovery.python_source._F_QUOTE": {"extra": ["f", "rf", "F\"", "fr'"]},
    "licscan.discovery.python_source._SUBSET": {},
    "licscan.discovery.python_source._FETCHED": {"op": "match", "extra": [".git", "/resolve/", "/info/refs/"]},
    "licscan.discovery.python_source._ID_PART": {"op": "fullmatch"},
    "licscan.errors._TOKEN_PATTERN": {"extra": ["hf_", "hf_a"]},
    "licscan.lazy_re.compiled()": {"trusted": "compiles the lazy_re.compile sites listed here, each guarded by its own name"},
    "licscan.cli.run()": {"op": "fullmatch"},
    "licscan.cli.run()#2": {"op": "fullmatch"},
    "licscan.lock.read_basedir()": {"op": "match", "extra": [('{ "basedir": "', "\\x", ""), ('{"basedir":', " ", "x")]},
    "licscan.evaluation.policy._TOP_KEY": {"op": "match", "extra": [("a", " ", "")]},
    "licscan.evaluation.policy._WAIVERS_LINE": {
        "op": "match", "extra": [("waivers: x", " ", "x"), ("waivers:", " ", "x"), ("waivers: ", "a ", "#")]},
    "licscan.evaluation.compute._TOKENS": {
        "extra": ["1.", "1 ", "1 T ", "1T a ", "1.1.", "12 trillion x ", "1 B tok "]},
    "licscan.evaluation.compute._TRAINING": {},
    "licscan.evaluation.compute._SENTENCE_END": {"extra": [". ", ".\t"]},
    "licscan.evaluation.knowledge._TERRITORY": {"trusted": "rules/ data shipped with licscan"},
    "licscan.discovery.hosted_apis._FENCE": {"extra": ["```", "~~~", " \t```"]},
    "licscan.discovery.hosted_apis._JS_MODEL_CONSTANT": {"extra": ["const model = '", "static model_id = \"a/", "let m\t"]},
    "licscan.discovery.hosted_apis._JS_MODEL": {"extra": ["model:", "model: '", "model :\t`a"]},
    "licscan.discovery.hosted_apis._JS_PIPELINE": {"extra": ["pipeline(", "pipeline('a', '", "from_pretrained(\"a/"]},
    "licscan.discovery.hosted_apis._MODELFILE_FROM": {"op": "search", "extra": ["FROM ", "from \t"]},
    "licscan.discovery.hosted_apis._NAME": {"op": "match"},
    "licscan.discovery.hosted_apis._NEWLINE": {},
    "licscan.discovery.hosted_apis._PY_CANDIDATE": {"extra": ["model = '", "MODEL_NAME: str = \"a", "chat('", "engine:\t'"]},
    "licscan.discovery.hosted_apis._model_names()": {"trusted": "globs of rules/providers.yaml, matched against one short literal"},
    "licscan.discovery.hosted_apis._OLLAMA_VARIABLE": {"extra": ["ollama pull $", "ollama run ${a", "ollama \t"]},
    "licscan.discovery.hosted_apis._INDENTED_CODE": {"op": "match"},
    "licscan.discovery.hosted_apis._OLLAMA_CREATE": {"extra": ["ollama create ", "ollama create a", "ollama \t"]},
    "licscan.discovery.hosted_apis._OLLAMA_USE": {"op": "match", "extra": ["ollama", "ollama ", "ollama \\", "ollama\n)"]},
    "licscan.discovery.hosted_apis._OPEN_BRACKET": {"op": "match"},
    "licscan.discovery.hosted_apis._OLLAMA_COMMAND": {"extra": ["ollama pull ", "ollama run a", "ollama \t"]},
    "licscan.discovery.hosted_apis._YAML_MODEL": {"extra": ["model:", "- model: a/", "  model: 'a"]},
    "licscan.discovery.hosted_apis._SETTING": {"extra": ["a: ${a:-", "- export 'a'=\"", "a=${b:-\"a/", "a:\t'a"]},
    "licscan.discovery.hosted_apis._VERSIONED": {"extra": ["a/b:", "a/b:" + "0" * 63, "a/b:" + "f" * 64 + "-"]},
    "licscan.discovery.hosted_apis._VERSION_PIN": {"extra": [":" + "0" * 63, ":" + "f" * 64 + "-", "::a"]},
    "licscan.providers._COUNTRY": {"trusted": "rules/ data (providers.yaml)"},
    "licscan.providers._HOST": {"trusted": "rules/ data (providers.yaml)"},
    "licscan.providers._HUB_ID": {"trusted": "rules/ data (providers.yaml)"},
    "licscan.providers._KEY": {"trusted": "rules/ data (providers.yaml)"},
    "licscan.providers._PACKAGE": {"trusted": "rules/ data (providers.yaml)"},
    "licscan.providers._PREFIX": {"trusted": "rules/ data (providers.yaml)"},
    "licscan.providers._TAG": {"trusted": "rules/ data (providers.yaml)"},
    "licscan.providers._VARIABLE": {"trusted": "rules/ data (providers.yaml)"},
    "licscan.providers._CONFIG_WORD": {"trusted": "rules/ data (providers.yaml)"},
    "licscan.rule_entries._DATE": {"trusted": "rules/ data shipped with licscan (every loader's dates)"},
    "licscan.evaluation.knowledge.parse_license()": {"trusted": "rules/ data shipped with licscan"},
    "licscan.evaluation.knowledge.parse_license()#2": {"trusted": "rules/ data shipped with licscan"},
    "licscan.evaluation.knowledge.parse_origins()": {"trusted": "rules/ data shipped with licscan"},
    "licscan.evaluation.licenses._SPACE": {},
    "licscan.evaluation.licenses._MARKUP": {},
    "licscan.evaluation.licenses._HUB_FILE_LINK": {"op": "match", "extra": ["https://hf.co/a/b/blob/", "a/"]},
    "licscan.evaluation.licenses._link_key()": {"op": "match"},
    "licscan.evaluation.licenses.identify()": {"op": "match"},
    "licscan.gguf_header.gguf_file_of()": {"extra": ["-00001-of-0000", "-00001-of-00001.ggu"]},
    "licscan.gguf_header.gguf_file_of()#2": {"extra": ["-00001", "-00001-of-"]},
    "licscan.gguf_header._quant_rank()": {},
    "licscan.reporting.markdown._MARKDOWN_SPECIAL": {},
    "licscan.reporting.markdown._MENTION": {"extra": ["@a", "@@", "a@b"]},
    "licscan.reporting.spdx_sbom._LICENSE_REF": {"extra": ["LicenseRef-", "LicenseRef-a"]},
    "licscan.reporting.spdx_sbom._SPDX_REF": {"op": "match"},
    "licscan.reporting.spdx_sbom._VALID_LICENSE_REF": {"op": "match"},
    "licscan.reporting.cyclonedx_sbom._PURL": {"op": "match", "extra": [("pkg:a/", "a", " ")]},
    "licscan.reporting.sbom_ids._CONTROL": {},
    "licscan.reporting.sbom_ids._NOT_SPDX_IDSTRING": {},
    "licscan.reporting.terminal._CUT": {"op": "match", "extra": [" a", "a ", " \t", "\u3000a"]},
    "licscan.reporting.sbom_ids._PARENTHESIS": {"extra": [" (", "(a", ("", " ", "(")]},
    "licscan.resolution.cache._COMMIT": {"op": "fullmatch"},
    "licscan.resolution.hub._COMMIT": {"op": "fullmatch"},
    "licscan.resolution.lineage._HUB_FILE_LINK": {"op": "match", "extra": ["https://hf.co/a/b/blob/", "a/"]},
    "licscan.resolution.lineage._looks_quantized()": {},
    "licscan.untrusted._HIDDEN": {},
    "licscan.untrusted._SURROGATE": {},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _site_calls(tree: ast.Module) -> list[tuple[str, ast.Call]]:
    """(where, call) for each re.* call: `NAME` for a module-level assignment, `function()` inside a function."""
    calls: list[tuple[str, ast.Call]] = []

    def visit(node: ast.AST, where: str) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            where = f"{node.name}()"
        elif isinstance(node, ast.Assign) and where == "" and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            where = node.targets[0].id
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.attr in _CALLS and node.args
                and (node.func.value.id == "re" or (node.func.value.id == "lazy_re" and node.func.attr == "compile"))):
            calls.append((where, node))
        for child in ast.iter_child_nodes(node):
            visit(child, where)

    visit(tree, "")
    return calls


def _sites() -> dict[str, tuple[str, ast.expr, ast.expr | None]]:
    """Every re.* call with a pattern in licscan: site -> (module, the pattern expression, the flags expression).

    A site is named `module.NAME` (a module-level pattern) or `module.function()` (a pattern made in a
    function), with `#2`, `#3` ... for a second or third in the same place.
    """
    found: dict[str, tuple[str, ast.expr, ast.expr | None]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        for where, node in _site_calls(ast.parse(path.read_text(encoding="utf-8"))):
            flags = next((kw.value for kw in node.keywords if kw.arg == "flags"), None)
            position = _FLAGS_AT[node.func.attr]  # type: ignore[attr-defined]
            if flags is None and len(node.args) > position:
                flags = node.args[position]
            site = f"{module}.{where}"
            number = 2
            while site in found:
                site = f"{module}.{where}#{number}"
                number += 1
            found[site] = (module, node.args[0], flags)
    return found


SITES_FOUND = _sites()


def test_every_regular_expression_in_licscan_is_guarded_here():
    missing = sorted(set(SITES_FOUND) - set(SITES))
    stale = sorted(set(SITES) - set(SITES_FOUND))
    assert not missing, f"add these patterns to SITES (and so to the hang guard): {missing}"
    assert not stale, f"these SITES entries match no pattern in licscan any more: {stale}"


def _patterns(site: str) -> list[re.Pattern]:
    """The compiled patterns of a site: its builder's, or its expression evaluated in its module."""
    entry = SITES[site]
    if "build" in entry:
        return list(entry["build"]())
    module_name, expression, flags = SITES_FOUND[site]
    namespace = vars(importlib.import_module(module_name))
    compiled = []
    for bound in entry.get("bind", [{}]):
        scope = {**namespace, **bound}
        pattern = eval(compile(ast.Expression(expression), site, "eval"), scope)  # noqa: S307 - licscan's own source
        flag_value = eval(compile(ast.Expression(flags), site, "eval"), scope) if flags is not None else 0  # noqa: S307
        compiled.append(re.compile(pattern, flag_value))
    return compiled


def _units(pattern: re.Pattern, extra: list[str]) -> list[str]:
    """Input units: a few of every character class, each punctuation or space character the pattern names, its
    pairs with a digit and a letter, and the site's own extras (the words the pattern looks for)."""
    source = pattern.pattern.decode("latin-1") if isinstance(pattern.pattern, bytes) else pattern.pattern
    named = sorted({c for c in source if c in string.punctuation or c in " \t\n"})
    base = ["0", "a", "A", " ", "\t", "\n", "\r\n", ".", "/", "-", "_", "\\", "\"", "'", "é", "\u202e"]
    units = list(dict.fromkeys(base + named))
    units += [c + x for c in named for x in ("0", "a")]
    units += ["0 ", "a ", "1. ", "a= "]
    return list(dict.fromkeys(units + list(extra)))


_CHILD = r"""
import pickle, re, sys
source, flags, op, units, size = pickle.load(sys.stdin.buffer)
pattern = re.compile(source, flags)
for number, unit in enumerate(units):
    prefix, unit, suffix = unit if isinstance(unit, tuple) else ("", unit, "")
    if isinstance(source, bytes):
        prefix, unit, suffix = prefix.encode("utf-8"), unit.encode("utf-8"), suffix.encode("utf-8")
    data = prefix + (unit * (size // max(len(unit), 1) + 1))[:size] + suffix
    if op == "search":
        pattern.subn(data[:0], data)  # every match, as finditer finds them, without a Python object for each
    elif op == "first":
        pattern.search(data)
    elif op == "match":
        pattern.match(data)
    else:
        pattern.fullmatch(data)
    sys.stdout.write(f"{number}\n")
    sys.stdout.flush()
"""


def _run_guarded(pattern: re.Pattern, op: str, units: list[str]) -> str | None:
    """None when every input finished within the allowance; else the input unit that did not."""
    child = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    try:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(pickle.dumps((pattern.pattern, pattern.flags, op, units, INPUT_BYTES)))
        child.stdin.close()
        done = 0
        pending = b""
        # The first input also pays for the interpreter's start-up.
        deadline = time.monotonic() + ALLOWANCE_SECONDS * 2
        fd = child.stdout.fileno()
        while done < len(units):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return units[done]
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            pending += chunk
            while b"\n" in pending:
                _, pending = pending.split(b"\n", 1)
                done += 1
                deadline = time.monotonic() + ALLOWANCE_SECONDS
        child.wait(timeout=ALLOWANCE_SECONDS)
        assert child.returncode == 0, child.stderr.read().decode() if child.stderr else child.returncode
        return None
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


GUARDED = sorted(site for site, entry in SITES.items() if "trusted" not in entry)


@pytest.mark.parametrize("site", GUARDED)
def test_no_pattern_backtracks_super_linearly_on_a_megabyte_of_hostile_text(site):
    entry = SITES[site]
    for pattern in _patterns(site):
        stuck = _run_guarded(pattern, entry.get("op", "search"), _units(pattern, entry.get("extra", [])))
        assert stuck is None, (
            f"{site}: {pattern.pattern!r} did not finish within {ALLOWANCE_SECONDS} s on {INPUT_BYTES} bytes of "
            f"{stuck!r} repeated: it backtracks super-linearly"
        )
