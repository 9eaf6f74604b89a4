"""The cold walk's CPU per request: the API call licscan sends is the one HfApi.model_info sends, built with
less work (its URL parsed once, not again to add the query)."""

from __future__ import annotations

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import RevisionNotFoundError

import httpx2._urlparse
import httpx2._urls
from licscan.model import ResolutionSettings, UnresolvedReason
from licscan.resolution.hub import EXPAND, HubSource, _bounded_session


@pytest.fixture
def sent(monkeypatch):
    """The URL and authorization of every request the shared session sends, and the URL parses it made."""
    seen: list[tuple[str, str | None]] = []
    parses = []
    real = httpx2._urlparse.urlparse
    for module in (httpx2._urls, httpx2._urlparse):  # a URL built from a string, and one copied with changes
        monkeypatch.setattr(module, "urlparse", lambda *a, **k: parses.append(1) or real(*a, **k))
    session = _bounded_session()
    hook = lambda request: seen.append((str(request.url), request.headers.get("authorization")))  # noqa: E731
    session.event_hooks["request"].append(hook)
    yield seen, parses
    session.event_hooks["request"].remove(hook)


@pytest.mark.parametrize("revision", [None, "refs/pr/1"])
def test_the_api_call_is_the_request_hf_api_model_info_sends(hub_stub, sent, revision):
    seen, _ = sent
    repo = "licscan-test/base"
    source = HubSource(ResolutionSettings(endpoint=hub_stub.url, timeout=5.0, max_retries=0))
    ours = source._model_info(repo, revision)
    try:
        theirs = HfApi(endpoint=hub_stub.url, token=False).model_info(repo, revision=revision, expand=EXPAND,
                                                                      timeout=5)
    except RevisionNotFoundError:  # the stand-in has no such pull request: the same answer to both requests
        assert ours.reason is UnresolvedReason.NOT_FOUND
    assert seen[0] == seen[1] and "expand=cardData" in seen[0][0], seen
    if revision is None:
        assert (ours.id, ours.sha, ours.card_data, ours.siblings) == (theirs.id, theirs.sha, theirs.card_data,
                                                                     theirs.siblings)


def test_the_api_calls_url_is_parsed_once(hub_stub, sent):
    _, parses = sent
    source = HubSource(ResolutionSettings(endpoint=hub_stub.url, timeout=5.0))
    source._model_info("licscan-test/base", None)  # the client and its connection made
    parses.clear()
    for _ in range(5):
        source._model_info("licscan-test/base", None)
    assert len(parses) == 5, len(parses)  # params= parsed each URL twice (74 of 499 us of CPU a call)
