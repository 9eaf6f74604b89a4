"""Resolution stage: the whole base_model ancestry of each model, from the Hub, a mirror or the cache."""

from licscan.resolution.interface import SOURCES, FetchFailure, MetadataSource, RepoSnapshot
from licscan.resolution.lineage import resolve
from licscan.resolution.mirror import pull_mirror
from licscan.resolution.store import MetadataStore, describe_url, open_store

__all__ = ["SOURCES", "FetchFailure", "MetadataSource", "MetadataStore", "RepoSnapshot", "describe_url", "open_store", "pull_mirror",
           "resolve"]
