"""The call-level reading gives what the whole-module parse gives, and spares that parse where literals decide."""

from __future__ import annotations

import textwrap

import pytest

from licscan.discovery import python_source
from licscan.discovery.python_source import analyze

SNIPPETS = {
    "docstrings_and_comments": '''
        """Example:

            >>> model = AutoModel.from_pretrained("org/in-docstring")
        """
        from transformers import AutoModel, pipeline

        # AutoModel.from_pretrained("org/in-comment")
        TEMPLATE = \'\'\'pipeline("text", model="org/in-template")\'\'\'
        odd = 'a """ inside a string' ; real = AutoModel.from_pretrained("org/after-odd-string")
        hashed = "# not a comment" ; also = AutoModel.from_pretrained("org/after-hash-string")
    ''',
    "doctest_prompts": '''
        from transformers import AutoModel, pipeline


        def example():
            """
            >>> AutoModel.from_pretrained("org/doctest-example")
                >>> pipeline("text-generation", model="org/indented-doctest")
            """
            prompt = ">>>" ; return AutoModel.from_pretrained("org/after-a-prompt-in-a-string")


        ARGS = dict(x=1, model_name_or_path=(
            "org/keyword-in-brackets"))
    ''',
    "functions_alone": '''
        from transformers import AutoModel

        model_id = "org/module-model-id"
        BASE = "org/module-base"
        CHOSEN = "org/chosen-at-import"


        def takes_parameter(model_id):
            return AutoModel.from_pretrained(model_id)


        def uses_module_name():
            return AutoModel.from_pretrained(BASE)


        class Suite:
            BASE = "org/class-attribute"

            def test_method(self):
                return AutoModel.from_pretrained(BASE)

            def test_default(self, chosen=AutoModel.from_pretrained(BASE)):
                return chosen

            def test_local(self):
                model_id = "org/method-local"
                return AutoModel.from_pretrained(model_id)


        def outer():
            inner_id = "org/enclosing-function"

            def inner():
                return AutoModel.from_pretrained(inner_id)

            return inner


        def declares_global():
            global CHOSEN
            CHOSEN = "org/rebound-globally"
            return AutoModel.from_pretrained(CHOSEN)


        def left_margin_continuation():
            parts = (
        "org/", "left-margin")
            return AutoModel.from_pretrained(model_id)
    ''',
    "definition_defaults": '''
        import os
        from transformers import pipeline


        def pipeline(task, model="org/default-of-a-def"):
            return task


        class Loader:
            def pipeline(self, model="org/default-of-a-method"):
                return model


        used = pipeline("text-generation", model="org/a-real-call")
    ''',
    "receivers_and_nesting": '''
        import transformers
        from peft import PeftModel

        a = transformers.AutoModel.from_pretrained("org/dotted")
        b = PeftModel.from_pretrained(transformers.AutoModel.from_pretrained("org/inner"), "org/outer-adapter")
        c = (transformers
             .AutoTokenizer
             .from_pretrained("org/multi-line-chain"))
        d = registry["x"].from_pretrained("org/on-subscript")
        e = make().from_pretrained("org/on-call")
        f = make().from_pretrained(some_parameter)
    ''',
    "scopes": '''
        from transformers import AutoModel

        MODEL = "org/module-level"
        SHADOWED = "org/shadowed"


        class Config:
            MODEL = "org/class-level"

            def load(self):
                return AutoModel.from_pretrained(MODEL)


        def load(SHADOWED):
            return AutoModel.from_pretrained(SHADOWED)


        def local():
            name = "org/function-level"
            inner = lambda: AutoModel.from_pretrained(name)
            return [AutoModel.from_pretrained(name) for _ in range(2)], inner


        def uses_global():
            global MODEL
            return AutoModel.from_pretrained(MODEL)


        def walrus():
            if (picked := "org/walrus"):
                return AutoModel.from_pretrained(picked)
    ''',
    "definitions_and_keywords": '''
        def pipeline(task, model=None):
            return task

        def from_pretrained(cls, pretrained_model_name_or_path, **kwargs):
            return build(pretrained_model_name_or_path=pretrained_model_name_or_path, **kwargs)

        args = Arguments(model_name_or_path="org/keyword-model")
        pretrained_model_name_or_path = "org/assigned-keyword-name"
        other = Arguments(pretrained_model_name_or_path=pretrained_model_name_or_path)
    ''',
    "strings_built": '''
        import os
        from transformers import AutoModel

        ORG = "acme"
        VERSION = os.environ.get("VERSION", "v1")


        def build(size):
            AutoModel.from_pretrained(f"{ORG}/model-{VERSION}")
            AutoModel.from_pretrained(f"{ORG}/model-{size}")
            AutoModel.from_pretrained(ORG + "/" + "joined")
            AutoModel.from_pretrained("{}/{:>5}".format(ORG, size))
            AutoModel.from_pretrained(os.environ["CHOSEN_MODEL"])
            AutoModel.from_pretrained(os.getenv("FALLBACK", "acme/fallback"), revision=os.getenv("REV"))
    ''',
    "rebinding": '''
        from transformers import AutoModel

        target_lang = "eng"
        target_lang = "fra"
        MODEL = "org/first"
        MODEL = "org/second"

        AutoModel.from_pretrained(target_lang)
        AutoModel.from_pretrained(MODEL)
        for MODEL_IN_LOOP in ("org/x", "org/y"):
            AutoModel.from_pretrained(MODEL_IN_LOOP)
    ''',
    "downloads_and_datasets": '''
        from datasets import load_dataset
        from huggingface_hub import hf_hub_download, snapshot_download

        REPO = "org/data-repo"
        hf_hub_download(REPO, "file.json", repo_type="dataset")
        snapshot_download(repo_id="org/space", repo_type="space")
        load_dataset(REPO)
        load_dataset("json", data_files="x.json")
    ''',
}


