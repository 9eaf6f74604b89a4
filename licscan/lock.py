"""licscan.lock: every model's pinned lineage and verdicts (`licscan lock`), checked offline (`licscan check`)."""

from __future__ import annotations

import enum
import json
import os
import re
import sys
import types
import typing
from dataclasses import MISSING, fields, is_dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, NamedTuple, Sequence

from licscan import __version__
from licscan.errors import ConfigError, ResolutionError, redact
from licscan.untrusted import visible

if TYPE_CHECKING:
    import datetime

LOCK_SCHEMA = "licscan-lock/2"
LOCKFILE = "licscan.lock"
# Long texts go to one table at the end of the file, each once, so nodes stay short and a changed text is
# one reviewable hunk. Findings go to a table too: models that share an ancestor share its findings, so one
# licence changing upstream is one changed finding, and `check` reads a file a fraction of the size.
_TEXT_FIELDS = frozenset({"license_text", "linked_license_text", "card_text"})
_VERDICT_ORDER = {"pass": 0, "incomplete": 1, "fail": 2}
# A mirror or cache that lacks a repo is a lasting fact about it (recorded as offline); these are not.
_TRANSIENT = {"rate-limited", "network-error"}


# NamedTuples rather than dataclasses: check runs on every commit, and these cost nothing to create.
class LockOutcome(NamedTuple):
    path: Path
    models: int
    nodes: int
    verdict: str


class CheckedModel(NamedTuple):
    key: str
    verdict: str  # "pass" | "fail" | "incomplete" | "missing"
    where: str  # the first place a checked file names it
    details: tuple[str, ...] = ()  # lines shown under it: its failing findings; if missing, the revisions locked


class CheckOutcome(NamedTuple):
    lockfile: Path
    models: tuple[CheckedModel, ...]
    files: int
    verdict: str  # "pass" | "fail" | "incomplete"
    evaluated: bool  # True when the policy was evaluated again (rules or policy changed since the lock)
    unread: tuple[Any, ...] = ()  # given files discovery could not read (Skipped): their models are unchecked


# A given file skipped for one of these was not read, so the models it names are unknown: the check cannot pass.
_UNREAD_REASONS = frozenset({"too-large", "unreadable"})


# ---------------------------------------------------------------------------------------------------------
# The digest that says whether the verdicts in a lockfile still hold
# ---------------------------------------------------------------------------------------------------------


def _sha256(data: bytes) -> Any:
    """A sha256 hash object of data. hashlib is imported here, not with the module: loading OpenSSL costs ~3 ms,
    and the pre-commit check hashes nothing in its own process (its forked child does)."""
    import hashlib

    return hashlib.sha256(data)


def _hash_tree(digest: Any, root: Path) -> None:
    """Every file under root, by relative path and content, in a fixed order (os calls: this runs per check)."""
    base = str(root)
    cut = len(base.rstrip(os.sep)) + 1  # the relative path is a slice: os.path.relpath per file costs more
    stack = [base]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in reversed(entries):
            # Bytecode differs between interpreters and checkouts; the sources it comes from are hashed.
            if entry.is_dir(follow_symlinks=False) and entry.name != "__pycache__":
                stack.append(entry.path)
        for entry in entries:
            if entry.is_file() and not entry.name.startswith(".") and not entry.name.endswith(".pyc"):
                digest.update(entry.path[cut:].replace(os.sep, "/").encode() + b"\0")
                with open(entry.path, "rb") as handle:
                    digest.update(handle.read())
                digest.update(b"\0")


def evaluation_digest(rules_dirs: Sequence[str], policy: str) -> str:
    """What the verdicts depend on besides the lineages: rules, policy, and the code that evaluates them."""
    digest = _sha256(f"{LOCK_SCHEMA}\0{__version__}\0{policy}\0".encode())
    package = Path(__file__).resolve().parent
    digest.update((package / "catalog.py").read_bytes())
    _hash_tree(digest, package / "model")
    _hash_tree(digest, package / "evaluation")
    for directory in rules_dirs:
        digest.update(b"\0rules\0")
        _hash_tree(digest, Path(directory))
    if policy.endswith((".yaml", ".yml")) and Path(policy).is_file():
        digest.update(Path(policy).read_bytes())
    return "sha256:" + digest.hexdigest()


# ---------------------------------------------------------------------------------------------------------
# Frozen dataclasses to plain JSON and back (every field, so new fields travel without changes here)
# ---------------------------------------------------------------------------------------------------------


