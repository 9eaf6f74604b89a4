"""Truth for bench_realworld.py, built without licscan: a broad text harvest of Hub-shaped ids in the corpus.

Independent of licscan by construction (no licscan import, plain regular expressions over every text file):
every `namespace/name` token whose namespace is a Hub namespace (one that some Hugging Face URL in the corpus
names, or one of a short list of well-known publishers below) is a candidate, classified by where it stands:

  expected     code, configuration or a command: a use licscan must report
  prose        Markdown/reST/text outside a command, or a comment: must not be reported
  placeholder  an example value (`your-org/...`, `<...>`): must not be reported

and every loading call or model flag whose argument is not a literal is a `run-time` row (must be listed as an
unresolved reference). Then the rows of benchmarks/realworld_review.tsv, written by reading every place where
this harvest and licscan disagreed, override the status (or add rows the harvest cannot see).

Run: .venv/bin/python benchmarks/realworld_harvest.py  (rewrites benchmarks/realworld_truth.tsv)
"""

from __future__ import annotations

import ast
import csv
import io
import json
import os
import re
import sys
import tarfile
import tempfile
import tokenize
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARCHIVE = HERE.parent.parent / "shared" / "corpus" / "realworld-corpus.tar.xz"
TRUTH = HERE / "realworld_truth.tsv"
REVIEW = HERE / "realworld_review.tsv"

# Publishers whose namespaces are well known, whether or not a URL in the corpus names them.
KNOWN_NAMESPACES = {
    "01-ai", "AI-MO", "Alibaba-NLP", "BAAI", "ByteDance-Seed", "CohereForAI", "CohereLabs", "EleutherAI",
    "HuggingFaceH4", "HuggingFaceM4", "HuggingFaceTB", "HuggingFaceFW", "MiniMaxAI", "NousResearch",
    "OpenGVLab", "Qwen", "Salesforce", "Skywork", "Snowflake", "THUDM", "TheBloke", "TinyLlama", "Xenova",
    "allenai", "baichuan-inc", "bartowski", "bigcode", "bigscience", "black-forest-labs", "codellama",
    "databricks", "deepseek-ai", "facebook", "google", "google-bert", "google-t5", "ibm-granite", "intfloat",
    "internlm", "jinaai", "llava-hf", "lmsys", "meta-llama", "microsoft", "mistralai", "mlx-community",
    "moonshotai", "nomic-ai", "nvidia", "openai", "openai-community", "openbmb", "sentence-transformers",
    "stabilityai", "stepfun-ai", "tencent", "thenlper", "tiiuae", "trl-lib", "unsloth", "zai-org",
    "h2oai", "lmms-lab", "tatsu-lab", "yahma", "Open-Orca", "OpenAssistant", "timdettmers", "argilla",
    "openai", "gsm8k", "HuggingFaceH4", "garage-bAInd", "teknium", "WizardLM", "liuhaotian", "BytedTsinghua-SIA",
    "agentica-org", "PRIME-RL", "openlm-research", "mosaicml", "cognitivecomputations", "ise-uiuc",
    "Anthropic", "hiyouga", "llamafactory", "shibing624", "AI-ModelScope", "modelscope", "swift",
    "Shanghai_AI_Laboratory", "ZhipuAI", "LLM-Research", "iic", "damo", "OpenBMB", "lmsys", "vicgalle",
}
# First path segments of huggingface.co that are site pages, not namespaces.
SITE_PAGES = {
    "docs", "blog", "spaces", "settings", "collections", "papers", "api", "front", "join", "login", "pricing",
    "tasks", "learn", "chat", "new", "posts", "search", "organizations", "models", "datasets", "transformers",
    "enterprise", "inference-endpoints", "static", "avatars", "huggingface", "repos", "viewer", "production",
}
HUB_URL = re.compile(r"(?:huggingface\.co|hf\.co)/(datasets/)?([A-Za-z0-9][A-Za-z0-9._-]*)/([A-Za-z0-9][A-Za-z0-9._-]*)", re.I)
TOKEN = re.compile(r"(?<![A-Za-z0-9._/@:-])([A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)/([A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])(?![A-Za-z0-9_/-])")
PLACEHOLDER = re.compile(r"your|<|\{|\$|xxx|example|username|my[-_]|org/name|/path", re.I)
TEXT_SUFFIXES = {
    ".py", ".ipynb", ".sh", ".bash", ".yaml", ".yml", ".json", ".toml", ".cfg", ".ini", ".env", ".md", ".rst",
    ".txt", ".js", ".ts", ".tsx", ".jsx", ".tpl", ".sbatch", ".slurm", ".mk", ".dockerfile",
}
PROSE_SUFFIXES = {".md", ".rst", ".txt"}
COMMAND_WORDS = re.compile(
    r"download|git clone|--model|--tokenizer|serve\b|from_pretrained|load_dataset|pipeline\(|docker run|"
    r"model_name_or_path|MODEL|--dataset|--data|_path\s*[=:]|model\s*[=:]|ollama|import |python", re.I)
