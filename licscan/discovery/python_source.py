"""Python source: model ids passed to Hugging Face loading calls, found with ast, never executed."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field

from licscan.model import Location, ModelRef, Occurrence, RefKind, Skipped

from .common import clip, hub_ref
from .interface import ProjectFile, SourceOutput

# ast.parse is the expensive step; files without any of these words cannot match.
_TRIGGER = re.compile(rb"from_pretrained|pipeline|hf_hub_download|snapshot_download|SentenceTransformer|CrossEncoder|LLM")

_SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


@dataclass
class _Scope:
    """Names bound in one scope: each binding is the literal string it was given, or None."""

    bindings: dict[str, list[str | None]] = field(default_factory=dict)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)
    is_class: bool = False

    def bind(self, name: str, value: str | None) -> None:
        self.bindings.setdefault(name, []).append(value)


def _literal(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and all(
        isinstance(part, ast.Constant) and isinstance(part.value, str) for part in node.values
    ):
        # An f-string with no placeholders is a plain string.
        return "".join(part.value for part in node.values)  # type: ignore[attr-defined]
    return None


class _BindingCollector(ast.NodeVisitor):
    """Records the names a scope body binds, without entering nested scopes."""

    def __init__(self, scope: _Scope) -> None:
        self.scope = scope

    def collect(self, body: list[ast.stmt]) -> _Scope:
        for statement in body:
            self.visit(statement)
        return self.scope

    def _target(self, target: ast.AST, value: str | None) -> None:
        if isinstance(target, ast.Name):
            self.scope.bind(target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._target(element, None)
        elif isinstance(target, ast.Starred):
            self._target(target.value, None)
        else:
            self.visit(target)  # attribute or subscript targets bind nothing, but may hold walruses

    def visit_Assign(self, node: ast.Assign) -> None:
        value = _literal(node.value)
        for target in node.targets:
            self._target(target, value)
        self.visit(node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._target(node.target, _literal(node.value))
            self.visit(node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._target(node.target, None)
        self.visit(node.value)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self._target(node.target, None)
        self.visit(node.value)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self._target(node.target, None)
        self.visit(node.iter)
        for statement in node.body + node.orelse:
            self.visit(statement)

    visit_AsyncFor = visit_For

    def visit_withitem(self, node: ast.withitem) -> None:
        self.visit(node.context_expr)
        if node.optional_vars is not None:
            self._target(node.optional_vars, None)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.scope.bind(node.name, None)
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            self.scope.bind((alias.asname or alias.name).split(".")[0], None)

    visit_ImportFrom = visit_Import

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._target(target, None)

    def visit_Global(self, node: ast.Global) -> None:
        self.scope.globals.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.scope.nonlocals.update(node.names)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name:
            self.scope.bind(node.name, None)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self.scope.bind(node.name, None)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest:
            self.scope.bind(node.rest, None)
        self.generic_visit(node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        # Comprehension targets live in the comprehension's own scope.
        self.visit(node.iter)
        for condition in node.ifs:
            self.visit(condition)

    def _nested(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.scope.bind(node.name, None)
        for decorator in node.decorator_list:
            self.visit(decorator)

    visit_FunctionDef = _nested
    visit_AsyncFunctionDef = _nested
    visit_ClassDef = _nested

    def visit_Lambda(self, node: ast.Lambda) -> None:
        pass


def _arguments(args: ast.arguments) -> list[str]:
    every = args.posonlyargs + args.args + args.kwonlyargs
    names = [arg.arg for arg in every]
    names += [arg.arg for arg in (args.vararg, args.kwarg) if arg is not None]
    return names


@dataclass(frozen=True)
class _Target:
    """One model-naming argument of a recognised call."""

    positional: int | None
    keywords: tuple[str, ...]


_FROM_PRETRAINED = (_Target(0, ("pretrained_model_name_or_path",)),)
_PEFT_FROM_PRETRAINED = (_Target(1, ("model_id",)),)
_PIPELINE = (_Target(1, ("model",)), _Target(None, ("tokenizer",)))
_HUB_DOWNLOAD = (_Target(0, ("repo_id",)),)
_SENTENCE_TRANSFORMER = (_Target(0, ("model_name_or_path",)),)
_CROSS_ENCODER = (_Target(0, ("model_name", "model_name_or_path")),)
_VLLM = (_Target(0, ("model",)), _Target(None, ("tokenizer",)))


def _callee(func: ast.expr) -> tuple[str | None, str | None]:
    """(the called name, the name of its receiver or module) of a call."""
    if isinstance(func, ast.Name):
        return func.id, None
    if isinstance(func, ast.Attribute):
        receiver = func.value
        if isinstance(receiver, ast.Name):
            return func.attr, receiver.id
        if isinstance(receiver, ast.Attribute):
            return func.attr, receiver.attr
        return func.attr, None
    return None, None


def _targets(call: ast.Call) -> tuple[tuple[_Target, ...], bool]:
    """The arguments of `call` that name models, and whether the call is a Hub download."""
    name, receiver = _callee(call.func)
    if name == "from_pretrained" and isinstance(call.func, ast.Attribute):
        # PeftModel.from_pretrained(base_model, adapter_id): the id is the second argument.
        if receiver is not None and receiver.startswith("PeftModel"):
            return _PEFT_FROM_PRETRAINED, False
        return _FROM_PRETRAINED, False
    if name == "pipeline" and receiver in (None, "transformers"):
        return _PIPELINE, False
    if name in ("hf_hub_download", "snapshot_download") and receiver in (None, "huggingface_hub"):
        return _HUB_DOWNLOAD, True
    if name == "SentenceTransformer" and receiver in (None, "sentence_transformers"):
        return _SENTENCE_TRANSFORMER, False
    if name == "CrossEncoder" and receiver in (None, "sentence_transformers", "cross_encoder"):
        return _CROSS_ENCODER, False
    if name == "LLM" and receiver in (None, "vllm"):
        return _VLLM, False
    return (), False


def _argument(call: ast.Call, target: _Target) -> ast.expr | None:
    if target.positional is not None and len(call.args) > target.positional:
        # After a *args splat the positions of later arguments are unknown.
        if not any(isinstance(arg, ast.Starred) for arg in call.args[: target.positional + 1]):
            return call.args[target.positional]
        return None
    for keyword in call.keywords:
        if keyword.arg in target.keywords:
            return keyword.value
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


class _CallFinder(ast.NodeVisitor):
    """Walks a module with a stack of scopes, recording the recognised calls and their model ids."""

    def __init__(self, file: ProjectFile, lines: list[bytes], module: _Scope) -> None:
        self.file = file
        self.lines = lines
        self.stack: list[_Scope] = [module]
        self.found: list[Occurrence] = []
        self.file_dir = file.abspath.parent

    # -- scopes -----------------------------------------------------------------------------

    def _enter(self, scope: _Scope, body: list[ast.stmt] | list[ast.expr]) -> None:
        self.stack.append(scope)
        for node in body:
            self.visit(node)
        self.stack.pop()

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for outer in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
            if outer is not None:
                self.visit(outer)
        scope = _BindingCollector(_Scope()).collect(node.body)
        for name in _arguments(node.args):
            scope.bind(name, None)
        self._enter(scope, node.body)

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for outer in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(outer)
        scope = _BindingCollector(_Scope(is_class=True)).collect(node.body)
        self._enter(scope, node.body)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for outer in [*node.args.defaults, *node.args.kw_defaults]:
            if outer is not None:
                self.visit(outer)
        scope = _Scope()
        for name in _arguments(node.args):
            scope.bind(name, None)
        self._enter(scope, [node.body])

    def _visit_comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        # The loop variables shadow outer names inside the comprehension only.
        scope = _Scope()
        collector = _BindingCollector(scope)
        for generator in node.generators:
            collector._target(generator.target, None)
        self.visit(node.generators[0].iter)  # evaluated in the enclosing scope
        parts: list[ast.expr] = [generator.target for generator in node.generators]
        parts += [generator.iter for generator in node.generators[1:]]
        parts += [condition for generator in node.generators for condition in generator.ifs]
        parts += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        self._enter(scope, parts)

    visit_ListComp = _visit_comprehension
    visit_SetComp = _visit_comprehension
    visit_GeneratorExp = _visit_comprehension
    visit_DictComp = _visit_comprehension

    def _lookup(self, name: str) -> str | None:
        """The literal a name holds where it is used, following Python's scope rules."""
        innermost = len(self.stack) - 1
        skip_functions = False
        for depth in range(innermost, 0, -1):
            scope = self.stack[depth]
            if scope.is_class and depth != innermost:
                continue  # class bodies are not visible from the functions inside them
            if name in scope.globals:
                skip_functions = True
            if skip_functions:
                continue
            if name in scope.nonlocals:
                continue
            if name in scope.bindings:
                return _single(scope.bindings[name])
        module = self.stack[0]
        return _single(module.bindings[name]) if name in module.bindings else None

    def _string(self, node: ast.expr | None) -> tuple[str, str] | None:
        """(string, how it was found) for a literal, or a name bound once to a literal."""
        literal = _literal(node)
        if literal is not None:
            return literal, "literal"
        if isinstance(node, ast.Name):
            value = self._lookup(node.id)
            if value is not None:
                return value, "variable"
        return None

    # -- calls ------------------------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        targets, is_download = _targets(node)
        if targets:
            self._record(node, targets, is_download)
        self.generic_visit(node)

    def _record(self, call: ast.Call, targets: tuple[_Target, ...], is_download: bool) -> None:
        kind = RefKind.MODEL
        if is_download:
            repo_type = self._string(_keyword(call, "repo_type"))
            if repo_type is not None and repo_type[0] not in ("model", ""):
                if repo_type[0] != "dataset":
                    return  # a Space is not a model the project runs
                kind = RefKind.DATASET
        revision = self._string(_keyword(call, "revision"))
        text = None
        for target in targets:
            found = self._string(_argument(call, target))
            if found is None:
                continue
            value, via = found
            repo_id = hub_ref(value, self.file_dir, self.file.root)
            if repo_id is None:
                continue
            if text is None:
                text = clip(self._segment(call))
            self.found.append(
                Occurrence(
                    ref=ModelRef(repo_id, revision[0] if revision else None, kind),
                    location=Location(self.file.relpath, call.lineno),
                    source=PythonSource.name,
                    text=text,
                    via=via,
                )
            )

    def _segment(self, node: ast.expr) -> str:
        # Offsets are in UTF-8 bytes; slicing bytes avoids ast.get_source_segment's
        # re-splitting of the whole file on every call.
        start, end = node.lineno - 1, (node.end_lineno or node.lineno) - 1
        end_col = node.end_col_offset if node.end_col_offset is not None else None
        # Only the first MAX_TEXT characters are kept, so a few lines suffice.
        end_limited = min(end, start + 4)
        if end_limited != end:
            end_col = None
        chunk = self.lines[start : end_limited + 1]
        if not chunk:
            return ""
        if len(chunk) == 1:
            piece = chunk[0][node.col_offset : end_col]
        else:
            piece = chunk[0][node.col_offset :] + b"".join(chunk[1:-1]) + chunk[-1][:end_col]
        return piece.decode("utf-8", errors="replace")


