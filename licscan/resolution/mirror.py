"""The mirror source: recorded Hub metadata in a directory (<ns>/<name>/info.json + README.md + LICENSE*)."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from licscan.cards import is_repo_id
from licscan.confined import Unreadable, read_confined
from licscan.gguf_header import PREFIX_BYTES, gguf_file_of, read_general
from licscan.model import UnresolvedReason
from licscan.resolution.interface import FetchFailure, RepoSnapshot, SourceCounters, license_file_of
from licscan.untrusted import valid_text

MAX_FILE_BYTES = 2_000_000
MAX_RENAMES = 10
GGUF_HEADER = "gguf-header.json"  # <repo>/gguf-header.json: {"file", "general": {general.* keys}, "problem"}
DATASETS = "datasets"  # <mirror>/datasets/<namespace>/<name>/ holds dataset repos, laid out like models


class _Reader:
    """The files of one repo folder of a mirror, read inside the mirror (no link out, no special file, capped);
    what is there but could not be read is kept in `missing`: the node is then incomplete."""

    def __init__(self, root: Path, folder: Path) -> None:
        self.root = root
        self.folder = folder
        self.missing: list[tuple[str, str]] = []

    def read(self, name: str, limit: int = MAX_FILE_BYTES, *, prefix: bool = False) -> bytes | None:
        try:
            return read_confined(self.root, self.folder / name, limit, prefix=prefix)
        except Unreadable as exc:
            self.missing.append((UnresolvedReason.MALFORMED.value, f"{self.folder / name}: {exc}"))
            return None

    def exists(self, name: str) -> bool:
        return os.path.lexists(self.folder / name)

    def license_file(self) -> tuple[str | None, str | None]:
        """(file name, text) of the repo's licence file, or (None, None): the one the Hub source would read from
        the same folder, whatever its case (`License.txt`), as `mirror pull` writes it under the Hub's name."""
        try:
            names = os.listdir(self.folder)
        except OSError:
            return None, None
        name = license_file_of(names)
        if name is None:
            return None, None
        data = self.read(name)
        return (name, data.decode("utf-8", errors="replace")) if data is not None else (None, None)

    def config_name(self) -> str | None:
        data = self.read("config.json") if self.exists("config.json") else None
        if data is None:
            return None
        try:
            config = json.loads(data)
        except (ValueError, RecursionError):
            return None
        value = config.get("_name_or_path") if isinstance(config, dict) else None
        return valid_text(value.strip()[:300]) if isinstance(value, str) and value.strip() else None  # type: ignore[return-value]

    def gguf(self, files: list[str], card_data: Any) -> dict[str, Any]:
        """The GGUF header fields of a snapshot, as the Hub source reads them: only when the card names a base
        model; from gguf-header.json (what `mirror pull` records), else from the GGUF file itself when the
        mirror holds it (its first PREFIX_BYTES only)."""
        if not (isinstance(card_data, dict) and card_data.get("base_model")):
            return {}
        if self.exists(GGUF_HEADER):
            raw = self.read(GGUF_HEADER)
            try:
                data = valid_text(json.loads(raw)) if raw is not None else None
            except (ValueError, RecursionError):
                data = None
            if not isinstance(data, dict) or not isinstance(data.get("file"), str):
                return {"gguf_problem": f"{self.folder / GGUF_HEADER} is not a GGUF header record"}
            general = data.get("general")
            problem = data.get("problem")
            return {"gguf_file": data["file"], "gguf_header": general if isinstance(general, dict) else {},
                    "gguf_problem": problem if isinstance(problem, str) else None}
        name = gguf_file_of(files)
        if name is None or not self.exists(name):
            return {}
        prefix = self.read(name, PREFIX_BYTES, prefix=True)
        if prefix is None:
            return {}
        header = read_general(prefix, whole=len(prefix) < PREFIX_BYTES)
        return {"gguf_file": name, "gguf_header": header.general,
                "gguf_problem": f"{name}: {header.problem}" if header.problem else None}


def _parameters(info: dict[str, Any]) -> int | None:
    safetensors = info.get("safetensors")
    total = safetensors.get("total") if isinstance(safetensors, dict) else None
    return total if isinstance(total, int) and not isinstance(total, bool) and total > 0 else None


