"""Scan configuration: [tool.licscan] in pyproject.toml or .licscan.yaml, environment, command-line overrides."""

from __future__ import annotations

import datetime
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from licscan import lazy_re, safeyaml
from licscan.errors import ConfigError, ParseError
from licscan.model import ApiVocabulary, DiscoverySettings, EvaluationSettings, IgnoreEntry

if TYPE_CHECKING:
    from licscan.model import ResolutionSettings

_PACKAGE_DIR = Path(__file__).resolve().parent
_KNOWN_KEYS = {
    "models", "exclude", "mirror", "policy", "rules_dirs", "max_depth", "timeout", "workers",
    "freshness_seconds", "db_url", "config_keys", "max_file_bytes", "project", "db_pool_size", "ignore",
    "discovery_workers", "context",
}
# Processes discovery may use at most: past this, fork and result transfer cost more than the cores give.
MAX_DISCOVERY_WORKERS = 64
# A cached repo head younger than this is used without asking the Hub; after it, one file-resolver request
# revalidates it. Licences change by new commits, rarely; a day keeps many CI runs a day at zero Hub requests,
# and `--refresh` (or freshness_seconds = 0) asks now.
DEFAULT_FRESHNESS_SECONDS = 86_400
_TRUE = {"1", "true", "yes", "on"}


# SQLAlchemy's own URL grammar (sqlalchemy.engine.url), reduced to finding the port: credentials, then a host or
# an [IPv6] host, then ":port". Each part stops at a character the next must start with, so no backtracking.
_URL_PORT = lazy_re.compile(
    r"[\w+]+://(?:[^:/@]*(?::[^@]*)?@)?(?:\[[^/?\]]*\]|[^/:?\[]*)(?::(?P<port>[^/?]*))?(?:[/?].*)?", re.S)


def source_date_epoch(value: str | None) -> datetime.datetime | None:
    """The fixed report time SOURCE_DATE_EPOCH gives (reproducible builds), or None when it is unset.

    Raises ConfigError for a value that is not an integer or is outside what the platform's clock can show.
    """
    if not value:
        return None
    try:
        return datetime.datetime.fromtimestamp(int(value), tz=datetime.timezone.utc)
    except ValueError:
        if not value.strip().lstrip("+-").isdigit():
            raise ConfigError(f"SOURCE_DATE_EPOCH must be an integer, not {value[:40]!r}") from None
        raise ConfigError(f"SOURCE_DATE_EPOCH {value[:40]} is outside the dates this platform can show") from None
    except (OverflowError, OSError):
        raise ConfigError(f"SOURCE_DATE_EPOCH {value[:40]} is outside the dates this platform can show") from None


def check_db_url(url: str) -> None:
    """Refuse a database URL whose port is not a number from 0 to 65535, as a configuration error (exit 2).

    The message never repeats the URL or the port text: without an '@', what reads as a port may be a password.
    """
    match = _URL_PORT.fullmatch(url)
    port = match["port"] if match else None
    if port and not (port.isascii() and port.isdigit() and int(port) <= 65_535):
        raise ConfigError("the port in the metadata cache URL (LICSCAN_DB_URL or db_url) is not a number "
                          "from 0 to 65535")


def data_dir(name: str) -> Path:
    """A shipped data directory ('rules' or 'reports'): inside the wheel, or at the top of a checkout."""
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise ConfigError(f"licscan's {name}/ directory is missing from this installation")


# The discovery vocabulary of the shipped rules/providers.yaml, as providers.load_vocabulary reads it, kept as JSON
# beside this module. Read from it, `discover` needs neither PyYAML nor the parse of the 80 KB file: ~25 ms of every
# run, a quarter of an empty folder's. It stands for the file only while the shipped directory is the only one with
# a providers.yaml and the file's bytes are those it was made from (their length and CRC-32: the file is part of
# licscan's installation, which a scanned project cannot write, so the check is there to catch an edit made without
# `make vocabulary`, not a forgery); otherwise the file is read as before. tests/test_discovery_startup.py fails
# while the snapshot is stale.
VOCABULARY_SNAPSHOT = _PACKAGE_DIR / "providers_vocabulary.json"
_PROVIDERS_FILE = "providers.yaml"  # (providers.FILE_NAME: that module is imported only when the file is read)


def vocabulary_snapshot(rules_dir: Path) -> str:
    """The text of VOCABULARY_SNAPSHOT for the providers.yaml in `rules_dir` (the shipped one)."""
    import dataclasses
    import json

    from licscan.providers import load_vocabulary

    vocabulary = load_vocabulary([rules_dir])
    fields = {item.name: getattr(vocabulary, item.name) for item in dataclasses.fields(vocabulary)}
    made_from = _file_key((Path(rules_dir) / _PROVIDERS_FILE).read_bytes())
    return json.dumps({"made_from": made_from, "vocabulary": fields}, indent=1, sort_keys=True) + "\n"


