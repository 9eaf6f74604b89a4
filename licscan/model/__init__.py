"""The data that flows between licscan's stages: frozen dataclasses, standard library only.

Discovery's records and the settings of discovery and evaluation are defined here; resolution's settings and
records (model.lineage) and evaluation's records (model.findings) load on first use, so a command that only
discovers (the pre-commit `check`) does not pay for creating classes it never uses (about 0.7 ms each). Import any
of them from here: `from licscan.model import Finding`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from licscan.model.findings import (
        CommercialUse, ComputeEstimate, DatasetLicense, EffectiveTerms, EntityListing, Finding, FindingKind,
        LicenseTerms, ModelReport, NodeLicense, Obligation, Origin, Rule, ScanResult, Severity, Source, TermScope,
        Threshold, Verdict, Waiver, WaiverUse, term_words,
    )
    from licscan.model.answers import (  # noqa: F401
        Answers, Band, Decision, DecisionKind, DeploymentContext, Judgement, ListedParty, Outcome, ProjectObligation,
        Remedy, UseMode,
    )
    from licscan.model.providers import Provider, ProviderTable, ProviderTerms, RuntimeTag  # noqa: F401,E501
    from licscan.model.lineage import (
        DatasetRecord, Edge, Lineage, ModelRecord, ResolutionResult, ResolutionSettings, ResolutionStats, Unresolved,
    )


# ---------------------------------------------------------------------------
# Discovery: where a project names a model
# ---------------------------------------------------------------------------


class RefKind(str, enum.Enum):
    MODEL = "model"
    DATASET = "dataset"
    HOSTED_API = "hosted-api"  # a model used through a provider's API: repo_id is "api:<provider>/<model name>"
    RUNTIME = "runtime"  # a local runtime's tag (Ollama): repo_id is "<runtime>:<tag>"


HOSTED_PREFIX = "api:"


def hosted_key(provider: str, model: str) -> str:
    """The key of a model used through a provider's API: 'api:deepseek/deepseek-chat'."""
    return f"{HOSTED_PREFIX}{provider}/{model}"


def runtime_key(runtime: str, tag: str) -> str:
    """The key of a local runtime's tag: 'ollama:qwen2.5:7b' (a tag without a size is the runtime's ':latest')."""
    return f"{runtime}:{tag if ':' in tag else tag + ':latest'}"


def service_parts(key: str) -> tuple[str, str] | None:
    """(provider, model name) of a hosted-API key, None for any other key."""
    if not key.startswith(HOSTED_PREFIX) or "/" not in key:
        return None
    provider, _, name = key[len(HOSTED_PREFIX):].partition("/")
    return provider, name


@dataclass(frozen=True, order=True)
class ModelRef:
    """A Hub repository a project depends on, optionally pinned to a revision."""

    repo_id: str
    revision: str | None = None
    kind: RefKind = RefKind.MODEL

    @property
    def key(self) -> str:
        """The model's key in a scan: the id, with '@revision' when the project pins one."""
        return f"{self.repo_id}@{self.revision}" if self.revision else self.repo_id


@dataclass(frozen=True, order=True)
class Location:
    """A place in the scanned project, relative to its root, in POSIX form."""

    path: str
    line: int | None = None
    cell: int | None = None  # notebook cell, when the file is a notebook


@dataclass(frozen=True, order=True)
class Occurrence:
    """One place where a project names a model."""

    ref: ModelRef
    location: Location
    source: str  # the discovery source that found it, e.g. "python", "config-file"
    text: str = ""  # the matched text, cut to a readable length
    via: str = "literal"  # "literal", "variable" (followed through a name), "config", "declared"

    def as_dict(self) -> dict[str, Any]:
        """Where and how the model is named, as reports and listings show it."""
        data: dict[str, Any] = {
            "path": self.location.path,
            "line": self.location.line,
            "source": self.source,
            "via": self.via,
            "text": self.text,
        }
        if self.location.cell is not None:
            data["cell"] = self.location.cell
        if self.ref.revision:
            data["revision"] = self.ref.revision
        return data


@dataclass(frozen=True)
class LocalModel:
    """A model folder inside the project (config.json, adapter_config.json or a card).

    It is a lineage root of its own: its parents are Hub repos that resolution walks.
    """

    key: str  # "local:<relative path>", unique in a scan
    location: Location
    card: "CardData"
    parents: tuple["ParentLink", ...] = ()


@dataclass(frozen=True, order=True)
class Skipped:
    """A file discovery did not read fully, and why. Never silent."""

    path: str
    reason: str  # "binary", "too-large", "unreadable", "parse-error", "ignored-by-config", ...
    detail: str = ""