def _both(source: str, monkeypatch) -> tuple[tuple, tuple]:
    data = textwrap.dedent(source).lstrip("\n").encode("utf-8")
    fast = analyze(data, "snippet.py")

    def refuse(*args, **kwargs):
        raise python_source._NeedsFullParse("forced")

    with monkeypatch.context() as patch:
        patch.setattr(python_source, "_fast_parse", refuse)
        full = analyze(data, "snippet.py")
    return (sorted(fast[0]), sorted(fast[1])), (sorted(full[0]), sorted(full[1]))


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_fast_reading_equals_the_full_parse(name, monkeypatch):
    fast, full = _both(SNIPPETS[name], monkeypatch)
    assert fast == full
    assert fast[0] or fast[1], "every snippet names something"


def test_the_full_parse_is_spared_where_literals_decide(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the whole module was parsed")

    monkeypatch.setattr(python_source, "_full_parse", forbidden)
    data = textwrap.dedent(SNIPPETS["docstrings_and_comments"]).encode("utf-8")
    occurrences, skipped = analyze(data, "snippet.py")
    assert {o.ref.repo_id for o in occurrences if o.via != "named"} == {"org/after-odd-string", "org/after-hash-string"}
    assert skipped == []


def test_functions_read_alone_see_their_own_names_and_the_modules(monkeypatch):
    data = textwrap.dedent(SNIPPETS["functions_alone"]).lstrip("\n").encode("utf-8")
    whole_module = []
    real_full_parse = python_source._full_parse

    def counting_full_parse(text, source, *args):
        whole_module.append(source.count("def "))
        return real_full_parse(text, source, *args)

    monkeypatch.setattr(python_source, "_full_parse", counting_full_parse)
    occurrences, skipped = analyze(data, "f.py")
    assert {(o.ref.repo_id, o.location.line) for o in occurrences if o.via != "named"} == {
        ("org/module-base", 13),  # a module name, from inside a function
        ("org/module-base", 20),  # a method does not see its class's attributes
        ("org/class-attribute", 22),  # a default is read where the def stands: the class body
        ("org/method-local", 27),
        ("org/enclosing-function", 34),
        ("org/module-model-id", 48),  # the block's end misread at the left margin: read with the module
    }
    # A parameter shadows the module's model_id (line 9); a name a function rebinds as global is unknowable.
    assert [s.detail for s in skipped if "known only at run time" not in s.detail] == [
        "line 42: AutoModel.from_pretrained(CHOSEN) (CHOSEN is assigned more than once)"
    ]
    # Only the default (outside any function body) and the misread block needed the module-wide reading.
    assert len(whole_module) == 2


def test_doctest_examples_are_not_uses_but_code_after_a_prompt_in_a_string_is():
    data = textwrap.dedent(SNIPPETS["doctest_prompts"]).lstrip("\n").encode("utf-8")
    occurrences, skipped = analyze(data, "d.py")
    assert {(o.ref.repo_id, o.location.line) for o in occurrences if o.via != "named"} == {
        ("org/after-a-prompt-in-a-string", 9),
        ("org/keyword-in-brackets", 12),
    }
    assert skipped == []


def test_what_the_snippets_name(monkeypatch):
    occurrences, skipped = analyze(textwrap.dedent(SNIPPETS["scopes"]).lstrip("\n").encode("utf-8"), "s.py")
    assert {(o.ref.repo_id, o.location.line) for o in occurrences if o.via != "named"} == {
        ("org/module-level", 11),  # the class attribute is not visible inside the method
        ("org/function-level", 20),
        ("org/function-level", 21),
        ("org/module-level", 26),
    }
    occurrences, skipped = analyze(textwrap.dedent(SNIPPETS["rebinding"]).lstrip("\n").encode("utf-8"), "r.py")
    assert [o for o in occurrences if o.via != "named"] == []  # (assignments are named literals)
    # A non-id rebound ("eng", "fra") is not worth a report; two ids are.
    assert [s.detail for s in skipped if "known only at run time" not in s.detail] == ["line 9: AutoModel.from_pretrained(MODEL) (MODEL is assigned more than once)"]


STUBBING = '''\
import pytest
from transformers import AutoModel

BASE = "org/module-base"
HELP = """
def fake_header_in_a_string():
AutoModel.from_pretrained("org/in-string")
"""


class TestModels:
    model_id = "org/class-attribute"

    @pytest.mark.parametrize("size", [1, 2])
    def test_unrelated(
        self,
        size,
    ) -> None:
        local = "org/unrelated-local"
        assert size

    def test_local_name(self):
        model_id = "org/function-local"
        return AutoModel.from_pretrained(model_id)

    def test_module_name(self):
        def helper():
            return BASE
        return AutoModel.from_pretrained(BASE), helper


def trailing(
    x,
):
    """def inside a docstring"""
    return AutoModel.from_pretrained(x)
'''


def test_stubbed_reading_matches_the_full_parse(monkeypatch):
    import ast

    from licscan.discovery.python_text import PythonText

    data = STUBBING.encode("utf-8")
    text = PythonText(data)
    stubbed = text.stubbed([24, 29])  # keep the two calls that use names
    assert stubbed.count(b"\n") == data.count(b"\n")
    ast.parse(stubbed)
    assert b"org/unrelated-local" not in stubbed and b"def test_unrelated(): pass" in stubbed
    assert b"org/function-local" in stubbed and b'BASE = "org/module-base"' in stubbed
    fast, full = _both(STUBBING, monkeypatch)
    assert fast == full
    assert {(o.ref.repo_id, o.location.line) for o in fast[0] if o.via != "named"} == {("org/function-local", 24), ("org/module-base", 29)}


def test_a_function_with_many_global_statements_is_parsed_once(monkeypatch):
    declarations = "".join(f"    global NAME{number}\n" for number in range(60))
    source = (
        "from transformers import AutoModel\n"
        "MODEL = 'org/at-import'\n\n\n"
        f"def configure():\n{declarations}    global MODEL\n    MODEL = 'org/configured'\n\n\n"
        "def load():\n    return AutoModel.from_pretrained(MODEL)\n"
    )
    parsed: list[int] = []
    real = python_source.PythonText.function_alone

    def counting(self, block):
        parsed.append(block.first)
        return real(self, block)

    monkeypatch.setattr(python_source.PythonText, "function_alone", counting)
    occurrences, skipped = analyze(source.encode("utf-8"), "g.py")
    assert [o for o in occurrences if o.via != "named"] == []  # (assignments are named literals)
    assert [s.detail for s in skipped] == ["line 71: AutoModel.from_pretrained(MODEL) (MODEL is assigned more than once)"]
    assert parsed.count(5) == 1  # configure(), with its 61 global statements, read once


def test_a_def_at_the_left_margin_is_not_a_call():
    data = textwrap.dedent(SNIPPETS["definition_defaults"]).lstrip("\n").encode("utf-8")
    occurrences, skipped = analyze(data, "d.py")
    assert [o.ref.repo_id for o in occurrences if o.via != "named"] == ["org/a-real-call"] and skipped == []
    # The parameter defaults are model names all the same, reported where they stand.
    assert sorted(o.ref.repo_id for o in occurrences if o.via == "named") == [
        "org/default-of-a-def", "org/default-of-a-method",
    ]


def test_one_long_line_of_calls_strings_and_a_comment_reads_as_the_parser_does(monkeypatch):
    # Longer than the reach of the line-start search (4 KB): the table of line starts answers instead.
    calls = "".join(f'm{number} = AutoModel.from_pretrained("org/model-{number}"); ' for number in range(150))
    quoted = "".join(f'q{number} = "https://hf.co/org/url-{number}/resolve/main/w.bin"; ' for number in range(100))
    in_strings = 's = "AutoModel.from_pretrained(\\"org/in-a-string\\")"; '
    line = calls + in_strings + quoted + '# AutoModel.from_pretrained("org/in-the-comment") https://hf.co/org/c'
    source = f"from transformers import AutoModel\n{line}\nlast = AutoModel.from_pretrained('org/next-line')\n"
    assert len(line) > 4096 * 2
    fast, full = _both(source, monkeypatch)
    assert fast == full
    ids = {o.ref.repo_id for o in fast[0]}
    assert len(ids) == 150 + 100 + 1
    assert {"org/model-149", "org/url-99", "org/next-line"} <= ids
    assert not {"org/in-a-string", "org/in-the-comment", "org/c"} & ids


@pytest.mark.parametrize("site", ["_DEF", "_GLOBAL_STATEMENT", "_BLOCK_HEADER"])
def test_line_start_patterns_tried_where_their_word_is_give_every_match_a_full_scan_gives(site):
    """def headers, global statements and def/class blocks are matched only at the starts of the lines holding
    their keyword (re tries a `^` pattern at every byte): the same matches as the pattern's own scan, over
    random text made of the pieces that make and break them."""
    import random

    from licscan.discovery import python_text
    from licscan.discovery.python_text import matches_from_line_starts

    module = python_text if site == "_BLOCK_HEADER" else python_source
    pattern = getattr(module, site)
    words = {"_DEF": (b"def",), "_GLOBAL_STATEMENT": (b"global",), "_BLOCK_HEADER": (b"def", b"class")}[site]
    pieces = [b"def", b"class", b"global", b"async", b" ", b"\t", b"\n", b"\r\n", b"f", b"(", b")", b"a, b", b"x",
              b"#", b"[", b"default", b"  global g", b"\ndef f(a):", b"\n    async def g(", b"\nclass C:"]
    rng = random.Random(3)
    samples = [b"def f(a, b):\n    global x, y\nclass C:\n  def g(self): pass\n", b"", b"def", b"\nglobal"]
    samples += [b"".join(rng.choice(pieces) for _ in range(rng.randint(1, 40))) for _ in range(2000)]
    found = 0
    for data in samples:
        fast = [(m.span(), m.groups()) for m in matches_from_line_starts(data, pattern, *words)]
        assert fast == [(m.span(), m.groups()) for m in pattern.finditer(data)], data
        found += len(fast)
    assert found > 100  # (the pieces do make matches)


class CountedBytes(bytes):
    """Bytes that add up how many bytes their count() looks at (a count of work, not a time)."""

    looked_at = 0

    def count(self, sub, start=0, end=None):
        CountedBytes.looked_at += (len(self) if end is None else end) - start
        return bytes.count(self, sub, start, end)


def test_line_numbers_asked_a_little_back_cost_the_step_not_the_file():
    """The fast reading asks a call's line after its parenthesis's, a few bytes back, for each call it leaves to
    the module's scopes: thousands of such calls (bench_hostile's 10,000 defs) re-counted the file from its start
    each time, the square of its size; 4 times the file now costs about 4 times the counting."""
    from licscan.discovery.common import LineIndex

    def work(functions: int) -> int:
        data = CountedBytes(b"".join(b"def f%d():\n    return load(name)\n" % i for i in range(functions)))
        index = LineIndex(data)
        CountedBytes.looked_at = 0
        for number in range(functions):
            call = data.index(b"load(name)", data.index(b"def f%d()" % number))
            assert index.line(call + 4) == 2 * number + 2  # the parenthesis, then the name 4 bytes back
            assert index.line(call) == 2 * number + 2
        assert index.line(3) == 1  # (far back: counted from the start, still right)
        return CountedBytes.looked_at

    small, large = work(500), work(2000)
    assert large / small < 5, (small, large)