class MirrorSource:
    """Read a mirror-layout directory. Never touches the network; renames are followed like the Hub's 307."""

    name = "mirror"

    def __init__(self, root: str | Path, *, label: str | None = None) -> None:
        self.root = Path(root).expanduser()
        self.label = label or str(self.root)  # how messages name the mirror
        self.counters = SourceCounters()
        self._lower: dict[str, str] | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        pass

    def _folder(self, repo_id: str) -> Path | None:
        """The repo's folder; like the Hub, ids match regardless of letter case."""
        if not is_repo_id(repo_id):  # also keeps '..' and absolute paths out of the directory walk
            return None
        folder = self.root / repo_id
        if os.path.lexists(folder / "info.json"):  # a link or a pipe is found here, and refused when read
            return folder
        with self._lock:
            if self._lower is None:
                self._lower = {
                    f"{p.parent.parent.name}/{p.parent.name}".lower(): f"{p.parent.parent.name}/{p.parent.name}"
                    for p in self.root.glob("*/*/info.json")
                }
            actual = self._lower.get(repo_id.lower())
        return self.root / actual if actual else None

    def fetch(self, repo_id: str, revision: str | None) -> RepoSnapshot | FetchFailure:
        self.counters.add(mirror_reads=1)
        current = repo_id
        for _ in range(MAX_RENAMES + 1):
            folder = self._folder(current)
            if folder is None:
                what = current if current == repo_id else f"{current} (the new name of {repo_id})"
                return FetchFailure(repo_id, UnresolvedReason.OFFLINE, f"{what} is not in the mirror at {self.label}")
            info = self._info(folder)
            if isinstance(info, str):
                return FetchFailure(repo_id, UnresolvedReason.MALFORMED, info)
            if "renamed_to" in info:
                target = info.get("renamed_to")
                if not isinstance(target, str) or not is_repo_id(target):
                    return FetchFailure(repo_id, UnresolvedReason.MALFORMED,
                                        f"{folder / 'info.json'}: renamed_to is not a repo id")
                current = target
                continue
            return self._snapshot(repo_id, folder, info, revision)
        return FetchFailure(repo_id, UnresolvedReason.MALFORMED,
                            f"{repo_id} is renamed more than {MAX_RENAMES} times in the mirror (a rename loop?)")

    def fetch_dataset(self, repo_id: str) -> RepoSnapshot | FetchFailure:
        """A dataset repo from <mirror>/datasets/<namespace>/<name>/ (info.json, README.md, LICENSE*)."""
        self.counters.add(mirror_reads=1)
        folder = self.root / DATASETS / repo_id
        if not is_repo_id(repo_id) or not os.path.lexists(folder / "info.json"):
            return FetchFailure(repo_id, UnresolvedReason.OFFLINE,
                                f"dataset {repo_id} is not in the mirror at {self.label}/{DATASETS}")
        info = self._info(folder)
        if isinstance(info, str):
            return FetchFailure(repo_id, UnresolvedReason.MALFORMED, info)
        snapshot = self._snapshot(repo_id, folder, info, None)
        return snapshot if isinstance(snapshot, FetchFailure) else replace(snapshot, config_name_or_path=None)

    def _info(self, folder: Path) -> dict[str, Any] | str:
        path = folder / "info.json"
        try:
            data = read_confined(self.root, path, MAX_FILE_BYTES)
            info = valid_text(json.loads(data)) if data is not None else None
        except Unreadable as exc:
            return f"{path}: {exc}"
        except ValueError as exc:
            return f"{path} cannot be read as JSON: {exc}"
        except RecursionError:  # arrays nested deeper than the parser goes: a crafted file, not a source bug
            return f"{path} cannot be read as JSON: it nests too deeply"
        if info is None:
            return f"{path} is missing"
        if not isinstance(info, dict):
            return f"{path} holds a {type(info).__name__}, not an object"
        return info

    def _snapshot(self, requested: str, folder: Path, info: dict[str, Any],
                  revision: str | None) -> RepoSnapshot | FetchFailure:
        named = info.get("id")
        if named is not None and not (isinstance(named, str) and is_repo_id(named)):
            # The id becomes a node id, a cache key and a folder name in `mirror pull`: only a repo id will do.
            return FetchFailure(requested, UnresolvedReason.MALFORMED,
                                f"{folder / 'info.json'}: its id {str(named)[:100]!r} is not a repo id")
        canonical = named or f"{folder.parent.name}/{folder.name}"
        sha = info.get("sha") if isinstance(info.get("sha"), str) else None
        if revision not in (None, "main", sha):
            return FetchFailure(requested, UnresolvedReason.OFFLINE,
                                f"revision {revision} of {canonical} is not in the mirror at {self.label} "
                                f"(it holds {sha or 'an unknown revision'})")
        reader = _Reader(self.root, folder)
        readme = reader.read("README.md") if reader.exists("README.md") else None
        card_data = info.get("cardData")
        tags = info.get("tags") if isinstance(info.get("tags"), list) else []
        siblings = info.get("siblings") if isinstance(info.get("siblings"), list) else []
        files = [s.get("rfilename") for s in siblings if isinstance(s, dict) and isinstance(s.get("rfilename"), str)]
        if not files:
            files = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name not in ("info.json", GGUF_HEADER))
        ours = info.get("licscan") if isinstance(info.get("licscan"), dict) else {}
        license_file, license_text = reader.license_file()
        config_name = reader.config_name()
        gguf = reader.gguf(files, card_data)
        gated = info.get("gated")
        # Evidence the Hub would not give when the mirror was pulled stays missing in every scan of the mirror.
        recorded = [tuple(item) for item in ours.get("missing") or () if isinstance(item, list) and len(item) == 2
                    and all(isinstance(part, str) for part in item)]
        return RepoSnapshot(
            requested_id=requested,
            repo_id=canonical,
            sha=sha,
            source=self.name,
            author=info.get("author") if isinstance(info.get("author"), str) else None,
            gated=("manual" if gated is True else gated) if isinstance(gated, (str, bool)) and gated else None,
            tags=tuple(str(t) for t in tags if isinstance(t, (str, int, float))),
            card_data=card_data if isinstance(card_data, dict) else None,
            readme=readme,
            license_text=license_text,
            license_file=license_file,
            config_name_or_path=config_name,
            parameters=_parameters(info),
            files=tuple(files),
            **gguf,
            provenance=ours.get("provenance") if isinstance(ours.get("provenance"), str) else None,
            api_only=bool(ours.get("api_only")) and readme is None,
            notes=(tuple(str(note) for note in ours.get("notes") or ()) if ours.get("api_only") and readme is None
                   else () if readme is not None else ("the mirror holds no README.md for this repo",)),
            missing=(*recorded, *reader.missing),  # type: ignore[arg-type]
        )


