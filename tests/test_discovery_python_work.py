"""The Python and hosted-API readings do only the work their answer needs (work counted, never timed), and the shortcuts
answer what the whole reading answers."""

from __future__ import annotations

import random
import textwrap

from counted_reads import CountedReads

from licscan.discovery import python_source, python_text
from licscan.discovery.python_source import analyze
from licscan.discovery.python_text import PythonText


def random_python_text(rng: random.Random) -> bytes:
    """Lines of code, comments, one-line and triple-quoted strings (some left open, some escaped), in any mix."""
    pieces = [b'x = "org/a"\n', b"# a comment with ''' and \"\"\"\n", b'"""a docstring\nover lines\n"""\n',
              b"'''single\n'''\n", b'y = "a \\" quote"\n', b"s = '''x''' ; t = \"org/b\"\n", b'"""\\"""\n',
              b"z = 1 # '''\n", b'u = """open\n', b'v = "unterminated\n', b"w = f(x)\n", b"\"\"\"\n", b"'x' '''y'''\n"]
    return b"".join(rng.choice(pieces) for _ in range(rng.randint(1, 40)))


def test_the_triple_quoted_strings_read_as_far_as_asked_answer_what_the_whole_reading_answers():
    """Questions in any order about a text whose triple-quoted strings are read only as far as each question needs:
    the same answers as when the whole text was read first."""
    rng = random.Random(10)
    for _ in range(300):
        data = random_python_text(rng)
        whole = PythonText(data)
        whole.context(len(data))  # (reads every triple-quoted string)
        lazy = PythonText(data)
        for _ in range(20):
            position = rng.randrange(len(data) + 1)
            asked = rng.choice(["context", "triple_span", "string_span"])
            assert getattr(lazy, asked)(position) == getattr(whole, asked)(position), (data, position, asked)


def test_a_literal_near_the_top_is_placed_without_reading_the_docstrings_below(monkeypatch):
    """Whether a literal is code or sits in a docstring depends only on the text before it: a named id at the top of
    a file with thousands of docstrings below is decided without looking at them."""
    looked_at = [0]
    line_context = PythonText._line_context

    def counted(self, position, code_from):
        looked_at[0] += 1
        return line_context(self, position, code_from)

    monkeypatch.setattr(PythonText, "_line_context", counted)

    def work(docstrings: int) -> int:
        looked_at[0] = 0
        data = b'EMBED_MODEL = "org/embedder"\n' + b"".join(
            b'def f%d():\n    """Returns %d."""\n    return %d\n' % (i, i, i) for i in range(docstrings))
        occurrences, _ = analyze(data, "a.py")
        assert [o.ref.repo_id for o in occurrences] == ["org/embedder"]
        return looked_at[0]

    assert work(2000) == work(10) <= 2


class CountedSearches:
    """A compiled pattern that counts its searches."""

    def __init__(self, pattern) -> None:
        self.pattern, self.searches = pattern, 0

    def search(self, *args):
        self.searches += 1
        return self.pattern.search(*args)


def test_a_file_without_a_triple_quoted_f_string_is_looked_at_only_on_its_literals_lines(monkeypatch):
    """A literal in a triple-quoted f-string can be a command (the next test); in a file with no triple quote an f
    stands just before, no literal is looked at beyond its own line (each one was, for the nearest triple quote
    within 4 KB before it: two reverse searches of up to 4 KB per literal in every file with docstrings)."""
    counted = CountedSearches(python_source._F_QUOTE)
    monkeypatch.setattr(python_source, "_F_QUOTE", counted)
    data = b'"""A module."""\n\n' + b"".join(b'CHOICES_%d = ["org/a%d", "org/b%d"]\n' % (i, i, i) for i in range(10))
    analyze(data, "a.py")
    assert counted.searches == 20  # one per literal: its own line


