"""rules/providers.yaml read into frozen records: hosted model APIs and local runtime tags (shared by config and
evaluation, so discovery gets its vocabulary as a setting and evaluation the provider facts)."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, NamedTuple

from licscan import safeyaml
from licscan.errors import RuleError
from licscan.model import ApiVocabulary

# The records and the sourced-entry reader are imported where the whole table is read: importing them (the
# finding records' dataclasses) cost `discover`, which needs only the vocabulary, ~30 ms on every run.
if TYPE_CHECKING:
    from licscan.model.providers import Provider, ProviderTable

PROVIDERS_SCHEMA = "licscan-providers/1"
FILE_NAME = "providers.yaml"

_TOP_KEYS = {"schema", "last_reviewed", "note", "providers", "runtime_tags"}
_PROVIDER_KEYS = {"key", "name", "hosts", "sdk_packages", "prefixes", "models", "publisher", "organization", "country",
                  "parent", "terms", "listings", "confidence", "unconfirmed", "sources", "notes", "hub_names",
                  "key_variables", "config_words", "versioned_names"}
_TERMS_KEYS = {"url", "read", "title", "entity", "law"}
_TAG_KEYS = {"runtime", "tag", "hub_model", "confidence", "sources", "notes"}
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")
_TAG = re.compile(r"^[a-z0-9][\w.-]*(/[\w.-]+)?:[\w.-]+$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_PACKAGE = re.compile(r"^[A-Za-z_][\w.]*$")
_PREFIX = re.compile(r"^[\w.-]+$")
_VARIABLE = re.compile(r"^[A-Z][A-Z0-9_]{2,60}$")  # an environment variable's name, as shells and compose write it
_CONFIG_WORD = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,60}$")


class _Reader:
    """Checks one file's provider-specific values (texts and patterns); every error names the file and the entry."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, message: str, rule: str | None = None) -> RuleError:
        return RuleError(message, file=self.file, rule=rule)

    def text(self, value: Any, where: str, rule: str | None, *, required: bool = False) -> str | None:
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where} must be text", rule)
        return value.strip()

    def texts(self, value: Any, where: str, rule: str | None, pattern: re.Pattern[str] | None = None) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            raise self.fail(f"{where} must be a list of strings", rule)
        for item in value:
            if pattern is not None and not pattern.match(item):
                raise self.fail(f"{where}: {item!r} is not of the form expected", rule)
        return tuple(value)


def _optional_date(value: Any, *, file: str, key: str, rule: str) -> str | None:
    from licscan.rule_entries import iso_date

    return None if value is None else iso_date(value, file=file, key=key, rule=rule)


class _Served(NamedTuple):
    """What discovery needs of one provider: how a project reaches it, and the model names it serves."""

    hosts: tuple[str, ...]
    sdk_packages: tuple[str, ...]
    prefixes: tuple[str, ...]
    models: tuple[str, ...]
    hub_names: bool
    key_variables: tuple[str, ...]
    config_words: tuple[str, ...]
    versioned_names: bool


