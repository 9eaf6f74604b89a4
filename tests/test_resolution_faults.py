"""What the walk does when the Hub rate-limits, fails, cuts answers short, or hangs."""

from __future__ import annotations

import logging

import pytest

from licscan.model import ModelRef, UnresolvedReason
from licscan.resolution import resolve

TOKEN = "hf_abcdefghijklmnop1234"


class Sleeps(list):
    """An injected sleep that records what it was asked instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _walk(settings, *ids, sleep=None, **kwargs):
    return resolve([ModelRef(i) for i in ids], settings, sleep=sleep if sleep is not None else Sleeps(), **kwargs)


def test_429_waits_what_retry_after_says_then_succeeds(stub_settings, hub_stub):
    hub_stub.retry_after = 7
    hub_stub.faults["licscan-test/base"] = [429]
    sleeps = Sleeps()
    result = _walk(stub_settings(), "licscan-test/peft-adapter", sleep=sleeps)
    lineage = result.lineages["licscan-test/peft-adapter"]
    assert [n.repo_id for n in lineage.nodes] == ["licscan-test/peft-adapter", "licscan-test/base"]
    assert lineage.unresolved == ()
    assert sleeps == [7.0]
    assert len(hub_stub.api_calls("licscan-test/base")) == 2
    assert result.stats.api_calls == 3


def test_retry_after_is_capped(stub_settings, hub_stub):
    hub_stub.retry_after = 3600
    hub_stub.faults["licscan-test/base"] = [429]
    sleeps = Sleeps()
    _walk(stub_settings(), "licscan-test/base", sleep=sleeps)
    assert sleeps == [60.0]


def test_429_forever_is_rate_limited(stub_settings, hub_stub):
    hub_stub.faults["licscan-test/base"] = [429] * 20
    sleeps = Sleeps()
    lineage = _walk(stub_settings(max_retries=2), "licscan-test/peft-adapter",
                    sleep=sleeps).lineages["licscan-test/peft-adapter"]
    (gap,) = lineage.unresolved
    assert (gap.repo_id, gap.reason, gap.referenced_by) == (
        "licscan-test/base", UnresolvedReason.RATE_LIMITED, "licscan-test/peft-adapter")
    assert gap.reason.transient
    assert len(hub_stub.api_calls("licscan-test/base")) == 3
    assert sleeps == [3.0, 3.0]


def test_500_is_a_network_error_after_bounded_retries(stub_settings, hub_stub):
    hub_stub.faults["licscan-test/base"] = [500] * 20
    sleeps = Sleeps()
    lineage = _walk(stub_settings(max_retries=3), "licscan-test/base", sleep=sleeps).lineages["licscan-test/base"]
    (gap,) = lineage.unresolved
    assert gap.reason is UnresolvedReason.NETWORK and "HTTP 500" in gap.detail
    assert len(hub_stub.api_calls("licscan-test/base")) == 4
    assert sleeps == [1.0, 2.0, 4.0]  # exponential backoff when the server names no wait


def test_one_500_then_success(stub_settings, hub_stub):
    hub_stub.faults["licscan-test/base"] = [503]
    lineage = _walk(stub_settings(), "licscan-test/base").lineages["licscan-test/base"]
    assert lineage.unresolved == () and lineage.nodes[0].card.license == "apache-2.0"


def test_truncated_json_is_retried_then_a_network_error(stub_settings, hub_stub):
    hub_stub.faults["licscan-test/base"] = ["truncated"] * 20
    (gap,) = _walk(stub_settings(max_retries=1), "licscan-test/base").lineages["licscan-test/base"].unresolved
    assert gap.reason is UnresolvedReason.NETWORK and "JSON" in gap.detail
    hub_stub.faults["licscan-test/base"] = ["truncated"]
    assert _walk(stub_settings(max_retries=1), "licscan-test/base").lineages["licscan-test/base"].unresolved == ()


def test_dropped_connection_is_a_network_error(stub_settings, hub_stub):
    hub_stub.faults["licscan-test/base"] = ["reset"] * 20
    (gap,) = _walk(stub_settings(max_retries=1), "licscan-test/base").lineages["licscan-test/base"].unresolved
    assert gap.reason is UnresolvedReason.NETWORK


def test_slow_hub_times_out_as_network_error(stub_settings, hub_stub):
    hub_stub.slow_seconds = 3
    hub_stub.faults["licscan-test/base"] = ["slow"] * 20
    lineage = _walk(stub_settings(timeout=0.3, max_retries=1), "licscan-test/base").lineages["licscan-test/base"]
    (gap,) = lineage.unresolved
    assert gap.reason is UnresolvedReason.NETWORK and "timed out" in gap.detail
    assert len(hub_stub.api_calls("licscan-test/base")) == 2


def test_nothing_listening_is_a_network_error(tmp_path):
    import socket

    from licscan.model import ResolutionSettings

    with socket.socket() as probe:  # a port that was free a moment ago and has no server now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = ResolutionSettings(endpoint=f"http://127.0.0.1:{port}", timeout=1, max_retries=1)
    (gap,) = _walk(settings, "licscan-test/base").lineages["licscan-test/base"].unresolved
    assert gap.reason is UnresolvedReason.NETWORK


def test_token_never_reaches_details_logs_or_the_cache(stub_settings, hub_stub, monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    db = tmp_path / "cache.db"
    hub_stub.faults["licscan-test/base"] = ["echo-token"] * 20
    hub_stub.faults["licscan-test/cycle-b"] = [(401, {"X-Error-Message": f"Invalid token {TOKEN}"})] * 5
    caplog.set_level(logging.DEBUG)
    result = _walk(stub_settings(db_url=f"sqlite:///{db}", max_retries=1), "licscan-test/peft-adapter",
                   "licscan-test/cycle-a", "licscan-test/gated-files", "licscan-test/with-license")
    gaps = [u for lineage in result.lineages.values() for u in lineage.unresolved]
    assert {u.repo_id for u in gaps} >= {"licscan-test/base", "licscan-test/cycle-b"}
    echoed = next(u for u in gaps if u.repo_id == "licscan-test/base")
    assert echoed.reason is UnresolvedReason.NETWORK and "checking credentials" in echoed.detail
    for gap in gaps:
        assert TOKEN not in gap.detail and "abcdefghijklmnop" not in gap.detail
    for lineage in result.lineages.values():
        assert TOKEN not in repr(lineage)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("licscan")]
    assert ours and not any(TOKEN in message for message in ours)
    # The stand-in did see the token: the scrubbing above is what kept it out.
    assert result.lineages["licscan-test/with-license"].nodes[0].license_text
    for path in tmp_path.iterdir():
        assert TOKEN.encode() not in path.read_bytes(), path.name


def test_bad_token_on_a_gated_repo_is_gated_without_leaking_it(stub_settings, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    (gap,) = _walk(stub_settings(), "licscan-test/gated-api").lineages["licscan-test/gated-api"].unresolved
    assert gap.reason is UnresolvedReason.GATED and TOKEN not in gap.detail


@pytest.mark.parametrize("fault", [404, 410])
def test_other_client_errors_are_not_found(stub_settings, hub_stub, fault):
    hub_stub.faults["licscan-test/base"] = [fault]
    (gap,) = _walk(stub_settings(), "licscan-test/base").lineages["licscan-test/base"].unresolved
    assert gap.reason is UnresolvedReason.NOT_FOUND and str(fault) in gap.detail


def test_an_answer_that_drips_in_is_cut_at_the_request_deadline(stub_settings, hub_stub, monkeypatch):
    # The read timeout (2 s) never fires: a byte arrives every 0.05 s. Only a deadline per request ends it.
    from licscan.resolution import hub

    monkeypatch.setattr(hub, "REQUEST_DEADLINE", 0.3, raising=False)
    hub_stub.drip_seconds = 0.05
    hub_stub.faults["licscan-test/base"] = ["drip"] * 5
    lineage = _walk(stub_settings(max_retries=1), "licscan-test/base").lineages["licscan-test/base"]
    (gap,) = lineage.unresolved
    assert gap.reason is UnresolvedReason.NETWORK and "the Hub did not answer within 0.3 s" in gap.detail
    assert len(hub_stub.api_calls("licscan-test/base")) == 2 and lineage.nodes == ()


def test_an_oversized_model_info_answer_is_refused_at_the_cap_not_read_whole(stub_settings, hub_stub, monkeypatch):
    from licscan.resolution import hub

    monkeypatch.setattr(hub, "MAX_ANSWER_BYTES", 200_000, raising=False)
    hub_stub.oversized_bytes = 5_000_000
    hub_stub.faults["licscan-test/base"] = ["oversized"] * 5
    lineage = _walk(stub_settings(), "licscan-test/base").lineages["licscan-test/base"]
    (gap,) = lineage.unresolved
    assert (gap.repo_id, gap.reason) == ("licscan-test/base", UnresolvedReason.MALFORMED)
    assert "larger than 200,000 bytes" in gap.detail
    assert len(hub_stub.api_calls("licscan-test/base")) == 1  # a size is not a reason to ask again


def test_a_compressed_answer_is_refused_though_identity_was_asked(stub_settings, hub_stub):
    # A small gzip body can expand past any cap after it was counted: licscan asks for none and reads none.
    hub_stub.faults["licscan-test/base"] = [(200, {"Content-Encoding": "gzip"})] * 5
    (gap,) = _walk(stub_settings(), "licscan-test/base").lineages["licscan-test/base"].unresolved
    assert gap.reason is UnresolvedReason.MALFORMED and "compressed" in gap.detail
    assert all(headers.get("Accept-Encoding") == "identity" for headers in hub_stub.request_headers)


def test_a_licence_file_answered_429_waits_what_retry_after_says_then_is_read(stub_settings, hub_stub):
    hub_stub.retry_after = 7
    hub_stub.file_faults[("licscan-test/with-license", "LICENSE")] = [429]
    sleeps = Sleeps()
    lineage = _walk(stub_settings(), "licscan-test/with-license", sleep=sleeps).lineages["licscan-test/with-license"]
    assert sleeps == [7.0]
    assert lineage.nodes[0].license_text and lineage.unresolved == ()


def test_a_licence_file_that_keeps_failing_leaves_the_node_incomplete_with_the_reason(stub_settings, hub_stub):
    hub_stub.file_faults[("licscan-test/with-license", "LICENSE")] = [503] * 10
    sleeps = Sleeps()
    lineage = _walk(stub_settings(max_retries=2), "licscan-test/with-license",
                    sleep=sleeps).lineages["licscan-test/with-license"]
    assert sleeps == [1.0, 2.0]
    node = lineage.nodes[0]
    assert node.repo_id == "licscan-test/with-license" and node.license_text is None
    (gap,) = [gap for gap in lineage.unresolved if gap.repo_id == node.repo_id]
    assert gap.reason is UnresolvedReason.NETWORK and gap.reason.transient
    assert gap.detail == ("evidence missing: LICENSE could not be read: the Hub answered HTTP 503: injected 503 "
                          "(gave up after 3 attempts)")