def _plain(value: Any, texts: dict[str, str], name: str = "") -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        out = {}
        for item in fields(value):
            current = getattr(value, item.name)
            default = item.default if item.default is not MISSING else (
                item.default_factory() if item.default_factory is not MISSING else MISSING)
            if default is not MISSING and current == default:
                continue  # defaults are left out: shorter files, and a new field does not touch old entries
            out[item.name] = _plain(current, texts, item.name)
        return out
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(key): _plain(item, texts) for key, item in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (tuple, list)):
        return [_plain(item, texts) for item in value]
    if name in _TEXT_FIELDS and isinstance(value, str):
        ref = "sha256:" + _sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
        texts[ref] = value
        return ref
    return value


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        module = sys.modules[cls.__module__]
        _HINTS[cls] = typing.get_type_hints(cls, vars(module))
    return _HINTS[cls]


def _build(kind: Any, value: Any, texts: Mapping[str, str], name: str = "") -> Any:
    """The value of type `kind` that _plain turned into `value` (raises ValueError/TypeError/KeyError)."""
    origin = typing.get_origin(kind)
    if kind is Any or kind is object:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        options = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return _build(options[0], value, texts, name) if len(options) == 1 else value
    if value is None:
        return None
    if isinstance(kind, type) and is_dataclass(kind):
        if not isinstance(value, dict):
            raise TypeError(f"{kind.__name__} must be an object")
        hints = _hints(kind)
        known = {item.name for item in fields(kind)}
        return kind(**{key: _build(hints[key], item, texts, key) for key, item in value.items() if key in known})
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(value)
    if origin is tuple:
        args = typing.get_args(kind)
        if not isinstance(value, list):
            raise TypeError("expected a list")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], item, texts) for item in value)
        return tuple(_build(arg, item, texts) for arg, item in zip(args, value))
    if origin in (dict, Mapping, typing.Mapping) or kind in (dict, Mapping):
        args = typing.get_args(kind) or (str, Any)
        if not isinstance(value, dict):
            raise TypeError("expected an object")
        return {key: _build(args[1], item, texts) for key, item in value.items()}
    if name in _TEXT_FIELDS and isinstance(value, str) and value.startswith("sha256:"):
        return texts[value]
    if kind in (str, int, float, bool) and not isinstance(value, kind) and not (kind is float and isinstance(value, int)):
        raise TypeError(f"expected {kind.__name__}, not {type(value).__name__}")
    return value


# ---------------------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------------------


def _node_ref(record: Any) -> str:
    return f"{record.repo_id}@{record.revision}" if record.revision else record.repo_id