def test_a_command_line_in_a_triple_quoted_f_string_is_read_on_its_later_lines():
    data = textwrap.dedent('''
        def launch(port):
            script = f"""
                python -m vllm.entrypoints.openai.api_server \\
                    --port {port} --model acme/served-in-a-script"""
            other = rf\'\'\'
                vllm serve --port {port} --model acme/served-raw\'\'\'
            prose = """
                vllm serve --model acme/not-an-f-string"""
            return script, other, prose
    ''').encode()
    occurrences, _ = analyze(data, "launch.py")
    assert {(o.ref.repo_id, o.location.line) for o in occurrences} == {
        ("acme/served-in-a-script", 5), ("acme/served-raw", 7)}


class CountedHosts:
    """A providers' vocabulary that counts how often its API hosts are read (each read is a search of a text)."""

    def __init__(self, vocabulary) -> None:
        self._vocabulary, self.reads = vocabulary, 0

    def __getattr__(self, name):
        if name == "hosts":
            self.reads += 1
        return getattr(self._vocabulary, name)


def test_a_notebook_read_cell_by_cell_looks_for_api_hosts_once(tmp_path):
    """A notebook whose cells do not parse together is read cell by cell, each with the whole notebook as context:
    the hosts the notebook names are looked for once, not once per cell (the whole notebook lowered and searched
    for every cell: the square of a large notebook)."""
    import json

    from licscan.config import data_dir
    from licscan.discovery.hosted_apis import HostedApiSource
    from licscan.discovery.interface import ProjectFile
    from licscan.model import DiscoverySettings
    from licscan.providers import load_providers

    vocabulary = load_providers([data_dir("rules")]).vocabulary

    def read(cells: int) -> tuple[int, int]:
        counted = CountedHosts(vocabulary)
        sources = ['from openai import OpenAI\nclient = OpenAI(base_url="https://api.deepseek.com", api_key="x")\n',
                   "def broken(:\n"] + ['client.chat.completions.create(model="deepseek-chat", messages=[])\n'] * cells
        notebook = {"cells": [{"cell_type": "code", "source": source} for source in sources], "metadata": {},
                    "nbformat": 4, "nbformat_minor": 5}
        data = json.dumps(notebook).encode()
        settings = DiscoverySettings(api=counted)
        output = HostedApiSource().scan(ProjectFile("n.ipynb", "n.ipynb", data, tmp_path, settings))
        assert {o.ref.key for o in output.occurrences} == {"api:deepseek/deepseek-chat"}
        return len(output.occurrences), counted.reads

    (found_few, reads_few), (found_many, reads_many) = read(10), read(200)
    assert (found_few, found_many) == (10, 200)
    assert reads_many == reads_few


class CountedDecodes(bytes):
    """A file's bytes that count how often they are decoded whole."""

    decodes = 0

    def decode(self, *args, **kwargs):
        CountedDecodes.decodes += 1
        return bytes.decode(self, *args, **kwargs)


def test_an_ascii_file_whose_calls_decide_themselves_is_never_decoded_whole():
    """The text of a file is needed only where a whole module is parsed; ASCII is UTF-8 as it stands, so checking
    that an ASCII file is readable costs no decoding of it (a file of other bytes is still checked)."""
    from licscan.discovery.interface import ProjectFile
    from licscan.discovery.python_source import PythonSource

    data = CountedDecodes(b"from transformers import AutoModel\nmodel = AutoModel.from_pretrained('org/name')\n")
    CountedDecodes.decodes = 0
    output = PythonSource().scan(ProjectFile("a.py", "a.py", data))
    assert [o.ref.repo_id for o in output.occurrences] == ["org/name"]
    assert CountedDecodes.decodes == 0
    broken = PythonSource().scan(ProjectFile("b.py", "b.py", bytes(data) + b"# caf\xe9\n"))
    assert [item.reason for item in broken.skipped] == ["not-utf8"] and not broken.occurrences


