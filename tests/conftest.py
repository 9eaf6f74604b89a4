"""Test isolation: no test reads the user's real cache, token or Hub endpoint."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("HF_HOME", str(home / ".cache" / "huggingface"))
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE",
                 "LICSCAN_DB_URL", "SOURCE_DATE_EPOCH"):
        monkeypatch.delenv(name, raising=False)
    # huggingface_hub must never reach the real Hub from a test.
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    yield


# ---------------------------------------------------------------------------
# Resolution: the Hub stand-in, and a guard that keeps every test off the internet
# ---------------------------------------------------------------------------

import ipaddress
import socket


def _is_loopback(host) -> bool:
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch):
    """Refuse DNS look-ups and connections beyond this machine: a test that reaches out fails fast and loudly."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host, *args, **kwargs):
        if not _is_loopback(host):
            raise socket.gaierror(socket.EAI_NONAME, f"tests may not resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise ConnectionRefusedError(f"tests may not connect to {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    try:
        # huggingface_hub fetches an "agent harness" list from huggingface.co once per process when it first
        # builds request headers; give it the empty list it would fall back to, so it never tries.
        from huggingface_hub.utils import _detect_agent

        monkeypatch.setattr(_detect_agent, "_registry", {"standardEnvVars": [], "harnesses": {}})
    except (ImportError, AttributeError):
        pass
    yield


@pytest.fixture
def hub_stub():
    """A running Hub stand-in serving tests/data/hub; see tests/hubstub.py for its fault knobs."""
    from hubstub import HubStub

    with HubStub() as stub:
        yield stub


@pytest.fixture
def stub_settings(hub_stub):
    """ResolutionSettings pointing at the stand-in, with short timeouts; keyword arguments override."""
    from licscan.model import ResolutionSettings

    def make(**overrides):
        values = {"endpoint": hub_stub.url, "timeout": 2.0, "max_retries": 2, "workers": 4}
        values.update(overrides)
        return ResolutionSettings(**values)

    return make
