"""Hand-made Hub repos for tests, written in the mirror layout (and so also served by tests/hubstub.py)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import yaml

HUB_DATA = Path(__file__).resolve().parent / "data" / "hub"


def copy_recorded(target: Path) -> Path:
    """A private copy of tests/data/hub, so a test can add hand-made repos beside the recorded ones."""
    shutil.copytree(HUB_DATA, target, ignore=shutil.ignore_patterns("_import.py", "__pycache__"))
    return target


def card(fields: dict[str, Any], body: str = "(hand-made licscan test card)") -> bytes:
    front = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True) if fields else ""
    return f"---\n{front}---\n\n{body}\n".encode()


def add_repo(root: Path, repo_id: str, fields: dict[str, Any] | None = None, *, body: str | None = None,
             files: dict[str, str | bytes] | None = None, info: dict[str, Any] | None = None,
             dataset: bool = False) -> str:
    """Write one hand-made repo (provenance 'hand-made'); returns its sha (derived from its content)."""
    folder = root / ("datasets" if dataset else "") / repo_id
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    readme = card(fields or {}, body or f"# {repo_id}\n\n(hand-made licscan test card)")
    extra = {name: (data.encode() if isinstance(data, str) else data) for name, data in (files or {}).items()}
    sha = hashlib.sha1(repo_id.encode() + b"\n" + readme + b"".join(extra.values())).hexdigest()
    tags = [f"license:{fields['license']}"] if fields and isinstance(fields.get("license"), str) else []
    for base in ([fields.get("base_model")] if fields and isinstance(fields.get("base_model"), str)
                 else (fields or {}).get("base_model") or []):
        tags.append(f"base_model:{base}")
    body_info = {
        "id": repo_id,
        "author": repo_id.split("/")[0],
        "sha": sha,
        "gated": False,
        "private": False,
        "tags": tags,
        "cardData": fields or {},
        "siblings": [{"rfilename": name} for name in ["README.md", *sorted(extra)]],
        "licscan": {"provenance": "hand-made"},
        **(info or {}),
    }
    (folder / "info.json").write_text(json.dumps(body_info, indent=1) + "\n", encoding="utf-8")
    (folder / "README.md").write_bytes(readme)
    for name, data in extra.items():
        (folder / name).write_bytes(data)
    return sha


def add_rename(root: Path, old: str, new: str) -> None:
    folder = root / old
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "info.json").write_text(json.dumps({"renamed_to": new}) + "\n", encoding="utf-8")


def stand_in_license(*phrases: str) -> str:
    """A LICENSE file for tests: only the marker phrases licscan's records store, never a real licence text."""
    lines = "\n".join(phrases)
    return f"{lines}\n\n(hand-made licscan test stand-in: not the licence text, only its title phrases)\n"