def _finding_ref(finding: dict[str, Any], table: dict[str, Any]) -> str:
    """The finding's id in the lockfile's findings table (added there once): its rule and a content hash.

    The model it is reported on is left out (the model's entry lists it), so models share their ancestors'."""
    shared = {name: value for name, value in finding.items() if name != "model"}
    digest = _sha256(json.dumps(shared, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    ref = f"{shared.get('rule_id')}-{digest.hexdigest()[:16]}"
    table[ref] = shared
    return ref


def render_lock(result: Any, *, digest: str, model_verdict: Callable[[Sequence[Any]], str], basedir: str = ".",
                api_vocabulary: Any = None) -> str:
    """The lockfile text of a scan: sorted, indented JSON, no clock, the same bytes for the same input.

    `basedir` is the project folder relative to the lockfile's: `check` finds the project from it (its name
    sorts first, so check reads it from the file's first line). `api_vocabulary` (discovery's ApiVocabulary of
    rules/providers.yaml) is recorded so that `check FILES` recognises hosted-API uses without the YAML parser."""
    from licscan.model import Lineage

    texts: dict[str, str] = {}
    nodes: dict[str, Any] = {}
    findings: dict[str, Any] = {}
    models: dict[str, Any] = {}
    for report in result.models:
        lineage = report.lineage
        for record in lineage.nodes:
            nodes.setdefault(_node_ref(record), _plain(record, texts))
        shape = _plain(Lineage(root=lineage.root, nodes=(), edges=lineage.edges, unresolved=lineage.unresolved,
                               **{f.name: getattr(lineage, f.name) for f in fields(lineage)
                                  if f.name not in ("root", "nodes", "edges", "unresolved")}), texts)
        shape["nodes"] = [_node_ref(record) for record in lineage.nodes]
        models[report.key] = {
            "revision": report.revision,
            "lineage": shape,
            "effective": _plain(report.effective, texts),
            "findings": [_finding_ref(_plain(finding, texts), findings) for finding in report.findings],
            "verdict": model_verdict(report.findings),
        }
    lapse = sorted(use.waiver.expires for use in getattr(result, "waivers", ()) if use.waiver.expires
                   and use.status != "expired")
    body = {
        "basedir": basedir,
        "schema": LOCK_SCHEMA,
        "licscan": __version__,
        "policy": result.policy,
        "evaluation_digest": digest,
        "verdict": result.verdict.value,
        "models": models,
        "nodes": nodes,
        "findings": findings,
        "texts": texts,
    }
    if api_vocabulary is not None:
        body["providers_vocabulary"] = {name: getattr(api_vocabulary, name) for name in _VOCABULARY_FIELDS}
    if lapse:
        body["waivers_valid_until"] = lapse[0]  # after it, check evaluates again: a waiver has expired
    return redact(json.dumps(body, indent=1, sort_keys=True, ensure_ascii=False)) + "\n"


def lock(config: Any, *, output: Path | None = None,
         clock: Callable[[], datetime.datetime] | None = None) -> LockOutcome:
    """Scan the project and write its lockfile (atomically). A scan that could not complete (network, rate
    limit, offline) writes nothing: a lockfile must not pin a failure that trying again would fix."""
    import datetime

    from licscan.evaluation.policy import verdict
    from licscan.scan import scan, write_output

    result = scan(config, clock=clock or (lambda: datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)),
                  project_label=".")
    transient = sorted({f"{gap.repo_id} ({gap.reason.value})" for report in result.models
                        for gap in report.lineage.unresolved if gap.reason.value in _TRANSIENT})
    if transient:
        raise ResolutionError("licscan.lock not written: the scan could not resolve "
                              + ", ".join(transient[:5]) + (" ..." if len(transient) > 5 else "")
                              + "; try again (or resolve from a mirror with --mirror)")
    settings = config.evaluation()
    path = output or (Path(config.root) / LOCKFILE)
    basedir = os.path.relpath(Path(config.root).resolve(), path.resolve().parent).replace(os.sep, "/")
    text = render_lock(result, digest=evaluation_digest(settings.rules_dirs, settings.policy),
                       model_verdict=lambda findings: verdict(findings).value, basedir=basedir,
                       api_vocabulary=config.providers().vocabulary)
    # Details may name the checkout (a mirror's path): the same project locks to the same bytes anywhere.
    root = str(Path(config.root).resolve())
    text = text.replace(json.dumps(root)[1:-1] + "/", "").replace(json.dumps(root)[1:-1], ".")
    write_output(path, text)
    unique = {_node_ref(record) for report in result.models for record in report.lineage.nodes}
    return LockOutcome(path=path, models=len(result.models), nodes=len(unique), verdict=result.verdict.value)


# ---------------------------------------------------------------------------------------------------------
# Reading and checking
# ---------------------------------------------------------------------------------------------------------


def read_lock(path: Path) -> dict[str, Any]:
    """The lockfile as data; ConfigError (exit 2) with what is wrong when it is missing or damaged."""
    hint = "run `licscan lock` to write it again"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path} does not exist, so there is nothing to check against: run `licscan lock` in the "
                          f"project folder and commit {path.name}") from None
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read: {exc.strerror}") from None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not a valid licscan lockfile (not JSON: {exc}); {hint}") from None
    except RecursionError:  # a crafted file: arrays nested deeper than the parser goes
        raise ConfigError(f"{path} is not a valid licscan lockfile (nested too deeply to be one); {hint}") from None
    if not isinstance(data, dict) or data.get("schema") != LOCK_SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        if isinstance(found, str) and found.startswith("licscan-lock/"):
            raise ConfigError(f"{path} is in another lockfile format ({found}; this licscan reads {LOCK_SCHEMA}); "
                              f"{hint}")
        raise ConfigError(f"{path} is not a licscan lockfile (schema {found!r}, expected {LOCK_SCHEMA!r}); {hint}")
    for key, kind in (("models", dict), ("nodes", dict), ("findings", dict), ("texts", dict)):
        if not isinstance(data.get(key), kind):
            raise ConfigError(f"{path} is damaged: {key!r} is missing or not an object; {hint}")
    for key, entry in data["models"].items():
        if (not isinstance(entry, dict) or not isinstance(entry.get("lineage"), dict)
                or not isinstance(entry["lineage"].get("nodes"), list)
                or any(ref not in data["nodes"] for ref in entry["lineage"]["nodes"])
                or entry.get("verdict") not in _VERDICT_ORDER or not isinstance(entry.get("findings"), list)
                or any(not isinstance(ref, str) or not isinstance(data["findings"].get(ref), dict)
                       for ref in entry["findings"])):
            raise ConfigError(f"{path} is damaged: the entry of {key!r} is incomplete; {hint}")
    return data