def _shipped_vocabulary(rules_dirs: tuple[str, ...]) -> ApiVocabulary | None:
    """The snapshot's vocabulary when it stands for what load_vocabulary(rules_dirs) would read, else None."""
    import json

    shipped = str(data_dir("rules"))
    if [item for item in rules_dirs if (Path(item) / _PROVIDERS_FILE).is_file()] != [shipped]:
        return None
    try:
        snapshot = json.loads(VOCABULARY_SNAPSHOT.read_bytes())
        if snapshot["made_from"] != _file_key((Path(shipped) / _PROVIDERS_FILE).read_bytes()):
            return None
        return ApiVocabulary(**{name: _tupled(value) for name, value in snapshot["vocabulary"].items()})
    except (OSError, ValueError, TypeError, KeyError):
        return None  # no snapshot, or not one this version made: the file is read


def _file_key(data: bytes) -> dict[str, int]:
    import zlib

    return {"bytes": len(data), "crc32": zlib.crc32(data)}


def _tupled(value: Any) -> Any:
    """JSON's lists as the tuples the vocabulary holds."""
    return tuple(_tupled(item) for item in value) if isinstance(value, list) else value


def default_db_url() -> str:
    import platformdirs  # only the commands that open the cache pay for it

    cache = Path(platformdirs.user_cache_dir("licscan", appauthor=False))
    return f"sqlite:///{cache / 'licscan.db'}"


def default_discovery_cache(root: Path) -> str:
    """Where discovery keeps its per-file results for the project at `root`: one JSON file per project."""
    import hashlib

    import platformdirs

    cache = Path(platformdirs.user_cache_dir("licscan", appauthor=False)) / "discovery"
    return str(cache / f"{hashlib.sha256(str(root).encode('utf-8')).hexdigest()[:24]}.json")


@dataclass(frozen=True)
class ScanConfig:
    """A project's licscan settings, read from its configuration file, the environment and the command line."""

    root: Path
    config_file: str | None = None
    models: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    mirror: str | None = None
    policy: str = "default"
    rules_dirs: tuple[str, ...] = ()
    max_depth: int = 32
    timeout: float = 10.0
    workers: int = 8
    discovery_workers: int = 0  # processes that read files; 0 chooses by the cores and the amount to read
    freshness_seconds: int = DEFAULT_FRESHNESS_SECONDS
    db_url: str | None = None
    db_pool_size: int = 2
    refresh: bool = False
    project: str | None = None  # the name scans are kept under in the history (default: the root's path)
    config_keys: tuple[str, ...] = ()
    max_file_bytes: int = 2_000_000
    ignore: tuple[IgnoreEntry, ...] = ()
    endpoint: str | None = None
    offline: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)
    context: Any = None  # DeploymentContext from [tool.licscan.context] / .licscan.yaml `context:`, or None

    def discovery(self, *, use_cache: bool = True, providers: bool = True) -> DiscoverySettings:
        """Discovery's settings; use_cache=False reads every file afresh and leaves the per-file cache alone;
        providers=False leaves out the hosted-API vocabulary (reading rules/providers.yaml needs the YAML parser,
        which the pre-commit check of a few files does without: runtime tags are still recognised)."""
        defaults = DiscoverySettings()
        exclude = self.exclude
        inside = self._mirror_in_project()
        if inside:
            # A mirror inside the project is recorded Hub metadata, not the project's own models.
            exclude = (*exclude, f"/{inside}/")
        return DiscoverySettings(
            config_keys=tuple(dict.fromkeys(defaults.config_keys + self.config_keys)),
            exclude=exclude,
            max_file_bytes=self.max_file_bytes,
            declared_models=self.models,
            declared_in=self.config_file,
            ignore=self.ignore,
            cache_path=default_discovery_cache(self.root) if use_cache else None,
            workers=self.discovery_workers,
            api=self._vocabulary() if providers else defaults.api,
        )

    def providers(self):
        """The hosted model APIs and runtime tags of rules/providers.yaml (shipped, then the project's rules)."""
        from licscan.providers import load_providers

        return load_providers(self.evaluation().rules_dirs)

    def _vocabulary(self):
        """providers().vocabulary, read without the provider records (which `discover` never needs)."""
        rules_dirs = self.evaluation().rules_dirs
        shipped = _shipped_vocabulary(rules_dirs)
        if shipped is not None:
            return shipped
        from licscan.providers import load_vocabulary

        return load_vocabulary(rules_dirs)

    def _mirror_in_project(self) -> str | None:
        """The mirror's path relative to the project root (posix), or None when it is elsewhere or unset."""
        if self.mirror is None:
            return None
        try:
            inside = Path(self.mirror).resolve().relative_to(self.root)
        except ValueError:
            return None
        return inside.as_posix() if inside.parts else None

    def resolution(self) -> ResolutionSettings:
        from licscan.model import ResolutionSettings  # (model.lineage: loaded by the commands that resolve)

        return ResolutionSettings(
            endpoint=self.endpoint,
            offline=self.offline,
            mirror=self.mirror,
            # Reports name a mirror inside the project by its path in it: the same checkout elsewhere
            # (another CI workspace, a colleague's clone) gives the same report bytes.
            mirror_label=self._mirror_in_project(),
            db_url=self.db_url,
            max_depth=self.max_depth,
            timeout=self.timeout,
            workers=self.workers,
            freshness_seconds=self.freshness_seconds,
            refresh=self.refresh,
            db_pool_size=self.db_pool_size,
            project_root=str(self.root),
        )

    @property
    def project_key(self) -> str:
        """The name this project's scans are kept under: `project` when set (teams sharing a database set it
        so every runner's checkout is one series), else the project's absolute path."""
        return self.project or str(self.root)

    def evaluation(self) -> EvaluationSettings:
        return EvaluationSettings(rules_dirs=(str(data_dir("rules")), *self.rules_dirs), policy=self.policy,
                                  context=self.context)