CONTAINER_IMAGE = re.compile(r"(?:FROM\s|-?\s*image:\s)", re.I)
# A line of prose that is a command all the same (docs that show commands without a code block).
COMMAND_START = re.compile(r"(?:\$ )?(?:python3?|docker|export|CUDA_VISIBLE_DEVICES|torchrun|accelerate|deepspeed|"
                           r"huggingface-cli|hf |git |vllm|swift|ollama|--|[A-Z_]+=)")
DATASET_HINT = re.compile(r"datasets?\b|data_path|data_files|dataset_name|load_dataset|--data|train_data|_data\b|repo_type.*dataset", re.I)
# A loading call or model flag whose argument is not a literal.
RUNTIME_PY = re.compile(r"(?:from_pretrained|load_dataset|snapshot_download|hf_hub_download)\(\s*(?!['\"f)\s])([A-Za-z_][\w.\[\]'\"]*)")
RUNTIME_SH = re.compile(r"(?:--model(?:_name_or_path|-path|_path|-id)?|--pretrain|hf download|huggingface-cli download)[ =]+\"?\$\{?([A-Za-z_]\w*)")


def namespaces_of(files: dict[str, list[str]]) -> set[str]:
    found = set(KNOWN_NAMESPACES)
    for lines in files.values():
        for line in lines:
            for match in HUB_URL.finditer(line):
                if match.group(2).lower() not in SITE_PAGES:
                    found.add(match.group(2))
    return found


def status_of(suffix: str, line: str, in_fence: bool, repo_id: str, docstring: bool = False) -> str:
    stripped = line.strip()
    if PLACEHOLDER.search(repo_id):
        return "placeholder"
    if suffix in PROSE_SUFFIXES:
        if stripped.startswith("|"):
            return "prose"  # a row of a Markdown table: what a page lists, not a command
        command = in_fence or line.startswith(("    ", "\t")) or COMMAND_START.match(stripped)
        return "expected" if command and COMMAND_WORDS.search(line) and "`" not in stripped[1:-1] else "prose"
    if docstring or (stripped.startswith(("#", "//")) and suffix not in {".json"}):
        return "prose"
    if CONTAINER_IMAGE.match(stripped) and "hf.co/" not in line and "huggingface.co/" not in line:
        return "prose"  # a container image (FROM nvidia/cuda:..., image: org/name), not a model
    return "expected"


