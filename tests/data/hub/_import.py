"""Rebuild tests/data/hub (the mirror layout) from recorded fixtures plus licscan's hand-made fault repos."""

# For maintainers, not run by the tests:
#
#     python tests/data/hub/_import.py [FIXTURES_HUB_DIR]
#
# FIXTURES_HUB_DIR defaults to ../shared/fixtures/hub next to the repository (a folder of
# <namespace>/<repo>/README.md + meta.json). When it is absent only the hand-made repos under licscan-test/
# are rewritten. The output is deterministic: the same input gives the same bytes.

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]
DEFAULT_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures" / "hub"
TEST_NAMESPACE = "licscan-test"
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)(?:\r?\n)?^(?:---|\.\.\.)[ \t]*$", re.S | re.M)
_LICENSE_FILES = ("LICENSE", "LICENSE.md", "LICENSE.txt")


def fake_sha(repo_id: str, readme: bytes) -> str:
    """A stable stand-in for the commit sha: the real one is not recorded, and tests need it fixed."""
    return hashlib.sha1(f"{repo_id}\n".encode() + readme).hexdigest()


def front_matter(readme: bytes) -> Any:
    """The card's front matter as the Hub's cardData would carry it, or None when it does not parse."""
    match = _FRONT_MATTER.match(readme.decode("utf-8", errors="replace"))
    if not match:
        return None
    try:
        return yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def hub_tags(card: Any, extra: list[str] = ()) -> list[str]:
    """Tags the way the Hub derives them: the card's own, then base_model:* and license:*."""
    tags: list[str] = []
    if not isinstance(card, dict):
        return list(extra)

    def add(tag: str) -> None:
        if tag not in tags:
            tags.append(tag)

    for tag in _as_list(card.get("tags")):
        if isinstance(tag, (str, int, float)) and not isinstance(tag, bool):
            add(str(tag))
    relation = card.get("base_model_relation")
    for base in _as_list(card.get("base_model")):
        if isinstance(base, str) and base.strip():
            add(f"base_model:{base.strip()}")
            # The Hub also writes base_model:<relation>:<id>; only an explicit relation is echoed here so that
            # the resolver's own inference stays exercised by the recorded data.
            if isinstance(relation, str) and relation.strip():
                add(f"base_model:{relation.strip().lower()}:{base.strip()}")
    for lic in _as_list(card.get("license")):
        if isinstance(lic, str) and lic.strip():
            add(f"license:{lic.strip()}")
    for tag in extra:
        add(tag)
    return tags


def build_info(repo_id: str, readme: bytes, meta: dict[str, Any], files: list[str],
               *, card_data: Any = "parse", extra_tags: list[str] = ()) -> dict[str, Any]:
    """The body of GET /api/models/<repo_id> for one recorded repo (plus licscan's own 'licscan' key)."""
    card = front_matter(readme) if card_data == "parse" else card_data
    info: dict[str, Any] = {
        "id": repo_id,
        "author": meta.get("author", repo_id.split("/")[0]),
        "sha": fake_sha(repo_id, readme),
        "gated": meta.get("gated", False) or False,
        "private": False,
        "tags": hub_tags(card, list(extra_tags)),
    }
    if isinstance(card, dict):
        info["cardData"] = card
    info["siblings"] = [{"rfilename": name} for name in ["README.md", *sorted(f for f in files if f != "README.md")]]
    info["licscan"] = {"provenance": meta.get("provenance", "hand-made")}
    if meta.get("gated_api"):
        info["licscan"]["gated_api"] = True
    return info


def write_repo(out_root: Path, repo_id: str, info: dict[str, Any], files: dict[str, bytes]) -> None:
    folder = out_root / repo_id
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "info.json").write_text(json.dumps(info, indent=1, ensure_ascii=False, default=str) + "\n",
                                      encoding="utf-8")
    for name, data in files.items():
        (folder / name).write_bytes(data)


