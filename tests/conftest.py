"""Test isolation: no test reads the user's real cache, token or Hub endpoint."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_session(tmp_path_factory):
    """Module-scoped fixtures (a scan shared by a file's tests) run before the per-test isolation below: they get
    a home and cache of the session's own, never the user's real ones (which another licscan may have written)."""
    import os

    home = tmp_path_factory.mktemp("session-home")
    saved = {name: os.environ.get(name) for name in ("HOME", "XDG_CACHE_HOME", "LICSCAN_DB_URL")}
    os.environ["HOME"], os.environ["XDG_CACHE_HOME"] = str(home), str(home / ".cache")
    os.environ.pop("LICSCAN_DB_URL", None)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


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


# ---------------------------------------------------------------------------
# PostgreSQL: the store's tests run against a real server in CI (.ci/run starts one); never skipped there
# ---------------------------------------------------------------------------

import os as _os


def pytest_collection_modifyitems(config, items):
    if _os.environ.get("LICSCAN_TEST_PG_URL"):
        return
    in_ci = _os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
    for item in items:
        if "postgres" in item.keywords:
            if in_ci:
                continue  # the pg_url fixture fails these: CI must run them
            item.add_marker(pytest.mark.skip(reason="LICSCAN_TEST_PG_URL is not set (CI sets it: .ci/postgres.sh)"))


@pytest.fixture
def pg_url():
    """A SQLAlchemy URL of an empty schema on the test PostgreSQL (LICSCAN_TEST_PG_URL), dropped afterwards."""
    url = _os.environ.get("LICSCAN_TEST_PG_URL")
    if not url:
        pytest.fail("LICSCAN_TEST_PG_URL is not set: CI must run the PostgreSQL tests (.ci/run starts a server "
                    "with .ci/postgres.sh)")
    import uuid

    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in url else "?"
    yield f"{url}{sep}options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()