def _lineage(data: Mapping[str, Any], key: str) -> Any:
    from licscan.model import Lineage, ModelRecord

    entry = data["models"][key]["lineage"]
    texts = data["texts"]
    records = tuple(_build(ModelRecord, data["nodes"][ref], texts) for ref in entry["nodes"])
    shape = dict(entry, nodes=[])
    lineage = _build(Lineage, shape, texts)
    return Lineage(**{f.name: getattr(lineage, f.name) for f in fields(lineage) if f.name != "nodes"}, nodes=records)


def _failing_lines(findings: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    lines = []
    for finding in findings:
        if finding.get("fails"):
            ancestor = finding.get("ancestor")
            where = f" (from {ancestor})" if ancestor and ancestor != finding.get("model") else ""
            lines.append(f"{finding.get('rule_id')} {finding.get('kind')}{where}: {finding.get('message')}")
    return tuple(lines)


_VOCABULARY_FIELDS = ("hosts", "packages", "prefixes", "patterns", "runtimes", "hub_named", "key_variables",
                      "config_words", "versioned")


def _vocabulary(value: Any, lockfile: Path) -> Any:
    """The ApiVocabulary a lockfile records, None when it records none (written by an older licscan); a damaged
    one is a ConfigError (a check that cannot tell a hosted API must not pass)."""
    from licscan.model import ApiVocabulary

    def texts(items: Any, size: int | None = None) -> tuple[str, ...]:
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items) or (
                size is not None and len(items) != size):
            raise ValueError("not a list of texts")
        return tuple(items)

    if value is None:
        return None
    try:
        pairs = {name: tuple(texts(pair, 2) for pair in value[name]) for name in ("hosts", "packages", "prefixes")}
        # (fields a lockfile of an earlier licscan lacks: read as empty)
        pairs |= {name: tuple(texts(pair, 2) for pair in value.get(name, [])) for name in ("key_variables", "config_words")}
        patterns = tuple((texts([key])[0], texts(globs)) for key, globs in value["patterns"])
        return ApiVocabulary(patterns=patterns, runtimes=texts(value["runtimes"]),
                             hub_named=texts(value.get("hub_named", [])), versioned=texts(value.get("versioned", [])),
                             **pairs)
    except (KeyError, TypeError, ValueError):
        raise ConfigError(f"{visible(str(lockfile))} is damaged: 'providers_vocabulary' is not the providers' "
                          "vocabulary licscan records; run `licscan lock` to write it again") from None


def _core_to_spare() -> bool:
    """Whether a core is free now for check's child: more than one, and fewer tasks running this moment than the
    machine has processors, this one among them (Linux's /proc/loadavg; elsewhere, the cores are enough). On a
    machine busy with other work the child takes turns with this process on one core: a check of 50 files then
    took ~10 ms longer forked than not (~10 ms shorter forked on a quiet machine)."""
    from licscan import forked

    if forked.cores() < 2:
        return False
    running = _running_now()
    return running is None or running < (os.cpu_count() or 2)


def _running_now() -> int | None:
    """How many tasks are running or ready to run this moment, this process among them (the fourth field of
    Linux's /proc/loadavg), or None where that is not known."""
    try:
        with open("/proc/loadavg", "rb") as handle:
            return int(handle.read().split()[3].partition(b"/")[0])
    except (OSError, ValueError, IndexError):
        return None


def _lock_reading(lockfile: Path, settings: Any) -> dict[str, Any]:
    """The lockfile's verdict index, with the evaluation digest of the rules and policy in `settings` now (what
    check's forked child hands back)."""
    return {**_verdict_index(read_lock(lockfile)),
            "current_digest": evaluation_digest(settings.rules_dirs, settings.policy)}