def _single(values: list[str | None]) -> str | None:
    return values[0] if len(values) == 1 else None


class PythonSource:
    """Calls such as AutoModel.from_pretrained("org/name"), pipeline(model=...), hf_hub_download(...)."""

    name = "python"

    def wants(self, relpath: str) -> bool:
        return relpath.endswith(".py")

    def scan(self, file: ProjectFile) -> SourceOutput:
        if not _TRIGGER.search(file.data):
            return SourceOutput()
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(file.data).readline)
            text = file.data.decode(encoding)
        except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
            reason = "not-utf8" if isinstance(exc, UnicodeDecodeError) else "parse-error"
            return SourceOutput(skipped=(Skipped(file.relpath, reason, _describe(exc)),))
        if text.startswith("\ufeff"):
            text = text[1:]
        try:
            tree = ast.parse(text, filename=file.relpath)
        except SyntaxError as exc:
            return SourceOutput(skipped=(Skipped(file.relpath, "parse-error", _describe(exc)),))
        except (ValueError, RecursionError, MemoryError) as exc:
            return SourceOutput(skipped=(Skipped(file.relpath, "parse-error", _describe(exc)),))
        module = _BindingCollector(_Scope()).collect(tree.body)
        lines = text.encode("utf-8").splitlines(keepends=True)
        finder = _CallFinder(file, lines, module)
        try:
            for statement in tree.body:
                finder.visit(statement)
        except RecursionError:
            return SourceOutput(skipped=(Skipped(file.relpath, "parse-error", "nests too deeply to read"),))
        return SourceOutput(occurrences=tuple(finder.found))


def _describe(exc: Exception) -> str:
    if isinstance(exc, SyntaxError):
        return f"invalid Python at line {exc.lineno}: {exc.msg}"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 (byte {exc.start})"
    return f"{type(exc).__name__}: {exc}"[:200]