def import_fixtures(src: Path, out_root: Path) -> int:
    count = 0
    for meta_path in sorted(src.glob("*/*/meta.json")):
        repo_dir = meta_path.parent
        repo_id = f"{repo_dir.parent.name}/{repo_dir.name}"
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if set(meta) == {"renamed_to"}:
            write_repo(out_root, repo_id, {"renamed_to": meta["renamed_to"]}, {})
        else:
            readme = (repo_dir / "README.md").read_bytes()
            extra = {name: (repo_dir / name).read_bytes() for name in _LICENSE_FILES if (repo_dir / name).is_file()}
            info = build_info(repo_id, readme, meta, list(extra))
            write_repo(out_root, repo_id, info, {"README.md": readme, **extra})
        count += 1
    return count


def _card(fields: str, title: str) -> bytes:
    return f"---\n{fields.strip()}\n---\n\n# {title}\n\n(hand-made licscan test card)\n".encode()


T = TEST_NAMESPACE
# Each entry: repo name -> (README bytes or None, meta, extra files, cardData override or "parse", extra tags).
TEST_REPOS: dict[str, tuple[bytes | None, dict[str, Any], dict[str, bytes], Any, list[str]]] = {
    "base": (_card("license: apache-2.0\nlibrary_name: transformers", "base"), {}, {}, "parse", []),
    "cycle-a": (_card(f"license: mit\nbase_model: {T}/cycle-b", "cycle-a"), {}, {}, "parse", []),
    "cycle-b": (_card(f"license: mit\nbase_model: {T}/cycle-a", "cycle-b"), {}, {}, "parse", []),
    "self-ref": (_card(f"license: mit\nbase_model: {T}/self-ref", "self-ref"), {}, {}, "parse", []),
    # The README's YAML does not parse, but the Hub's cardData (recorded separately) does.
    "malformed-yaml": (
        f"---\nlicense: apache-2.0\nbase_model: [{T}/base\ntags: {{oops\n---\n\n# malformed\n".encode(),
        {}, {}, {"license": "apache-2.0", "base_model": f"{T}/base"}, [],
    ),
    # Malformed README and no cardData to fall back to.
    "malformed-yaml-only": (
        f"---\nlicense: apache-2.0\nbase_model: [{T}/base\n---\n\n# malformed\n".encode(), {}, {}, "parse", [],
    ),
    "int-base-model": (_card("license: mit\nbase_model: 12345", "int-base-model"), {}, {}, "parse", []),
    "invalid-base-model": (
        _card(f"license: mit\nbase_model:\n- {T}/base\n- not a repo id\n- https://huggingface.co/{T}/cycle-a/tree/main",
              "invalid-base-model"), {}, {}, "parse", [],
    ),
    # base_model_relation absent; the Hub's tags carry the relation.
    "tag-relation": (
        _card(f"license: apache-2.0\nbase_model: {T}/base", "tag-relation"), {}, {}, "parse",
        [f"base_model:adapter:{T}/base"],
    ),
    # No base_model in the card at all: lineage only in the Hub's tags.
    "tag-only": (
        _card("license: apache-2.0", "tag-only"), {}, {}, "parse",
        [f"base_model:{T}/base", f"base_model:quantized:{T}/base"],
    ),
    "missing-parent": (_card(f"license: mit\nbase_model: {T}/does-not-exist", "missing-parent"), {}, {}, "parse", []),
    "gated-files": (
        _card(f"license: llama3.1\nbase_model: {T}/base\nextra_gated_prompt: accept the terms", "gated-files"),
        {"gated": "manual"}, {}, "parse", [],
    ),
    "gated-api": (_card(f"license: other\nbase_model: {T}/base", "gated-api"),
                  {"gated": "manual", "gated_api": True}, {}, "parse", []),
    "child-of-gated-api": (_card(f"license: mit\nbase_model: {T}/gated-api", "child-of-gated-api"), {}, {}, "parse", []),
    "child-of-gated-files": (
        _card(f"license: mit\nbase_model: {T}/gated-files", "child-of-gated-files"), {}, {}, "parse", []),
    "child-of-missing": (
        _card(f"license: mit\nbase_model: {T}/missing-parent", "child-of-missing"), {}, {}, "parse", []),
    "with-license": (
        _card(f"license: other\nlicense_name: test-licence\nbase_model: {T}/base", "with-license"), {},
        {"LICENSE": b"TEST LICENCE 1.0\n\nYou may use this test model for testing only.\n"}, "parse", [],
    ),
    "peft-adapter": (
        _card(f"license: apache-2.0\nbase_model: {T}/base\nlibrary_name: peft", "peft-adapter"), {},
        {"adapter_config.json": b'{"base_model_name_or_path": "licscan-test/base", "peft_type": "LORA"}\n'},
        "parse", [],
    ),
    "merge": (
        _card(f"license: apache-2.0\nbase_model:\n- {T}/base\n- {T}/with-license\ntags:\n- mergekit", "merge"),
        {}, {}, "parse", [],
    ),
    "old-name": (None, {"renamed_to": f"{T}/base"}, {}, None, []),
    # A quantization that names GLM-4 by its pre-rename id (THUDM/...), with no licence of its own.
    "glm-4-9b-chat-GGUF": (
        _card("base_model: THUDM/glm-4-9b-chat\nbase_model_relation: quantized", "glm-4-9b-chat-GGUF"),
        {}, {}, "parse", [],
    ),
    # A fine-tune trained on a non-commercial dataset, an open one, and a value that is no dataset id.
    "trained-on-nc-data": (
        _card(f"license: apache-2.0\nbase_model: {T}/base\ndatasets:\n- {T}/nc-instructions\n- {T}/open-corpus\n"
              "- data_train/fine_tune_dataset_clean.jsonl", "trained-on-nc-data"), {}, {}, "parse", [],
    ),
}