def test_the_model_variable_pattern_tried_at_its_words_finds_what_re_finds_trying_every_byte():
    from licscan.discovery import commands

    rng = random.Random(15)
    pieces = [b"MODEL", b"_MODEL", b"MODEL_ID", b"REPO_ID", b"TOKENIZER", b"TOKENIZER_NAME", b"x", b"X", b"9", b"_",
              b"=", b" ", b"\n", b"org/m", b'"', b"'", b";", b"?=", b":=", b"EMBED_", b"a", b"ENV ", b"A" * 300]
    for _ in range(3000):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        expected = [(match.span(), match.groups()) for match in commands._ENV.finditer(data)]
        assert [(match.span(), match.groups()) for match in commands._env_matches(data)] == expected, data


def test_a_long_script_is_read_for_model_variables_only_around_their_names(monkeypatch):
    """`EMBEDDING_MODEL_ID=org/name` in a script of a thousand other lines: the variable pattern reads the bytes
    around the name, not the script (re tried it at every byte: its lookbehind and class keep re from skipping)."""
    from licscan.discovery import commands
    from licscan.discovery.commands import commands_in

    counted = CountedReads(commands._ENV)
    monkeypatch.setattr(commands, "_ENV", counted)
    data = b"".join(b"echo step %d of the setup, nothing to see here\n" % i for i in range(1000))
    data += b"export EMBEDDING_MODEL_ID=acme/embedder\n"
    found = list(commands_in(data, "setup.sh"))
    assert {(o.ref.repo_id, o.location.line) for o in found} == {("acme/embedder", 1001)}
    assert counted.read < 200 < len(data)


