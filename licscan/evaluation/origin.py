"""Origin of a node (publisher, country, restricted-party listings) from the publisher registry."""

from __future__ import annotations

import dataclasses

from licscan.evaluation.knowledge import Knowledge
from licscan.model import Origin, RefKind, service_parts

LOCAL_PREFIX = "local:"


def origin_for(repo_id: str, knowledge: Knowledge) -> Origin:
    """The registry's origin for the repo's namespace; unknown (never guessed) when it is not there."""
    if repo_id.startswith(LOCAL_PREFIX):
        return Origin(namespace="(this project)", confidence="local")
    service = service_parts(repo_id)
    if service is not None:
        return provider_origin(service[0], knowledge)
    if ":" in repo_id:  # a runtime tag: a packaging of the Hub model below it, whose publisher is its origin
        return Origin(namespace=repo_id.split(":", 1)[0], confidence="local",
                      notes=f"a {RefKind.RUNTIME.value} tag; its origin is the Hub model it packages")
    namespace = repo_id.split("/", 1)[0]
    return knowledge.origins.get(namespace.lower()) or Origin(namespace=namespace)


def provider_origin(key: str, knowledge: Knowledge) -> Origin:
    """A hosted API's origin: its publisher's record in origins.yaml where providers.yaml links one (so a listed
    publisher is as listed as a provider), with the provider's own facts over it; unknown when not on record."""
    provider = knowledge.providers.provider(key)
    if provider is None:
        return Origin(namespace=key)
    base = knowledge.origins.get(provider.publisher.lower()) if provider.publisher else None
    if base is not None:
        return dataclasses.replace(
            base, namespace=key, organization=provider.organization or base.organization,
            listings=(*base.listings, *provider.listings),
            notes=f"provider {provider.name}; publisher record {provider.publisher}" + (f". {base.notes}" if base.notes else ""))
    return Origin(namespace=key, organization=provider.organization, country=provider.country, parent=provider.parent,
                  listings=provider.listings, confidence=provider.confidence, sources=provider.sources,
                  unconfirmed=tuple(name for name in provider.unconfirmed if name in ("organization", "country", "parent")),
                  notes=provider.notes, reviewed=knowledge.providers.reviewed)