# ---------------------------------------------------------------------------------------------------------
# Writing a mirror (`licscan mirror pull`)
# ---------------------------------------------------------------------------------------------------------


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


def write_snapshot(root: str | Path, snapshot: RepoSnapshot) -> list[str]:
    """Record a snapshot in mirror layout (and its old id as a rename); returns the repo folders written."""
    if not is_repo_id(snapshot.repo_id):
        return []
    root = Path(root)
    folder = root / snapshot.repo_id
    info: dict[str, Any] = {
        "id": snapshot.repo_id,
        "sha": snapshot.sha,
        "author": snapshot.author,
        "gated": snapshot.gated or False,
        "tags": list(snapshot.tags),
        "siblings": [{"rfilename": name} for name in snapshot.files],
    }
    if snapshot.card_data is not None:
        info["cardData"] = snapshot.card_data
    ours: dict[str, Any] = {}
    if snapshot.provenance:
        ours["provenance"] = snapshot.provenance
    if snapshot.api_only:  # the README was refused (gated): a scan of the mirror says so, as the Hub scan did
        ours.update(api_only=True, notes=list(snapshot.notes))
    if snapshot.missing:  # evidence the Hub did not give: a scan of the mirror is incomplete, as the Hub scan was
        ours["missing"] = [list(item) for item in snapshot.missing]
    if ours:
        info["licscan"] = ours
    _atomic_write(folder / "info.json", (json.dumps(info, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode())
    if snapshot.readme is not None:
        _atomic_write(folder / "README.md", snapshot.readme)
    if snapshot.license_text is not None:
        name = getattr(snapshot, "license_file", None) or next(
            (f for f in snapshot.files if f.lower() in ("license", "license.md", "license.txt")), "LICENSE")
        _atomic_write(folder / Path(name).name, snapshot.license_text.encode("utf-8", "surrogatepass"))
    if snapshot.config_name_or_path is not None:
        # Only the field licscan reads is recorded (a config.json can be large and is not licscan's to copy);
        # it is enough for a scan of the mirror to compare the card's base_model with it, as the Hub scan did.
        config = {"_name_or_path": snapshot.config_name_or_path, "_licscan": "only the fields licscan reads"}
        _atomic_write(folder / "config.json", (json.dumps(config, indent=1, sort_keys=True) + "\n").encode())
    if snapshot.gguf_file is not None:
        record = {"file": snapshot.gguf_file, "general": dict(snapshot.gguf_header or {}),
                  "problem": snapshot.gguf_problem}
        _atomic_write(folder / GGUF_HEADER,
                      (json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode())
    written = [snapshot.repo_id]
    requested = snapshot.requested_id
    if requested.lower() != snapshot.repo_id.lower() and is_repo_id(requested):
        _atomic_write(root / requested / "info.json", (json.dumps({"renamed_to": snapshot.repo_id}) + "\n").encode())
        written.append(requested)
    return written


class RecordingSource:
    """A source that writes every repo another source reads into a mirror directory."""

    def __init__(self, inner: Any, root: str | Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.counters = inner.counters
        self.root = Path(root)
        self.written: set[str] = set()
        self._lock = threading.Lock()

    def fetch(self, repo_id: str, revision: str | None) -> RepoSnapshot | FetchFailure:
        result = self.inner.fetch(repo_id, revision)
        if isinstance(result, RepoSnapshot):
            with self._lock:  # two workers may read one repo under its old and new ids
                self.written.update(write_snapshot(self.root, result))
        return result

    def close(self) -> None:
        self.inner.close()


def pull_mirror(roots: Any, settings: Any, target: str | Path, *, store: Any = None) -> tuple[Any, list[str]]:
    """Resolve roots (from the Hub, or the cache when offline, or settings.mirror) and record every repo read
    into the mirror at target. Returns the resolution result and the repo folders written, sorted."""
    from licscan.resolution.interface import SOURCES
    from licscan.resolution.lineage import resolve

    name = "mirror" if settings.mirror else ("cache" if settings.offline else "hub")
    recorder = RecordingSource(SOURCES[name](settings, store=store), target)
    try:
        result = resolve(roots, settings, source=recorder, store=store)
    finally:
        recorder.close()
    return result, sorted(recorder.written)