def test_a_provider_client_file_is_read_for_model_literals_only_around_their_words(monkeypatch):
    """Whether an ASCII file that imports a provider's SDK holds a model name worth a parse is read where `model=`,
    `engine=` or a client call's name stands, with the matches re gives reading every character."""
    from licscan.config import data_dir
    from licscan.discovery import hosted_apis
    from licscan.providers import load_providers

    vocabulary = load_providers([data_dir("rules")]).vocabulary
    counted = CountedReads(hosted_apis._PY_CANDIDATE)
    monkeypatch.setattr(hosted_apis, "_PY_CANDIDATE", counted)
    text = "from openai import OpenAI\n" + "".join(f"step_{i} = compute({i})\n" for i in range(1000))
    assert hosted_apis._worth_parsing(text + 'OpenAI().chat.completions.create(model="gpt-4o")\n', vocabulary)
    assert not hosted_apis._worth_parsing(text, vocabulary)
    assert counted.read < 1000 < len(text)

    rng = random.Random(4)
    pieces = ["model", "MODEL", "Model_name", "engine", "chat(", "generate(", "pull(", "embed_x(", "show(", "create(",
              "push(", "=", ":", " ", "'", '"', "gpt-4o", "a/b", "x", "_", "\n", "[", "]", ",", "\t", "mychat(", "9"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
        expected = [(match.span(), match.groups()) for match in hosted_apis._PY_CANDIDATE.finditer(text)]
        assert [(match.span(), match.groups()) for match in hosted_apis._py_candidates(text, text.lower())] == expected


def test_a_notebook_line_is_tried_as_a_shell_or_magic_line_only_when_it_holds_the_mark(monkeypatch):
    """`!pip install x` and `%matplotlib inline` are told apart from Python by their mark: a line without one is not
    matched against the line patterns (two regex matches per line of every notebook)."""
    from licscan.discovery import notebooks

    tried = [0]

    class CountedMatch:
        def __init__(self, pattern) -> None:
            self.pattern = pattern

        def match(self, line):
            tried[0] += 1
            return self.pattern.match(line)

    monkeypatch.setattr(notebooks, "_SHELL_LINE", CountedMatch(notebooks._SHELL_LINE))
    monkeypatch.setattr(notebooks, "_MAGIC_LINE", CountedMatch(notebooks._MAGIC_LINE))
    cells = notebooks._Cells()
    cells.add(1, "!huggingface-cli download acme/model\n%matplotlib inline\n" + "x = 1\n" * 100)
    assert cells.shell == ["huggingface-cli download acme/model"]
    assert cells.python[:3] == ["pass", "pass", "x = 1"]
    assert tried[0] <= 4


def test_the_names_a_call_reads_are_searched_without_a_pattern_compiled_for_each(monkeypatch):
    """`from_pretrained(name)` asks whether `name` is bound anywhere to something that may name a repo: each name is
    searched for with bytes.find and one shared pattern, never a pattern compiled for it (149 names over the sdists,
    each compiled in every process that met it: about 9 ms); the places found are the ones such a pattern finds."""
    import re

    compiled = []
    compile_pattern = re.compile
    monkeypatch.setattr(re, "compile", lambda *args, **kwargs: compiled.append(args) or compile_pattern(*args, **kwargs))
    names = [f"checkpoint_{i}" for i in range(40)]
    data = "".join(f"{name} = pick({i})\n" for i, name in enumerate(names)).encode()
    data += b"from transformers import AutoModel\n" + b"".join(
        f"m{i} = AutoModel.from_pretrained({name})\n".encode() for i, name in enumerate(names))
    analyze(data, "a.py")  # (the module's own patterns and needles, compiled on first use)
    compiled.clear()
    occurrences, skipped = analyze(data, "a.py")
    assert not occurrences and {item.reason for item in skipped} == {"unresolved-reference"} and len(skipped) == 40
    assert compiled == []

    rng = random.Random(21)
    pieces = [b"model_id", b"model_idx", b" ", b"\t", b":", b"=", b"==", b"\n", b"str", b"'a/b'", b"x", b"(", b","]
    for _ in range(3000):
        text = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
        pattern = compile_pattern(re.escape(b"model_id") + python_source._BOUND_AFTER_NAME.pattern)
        expected = [(match.start(), match.group(1)) for match in pattern.finditer(text)]
        assert list(python_source._assigned_after(text, b"model_id")) == expected, text


def test_a_module_that_only_mentions_ollama_is_not_parsed_for_it_and_every_use_of_it_still_is(monkeypatch):
    """A helper named for Ollama (`get_ollama_modelfile`) or a message about it ("ollama modelfile saved") names no
    model: the hosted-API reading spares the module's parse and walk (LLaMA-Factory's 100 KB template.py: 25 ms).
    Each way a module uses Ollama is still parsed and found."""
    from licscan.config import data_dir
    from licscan.discovery import hosted_apis
    from licscan.discovery.interface import ProjectFile
    from licscan.model import DiscoverySettings
    from licscan.providers import load_providers

    settings = DiscoverySettings(api=load_providers([data_dir("rules")]).vocabulary)
    parsed = [0]
    parse = hosted_apis._parse
    monkeypatch.setattr(hosted_apis, "_parse", lambda text: parsed.__setitem__(0, parsed[0] + 1) or parse(text))

    def runtime_tags(source: str) -> set[str]:
        file = ProjectFile("a.py", "a.py", source.encode(), settings=settings)
        return {item.ref.repo_id for item in hosted_apis.HostedApiSource().scan(file).occurrences}

    mentions = textwrap.dedent('''
        import os
        def get_ollama_modelfile(template):
            """Return the ollama modelfile."""
            modelfile = "# ollama modelfile auto-generated\\n"
            return modelfile + _convert_slots_to_ollama(template)
        def export(path):
            ollama_modelfile = os.path.join(path, "Modelfile")
            print(f"Ollama modelfile saved in {ollama_modelfile}")
    ''')
    assert runtime_tags(mentions) == set() and parsed[0] == 0
    uses = {
        "import ollama\nollama.chat(model='qwen2.5:7b')\n": "ollama:qwen2.5:7b",
        "import ollama as o\n(ollama\n  ).chat(model='qwen2.5:7b')\n": "ollama:qwen2.5:7b",
        "from langchain_ollama import ChatOllama\nChatOllama(model='mistral')\n": "ollama:mistral:latest",
        "from langchain_community.chat_models import (\n    ChatOllama,\n)\nChatOllama(model='mistral')\n":
            "ollama:mistral:latest",
        "from langchain_community.chat_models import a, \\\n    ChatOllama\nChatOllama(model='mistral')\n":
            "ollama:mistral:latest",
        "import subprocess\nsubprocess.run('ollama pull gemma2', shell=True)\n": "ollama:gemma2:latest",
        "import subprocess\nsubprocess.run('ollama ' 'run gemma2', shell=True)\n": "ollama:gemma2:latest",
        "import subprocess\nsubprocess.run('ollama\\tpull gemma2', shell=True)\n": "ollama:gemma2:latest",
    }
    for source, tag in uses.items():
        parsed[0] = 0
        assert runtime_tags(mentions + source) == {tag} and parsed[0] == 1, source


def test_an_id_a_call_already_reported_is_not_named_again(monkeypatch):
    """`AutoModel.from_pretrained("org/name")` is reported by the calls' reading; its literal is then passed over
    before the naming words around it are looked for (a fifth of the sdists' named ids stand in such calls)."""
    named = [0]
    naming_kind = python_source._naming_kind
    monkeypatch.setattr(python_source, "_naming_kind", lambda *args: named.__setitem__(0, named[0] + 1) or naming_kind(*args))
    data = b"from transformers import AutoModel\n" + b"".join(
        b'model_%d = AutoModel.from_pretrained("org/m%d")\n' % (i, i) for i in range(20))
    data += b'EMBED_MODEL = "org/embedder"\n'
    occurrences, _ = analyze(data, "a.py")
    assert sorted(o.ref.repo_id for o in occurrences) == sorted([f"org/m{i}" for i in range(20)] + ["org/embedder"])
    assert named[0] == 1


CONFIG_PIECES = [
    "from transformers import AutoModel, AutoTokenizer\n",
    "from datasets import load_dataset\n",
    'base = "org/base-model"\n',
    'data_path = "org/some-data"\n',
    "base = pick()\n",
    "lr = 2e-5\n",
    "tokenizer = dict(\n    type=AutoTokenizer.from_pretrained,\n    pretrained_model_name_or_path=base,\n)\n",
    "model = dict(type=AutoModel.from_pretrained,\n    pretrained_model_name_or_path=base)\n",
    "train = dict(dataset=dict(type=load_dataset, path=data_path))\n",
    "parts = (\n'org/', 'left-margin')\n",  # a bracket continued at the left margin
    "other = dict(x=1,\nbase='org/a-keyword'\n, y=2)\n",  # a keyword at the left margin binds no `base`
    "text = '''\nbase = 'org/in-a-string'\n'''\n",
    "total = 1 + \\\n2\n",  # a backslash continuation
    '"""A docstring\nbase = "org/in-a-docstring"\n"""\n',
    "if lr:\n    base = 'org/in-an-if'\nelse:\n    data_path = 'org/in-an-else'\n",
    "@decorate\ndef helper():\n    global base\n    base = 'org/rebound'\n",
    "for base in names:\n    pass\n",
    "with open(x) as data_path:\n    pass\n",
    "import base\n",
    "ｂase = 'org/nfkc-spelling'\n",  # the same name, spelled in fullwidth letters
    "class Config:\n    model = dict(type=AutoModel.from_pretrained, pretrained_model_name_or_path=base)\n",
    "x = [\n    dict(type=AutoModel.from_pretrained, pretrained_model_name_or_path='org/listed'),\n]\n",
    "# a comment ending in a backslash \\\ny = 1\n",
    "s = 'a \\\ncontinued string'\n",
    "try:\n    base = 'org/in-a-try'\nexcept ValueError:\n    pass\nfinally:\n    pass\n",
    "(base := 'org/walrus')\n",
    "a = 1; data_path = 'org/semicolon'\n",
    "del base\n",
    "while lr:\n    break\nelse:\n    base = 'org/while-else'\n",
    "f = lambda base='org/lambda': AutoModel.from_pretrained(base)\n",
    "# don't split on a quote in a comment (\n",
]


def test_module_level_calls_read_statement_by_statement_find_what_the_whole_module_finds():
    """A config module's lazy `dict(type=AutoModel.from_pretrained, pretrained_model_name_or_path=name)` calls are
    read in their top-level statements alone, each name's module bindings from the statements holding it: over
    random modules of assignments, brackets and strings continued at the left margin, compound statements,
    decorators, global rebinding and names bound by for, with and import, the same occurrences and references as
    the whole module's reading."""
    rng = random.Random(7)
    for _ in range(1000):
        data = "".join(rng.choice(CONFIG_PIECES) for _ in range(rng.randint(1, 12))).encode()
        expected = analyze(data, "c.py", by_statement=False)
        assert analyze(data, "c.py") == expected, data.decode()


def test_a_config_module_is_not_parsed_whole_for_its_lazy_calls(monkeypatch):
    """xtuner's 600 config modules were each parsed whole for three lazy calls: now the statements holding the calls
    and those binding the names they read are parsed, not the hundred settings around them."""
    import ast

    parsed = []
    parse = ast.parse
    monkeypatch.setattr(ast, "parse", lambda source, *args, **kwargs: parsed.append(len(source)) or parse(source, *args, **kwargs))
    data = ("from transformers import AutoModel\n" + 'base = "org/base-model"\n'
            + "".join(f"setting_{i} = dict(value={i}, other=[{i}, {i + 1}])\n" for i in range(100))
            + "model = dict(type=AutoModel.from_pretrained,\n    pretrained_model_name_or_path=base)\n").encode()
    occurrences, skipped = analyze(data, "config.py")
    assert [(o.ref.repo_id, o.location.line) for o in occurrences] == [("org/base-model", 103)] and not skipped
    assert max(parsed) < len(data) and sum(parsed) < len(data) // 2


def test_a_bracket_closed_before_anything_else_opens_ends_where_the_token_reading_ends_it():
    """call_end takes a bracket holding no other bracket, string or comment in one match (most signatures and many
    calls); at the brackets of random texts it answers what the token-by-token reading answers, near its reach too."""
    rng = random.Random(31)
    pieces = [b"(", b")", b"[", b"]", b"{", b"}", b"a", b", ", b"\n", b"#c\n", b"#)\n", b"#(\n", b'"s)"', b"'t]'",
              b'"""d)\n"""', b"x" * 300, b"\\", b'"']
    for _ in range(2000):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(1, 30)))
        text = PythonText(data)
        for position in range(len(data)):
            if data[position] in b"([{" or rng.random() < 0.02:
                assert text.call_end(position) == text.call_end_by_tokens(position), (data, position)
    reach = python_text.MAX_CALL_BYTES
    for size in (reach - 3, reach - 2, reach - 1, reach):
        text = PythonText(b"f(" + b"a" * size + b")")
        assert text.call_end(1) == text.call_end_by_tokens(1), size