# Hand-made repos outside licscan-test/, for cases the recorded cards do not cover. Same tuple layout.
HAND_MADE_REPOS: dict[str, tuple[bytes | None, dict[str, Any], dict[str, bytes], Any, list[str]]] = {
    # GLM-4-9B-chat under its current id: the fact base gives its card as license: other + license_name: glm-4.
    "zai-org/glm-4-9b-chat": (
        _card("license: other\nlicense_name: glm-4\nlibrary_name: transformers", "glm-4-9b-chat"),
        {"author": "zai-org"}, {}, "parse", [],
    ),
    # The old id the Hub redirects (THUDM became zai-org).
    "THUDM/glm-4-9b-chat": (None, {"renamed_to": "zai-org/glm-4-9b-chat"}, {}, None, []),
}

# Hand-made dataset repos (<root>/datasets/<id>/), as GET /api/datasets/<id> and the dataset card give them.
DATASET_REPOS: dict[str, tuple[bytes, dict[str, Any]]] = {
    f"{T}/nc-instructions": (_card("license: cc-by-nc-4.0\ntask_categories:\n- text-generation",
                                   "nc-instructions"), {}),
    f"{T}/open-corpus": (_card("license: odc-by", "open-corpus"), {}),
}


def write_test_repos(out_root: Path) -> int:
    repos = {f"{TEST_NAMESPACE}/{name}": entry for name, entry in TEST_REPOS.items()} | HAND_MADE_REPOS
    for repo_id, (readme, meta, extra, card_data, tags) in repos.items():
        if readme is None:
            write_repo(out_root, repo_id, {"renamed_to": meta["renamed_to"]}, {})
            continue
        info = build_info(repo_id, readme, {"author": TEST_NAMESPACE, **meta}, list(extra),
                          card_data=card_data, extra_tags=tags)
        write_repo(out_root, repo_id, info, {"README.md": readme, **extra})
    for repo_id, (readme, meta) in DATASET_REPOS.items():
        info = build_info(repo_id, readme, {"author": repo_id.split("/")[0], **meta}, [])
        write_repo(out_root / "datasets", repo_id, info, {"README.md": readme})
    return len(repos) + len(DATASET_REPOS)


def main(argv: list[str]) -> int:
    src = Path(argv[1]) if len(argv) > 1 else DEFAULT_FIXTURES
    if src.is_dir():
        print(f"imported {import_fixtures(src, HERE)} recorded repos from {src}")
    else:
        print(f"{src} not found; recorded repos left as they are")
    print(f"wrote {write_test_repos(HERE)} hand-made repos under {TEST_NAMESPACE}/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