def _read_file_settings(root: Path) -> tuple[dict[str, Any], str | None]:
    yaml_file = root / ".licscan.yaml"
    if yaml_file.is_file():
        try:
            data = safeyaml.load(yaml_file.read_bytes(), what=".licscan.yaml", unique_keys=True)
        except ParseError as exc:
            raise ConfigError(str(exc), file=".licscan.yaml") from None
        if data is None:
            return {}, ".licscan.yaml"
        if not isinstance(data, Mapping):
            raise ConfigError("must be a mapping of settings", file=".licscan.yaml")
        return dict(data), ".licscan.yaml"
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (ValueError, RecursionError) as exc:
            # TOMLDecodeError and UnicodeDecodeError are ValueErrors, and so is an integer past Python's
            # 4,300-digit limit, which tomllib lets through; deep nesting is a RecursionError.
            raise ConfigError(f"is not valid TOML: {str(exc)[:200] or type(exc).__name__}", file="pyproject.toml") from None
        section = data.get("tool", {}).get("licscan")
        if section is not None:
            if not isinstance(section, Mapping):
                raise ConfigError("[tool.licscan] must be a table", file="pyproject.toml")
            return dict(section), "pyproject.toml"
    return {}, None


def _strings(data: Mapping[str, Any], key: str, file: str | None) -> tuple[str, ...]:
    value = data.get(key, ())
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise ConfigError("must be a list of strings", file=file, key=key)
    return tuple(value)


def _optional_string(data: Mapping[str, Any], key: str, file: str | None) -> str | None:
    value = data.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ConfigError("must be a non-empty string", file=file, key=key)
    return value


def _ignore_entries(data: Mapping[str, Any], file: str | None) -> tuple[IgnoreEntry, ...]:
    """`ignore = [{path = "...", reason = "..."}, {model = "org/name", reason = "..."}]`: each with its reason."""
    value = data.get("ignore", ())
    if not isinstance(value, (list, tuple)):
        raise ConfigError("must be a list of {path or model, reason} entries", file=file, key="ignore")
    entries = []
    for index, item in enumerate(value):
        where = f"ignore[{index}]"
        if not isinstance(item, Mapping):
            raise ConfigError("must be a mapping with `path` or `model`, and `reason`", file=file, key=where)
        unknown = set(item) - {"path", "model", "reason"}
        if unknown:
            raise ConfigError(f"unknown keys {sorted(unknown)} (known: model, path, reason)", file=file, key=where)
        targets = [name for name in ("path", "model") if name in item]
        if len(targets) != 1:
            raise ConfigError("needs exactly one of `path` and `model`", file=file, key=where)
        target = item[targets[0]]
        if not isinstance(target, str) or not target.strip():
            raise ConfigError("must be a non-empty string", file=file, key=f"{where}.{targets[0]}")
        reason = item.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError("every ignored path or model needs a reason (why it is safe to skip)",
                              file=file, key=f"{where}.reason")
        entries.append(IgnoreEntry(reason=reason.strip(), **{targets[0]: target.strip()}))
    return tuple(entries)