def test_a_list_name_looked_for_alone_stands_where_the_index_of_every_word_has_it():
    """Whether a list of ids is read again looks for its name with bytes.find (the index of every word of a 300 KB
    test file cost more than the rest of its named literals); the places found are the words _IDENTIFIER finds."""
    rng = random.Random(37)
    pieces = [b"MODELS", b"MODELS_2", b"_MODELS", b"1", b"9MODELS", b"a", b"_", b" ", b"\n", b".", b"\xc3\xa9", b"x1"]
    for _ in range(3000):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 20)))
        expected = [match.start() for match in python_source._IDENTIFIER.finditer(data) if match.group() == b"MODELS"]
        assert list(python_source._word_places(data, b"MODELS")) == expected, data


def test_lists_of_ids_are_told_read_again_the_same_whether_their_names_are_looked_for_or_indexed():
    """Past a few list names a file's words are indexed once (many lists stay linear); both ways give the same finds."""
    lists = "".join(f'LLAMA_EVALS_{i} = ["org/a{i}", "org/b{i}"]\n' for i in range(20))
    reads = "".join(f"use(LLAMA_EVALS_{i})\n" if i % 3 else f"# LLAMA_EVALS_{i}\n" for i in range(20))
    occurrences, _ = analyze((lists + reads).encode(), "a.py")
    listed = sorted({o.location.line for o in occurrences})
    assert listed == [i + 1 for i in range(20) if i % 3]