@dataclass(frozen=True)
class DiscoveryResult:
    """What discovery found in a project: where models are named, local model folders, and what it did not read."""

    occurrences: tuple[Occurrence, ...] = ()
    local_models: tuple[LocalModel, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    files_scanned: int = 0


# ---------------------------------------------------------------------------
# Resolution: the links a card declares (the ancestry records are in model.lineage)
# ---------------------------------------------------------------------------


class Relation(str, enum.Enum):
    FINETUNE = "finetune"
    ADAPTER = "adapter"
    MERGE = "merge"
    QUANTIZED = "quantized"
    UNSPECIFIED = "unspecified"


class UnresolvedReason(str, enum.Enum):
    NOT_FOUND = "not-found"
    GATED = "gated"
    OFFLINE = "offline"  # no network allowed and nothing cached or mirrored
    RATE_LIMITED = "rate-limited"
    NETWORK = "network-error"  # connection refused, timeout, 5xx after retries
    INVALID_ID = "invalid-id"
    CYCLE = "cycle"
    DEPTH_LIMIT = "depth-limit"
    MALFORMED = "malformed-metadata"  # card or info that cannot be parsed
    UNMAPPED_TAG = "unmapped-runtime-tag"  # a local runtime tag licscan's rules do not map to a Hub model

    @property
    def transient(self) -> bool:
        """Whether trying again later could resolve it (the scan 'could not complete')."""
        return self in (UnresolvedReason.OFFLINE, UnresolvedReason.RATE_LIMITED, UnresolvedReason.NETWORK)


# The detail of the Hub's repository-not-found answer (huggingface_hub's RepositoryNotFoundError), as resolution
# records it: told apart from a bare 401/403/404 status, which an invalid token or a proxy also gives.
NO_SUCH_REPO = "not found, or private/gated without access"


@dataclass(frozen=True)
class ParentLink:
    """A declared base model of a card, with the relation and where the relation came from."""

    repo_id: str
    relation: Relation = Relation.UNSPECIFIED
    evidence: str = "base_model"  # "base_model_relation", "tag", "inferred", "adapter_config", "gguf", ...


@dataclass(frozen=True)
class CardData:
    """The licence and lineage fields of a model card, as the publisher wrote them."""

    license: str | None = None  # the Hub `license:` id, lower-cased as written
    license_name: str | None = None
    license_link: str | None = None
    base_models: tuple[str, ...] = ()
    base_model_relation: str | None = None
    tags: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    library_name: str | None = None
    pipeline_tag: str | None = None
    gated: str | None = None  # "auto", "manual" or None
    eu_disallowed: bool = False  # extra_gated_eu_disallowed
    problems: tuple[str, ...] = ()  # what was wrong with the card (malformed YAML, bad base_model type, ...)


# ---------------------------------------------------------------------------
# Settings each stage receives (built by config.py, so stages never read config; resolution's are in model.lineage)
# ---------------------------------------------------------------------------
# (Every dataclass in this module has a docstring: for one without, dataclass() computes its signature at import.)


@dataclass(frozen=True)
class IgnoreEntry:
    """One entry of the configuration's ignore list: a path pattern or a model id pattern, with the reason."""

    reason: str
    path: str | None = None  # gitignore-style pattern, relative to the project root
    model: str | None = None  # a Hub id, or a glob such as "org/*"


@dataclass(frozen=True)
class ApiVocabulary:
    """What tells discovery that a file uses a hosted model API or a local runtime (from rules/providers.yaml).

    Pairs rather than mappings, so the settings stay hashable and picklable as they are."""

    hosts: tuple[tuple[str, str], ...] = ()  # (API host, lower-case; provider key)
    packages: tuple[tuple[str, str], ...] = ()  # (SDK import name; provider key)
    prefixes: tuple[tuple[str, str], ...] = ()  # (LiteLLM or OpenRouter prefix, lower-case; provider key)
    patterns: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (provider key; model-name globs)
    runtimes: tuple[str, ...] = ("ollama",)  # local runtimes whose tags are dependencies
    # Providers whose model names are the Hub ids of the open models they serve, capitals kept (DeepInfra's
    # 'meta-llama/Meta-Llama-3.1-8B-Instruct'); other providers' names with a slash count only in lower case.
    hub_named: tuple[str, ...] = ()
    # Environment variables holding a provider's API key ('NVIDIA_API_KEY'), upper case; a compose or env file
    # that sets one beside a model variable sends that model to the provider's API.
    key_variables: tuple[tuple[str, str], ...] = ()
    # Values of a config's type or engine key that select a provider's API (NeMo Agent toolkit's `_type: nim`,
    # `model_engine: nvidia-ai-endpoints`), lower case.
    config_words: tuple[tuple[str, str], ...] = ()
    # Providers whose model names may carry a version pin, 'owner/name:<64 hex digits>' (Replicate's).
    versioned: tuple[str, ...] = ()

    def models_of(self, provider: str, name: str) -> bool:
        """Whether the provider serves a model of this name (its globs, letter case aside)."""
        import fnmatch

        lowered = name.lower()
        globs = next((items for key, items in self.patterns if key == provider), ())
        return any(fnmatch.fnmatchcase(lowered, glob.lower()) for glob in globs)

    @property
    def empty(self) -> bool:
        return not (self.hosts or self.packages or self.prefixes)

    @classmethod
    def of(cls, providers: Iterable[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...], bool,
                                          tuple[str, ...], tuple[str, ...], bool]],
           runtimes: Iterable[str]) -> "ApiVocabulary":
        """The vocabulary of (key, hosts, SDK packages, prefixes, model globs, hub_names, key variables, config
        words, versioned names) per provider and the runtimes of the tags."""
        listed = list(providers)
        return cls(
            hosts=tuple(sorted((host.lower(), key) for key, hosts, *_ in listed for host in hosts)),
            packages=tuple(sorted((package, key) for key, _, packages, *_ in listed for package in packages)),
            prefixes=tuple(sorted((prefix.lower(), key) for key, _, _, prefixes, *_ in listed for prefix in prefixes)),
            patterns=tuple((item[0], item[4]) for item in listed),
            runtimes=tuple(sorted(set(runtimes) | {"ollama"})),
            hub_named=tuple(sorted(item[0] for item in listed if item[5])),
            key_variables=tuple(sorted((name.upper(), item[0]) for item in listed for name in item[6])),
            config_words=tuple(sorted((word.lower(), item[0]) for item in listed for word in item[7])),
            versioned=tuple(sorted(item[0] for item in listed if item[8])),
        )


