"""A whole request to the Hub ends by its deadline, however slowly the server sends its status line, headers or
body, or when it sends nothing at all; the model is then incomplete, never clear, and nothing is left open."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from huggingface_hub.utils import close_session
from typer.testing import CliRunner

from licscan.cli import app
from licscan.model import ModelRef, UnresolvedReason
from licscan.resolution import hub as hub_source
from licscan.resolution import resolve

runner = CliRunner()
DEADLINE = 0.5
LATE = f"the Hub did not answer within {DEADLINE:g} s"
# Every fault below would hold a request far past the deadline: the read timeout (4 s) is eight times it, and
# a dripped answer of a few hundred bytes at a byte every 0.05 s takes well over ten seconds.
HEADER_FAULTS = ["drip-headers", "silent"]


@pytest.fixture(autouse=True)
def _short_deadline(monkeypatch, hub_stub):
    monkeypatch.setattr(hub_source, "REQUEST_DEADLINE", DEADLINE)
    monkeypatch.setattr(hub_source, "BACKOFF_START", 0.0)
    hub_stub.drip_seconds = 0.05


def _client_sockets_to(port: int) -> list[str]:
    """The sockets this process holds that are connected to `port` on the loopback (Linux: /proc)."""
    ours = set()
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = fd.readlink().as_posix()
        except OSError:
            continue
        if target.startswith("socket:["):
            ours.add(target[len("socket:["):-1])
    held = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if remote_port == port and fields[9] in ours:
                held.append(line)
    return held


def _walk_threads() -> list[threading.Thread]:
    """Threads other than the test's own and the stand-in's (its server loop and its per-connection handlers)."""
    return [thread for thread in threading.enumerate() if thread is not threading.main_thread()
            and thread.name != "hubstub" and "process_request_thread" not in thread.name]


@pytest.mark.parametrize("fault", HEADER_FAULTS)
def test_a_model_info_answer_whose_headers_never_come_ends_at_the_deadline(stub_settings, hub_stub, fault):
    before = _walk_threads()
    hub_stub.faults["licscan-test/base"] = [fault] * 3
    lineage = resolve([ModelRef("licscan-test/base")], stub_settings(timeout=4.0, max_retries=1),
                      sleep=lambda seconds: None).lineages["licscan-test/base"]
    (gap,) = lineage.unresolved
    assert gap.reason is UnresolvedReason.NETWORK and gap.detail == f"{LATE} (gave up after 2 attempts)"
    assert lineage.nodes == () and len(hub_stub.api_calls("licscan-test/base")) == 2
    # Each attempt's connection was closed when its deadline hit, and no thread was left behind.
    assert _client_sockets_to(int(hub_stub.url.rsplit(":", 1)[1])) == []
    assert _walk_threads() == before


@pytest.mark.parametrize("fault", HEADER_FAULTS)
def test_a_scan_whose_card_cannot_be_fetched_in_time_is_incomplete_with_the_reason(tmp_path, hub_stub, fault):
    hub_stub.faults["licscan-test/base"] = [fault] * 10
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.licscan]\nmodels = ["licscan-test/base"]\ntimeout = 4\n')
    out = tmp_path / "report.json"
    env = {"LICSCAN_DB_URL": f"sqlite:///{tmp_path / 'cache.db'}", "HF_ENDPOINT": hub_stub.url}
    result = runner.invoke(app, ["scan", str(project), "--json", str(out), "--no-color"], env=env,
                           catch_exceptions=False)
    report = json.loads(out.read_text())
    assert result.exit_code == 3 and report["verdict"] == "incomplete"
    assert any(LATE in finding["message"] for finding in report["findings"] if finding["rule_id"] == "LS100")


def test_the_deadline_holds_through_a_proxy_from_the_environment(monkeypatch, hub_stub):
    # The stand-in, as a plain HTTP proxy, is handed absolute URLs and answers them as the Hub: the requests
    # for a host that does not exist reach it only through the proxy's own connection pool.
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", hub_stub.url)
    close_session()  # huggingface_hub's client reads the environment's proxies when it is built
    try:
        hub_stub.faults["licscan-test/base"] = ["drip-headers"] * 3
        from licscan.model import ResolutionSettings

        settings = ResolutionSettings(endpoint="http://hub.invalid", timeout=4.0, max_retries=1, workers=1)
        lineage = resolve([ModelRef("licscan-test/base")], settings,
                          sleep=lambda seconds: None).lineages["licscan-test/base"]
    finally:
        monkeypatch.delenv("HTTP_PROXY")
        close_session()
    (gap,) = lineage.unresolved
    assert gap.detail == f"{LATE} (gave up after 2 attempts)"
    assert [path for _, path in hub_stub.requests] == ["/api/models/licscan-test/base"] * 2