def test_a_def_looked_for_by_its_name_is_the_one_the_index_of_every_def_gives():
    """A literal passed to a function the file defines takes its kind from the parameter's name; the first few
    functions are looked for where their names stand, not by reading every def of the file: the same def found."""
    rng = random.Random(41)
    names = [b"build", b"build_x", b"rebuild", b"x.build", b"build2"]
    other = [b"x = build(a, 'org/m')", b"# def build(q)", b"build = 1", b"", b"s = 'def build(z)'", b"f(build)"]

    def line() -> bytes:
        if rng.random() < 0.5:
            return rng.choice(other)
        head = rng.choice([b"", b"    ", b"\t", b"  async "]) + rng.choice([b"def ", b"def\t", b"def  ", b"de "])
        parameters = b", ".join(rng.choice([b"a", b"embed_model", b"k=1", b"*args", b"m: str"])
                                for _ in range(rng.randint(0, 3)))
        return head + rng.choice(names) + rng.choice([b"", b" "]) + b"(" + parameters + rng.choice([b"):", b"", b"(:"])

    for _ in range(3000):
        data = b"\n".join(line() for _ in range(rng.randint(0, 8)))
        index: dict[bytes, list[bytes]] = {}
        for found in python_source.matches_from_line_starts(data, python_source._DEF, b"def"):
            index.setdefault(found.group(1), python_source._parameter_names(found))
        assert python_source._first_def_parameters(data, b"build") == index.get(b"build"), data


