"""Origin of a node (publisher, country, restricted-party listings) from the publisher registry."""

from __future__ import annotations

from licscan.evaluation.knowledge import Knowledge
from licscan.model import Origin

LOCAL_PREFIX = "local:"


def origin_for(repo_id: str, knowledge: Knowledge) -> Origin:
    """The registry's origin for the repo's namespace; unknown (never guessed) when it is not there."""
    if repo_id.startswith(LOCAL_PREFIX):
        return Origin(namespace="(this project)", confidence="local")
    namespace = repo_id.split("/", 1)[0]
    return knowledge.origins.get(namespace.lower()) or Origin(namespace=namespace)