def _verdict_index(data: Mapping[str, Any]) -> dict[str, Any]:
    """What check needs of a lockfile's recorded verdicts: each model's verdict and failing findings."""
    return {
        "providers_vocabulary": data.get("providers_vocabulary"),  # (as JSON: the index crosses from a forked child)
        "basedir": data.get("basedir"),
        "waivers_valid_until": data.get("waivers_valid_until"),
        "evaluation_digest": data.get("evaluation_digest"),
        "models": {
            key: [entry["verdict"], _failing_lines([dict(data["findings"][ref], model=key) for ref in entry["findings"]])]
            for key, entry in data["models"].items()
        },
        "api_names": _api_names(data),
    }


def _api_names(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """Names the scan found the Hub has no repository of, each with the hosted-API dependencies it was folded into
    (their nodes' `not_on_hub`): check reads those places as the API's, as the scan did."""
    names: dict[str, list[str]] = {}
    for node in data["nodes"].values():
        hosted = node.get("repo_id") if isinstance(node, dict) else None
        listed = node.get("not_on_hub") if isinstance(node, dict) else None
        if isinstance(hosted, str) and hosted in data["models"] and isinstance(listed, list):
            for name in listed:
                if isinstance(name, str):
                    names.setdefault(name, []).append(hosted)
    return {name: sorted(set(keys)) for name, keys in sorted(names.items())}


def read_basedir(lockfile: Path) -> str | None:
    """The project folder a lockfile records, relative to the lockfile's folder, read from the file's first
    lines (`basedir` sorts first), so `check` knows the project before it parses the whole file."""
    try:
        with open(lockfile, "rb") as handle:
            head = handle.read(4096).decode("utf-8", "replace")
    except OSError:
        return None
    found = re.match(r'\{\s*"basedir":\s*("(?:[^"\\]|\\.)*")', head)
    if found is None:
        return None
    try:
        value = json.loads(found.group(1))
    except ValueError:
        return None
    return value if isinstance(value, str) and value else None


def project_root(lockfile: Path) -> Path:
    """The project a lockfile was written for: its `basedir`, else (older lockfiles) the lockfile's folder.

    A lockfile is project input: its basedir may name the lockfile's folder or one above it (ci/licscan.lock
    of the project ..), and above that only while it stays inside the current directory, so a crafted
    lockfile cannot send `check` to read the rest of the disk."""
    folder = lockfile.resolve().parent
    basedir = read_basedir(lockfile)
    if not basedir or basedir == ".":
        return folder
    root = (folder / basedir).resolve()
    here = Path.cwd().resolve()
    if root not in folder.parents or not (root == here or here in root.parents):
        raise ConfigError(f"{visible(str(lockfile))} says its project is {visible(basedir)!r} from its folder, "
                          "which is not a folder above it inside the current directory; run `licscan check` "
                          "from the project, or `licscan lock` to write the lockfile again")
    return root


def _place(root: Path, files: Sequence[str], lockfile: Path) -> None:
    """Every given file must exist inside the project: a file that cannot be placed is never passed over."""
    prefix = os.path.realpath(root).rstrip(os.sep) + os.sep
    for given in files:
        real = os.path.realpath(given)
        if not real.startswith(prefix):
            shown = visible(str(given))
            raise ConfigError(f"cannot place {shown}: it is outside {visible(str(root))}, the project "
                              f"{visible(str(lockfile))} was written for (give files of that project, or the "
                              "--lockfile of the project they belong to)")
        if not os.path.exists(real):
            raise ConfigError(f"cannot place {visible(str(given))}: there is no such file")


def check(config: Any, files: Sequence[str] | None, *, lockfile: Path, today: str | None = None) -> CheckOutcome:
    """Discover models in the given files (the whole project when None), look each up in the lockfile, and
    judge them by the policy, with no network. The recorded verdicts are used while the rules, the policy and
    licscan are those they were evaluated with; otherwise the lineages are rebuilt and evaluated again."""
    from licscan import forked

    # With a core to spare, a child parses the lockfile and hashes what the verdicts depend on (rules, policy, code)
    # while this process imports discovery and discovers: each takes about as long as the other (forked after
    # discovery's import, the child was the longer by a few ms). Without one, here and first.
    data: Mapping[str, Any] | None = None
    index: Any = None
    if not lockfile.is_file():
        read_lock(lockfile)  # says it is missing before any discovery
    settings = config.evaluation()
    child = forked.start(lambda: _lock_reading(lockfile, settings)) if _core_to_spare() else None
    if child is None:
        data = read_lock(lockfile)
        index = _verdict_index(data)
    from licscan import discovery

    try:
        root = Path(config.root)
        if files is not None:
            _place(root, files, lockfile)
        if files is None:
            found = discovery.discover(root, config.discovery())
            scanned = found.files_scanned
        else:
            # The files a hook hands over are the ones that changed, so their cached results would miss;
            # reading and rewriting the project's whole cache would cost more than reading them.
            found = discovery.discover_files(root, files, config.discovery(use_cache=False, providers=False))
            scanned = len(files)
    finally:
        if child is not None:
            index = forked.collect(child)
    current = index.get("current_digest") if isinstance(index, dict) else None
    if not isinstance(current, str):
        current = evaluation_digest(settings.rules_dirs, settings.policy)
    if not isinstance(index, dict) or not isinstance(index.get("models"), dict):
        data = read_lock(lockfile)  # the child could not read it: reading it here says what is wrong
        index = _verdict_index(data)
    occurrences = list(found.occurrences)
    if files is not None:
        # The hosted-API uses of the given files, read with the providers' vocabulary the lockfile recorded (a
        # lockfile of an older licscan records none: then rules/providers.yaml is read).
        vocabulary = _vocabulary(index.get("providers_vocabulary"), lockfile) or config.providers().vocabulary
        settings_with_api = replace(config.discovery(use_cache=False, providers=False), api=vocabulary)
        occurrences.extend(discovery.hosted_api_uses(root, files, settings_with_api))
    api_names = index.get("api_names") if isinstance(index.get("api_names"), dict) else {}
    hosted_at = None
    places: dict[str, str] = {}
    hub_ids: dict[str, str] = {}  # the key of each Hub model named, to its id
    for occurrence in occurrences:
        if occurrence.ref.kind.value in ("model", "hosted-api", "runtime"):  # every kind a scan evaluates
            key = _locked_key(occurrence.ref, index["models"])
            if occurrence.ref.kind.value == "model":
                hub_ids[key] = occurrence.ref.repo_id
            if key not in index["models"] and key in api_names:
                # A name the scan found is no Hub repository but a provider's model: the API's, as in the scan.
                from licscan.scan import api_name_target, hosted_places

                hosted_at = hosted_places(occurrences) if hosted_at is None else hosted_at
                key = api_name_target(occurrence, hosted_at, api_names[key]) or key
            line = f":{occurrence.location.line}" if occurrence.location.line else ""
            places.setdefault(key, f"{occurrence.location.path}{line}")
    for local in found.local_models:
        places.setdefault(local.key, local.location.path)
    keys = sorted(key for key in places if key in index["models"])
    if files is None and index["models"] and not keys:
        raise ConfigError(f"{visible(str(lockfile))} records {len(index['models'])} "
                          f"model{'s' if len(index['models']) != 1 else ''}, and {visible(str(root))} names none "
                          "of them: is it the lockfile of this project? (run `licscan lock` to write it again)")
    lapse = index.get("waivers_valid_until")
    expired = isinstance(lapse, str) and today is not None and today > lapse
    evaluated = (current != index.get("evaluation_digest") or expired) and bool(keys)
    verdicts: dict[str, tuple[str, tuple[str, ...]]] = {}
    if evaluated:
        from licscan import evaluation
        from licscan.evaluation.policy import verdict

        data = data if data is not None else read_lock(lockfile)
        knowledge, policy = evaluation.load(settings)
        outcome = evaluation.evaluate({key: _lineage(data, key) for key in keys}, {}, knowledge, policy, today=today)
        for report in outcome.models:
            plain = [_plain(finding, {}) for finding in report.findings]
            verdicts[report.key] = (verdict(report.findings).value, _failing_lines(plain))
    else:
        for key in keys:
            recorded, failing = index["models"][key]
            verdicts[key] = (recorded, tuple(failing))
    checked = []
    for key in sorted(places):
        if key in verdicts:
            checked.append(CheckedModel(key, verdicts[key][0], places[key], verdicts[key][1]))
        else:
            elsewhere = _locked_elsewhere(hub_ids.get(key), index["models"])
            checked.append(CheckedModel(key, "missing", places[key], elsewhere))
    # A file the hook handed over but discovery could not read may name any model: never a pass.
    unread = tuple(item for item in found.skipped if item.reason in _UNREAD_REASONS) if files is not None else ()
    worst = "incomplete" if unread else "pass"
    for item in checked:
        level = "fail" if item.verdict == "missing" else item.verdict
        if _VERDICT_ORDER[level] > _VERDICT_ORDER[worst]:
            worst = level
    return CheckOutcome(lockfile=lockfile, models=tuple(checked), files=scanned, verdict=worst, evaluated=evaluated,
                        unread=unread)


# The revision a Hub reference without one resolves to (huggingface_hub's default): `from_pretrained(ID)` and
# `from_pretrained(ID, revision="main")` name the same dependency.
DEFAULT_REVISION = "main"


def _locked_key(ref: Any, locked: Mapping[str, Any]) -> str:
    """The key under which the lockfile records the dependency `ref` names: its own key; or, for a Hub model named
    without a revision or at the default one, the other spelling when the lockfile has only that one. A model
    pinned to any other revision is its own dependency (a different lineage may sit at that revision)."""
    key = ref.key
    if key in locked or ref.kind.value != "model" or ref.revision not in (None, DEFAULT_REVISION):
        return key
    other = ref.repo_id if ref.revision else f"{ref.repo_id}@{DEFAULT_REVISION}"
    return other if other in locked else key


def _locked_elsewhere(repo_id: str | None, locked: Mapping[str, Any]) -> tuple[str, ...]:
    """For a Hub model the lockfile lacks, a line naming the revisions of it the lockfile records, if any."""
    if repo_id is None:
        return ()
    revisions = sorted({key.partition("@")[2] or DEFAULT_REVISION
                        for key in locked if key.partition("@")[0] == repo_id})
    if not revisions:
        return ()
    return (f"the lockfile records {repo_id} only at {', '.join(revisions)}: another revision may have another "
            "lineage and licence, so it is checked once locked",)


def render_check(outcome: CheckOutcome, *, quiet: bool = False) -> str:
    lines = []
    for item in outcome.models:
        if item.verdict == "missing":
            lines.append(f"MISSING {item.key} ({item.where}) is not in {outcome.lockfile.name}: "
                         "run `licscan lock` to resolve it and record its lineage")
            lines.extend(f"  {line}" for line in item.details)
        elif item.verdict != "pass":
            lines.append(f"{item.verdict.upper()} {item.key} ({item.where})")
            lines.extend(f"  {line}" for line in item.details)
    for item in outcome.unread:
        lines.append(f"UNREAD {item.path} ({item.reason}: {item.detail}): the models it names were not checked")
    how = ("evaluated again: rules, policy or a waiver's date changed since the lock" if outcome.evaluated
           else "as locked")
    summary = (f"{outcome.verdict.upper()}: {len(outcome.models)} model{'s' if len(outcome.models) != 1 else ''} "
               f"in {outcome.files} file{'s' if outcome.files != 1 else ''} checked against "
               f"{outcome.lockfile.name} ({how})")
    # File names, ids and messages come from the project and its cards: printed with their controls escaped.
    return visible(summary) if quiet else "\n".join(visible(line) for line in [*lines, summary])


def check_exit_code(outcome: CheckOutcome) -> int:
    return {"pass": 0, "fail": 1, "incomplete": 3}[outcome.verdict]


def _today() -> str:
    """The date waivers are judged by: SOURCE_DATE_EPOCH's when set (as for reports), else today's (UTC)."""
    import datetime

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    when = (datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc) if epoch.isdigit()
            else datetime.datetime.now(datetime.timezone.utc))
    return when.date().isoformat()


def run_check(lockfile: Path | None, files: Sequence[str] | None, *, quiet: bool = False,
              today: str | None = None) -> tuple[str, int]:
    """`licscan check` from options to (text, exit code): shared by the Typer command and the lean entry."""
    from licscan.config import load_config

    path = Path(lockfile) if lockfile is not None else Path(LOCKFILE)
    if not path.is_file():
        read_lock(path)  # says what to do before anything else
    # check never opens the database: an in-memory URL spares finding the user cache directory.
    config = load_config(project_root(path), db_url=os.environ.get("LICSCAN_DB_URL") or "sqlite://")
    outcome = check(config, list(files) if files else None, lockfile=path, today=today or _today())
    return render_check(outcome, quiet=quiet), check_exit_code(outcome)