def test_many_functions_given_ids_are_named_by_their_parameters_either_way():
    """Past a few function names a file's defs are read once (many names stay linear); both ways name the same ids."""
    defs = "".join(f"def build_{i}(config, embed_model{i}, k):\n    pass\n" for i in range(20))
    calls = "".join(f'build_{i}(cfg, "org/m{i}", 3)\n' for i in range(20))
    occurrences, _ = analyze((defs + calls).encode(), "a.py")
    assert sorted(o.ref.repo_id for o in occurrences) == sorted(f"org/m{i}" for i in range(20))


def test_the_identifier_around_a_needle_is_the_run_of_ascii_word_characters_holding_it():
    """_survey widens each needle's match to the identifier holding it with one match forward (no Python step per
    byte): the run a byte-by-byte reading gives, non-ASCII bytes ending it."""
    def by_bytes(data: bytes, start: int, end: int) -> tuple[int, int]:
        while start > 0 and (data[start - 1 : start].isalnum() or data[start - 1] == 0x5F):
            start -= 1
        while end < len(data) and (data[end : end + 1].isalnum() or data[end] == 0x5F):
            end += 1
        return start, end

    rng = random.Random(43)
    pieces = [b"from_pretrained", b"a", b"Z", b"9", b"_", b".", b"(", b" ", b"\xc3\xa9", b"\n", b"-"]
    for _ in range(3000):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        start = rng.randrange(len(data))
        end = rng.randint(start, len(data))
        assert python_source._identifier_around(data, start, end) == by_bytes(data, start, end), (data, start, end)


