"""The records of rules/providers.yaml: model providers reached through an API, and local runtime tags."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from licscan.model import ApiVocabulary
from licscan.model.findings import EntityListing, Source


@dataclass(frozen=True)
class ProviderTerms:
    """A provider's terms of service: where they are published and when licscan's rules read them."""

    url: str | None
    read: str | None  # ISO date the terms were read; None when they were not read in any stored copy
    title: str | None = None
    entity: str | None = None  # the company the customer contracts with, as the terms name it
    law: str | None = None  # the governing law and forum, where the terms read state them


@dataclass(frozen=True)
class Provider:
    """One organisation serving models through an API (DeepSeek's platform, Anthropic's API...)."""

    key: str  # "deepseek", as keys and reports name it
    name: str  # the service in words
    hosts: tuple[str, ...]  # API hosts a client's base_url names
    sdk_packages: tuple[str, ...]  # Python import names of the provider's own SDKs
    prefixes: tuple[str, ...]  # LiteLLM and OpenRouter prefixes ("deepseek" in deepseek/deepseek-chat)
    models: tuple[str, ...]  # globs of the model names it serves
    publisher: str | None  # the Hub namespace of rules/origins.yaml behind it, when there is one
    organization: str | None  # when no publisher record says it
    country: str | None
    parent: str | None
    terms: ProviderTerms
    listings: tuple[EntityListing, ...] = ()
    confidence: str = "unconfirmed"
    sources: tuple[Source, ...] = ()
    unconfirmed: tuple[str, ...] = ()
    notes: str | None = None
    hub_names: bool = False  # its model names are the Hub ids of the models it serves (DeepInfra, Together AI)
    key_variables: tuple[str, ...] = ()  # environment variables holding its API key (NVIDIA_API_KEY)
    config_words: tuple[str, ...] = ()  # a config's type or engine values that select its API (`_type: nim`)
    versioned_names: bool = False  # its names may carry a version pin, 'owner/name:<64 hex digits>' (Replicate)

    def serves(self, model: str) -> bool:
        lowered = model.lower()
        return any(fnmatch.fnmatchcase(lowered, glob.lower()) for glob in self.models)


@dataclass(frozen=True)
class RuntimeTag:
    """A local runtime's tag (Ollama's `qwen2.5:7b`) and the Hub model it packages."""

    runtime: str
    tag: str  # as the rules write it, with its size (":latest" when the runtime's default)
    hub_model: str
    confidence: str = "unconfirmed"
    sources: tuple[Source, ...] = ()
    notes: str | None = None


@dataclass(frozen=True)
class ProviderTable:
    providers: tuple[Provider, ...] = ()
    runtime_tags: tuple[RuntimeTag, ...] = ()
    reviewed: str | None = None
    file: str = ""

    def provider(self, key: str) -> Provider | None:
        lowered = key.lower()
        return next((item for item in self.providers if item.key == lowered), None)

    def runtime_tag(self, runtime: str, tag: str) -> RuntimeTag | None:
        """The table's entry for a tag: exact, then without its quantization or variant suffixes
        ('qwen2.5:7b-instruct-q4_K_M' -> 'qwen2.5:7b-instruct' -> 'qwen2.5:7b'); a bare name is ':latest'."""
        entries = {(item.runtime, item.tag.lower()): item for item in self.runtime_tags}
        name, _, size = tag.lower().partition(":")
        size = size or "latest"
        while True:
            found = entries.get((runtime, f"{name}:{size}"))
            if found is not None or "-" not in size:
                return found
            size = size.rsplit("-", 1)[0]

    @property
    def vocabulary(self) -> ApiVocabulary:
        """What discovery needs to recognise these providers and runtimes in a project."""
        return ApiVocabulary.of(
            ((item.key, item.hosts, item.sdk_packages, item.prefixes, item.models, item.hub_names, item.key_variables,
              item.config_words, item.versioned_names)
             for item in self.providers),
            (item.runtime for item in self.runtime_tags))
