"""A local stand-in for the Hugging Face Hub's model API and file resolver, with fault injection, for tests."""

from __future__ import annotations

import hashlib
import json
import re
import select
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

DEFAULT_ROOT = Path(__file__).resolve().parent / "data" / "hub"
DEFAULT_TOKEN = "hf_stubvalidtoken0000"

_API = re.compile(r"^/api/models/(?P<ns>[^/]+)/(?P<name>[^/]+)(?:/revision/(?P<rev>[^/]+))?/?$")
_RESOLVE = re.compile(r"^/(?P<ns>[^/]+)/(?P<name>[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
# Dataset repos live under <root>/datasets/<ns>/<name>/, laid out like models (the mirror's layout too).
_DATASET_API = re.compile(r"^/api/datasets/(?P<ns>[^/]+)/(?P<name>[^/]+)(?:/revision/(?P<rev>[^/]+))?/?$")
_RANGE = re.compile(r"^bytes=(?P<start>\d+)-(?P<end>\d*)$")
_DATASET_RESOLVE = re.compile(r"^/datasets/(?P<ns>[^/]+)/(?P<name>[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")


@dataclass
class _Repo:
    repo_id: str
    info: dict[str, Any] | None  # None when info.json does not parse
    folder: Path
    renamed_to: str | None = None
    gated_api: bool = False
    files: dict[str, Path] = field(default_factory=dict)


class HubStub:
    """Serve a mirror-layout directory over HTTP the way huggingface.co answers huggingface_hub.

    Knobs, all safe to change while it runs:
      faults[repo_id]  list of behaviours served, in order, to the next requests naming that repo:
                       an int status (429 carries Retry-After and RateLimit headers), a (status, headers) pair,
                       "pass" (answer normally: lets a later request of the same repo get the next fault),
                       "slow" (answer after `slow_seconds`), "truncated" (cut JSON body), "reset" (drop the
                       connection), "echo-token" (a 500 whose message repeats the caller's Authorization),
                       "drip" (the answer one byte every `drip_seconds`), "oversized" (a JSON answer of
                       `oversized_bytes`, streamed as it is generated), "drip-headers" (the real answer, its
                       status line and headers included, one byte every `drip_seconds`) and "silent" (the
                       request is read and nothing is ever sent, until the client hangs up or the stand-in
                       stops).
      file_faults[(repo_id, filename)]
                       the same, for the next GETs of one file of a repo (after the repo's own faults), plus
                       "truncated" (Content-Length of the whole file, half the body, then the connection
                       closes), "drip" (headers at once, then the body one byte every `drip_seconds`) and
                       "oversized" (the file followed by padding up to `oversized_bytes`). An int status
                       404 answers EntryNotFound, as the Hub does for a missing file. A dataset's files are
                       keyed ("datasets/<id>", filename).
      latency          seconds to wait before every answer.
      token            the one token that opens gated repos.
      retry_after      the Retry-After value of injected 429s.
    """

    def __init__(self, root: str | Path = DEFAULT_ROOT, *, token: str = DEFAULT_TOKEN) -> None:
        self.root = Path(root)
        self.token = token
        self.faults: dict[str, list[Any]] = {}
        self.file_faults: dict[tuple[str, str], list[Any]] = {}
        self.drip_seconds = 0.2
        self.oversized_bytes = 3_000_000
        self.latency = 0.0
        self.retry_after = 3
        self.slow_seconds = 5.0
        self._lock = threading.Lock()
        self._requests: list[tuple[str, str]] = []
        self._headers: list[dict[str, str]] = []
        self._sent: list[tuple[str, str | None, int]] = []  # (path, Range header, body bytes sent) per file GET
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lower_index: dict[str, str] | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> "HubStub":
        stub = self

        class Handler(_Handler):
            hub = stub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="hubstub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases handlers sleeping in "slow"
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "HubStub":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "stub not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- what was asked ----------------------------------------------------------------------------------
    @property
    def requests(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()
            self._headers.clear()
            self._sent.clear()

    @property
    def file_reads(self) -> list[tuple[str, str | None, int]]:
        """(path, the Range header asked for or None, body bytes sent) of every file served with a body."""
        with self._lock:
            return list(self._sent)

    def api_calls(self, repo_id: str | None = None) -> list[tuple[str, str]]:
        prefix = f"/api/models/{repo_id}" if repo_id else "/api/models/"
        return [r for r in self.requests if r[1].startswith(prefix) and (repo_id is None or
                r[1] == prefix or r[1].startswith(prefix + "/"))]

    def file_calls(self, method: str | None = None) -> list[tuple[str, str]]:
        return [r for r in self.requests if "/resolve/" in r[1] and (method is None or r[0] == method)]

    def _record(self, method: str, path: str, headers: Any = None) -> None:
        with self._lock:
            self._requests.append((method, path))
            self._headers.append(dict(headers or {}))

    @property
    def request_headers(self) -> list[dict[str, str]]:
        """The headers of every request, in order (as `requests` lists them)."""
        with self._lock:
            return list(self._headers)

    def _next_fault(self, repo_id: str) -> Any:
        with self._lock:
            queue = self.faults.get(repo_id)
            return queue.pop(0) if queue else None

    def _next_file_fault(self, repo_id: str, filename: str) -> Any:
        with self._lock:
            queue = self.file_faults.get((repo_id, filename))
            return queue.pop(0) if queue else None

    # -- data --------------------------------------------------------------------------------------------
    def _find_dataset(self, repo_id: str) -> tuple[_Repo | None, str | None]:
        folder = self.root / "datasets" / repo_id
        return (self._load(repo_id, folder), None) if (folder / "info.json").is_file() else (None, None)

    def _find(self, repo_id: str) -> tuple[_Repo | None, str | None]:
        """The repo and, when the id only matches in another letter case, the canonical id."""
        folder = self.root / repo_id
        if (folder / "info.json").is_file():
            return self._load(repo_id, folder), None
        with self._lock:
            if self._lower_index is None:
                self._lower_index = {
                    f"{p.parent.parent.name}/{p.parent.name}".lower(): f"{p.parent.parent.name}/{p.parent.name}"
                    for p in self.root.glob("*/*/info.json")
                }
            actual = self._lower_index.get(repo_id.lower())
        return (None, actual) if actual else (None, None)

    def _load(self, repo_id: str, folder: Path) -> _Repo:
        try:
            info = json.loads((folder / "info.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return _Repo(repo_id, None, folder)
        if not isinstance(info, dict):
            return _Repo(repo_id, None, folder)
        if "renamed_to" in info:
            return _Repo(repo_id, info, folder, renamed_to=str(info["renamed_to"]))
        ours = info.pop("licscan", None) or {}
        files = {p.name: p for p in folder.iterdir() if p.is_file() and p.name != "info.json"}
        return _Repo(repo_id, info, folder, gated_api=bool(ours.get("gated_api")), files=files)


class _Dripping:
    """A handler's output stream that sends each byte written `seconds` after the one before."""

    def __init__(self, inner: Any, seconds: float, stopping: threading.Event) -> None:
        self._inner = inner
        self._seconds = seconds
        self._stopping = stopping
        self._gone = False

    def write(self, data: bytes) -> int:
        for index in range(len(data)):
            if self._gone or self._stopping.wait(self._seconds):
                break
            try:
                self._inner.write(bytes(data[index:index + 1]))
                self._inner.flush()
            except OSError:
                self._gone = True  # the client gave up, as it should
        return len(data)

    def flush(self) -> None:
        pass

    @property
    def closed(self) -> bool:
        return self._inner.closed

    def close(self) -> None:
        self._inner.close()


class _Handler(BaseHTTPRequestHandler):
    hub: HubStub
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes; Nagle would add 40 ms each
    server_version = "hubstub/1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by design
        pass

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client timed out and went away; nothing to answer

    # -- plumbing ----------------------------------------------------------------------------------------
    def _auth_state(self) -> str:
        header = self.headers.get("Authorization", "")
        if not header:
            return "anonymous"
        return "valid" if header == f"Bearer {self.hub.token}" else "invalid"

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
              *, content_type: str = "application/json; charset=utf-8", head: bool = False,
              length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.send_header("X-Request-Id", "stub-request")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if not head and body:
            self.wfile.write(body)

    def _error(self, status: int, code: str | None, message: str, *, head: bool = False,
               headers: dict[str, str] | None = None) -> None:
        extra = dict(headers or {})
        if code:
            extra["X-Error-Code"] = code
        extra.setdefault("X-Error-Message", message)
        self._send(status, json.dumps({"error": message}).encode(), extra, head=head)

    def _redirect(self, location: str, *, head: bool = False) -> None:
        self._send(307, json.dumps({"message": "Redirect"}).encode(), {"Location": location}, head=head)

    def _fault(self, fault: Any, head: bool) -> bool:
        """Serve an injected fault. Returns False when the fault lets the request through."""
        if fault is None or fault == "pass":
            return False
        if fault == "slow":
            self.hub._stopping.wait(self.hub.slow_seconds)
            return False  # answer properly, but late
        if fault == "reset":
            self.close_connection = True
            self.connection.close()
            return True
        if fault == "drip-headers":  # everything this answer writes goes out a byte at a time, from its first
            self.wfile = _Dripping(self.wfile, self.hub.drip_seconds, self.hub._stopping)
            self.close_connection = True
            return False
        if fault == "silent":
            self._wait_for_hang_up()
            self.close_connection = True
            return True
        if fault == "truncated":
            body = b'{"id": "cut", "sha": "0000", "cardData": {"license": "ap'
            self._send(200, body, head=head)
            return True
        if fault in ("drip", "oversized"):  # a model-info answer dripped, or one JSON string of oversized_bytes
            self._file_fault(fault, b'{"id": "stub/answer", "sha": "' + b"0" * 40 + b'", "cardData": {"license": "'
                             if fault == "oversized" else json.dumps({"id": "stub/answer"}).encode(), {},
                             content_type="application/json; charset=utf-8", tail=b'"}}')
            return True
        if fault == "echo-token":
            seen = self.headers.get("Authorization", "(none)")
            self._error(500, None, f"Internal error while checking credentials {seen}", head=head)
            return True
        status, headers = (fault if isinstance(fault, tuple) else (int(fault), None))
        if status == 429 and headers is None:
            headers = {
                "Retry-After": str(self.hub.retry_after),
                "RateLimit": f'"api";r=0;t={self.hub.retry_after}',
                "RateLimit-Policy": '"fixed window";"api";q=500;w=300',
            }
        self._error(status, None, f"injected {status}", head=head, headers=headers)
        return True

    def _wait_for_hang_up(self) -> None:
        """Say nothing until the client closes the connection or the stand-in stops."""
        while not self.hub._stopping.wait(0.02):
            readable, _, _ = select.select([self.connection], [], [], 0)
            if readable:
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        return  # the client hung up
                except OSError:
                    return

    def _file_fault(self, fault: str, data: bytes, headers: dict[str, str],
                    content_type: str = "text/plain; charset=utf-8", tail: bytes = b"") -> None:
        """An answer that goes wrong after its headers: cut short, dripped, or far larger than asked.

        "oversized" sends data, then padding, then tail, up to `oversized_bytes` in all, generated as it
        goes (the stand-in never holds the whole body).
        """
        if fault == "oversized":
            total = max(self.hub.oversized_bytes, len(data) + len(tail))
            with self.hub._lock:
                self.hub._sent.append((urlsplit(self.path).path, None, total))
            self._send(200, b"", headers, content_type=content_type, length=total)
            try:
                self.wfile.write(data)
                left = total - len(data) - len(tail)
                block = b"x" * 65536
                while left > 0:
                    self.wfile.write(block[:left])
                    left -= len(block)
                self.wfile.write(tail)
            except OSError:
                pass  # the client stopped reading at its cap, as it should
            self.close_connection = True
            return
        self._send(200, b"", headers, content_type=content_type, length=len(data))
        if fault == "truncated":
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)  # SHUT_RDWR: the client sees the body end early
            return
        try:  # "drip": one byte at a time, until the body is sent or the stand-in stops
            for index in range(len(data)):
                if self.hub._stopping.wait(self.hub.drip_seconds):
                    break
                self.wfile.write(data[index:index + 1])
                self.wfile.flush()
        except OSError:
            pass  # the client gave up, as it should
        self.close_connection = True

    # -- routes ------------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._route(head=False)

    def do_HEAD(self) -> None:
        self._route(head=True)

    def _route(self, *, head: bool) -> None:
        path = urlsplit(self.path).path
        self.hub._record(self.command, path, self.headers)
        if self.hub.latency:
            self.hub._stopping.wait(self.hub.latency)
        if (match := _DATASET_API.match(path) or _DATASET_RESOLVE.match(path)) and not (head and "file" not in
                                                                                          match.groupdict()):
            repo_id = f"{unquote(match['ns'])}/{unquote(match['name'])}"
            if self._fault(self.hub._next_fault(f"datasets/{repo_id}"), head):
                return
            if "file" in match.groupdict():
                self._resolve(repo_id, unquote(match["rev"]), unquote(match["file"]), head=head,
                              find=self.hub._find_dataset, fault_key=f"datasets/{repo_id}")
            else:
                self._api(repo_id, unquote(match["rev"]) if match["rev"] else None, urlsplit(self.path).query,
                          find=self.hub._find_dataset)
        elif (match := _API.match(path)) and not head:
            repo_id = f"{unquote(match['ns'])}/{unquote(match['name'])}"
            if self._fault(self.hub._next_fault(repo_id), head):
                return
            self._api(repo_id, unquote(match["rev"]) if match["rev"] else None, urlsplit(self.path).query)
        elif match := _RESOLVE.match(path):
            repo_id = f"{unquote(match['ns'])}/{unquote(match['name'])}"
            if self._fault(self.hub._next_fault(repo_id), head):
                return
            self._resolve(repo_id, unquote(match["rev"]), unquote(match["file"]), head=head)
        else:
            self._error(404, None, "Sorry, we can't find the page you are looking for.", head=head)

    def _not_found(self, *, head: bool = False) -> None:
        # The Hub answers anonymous callers 401 for a repo it will not show, existing or not.
        status = 404 if self._auth_state() == "valid" else 401
        self._error(status, "RepoNotFound", "Repository not found", head=head)

    def _api(self, repo_id: str, revision: str | None, query: str, *, find=None) -> None:
        repo, actual = (find or self.hub._find)(repo_id)
        if repo is None and actual is not None:
            suffix = f"/revision/{quote(revision, safe='')}" if revision else ""
            self._redirect(f"/api/models/{actual}{suffix}" + (f"?{query}" if query else ""))
            return
        if repo is None:
            self._not_found()
            return
        if repo.info is None:
            self._error(500, None, "Internal Error")
            return
        if repo.renamed_to:
            suffix = f"/revision/{quote(revision, safe='')}" if revision else ""
            self._redirect(f"/api/models/{repo.renamed_to}{suffix}" + (f"?{query}" if query else ""))
            return
        if repo.gated_api and self._auth_state() != "valid":
            status = 401 if self._auth_state() == "anonymous" else 403
            self._error(status, "GatedRepo", "Access to model is restricted. You must have access to it and be "
                        "authenticated to access it. Please log in.")
            return
        if revision not in (None, "main", repo.info.get("sha")):
            self._error(404, "RevisionNotFound", "Invalid rev id: " + revision)
            return
        self._send(200, json.dumps(repo.info).encode())

    def _resolve(self, repo_id: str, revision: str, filename: str, *, head: bool, find=None,
                 fault_key: str | None = None) -> None:
        repo, actual = (find or self.hub._find)(repo_id)
        if repo is None and actual is not None:
            self._redirect(f"/{actual}/resolve/{quote(revision, safe='')}/{quote(filename)}", head=head)
            return
        if repo is None or repo.info is None:
            self._not_found(head=head)
            return
        if repo.renamed_to:
            self._redirect(f"/{repo.renamed_to}/resolve/{quote(revision, safe='')}/{quote(filename)}", head=head)
            return
        sha = str(repo.info.get("sha"))
        if repo.gated_api or repo.info.get("gated"):
            if self._auth_state() != "valid":
                self._error(403, "GatedRepo", f"Access to model {repo_id} is restricted and you are not in the "
                            "authorized list. Visit the repo page to ask for access.", head=head)
                return
        if revision not in ("main", sha):
            self._error(404, "RevisionNotFound", "Invalid rev id: " + revision, head=head)
            return
        target = repo.files.get(filename)
        if target is None:
            self._error(404, "EntryNotFound", f"{filename} does not exist on \"{revision}\"", head=head,
                        headers={"X-Repo-Commit": sha})
            return
        data = target.read_bytes()
        fault = None if head else self.hub._next_file_fault(fault_key or repo_id, filename)
        if fault == 404:
            self._error(404, "EntryNotFound", f"{filename} does not exist on \"{revision}\"",
                        headers={"X-Repo-Commit": sha})
            return
        if fault in ("truncated", "drip", "oversized"):
            self._file_fault(fault, data, {"X-Repo-Commit": sha})
            return
        if self._fault(fault, head):
            return
        etag = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # git's blob id, as the Hub uses
        headers = {"X-Repo-Commit": sha, "ETag": f'"{etag}"', "Accept-Ranges": "bytes"}
        asked = self.headers.get("Range")
        status, body = 200, data
        if asked is not None and (match := _RANGE.match(asked.strip())):
            # A single byte range, as the Hub's file resolver (and its CDN) answers it: 206 with Content-Range.
            start = int(match["start"])
            end = min(int(match["end"]) if match["end"] else len(data) - 1, len(data) - 1)
            if start >= len(data) or start > end:
                self._error(416, None, "Requested Range Not Satisfiable", head=head,
                            headers={"Content-Range": f"bytes */{len(data)}"})
                return
            status, body = 206, data[start:end + 1]
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        if not head:
            with self.hub._lock:
                self.hub._sent.append((urlsplit(self.path).path, asked, len(body)))
        self._send(status, body, headers, content_type="text/plain; charset=utf-8", head=head)

