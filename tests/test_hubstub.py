"""The Hub stand-in answers the real huggingface_hub client the way huggingface.co does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

DATA = Path(__file__).parent / "data" / "hub"
EXPAND = ["author", "cardData", "sha", "gated", "tags", "siblings"]


@pytest.fixture
def api(hub_stub):
    return HfApi(endpoint=hub_stub.url)


def test_model_info_matches_the_recorded_card(api, hub_stub):
    info = api.model_info("Qwen/Qwen3-Embedding-8B-GGUF", expand=EXPAND, timeout=5)
    recorded = json.loads((DATA / "Qwen/Qwen3-Embedding-8B-GGUF/info.json").read_text())
    assert info.id == "Qwen/Qwen3-Embedding-8B-GGUF"
    assert info.sha == recorded["sha"] and len(info.sha) == 40
    assert info.card_data.to_dict()["base_model"] == recorded["cardData"]["base_model"]
    assert "license:apache-2.0" in info.tags
    assert [s.rfilename for s in info.siblings] == ["README.md"]
    # licscan's own bookkeeping never reaches a client: the real Hub has no such field.
    assert not hasattr(info, "licscan")
    assert hub_stub.requests == [("GET", "/api/models/Qwen/Qwen3-Embedding-8B-GGUF")]


def test_model_info_at_a_revision(api):
    sha = api.model_info("licscan-test/base").sha
    assert api.model_info("licscan-test/base", revision=sha).sha == sha
    with pytest.raises(RevisionNotFoundError):
        api.model_info("licscan-test/base", revision="0" * 40)


def test_renamed_repo_redirects_to_its_new_id(api, hub_stub):
    info = api.model_info("meta-llama/Meta-Llama-3.1-8B-Instruct", expand=EXPAND)
    assert info.id == "meta-llama/Llama-3.1-8B-Instruct"
    assert hub_stub.requests == [("GET", "/api/models/meta-llama/Meta-Llama-3.1-8B-Instruct"),
                                 ("GET", "/api/models/meta-llama/Llama-3.1-8B-Instruct")]


def test_id_in_other_letter_case_redirects_like_the_hub(api):
    assert api.model_info("licscan-test/BASE").id == "licscan-test/base"


def test_missing_repo_is_repository_not_found_for_anonymous_callers(api):
    with pytest.raises(RepositoryNotFoundError) as caught:
        api.model_info("licscan-test/does-not-exist")
    assert caught.value.response.status_code == 401
    assert caught.value.response.headers["X-Error-Code"] == "RepoNotFound"


def test_gated_api_repo_needs_the_token(api, hub_stub, monkeypatch):
    with pytest.raises(GatedRepoError):
        api.model_info("licscan-test/gated-api")
    assert api.model_info("licscan-test/gated-api", token=hub_stub.token).id == "licscan-test/gated-api"
    with pytest.raises(GatedRepoError):
        api.model_info("licscan-test/gated-api", token="hf_notthevalidtoken1234")


def test_file_download_sends_commit_etag_and_length(hub_stub, tmp_path):
    sha = HfApi(endpoint=hub_stub.url).model_info("licscan-test/with-license").sha
    path = hf_hub_download("licscan-test/with-license", "LICENSE", revision=sha, endpoint=hub_stub.url,
                           cache_dir=tmp_path)
    assert Path(path).read_bytes() == (DATA / "licscan-test/with-license/LICENSE").read_bytes()
    assert ("HEAD", f"/licscan-test/with-license/resolve/{sha}/LICENSE") in hub_stub.requests


def test_file_download_follows_a_rename(hub_stub, tmp_path):
    path = hf_hub_download("licscan-test/old-name", "README.md", endpoint=hub_stub.url, cache_dir=tmp_path)
    assert Path(path).read_bytes() == (DATA / "licscan-test/base/README.md").read_bytes()


def test_unknown_file_is_entry_not_found(hub_stub, tmp_path):
    with pytest.raises(EntryNotFoundError):
        hf_hub_download("licscan-test/base", "nope.txt", endpoint=hub_stub.url, cache_dir=tmp_path)


def test_gated_files_need_the_token_while_the_api_stays_open(hub_stub, tmp_path):
    assert HfApi(endpoint=hub_stub.url).model_info("licscan-test/gated-files").gated == "manual"
    with pytest.raises(GatedRepoError):
        hf_hub_download("licscan-test/gated-files", "README.md", endpoint=hub_stub.url, cache_dir=tmp_path)
    path = hf_hub_download("licscan-test/gated-files", "README.md", endpoint=hub_stub.url, cache_dir=tmp_path,
                           token=hub_stub.token)
    assert Path(path).read_bytes().startswith(b"---\nlicense: llama3.1")


def test_injected_429_carries_retry_after_and_ratelimit_headers(api, hub_stub):
    hub_stub.retry_after = 42
    hub_stub.faults["licscan-test/base"] = [429]
    with pytest.raises(HfHubHTTPError) as caught:
        api.model_info("licscan-test/base")
    headers = caught.value.response.headers
    assert caught.value.response.status_code == 429
    assert headers["Retry-After"] == "42"
    assert headers["RateLimit"] == '"api";r=0;t=42'
    assert "Retry after 42 seconds" in str(caught.value)
    # The fault was used up: the next call goes through.
    assert api.model_info("licscan-test/base").id == "licscan-test/base"


def test_injected_500_and_truncated_body(api, hub_stub):
    hub_stub.faults["licscan-test/base"] = [500, "truncated"]
    with pytest.raises(HfHubHTTPError) as caught:
        api.model_info("licscan-test/base")
    assert caught.value.response.status_code == 500
    with pytest.raises(ValueError):  # json.JSONDecodeError
        api.model_info("licscan-test/base")


def test_slow_answer_times_the_client_out(api, hub_stub):
    hub_stub.slow_seconds = 2
    hub_stub.faults["licscan-test/base"] = ["slow"]
    with pytest.raises(Exception) as caught:
        api.model_info("licscan-test/base", timeout=0.2)
    assert "Timeout" in type(caught.value).__name__


def test_echo_token_fault_repeats_the_callers_token(api, hub_stub):
    # The fault exists to prove licscan scrubs what a server echoes back; check it really echoes.
    hub_stub.faults["licscan-test/base"] = ["echo-token"]
    with pytest.raises(HfHubHTTPError) as caught:
        api.model_info("licscan-test/base", token="hf_abcdefghijklmnop1234")
    assert "hf_abcdefghijklmnop1234" in str(caught.value)


def test_latency_and_request_log_are_thread_safe(hub_stub):
    from concurrent.futures import ThreadPoolExecutor

    hub_stub.latency = 0.05
    api = HfApi(endpoint=hub_stub.url)
    ids = ["licscan-test/base", "licscan-test/merge", "licscan-test/cycle-a", "licscan-test/cycle-b"] * 3
    with ThreadPoolExecutor(max_workers=6) as pool:
        got = list(pool.map(lambda rid: api.model_info(rid).id, ids))
    assert got == ids
    assert len(hub_stub.api_calls()) == len(ids)


def test_every_recorded_repo_is_served(hub_stub):
    api = HfApi(endpoint=hub_stub.url)
    infos = sorted(DATA.glob("*/*/info.json"))
    assert len(infos) > 200
    for path in infos:
        repo_id = f"{path.parent.parent.name}/{path.parent.name}"
        recorded = json.loads(path.read_text())
        if "renamed_to" in recorded:
            assert api.model_info(repo_id, token=hub_stub.token).id == recorded["renamed_to"]
        else:
            info = api.model_info(repo_id, token=hub_stub.token)
            assert info.sha == recorded["sha"]
            readme = (path.parent / "README.md").read_bytes()
            import hashlib

            assert info.sha == hashlib.sha1(f"{repo_id}\n".encode() + readme).hexdigest()


def test_a_range_request_gets_206_and_only_the_bytes_asked_for(hub_stub):
    from huggingface_hub import hf_hub_url
    from huggingface_hub.utils import build_hf_headers, get_session

    url = hf_hub_url("licscan-test/with-license", "README.md", endpoint=hub_stub.url)
    whole = get_session().get(url, headers=build_hf_headers(), follow_redirects=True, timeout=5)
    part = get_session().get(url, headers={**build_hf_headers(), "Range": "bytes=0-9"}, follow_redirects=True,
                             timeout=5)
    assert whole.status_code == 200 and len(whole.content) > 10
    assert part.status_code == 206 and part.content == whole.content[:10]
    assert part.headers["Content-Range"] == f"bytes 0-9/{len(whole.content)}"
    assert hub_stub.file_reads[-1][1:] == ("bytes=0-9", 10)