def test_a_file_without_three_single_quotes_is_not_searched_for_them_and_one_with_them_reads_its_docstrings(monkeypatch):
    """Most files quote their docstrings with three double quotes: whether a file holds three single quotes comes from
    its needle pass, and a file without them is not read to its end looking for them (over the sdists' files with
    id literals that search read 66 MB). A docstring in single quotes still hides the ids in it."""
    from licscan.discovery.interface import ProjectFile
    from licscan.discovery.python_source import PythonSource

    single = b"'" * 3
    searched = []

    class CountedBytes(bytes):
        def find(self, sub, *args):
            searched.append(bytes(sub))
            return bytes.find(self, sub, *args)

    head = b'model_id = "org/top"\n'
    body = b'"""A docstring."""\n' + b"x = 1\n" * 2000
    output = PythonSource().scan(ProjectFile("a.py", "a.py", CountedBytes(head + body)))
    assert [o.ref.repo_id for o in output.occurrences] == ["org/top"]
    assert single not in searched
    quoted = head + single + b'\nmodel = "org/in-a-docstring"\n' + single + b'\nembed_model = "org/after"\n'
    output = PythonSource().scan(ProjectFile("b.py", "b.py", quoted))
    assert [o.ref.repo_id for o in output.occurrences] == ["org/top", "org/after"]


def test_the_last_naming_word_decides_the_kind_whichever_words_are_looked_for():
    """_kind_named looks for the repo words only in a text holding "repo" and the dataset words only in one holding
    "data": the kind is the one the last of all the words gives."""
    from licscan.model import RefKind

    def every_word(searched: bytes) -> RefKind | None:
        if b"/" in searched:
            searched = python_source._ID_STRING.sub(b"''", searched)
        lowered = searched.lower()
        model = max(map(lowered.rfind, python_source._MODEL_WORDS))
        dataset = max(map(lowered.rfind, python_source._DATASET_WORDS))
        return None if model < 0 and dataset < 0 else RefKind.DATASET if dataset > model else RefKind.MODEL

    assert all(b"data" in word for word in python_source._DATASET_WORDS)
    rng = random.Random(59)
    pieces = [*python_source._MODEL_WORDS, *python_source._DATASET_WORDS, b"REPO_ID", b"Data_Path", b"x", b"_", b" = ",
              b"'org/model'", b"repo", b"data", b"hf_", b"id"]
    for _ in range(5000):
        text = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        assert python_source._kind_named(text) == every_word(text), text


def test_a_wrapper_class_is_looked_for_only_before_an_opening_bracket_and_found_as_the_pattern_finds_it():
    """The constructor test (`TransformersEngine(ID)`) is tried only on a text ending with "(" and blanks."""
    rng = random.Random(61)
    pieces = [b"Engine", b"ENGINE", b"Client", b"x.", b"(", b" ", b"\t", b"e", b"_", b"9", b",", b"\n"]
    for _ in range(5000):
        text = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        assert python_source._constructed(text) == (python_source._CONSTRUCTED.search(text) is not None), text


def test_a_keyword_inside_the_calls_read_is_told_by_one_bisection_as_trying_every_call_tells_it():
    """A model keyword inside a recognised call is read with the call; whether it is inside one is one bisection over
    the calls' ranges (nested or apart), not a try of every call for every keyword (10,000 of each: 3.6 s, now
    0.3 s in bench_hostile.py's "calls, each with a model keyword"), with the same answers."""
    rng = random.Random(67)
    for _ in range(300):
        ranges, at = [], 0
        for _ in range(rng.randint(0, 8)):
            at += rng.randint(0, 5)
            ranges.append((at, at + rng.randint(1, 30)))  # (later ranges may start inside earlier ones: nested calls)
        covered = python_source._Covered(ranges)
        for offset in range(-1, at + 40):
            assert covered.holds(offset) == any(low <= offset < high for low, high in ranges), (ranges, offset)


def test_the_brackets_of_a_stretch_are_counted_as_each_bracket_counted_apart():
    rng = random.Random(71)
    for _ in range(2000):
        data = b"".join(rng.choice([b"(", b")", b"[", b"]", b"{", b"}", b"a", b" "]) for _ in range(rng.randint(0, 20)))
        start = rng.randint(0, len(data))
        end = rng.randint(start, len(data))
        expected = sum(data.count(c, start, end) for c in (b"(", b"[", b"{")) - sum(
            data.count(c, start, end) for c in (b")", b"]", b"}"))
        assert python_text._bracket_change(data, start, end) == expected, (data, start, end)
