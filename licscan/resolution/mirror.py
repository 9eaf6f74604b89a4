"""The mirror source: recorded Hub metadata in a directory (<ns>/<name>/info.json + README.md + LICENSE*)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from licscan.cards import is_repo_id
from licscan.model import UnresolvedReason
from licscan.resolution.interface import FetchFailure, RepoSnapshot, SourceCounters

LICENSE_FILES = ("LICENSE", "LICENSE.md", "LICENSE.txt")
MAX_FILE_BYTES = 2_000_000
MAX_RENAMES = 10


def read_license(folder: Path) -> str | None:
    for name in LICENSE_FILES:
        path = folder / name
        if path.is_file():
            return path.read_bytes()[:MAX_FILE_BYTES].decode("utf-8", errors="replace")
    return None


class MirrorSource:
    """Read a mirror-layout directory. Never touches the network; renames are followed like the Hub's 307."""

    name = "mirror"

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser()
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
        if (folder / "info.json").is_file():
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
                return FetchFailure(repo_id, UnresolvedReason.OFFLINE, f"{what} is not in the mirror at {self.root}")
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

    def _info(self, folder: Path) -> dict[str, Any] | str:
        path = folder / "info.json"
        try:
            info = json.loads(path.read_bytes()[:MAX_FILE_BYTES])
        except (OSError, ValueError) as exc:
            return f"{path} cannot be read as JSON: {exc}"
        if not isinstance(info, dict):
            return f"{path} holds a {type(info).__name__}, not an object"
        return info

    def _snapshot(self, requested: str, folder: Path, info: dict[str, Any],
                  revision: str | None) -> RepoSnapshot | FetchFailure:
        canonical = info.get("id") if isinstance(info.get("id"), str) else None
        canonical = canonical or f"{folder.parent.name}/{folder.name}"
        sha = info.get("sha") if isinstance(info.get("sha"), str) else None
        if revision not in (None, "main", sha):
            return FetchFailure(requested, UnresolvedReason.OFFLINE,
                                f"revision {revision} of {canonical} is not in the mirror at {self.root} "
                                f"(it holds {sha or 'an unknown revision'})")
        readme_path = folder / "README.md"
        readme = readme_path.read_bytes()[:MAX_FILE_BYTES] if readme_path.is_file() else None
        card_data = info.get("cardData")
        tags = info.get("tags") if isinstance(info.get("tags"), list) else []
        siblings = info.get("siblings") if isinstance(info.get("siblings"), list) else []
        files = [s.get("rfilename") for s in siblings if isinstance(s, dict) and isinstance(s.get("rfilename"), str)]
        if not files:
            files = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name != "info.json")
        ours = info.get("licscan") if isinstance(info.get("licscan"), dict) else {}
        gated = info.get("gated")
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
            license_text=read_license(folder),
            files=tuple(files),
            provenance=ours.get("provenance") if isinstance(ours.get("provenance"), str) else None,
            notes=() if readme is not None else ("the mirror holds no README.md for this repo",),
        )