@dataclass(frozen=True)
class DiscoverySettings:
    """Discovery's settings (config.py builds them from the project's configuration)."""

    config_keys: tuple[str, ...] = (
        "model_name_or_path",
        "base_model",
        "model",
        "model_id",
        "pretrained_model_name_or_path",
        "model_name",
        "tokenizer_name_or_path",
        "tokenizer",
        "base_model_name_or_path",
        "repo_id",
    )
    exclude: tuple[str, ...] = ()  # gitignore-style patterns
    max_file_bytes: int = 2_000_000
    declared_models: tuple[str, ...] = ()  # from [tool.licscan] models
    declared_in: str | None = None  # the file the declared models come from
    ignore: tuple[IgnoreEntry, ...] = ()  # skipped on purpose, and reported as such
    cache_path: str | None = None  # the per-file result cache (a JSON file); None for no cache
    workers: int = 0  # processes that scan files; 0 chooses by the amount of unread bytes
    api: ApiVocabulary = ApiVocabulary()  # hosted APIs and runtimes to recognise (empty: none are)


@dataclass(frozen=True)
class EvaluationSettings:
    """Evaluation's settings: the rules directories, the policy and the deployment context."""

    rules_dirs: tuple[str, ...]  # shipped rules first, then the user's (later ones override)
    policy: str = "default"  # a policy name in rules/policies, or a path to a policy file
    context: "DeploymentContext | None" = None  # [tool.licscan.context]: who uses the models, and how


# Where each record defined outside this file lives (see the module's docstring).
_ELSEWHERE = {
    "ResolutionSettings": "licscan.model.lineage",
    "ModelRecord": "licscan.model.lineage",
    "DatasetRecord": "licscan.model.lineage",
    "Edge": "licscan.model.lineage",
    "Unresolved": "licscan.model.lineage",
    "Lineage": "licscan.model.lineage",
    "ResolutionStats": "licscan.model.lineage",
    "ResolutionResult": "licscan.model.lineage",
    "CommercialUse": "licscan.model.findings",
    "Severity": "licscan.model.findings",
    "Waiver": "licscan.model.findings",
    "WaiverUse": "licscan.model.findings",
    "FindingKind": "licscan.model.findings",
    "Source": "licscan.model.findings",
    "TermScope": "licscan.model.findings",
    "Threshold": "licscan.model.findings",
    "LicenseTerms": "licscan.model.findings",
    "term_words": "licscan.model.findings",
    "EntityListing": "licscan.model.findings",
    "Origin": "licscan.model.findings",
    "NodeLicense": "licscan.model.findings",
    "Obligation": "licscan.model.findings",
    "EffectiveTerms": "licscan.model.findings",
    "DatasetLicense": "licscan.model.findings",
    "ComputeEstimate": "licscan.model.findings",
    "Finding": "licscan.model.findings",
    "ModelReport": "licscan.model.findings",
    "Verdict": "licscan.model.findings",
    "ScanResult": "licscan.model.findings",
    "Rule": "licscan.model.findings",
    "Answers": "licscan.model.answers",
    "Band": "licscan.model.answers",
    "Decision": "licscan.model.answers",
    "DecisionKind": "licscan.model.answers",
    "DeploymentContext": "licscan.model.answers",
    "Judgement": "licscan.model.answers",
    "ListedParty": "licscan.model.answers",
    "Outcome": "licscan.model.answers",
    "ProjectObligation": "licscan.model.answers",
    "Remedy": "licscan.model.answers",
    "UseMode": "licscan.model.answers",
    "Provider": "licscan.model.providers",
    "ProviderTable": "licscan.model.providers",
    "ProviderTerms": "licscan.model.providers",
    "RuntimeTag": "licscan.model.providers",
}


def __getattr__(name: str) -> Any:
    module = _ELSEWHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_ELSEWHERE])