def _number(data: Mapping[str, Any], key: str, file: str | None, default: float, kind: type) -> Any:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError("must be a non-negative number", file=file, key=key)
    return kind(value)


def _discovery_workers(data: Mapping[str, Any], file: str | None) -> int:
    value = _number(data, "discovery_workers", file, 0, int)
    if value > MAX_DISCOVERY_WORKERS:
        raise ConfigError(f"must be between 0 and {MAX_DISCOVERY_WORKERS}", file=file, key="discovery_workers")
    return value


_CONTEXT_KEYS = {
    "established_in": "ISO 3166-1 alpha-2 codes of the countries the company is established in, e.g. [\"DE\"]",
    "user_regions": "ISO 3166-1 alpha-2 codes, \"EU\" or \"worldwide\": where the users are",
    "monthly_active_users": "a number, or a band such as \"10k-100k\", \"<1M\" or \">700M\"",
    "annual_revenue_usd": "a number, or a band such as \"1M-10M\" or \"<1M\"",
    "monthly_revenue_usd": "a number, or a band such as \"<20M\"",
    "use": "a list of: internal, saas, shipped, weights-redistributed, derivative-published",
    "commercial": "true (commercial use) or false (research or evaluation only)",
}
_REGION = lazy_re.compile(r"^(?:[A-Z]{2}|EU)$")
_AMOUNT = lazy_re.compile(r"^(\d+(?:\.\d+)?)([kmb]?)$")
_SCALE = {"": 1, "k": 1e3, "m": 1e6, "b": 1e9}


def _amount(text: str) -> float | None:
    match = _AMOUNT.match(text.strip().lower().replace(",", "").replace("_", ""))
    return float(match.group(1)) * _SCALE[match.group(2)] if match else None


def _band(value: Any, *, file: str | None, key: str):
    """A number, or a band: "LOW-HIGH", "<HIGH" (below), ">LOW" or "LOW+" (above); k, M and B scale."""
    from licscan.model import Band

    hint = f"must be {_CONTEXT_KEYS[key.rsplit('.', 1)[-1]]}"
    if isinstance(value, bool):
        raise ConfigError(hint, file=file, key=key)
    if isinstance(value, (int, float)):
        if value < 0:
            raise ConfigError(hint, file=file, key=key)
        return Band(float(value), float(value))
    if not isinstance(value, str):
        raise ConfigError(hint, file=file, key=key)
    text = value.strip()
    if text.startswith("<"):
        high = _amount(text[1:])
        if high is not None:
            return Band(0.0, high)
    elif text.startswith(">") or text.endswith("+"):
        low = _amount(text.strip("+>"))
        if low is not None:
            return Band(low, None)
    elif "-" in text:
        low_text, _, high_text = text.partition("-")
        low, high = _amount(low_text), _amount(high_text)
        if low is not None and high is not None and low <= high:
            return Band(low, high)
    else:
        exact = _amount(text)
        if exact is not None:
            return Band(exact, exact)
    raise ConfigError(f"{hint}, not {value!r}", file=file, key=key)


def _regions(value: Any, *, file: str | None, key: str, worldwide: bool) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(item, str) for item in items):
        raise ConfigError(f"must be a list of {_CONTEXT_KEYS[key.rsplit('.', 1)[-1]]}", file=file, key=key)
    codes = []
    for item in items:
        code = item.strip().upper()
        if worldwide and code == "WORLDWIDE":
            codes.append("worldwide")
        elif _REGION.match(code):
            codes.append(code)
        else:
            raise ConfigError(f"{item!r} is not {_CONTEXT_KEYS[key.rsplit('.', 1)[-1]]}", file=file, key=key)
    return tuple(dict.fromkeys(codes))