def _top(read: _Reader, data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise read.fail("the file must be a mapping")
    if data.get("schema") != PROVIDERS_SCHEMA:
        raise read.fail(f"'schema' must be {PROVIDERS_SCHEMA!r}")
    return data


def _provider_entries(read: _Reader, top: Mapping[str, Any], keys: Iterable[str] | None) -> Iterator[
        tuple[str, Mapping[str, Any]]]:
    """(key, entry) of each provider, its key checked and given once; `keys`: the fields an entry may have
    (None: any, for a reader that looks at a few)."""
    items = top.get("providers")
    if not isinstance(items, list):
        raise read.fail("'providers' must be a list")
    seen: set[str] = set()
    for index, value in enumerate(items):
        where = f"providers[{index}]"
        item = _entry(read, value, keys, where)
        key = item.get("key")
        if not isinstance(key, str) or not _KEY.match(key):
            raise read.fail(f"{where}.key must be a lower-case word such as 'deepseek', not {key!r}")
        if key in seen:
            raise read.fail(f"{where}: provider {key!r} is listed twice", key)
        seen.add(key)
        yield key, item


def _tag_entries(read: _Reader, top: Mapping[str, Any], keys: Iterable[str] | None) -> Iterator[
        tuple[str, str, str, Mapping[str, Any]]]:
    """(where, runtime, tag, entry) of each runtime tag, its runtime and tag checked and the tag given once."""
    tags = top.get("runtime_tags") or []
    if not isinstance(tags, list):
        raise read.fail("'runtime_tags' must be a list")
    seen: set[tuple[str, str]] = set()
    for index, value in enumerate(tags):
        where = f"runtime_tags[{index}]"
        item = _entry(read, value, keys, where)
        runtime = read.text(item.get("runtime"), f"{where}.runtime", None, required=True) or ""
        tag = read.text(item.get("tag"), f"{where}.tag", None, required=True) or ""
        rule = f"{runtime}:{tag}"
        if not _TAG.match(tag):
            raise read.fail(f"{where}.tag must be name:size, such as 'qwen2.5:7b' or 'llama3.1:latest'", rule)
        if (runtime, tag.lower()) in seen:
            raise read.fail(f"{where}: tag {rule!r} is listed twice", rule)
        seen.add((runtime, tag.lower()))
        yield where, runtime, tag, item


def _entry(read: _Reader, value: Any, keys: Iterable[str] | None, where: str) -> Mapping[str, Any]:
    if keys is None:
        if not isinstance(value, Mapping):
            raise read.fail(f"{where} must be a mapping")
        return value
    from licscan.rule_entries import entry

    return entry(value, keys, where=where, file=read.file)


def parse_providers(data: Any, *, file: str) -> ProviderTable:
    """Check and read a providers.yaml (RuleError naming the file and entry on the first problem)."""
    from licscan.model.providers import ProviderTable, RuntimeTag
    from licscan.rule_entries import confidence_level, entry, iso_date, sources

    read = _Reader(file)
    top = _top(read, entry(data, _TOP_KEYS, where="the file", file=file))
    reviewed = iso_date(top.get("last_reviewed"), file=file, key="last_reviewed")
    providers = {key: _provider(read, item, key) for key, item in _provider_entries(read, top, _PROVIDER_KEYS)}
    runtime_tags: dict[tuple[str, str], RuntimeTag] = {}
    for where, runtime, tag, item in _tag_entries(read, top, _TAG_KEYS):
        rule = f"{runtime}:{tag}"
        hub_model = read.text(item.get("hub_model"), f"{where}.hub_model", rule, required=True) or ""
        if not _HUB_ID.match(hub_model):
            raise read.fail(f"{where}.hub_model must be a Hub repo id (namespace/name), not {hub_model!r}", rule)
        runtime_tags[(runtime, tag.lower())] = RuntimeTag(
            runtime=runtime, tag=tag, hub_model=hub_model,
            confidence=confidence_level(item.get("confidence"), file=file, key=f"{where}.confidence", rule=rule),
            sources=sources(item.get("sources"), file=file, rule=rule, typed=True),
            notes=read.text(item.get("notes"), f"{where}.notes", rule))
    return ProviderTable(providers=tuple(providers.values()), runtime_tags=tuple(runtime_tags.values()),
                         reviewed=reviewed, file=file)


def _served(read: _Reader, item: Mapping[str, Any], key: str) -> _Served:
    hosts = tuple(host.lower() for host in read.texts(item.get("hosts"), "hosts", key))
    for host in hosts:
        if not _HOST.match(host):
            raise read.fail(f"'hosts' names {host!r}, which is not a host name (no scheme, no path)", key)
    models = read.texts(item.get("models"), "models", key)
    if not models:
        raise read.fail("'models' must list the model-name globs the provider serves", key)
    hub_names = item.get("hub_names", False)
    if not isinstance(hub_names, bool):
        raise read.fail("'hub_names' must be true or false (whether its model names are Hub ids)", key)
    versioned_names = item.get("versioned_names", False)
    if not isinstance(versioned_names, bool):
        raise read.fail("'versioned_names' must be true or false (whether its names carry version pins)", key)
    return _Served(
        hosts=hosts,
        sdk_packages=read.texts(item.get("sdk_packages"), "sdk_packages", key, _PACKAGE),
        prefixes=tuple(prefix.lower() for prefix in read.texts(item.get("prefixes"), "prefixes", key, _PREFIX)),
        models=models,
        hub_names=hub_names,
        key_variables=read.texts(item.get("key_variables"), "key_variables", key, _VARIABLE),
        config_words=read.texts(item.get("config_words"), "config_words", key, _CONFIG_WORD),
        versioned_names=versioned_names,
    )


def _provider(read: _Reader, item: Mapping[str, Any], key: str) -> Provider:
    from licscan.model.providers import Provider, ProviderTerms
    from licscan.rule_entries import confidence_level, entry, listing, sources

    served = _served(read, item, key)
    country = item.get("country")
    if country is not None and not (isinstance(country, str) and _COUNTRY.match(country)):
        raise read.fail(f"'country' {country!r} must be an ISO 3166-1 alpha-2 code", key)
    terms_value = entry(item.get("terms"), _TERMS_KEYS, where="terms", file=read.file, rule=key)
    terms = ProviderTerms(url=read.text(terms_value.get("url"), "terms.url", key),
                          read=_optional_date(terms_value.get("read"), file=read.file, key="terms.read", rule=key),
                          title=read.text(terms_value.get("title"), "terms.title", key),
                          entity=read.text(terms_value.get("entity"), "terms.entity", key),
                          law=read.text(terms_value.get("law"), "terms.law", key))
    unconfirmed = read.texts(item.get("unconfirmed"), "unconfirmed", key)
    for name in unconfirmed:
        if name not in _PROVIDER_KEYS:
            raise read.fail(f"'unconfirmed' names {name!r}, which is not a field", key)
    if terms.read is None and "terms" not in unconfirmed:
        raise read.fail("'terms' has no date read: list 'terms' under 'unconfirmed'", key)
    publisher = read.text(item.get("publisher"), "publisher", key)
    organization = read.text(item.get("organization"), "organization", key)
    if publisher is None and organization is None:
        raise read.fail("give the 'publisher' namespace of origins.yaml, or the 'organization' itself", key)
    listings = item.get("listings") or []
    if not isinstance(listings, list):
        raise read.fail("'listings' must be a list", key)
    return Provider(
        key=key,
        name=read.text(item.get("name"), "name", key, required=True) or key,
        hosts=served.hosts,
        sdk_packages=served.sdk_packages,
        prefixes=served.prefixes,
        models=served.models,
        publisher=publisher,
        organization=organization,
        country=country,
        parent=read.text(item.get("parent"), "parent", key),
        terms=terms,
        listings=tuple(listing(value, where=f"listings[{index}]", file=read.file, rule=key,
                              default_entity=organization or key)
                       for index, value in enumerate(listings)),
        confidence=confidence_level(item.get("confidence"), file=read.file, key="confidence", rule=key),
        sources=sources(item.get("sources"), file=read.file, rule=key, typed=True),
        unconfirmed=unconfirmed,
        notes=read.text(item.get("notes"), "notes", key),
        hub_names=served.hub_names,
        key_variables=served.key_variables,
        config_words=served.config_words,
        versioned_names=served.versioned_names,
    )


def load_providers(rules_dirs: Iterable[str | Path]) -> ProviderTable:
    """Every directory's providers.yaml in order: a later one replaces a provider by key and a tag by name."""
    from licscan.model.providers import ProviderTable, RuntimeTag

    providers: dict[str, Provider] = {}
    tags: dict[tuple[str, str], RuntimeTag] = {}
    reviewed, file = None, ""
    for path, mtime_ns in _files(rules_dirs):
        table = _parsed(path, mtime_ns)
        providers.update((item.key, item) for item in table.providers)
        tags.update(((item.runtime, item.tag.lower()), item) for item in table.runtime_tags)
        reviewed, file = table.reviewed or reviewed, table.file
    return ProviderTable(providers=tuple(providers.values()), runtime_tags=tuple(tags.values()), reviewed=reviewed,
                         file=file)


def load_vocabulary(rules_dirs: Iterable[str | Path]) -> ApiVocabulary:
    """Discovery's vocabulary of every directory's providers.yaml, merged as load_providers merges them; what
    load_providers(rules_dirs).vocabulary gives, reading and checking only the fields it is made of (the file's
    schema, provider keys, hosts, SDK packages, prefixes, model globs, runtime tags). The facts evaluation uses
    (terms, sources, listings) are checked where they are read: a scan, a check, `rules validate`."""
    served: dict[str, _Served] = {}
    runtimes: dict[tuple[str, str], str] = {}
    for path, mtime_ns in _files(rules_dirs):
        read = _Reader(path)
        top = _top(read, _data(path, mtime_ns))
        served.update((key, _served(read, item, key)) for key, item in _provider_entries(read, top, None))
        runtimes.update(((runtime, tag.lower()), runtime) for _, runtime, tag, _ in _tag_entries(read, top, None))
    return ApiVocabulary.of(((key, *fields) for key, fields in served.items()), runtimes.values())


def _files(rules_dirs: Iterable[str | Path]) -> Iterator[tuple[str, int]]:
    for directory in rules_dirs:
        path = Path(directory) / FILE_NAME
        if path.is_file():
            yield str(path), path.stat().st_mtime_ns


@functools.lru_cache(maxsize=8)  # a scan asks for the table twice (discovery's vocabulary, evaluation's facts)
def _parsed(path: str, mtime_ns: int) -> ProviderTable:
    return parse_providers(_data(path, mtime_ns), file=path)


@functools.lru_cache(maxsize=8)  # (shared by both readers: a scan reads the file once; neither changes the data)
def _data(path: str, mtime_ns: int) -> Any:
    try:
        return safeyaml.load(Path(path).read_bytes(), what=path, unique_keys=True)
    except OSError as exc:
        raise RuleError(f"cannot read: {exc.strerror}", file=path) from None
