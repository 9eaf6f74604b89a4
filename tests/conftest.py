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