def _context(data: Mapping[str, Any], file: str | None):
    """[tool.licscan.context] (or `context:` in .licscan.yaml): the deployment the answers assume; None if absent."""
    section = data.get("context")
    if section is None:
        return None
    # Loaded only when a context is given: the pre-commit path must not pay for evaluation's records.
    from licscan.model import DeploymentContext, UseMode

    if not isinstance(section, Mapping):
        raise ConfigError("must be a table of deployment facts", file=file, key="context")
    unknown = set(section) - set(_CONTEXT_KEYS)
    if unknown:
        raise ConfigError(f"unknown keys {sorted(unknown)} (known: {', '.join(sorted(_CONTEXT_KEYS))})",
                          file=file, key="context")
    modes = None
    if "use" in section:
        value = section["use"]
        items = [value] if isinstance(value, str) else value
        known = ", ".join(mode.value for mode in UseMode)
        if not isinstance(items, (list, tuple)) or not items or not all(isinstance(item, str) for item in items):
            raise ConfigError(f"must be a list of: {known}", file=file, key="context.use")
        try:
            modes = tuple(dict.fromkeys(UseMode(item.strip().lower()) for item in items))
        except ValueError:
            raise ConfigError(f"must be a list of: {known}, not {items!r}", file=file, key="context.use") from None
    commercial = section.get("commercial")
    if commercial is not None and not isinstance(commercial, bool):
        raise ConfigError(f"must be {_CONTEXT_KEYS['commercial']}", file=file, key="context.commercial")
    bands = {
        name: _band(section[name], file=file, key=f"context.{name}") if section.get(name) is not None else None
        for name in ("monthly_active_users", "annual_revenue_usd", "monthly_revenue_usd")
    }
    return DeploymentContext(
        established_in=_regions(section.get("established_in", ()), file=file, key="context.established_in",
                                worldwide=False),
        user_regions=_regions(section.get("user_regions", ()), file=file, key="context.user_regions", worldwide=True),
        use_modes=modes,
        commercial=commercial,
        declared_in=file,
        **bands,
    )


def load_config(root: Path, *, check_mirror: bool = True, **overrides: Any) -> ScanConfig:
    """The scan configuration for a project: file settings, then environment, then overrides (CLI).

    check_mirror=False accepts a configured mirror directory that does not exist yet (`licscan mirror pull`).
    """
    root = root.resolve()
    if not root.exists():
        raise ConfigError(f"{root} does not exist")
    data, file = _read_file_settings(root if root.is_dir() else root.parent)
    unknown = set(data) - _KNOWN_KEYS
    if unknown:
        raise ConfigError(f"unknown settings {sorted(unknown)} (known: {', '.join(sorted(_KNOWN_KEYS))})", file=file)
    base = root if root.is_dir() else root.parent

    def project_path(value: str | None, key: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ConfigError("must be a path", file=file, key=key)
        path = Path(value).expanduser()
        return str(path if path.is_absolute() else (base / path))

    policy = data.get("policy", "default")
    if not isinstance(policy, str):
        raise ConfigError("must be a policy name or a path", file=file, key="policy")
    if policy.endswith((".yaml", ".yml")):
        policy = project_path(policy, "policy") or policy
    config = ScanConfig(
        root=root,
        config_file=file,
        models=_strings(data, "models", file),
        exclude=_strings(data, "exclude", file),
        mirror=project_path(data.get("mirror"), "mirror"),
        policy=policy,
        rules_dirs=tuple(project_path(item, "rules_dirs") or item for item in _strings(data, "rules_dirs", file)),
        max_depth=_number(data, "max_depth", file, 32, int),
        timeout=_number(data, "timeout", file, 10.0, float),
        workers=max(1, _number(data, "workers", file, 8, int)),
        discovery_workers=_discovery_workers(data, file),
        freshness_seconds=_number(data, "freshness_seconds", file, DEFAULT_FRESHNESS_SECONDS, int),
        db_url=data.get("db_url") if isinstance(data.get("db_url"), str) else None,
        db_pool_size=max(1, _number(data, "db_pool_size", file, 2, int)),
        project=_optional_string(data, "project", file),
        config_keys=_strings(data, "config_keys", file),
        max_file_bytes=_number(data, "max_file_bytes", file, 2_000_000, int),
        ignore=_ignore_entries(data, file),
        context=_context(data, file),
    )
    env = os.environ
    config = replace(
        config,
        endpoint=env.get("HF_ENDPOINT") or None,
        offline=(env.get("HF_HUB_OFFLINE") or env.get("TRANSFORMERS_OFFLINE") or "").strip().lower() in _TRUE,
        db_url=env.get("LICSCAN_DB_URL") or config.db_url,
    )
    clean = {key: value for key, value in overrides.items() if value is not None}
    if "mirror" in clean:
        clean["mirror"] = str(Path(clean["mirror"]).expanduser().resolve())
    if "rules_dirs" in clean:
        clean["rules_dirs"] = config.rules_dirs + tuple(clean["rules_dirs"])
    config = replace(config, **clean)
    if check_mirror and config.mirror is not None and not Path(config.mirror).is_dir():
        raise ConfigError(f"mirror directory {config.mirror} does not exist", file=file, key="mirror")
    if config.db_url is None:
        config = replace(config, db_url=default_db_url())
    check_db_url(config.db_url)
    return config