def docstring_lines(text: str) -> set[int]:
    """Lines of Python string statements (docstrings, commented-out blocks in triple quotes)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return set()
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def comment_columns(text: str) -> dict[int, int]:
    """Line -> the column where a comment starts on it (Python's own tokenizer: a "#" inside a string is not one)."""
    columns: dict[int, int] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                columns[token.start[0]] = token.start[1]
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass
    return columns


def notebook_lines(text: str) -> tuple[list[str], set[int], set[int], list[str], dict[int, int]] | None:
    """A notebook's cells as lines (outputs left out: they are what ran, not what the project names), the
    lines of Markdown cells, the lines of docstrings in code cells and where comments start in them."""
    try:
        cells = json.loads(text).get("cells", [])
    except (ValueError, AttributeError):
        return None
    lines: list[str] = []
    places: list[str] = []  # "cell:line" of each line, cells counted from 1 as licscan counts them
    prose: set[int] = set()
    strings: set[int] = set()
    comments: dict[int, int] = {}
    for number, cell in enumerate(cells if isinstance(cells, list) else [], 1):
        source = cell.get("source", "") if isinstance(cell, dict) else ""
        body = "".join(source) if isinstance(source, list) else str(source)
        first = len(lines) + 1
        cell_lines = body.splitlines() or [""]
        lines.extend(cell_lines)
        places.extend(f"{number}:{line}" for line in range(1, len(cell_lines) + 1))
        if cell.get("cell_type") != "code":
            prose.update(range(first, first + len(cell_lines)))
        else:
            code = "\n".join("" if line.lstrip().startswith(("!", "%")) else line for line in cell_lines)
            strings.update(first - 1 + number for number in docstring_lines(code))
            comments.update((first - 1 + line, column) for line, column in comment_columns(code).items())
        lines.append("")
        places.append(f"{number}:0")
    return lines, prose, strings, places, comments


def harvest(root: Path) -> list[list[str]]:
    files: dict[str, list[str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for filename in sorted(filenames):
            path = Path(dirpath, filename)
            if path.is_symlink() or (path.suffix.lower() not in TEXT_SUFFIXES and not filename.startswith(("Dockerfile", "Modelfile", ".env", "env."))):
                continue
            try:
                files[path.relative_to(root).as_posix()] = path.read_text("utf-8")
            except (UnicodeDecodeError, OSError):
                continue
    namespaces = namespaces_of({path: text.splitlines() for path, text in files.items()})
    rows: list[list[str]] = []
    for relpath, text in files.items():
        repo, _, inner = relpath.partition("/")
        suffix = Path(inner).suffix.lower()
        lines = text.splitlines()
        prose_lines: set[int] = set()
        strings: set[int] = set()
        places: list[str] = []
        comments: dict[int, int] = {}
        if suffix == ".py":
            strings = docstring_lines(text)
            comments = comment_columns(text)
        elif suffix == ".ipynb":
            read = notebook_lines(text)
            if read is not None:
                lines, prose_lines, strings, places, comments = read
        in_fence = False
        for number, line in enumerate(lines, 1):
            if line.lstrip().startswith("```"):
                in_fence = not in_fence
                continue
            line_suffix = ".md" if number in prose_lines else suffix
            docstring = number in strings
            where = places[number - 1] if places else str(number)
            if len(line) > 2000:
                continue
            seen: set[str] = set()
            comment_from = comments.get(number, len(line) + 1)  # a trailing comment of Python code is prose
            for match in HUB_URL.finditer(line):
                if match.group(2).lower() in SITE_PAGES:
                    continue
                repo_id = f"{match.group(2)}/{match.group(3).removesuffix('.git')}"
                kind = "dataset" if match.group(1) else "model"
                seen.add(repo_id)
                commented = docstring or match.start() >= comment_from
                rows.append([repo, inner, where, repo_id, kind, status_of(line_suffix, line, in_fence, repo_id, commented)])
            for match in TOKEN.finditer(line):
                if match.group(1) not in namespaces:
                    continue
                repo_id = f"{match.group(1)}/{match.group(2)}"
                if repo_id in seen or re.search(r"\.(py|sh|json|yaml|yml|md|txt|jsonl|parquet|png|jpg|csv)$", repo_id):
                    continue
                seen.add(repo_id)
                kind = "dataset" if DATASET_HINT.search(line) else "model"
                commented = docstring or match.start() >= comment_from
                rows.append([repo, inner, where, repo_id, kind, status_of(line_suffix, line, in_fence, repo_id, commented)])
            if suffix in {".py", ".ipynb"} and line_suffix != ".md" and not docstring:
                for match in RUNTIME_PY.finditer(line):
                    if not line.strip().startswith("#"):
                        rows.append([repo, inner, where, match.group(1)[:60], "model", "run-time"])
            elif suffix in {".sh", ".bash", ".sbatch", ".slurm"} or filename_is_script(inner):
                for match in RUNTIME_SH.finditer(line):
                    if not line.strip().startswith("#"):
                        rows.append([repo, inner, where, "$" + match.group(1), "model", "run-time"])
    return rows


def filename_is_script(path: str) -> bool:
    return path.rsplit("/", 1)[-1].startswith("Dockerfile")


def apply_review(rows: list[list[str]]) -> list[list[str]]:
    """Statuses from reading the disagreements. A review row (repo, path, line, id, kind, status) sets the kind
    and status of the harvested rows it matches: path "*" matches every file of the repository, line "*" every
    line, id "*" every id. A row naming an id the harvest did not see is added as it is (path "*": wherever
    licscan reports that id in the repository, it is a use, or not, as the row says)."""
    if not REVIEW.exists():
        return rows
    with REVIEW.open(newline="", encoding="utf-8") as handle:
        reviews = [record[:6] for record in csv.reader(handle, delimiter="\t")
                   if record and not record[0].startswith("#") and record[0] != "repo"]
    for repo, path, line, repo_id, kind, status in reviews:
        matched = False
        for row in rows:
            if row[0] == repo and path in ("*", row[1]) and line in ("*", row[2]) and repo_id in ("*", row[3]):
                if row[5] != "run-time":
                    row[4:6] = [kind, status]
                matched = True
        if (path == "*" or not matched) and repo_id != "*":
            rows.append([repo, path, line, repo_id, kind, status])
    return rows


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="licscan-realworld-") as folder:
        with tarfile.open(ARCHIVE) as archive:
            archive.extractall(folder, filter="data")
        rows = harvest(Path(folder))
    rows = apply_review(rows)
    rows.sort(key=lambda row: (row[0], row[1], [int(part) for part in row[2].split(":") if part.isdigit()], row[3]))
    with TRUTH.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["repo", "path", "line", "id", "kind", "status"])
        writer.writerows(rows)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[5]] = counts.get(row[5], 0) + 1
    print(f"{len(rows)} rows: " + ", ".join(f"{status} {count}" for status, count in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
