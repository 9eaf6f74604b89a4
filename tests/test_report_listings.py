"""What a reader of the summaries sees of listings and unconfirmed facts: the decision table's restricted-party
column names a parent company's listing as well as a publisher's (terminal, Markdown, HTML), releases whose
licence is not confirmed (LS115) are named in the Markdown and terminal summaries, and the Tencent-Hunyuan
namespace carries Tencent's origin."""

from __future__ import annotations

import html as html_text
import re

import pytest

from handmade import add_repo
from licscan.config import data_dir
from licscan.evaluation.knowledge import load_knowledge
from licscan.reporting import get_format
from licscan.reporting.markdown import MarkdownFormat
from licscan.reporting.terminal import render
from test_answer_reports import chain, node, scan_of
from test_knowledge_resolution import model, project_with, scan

KNOWLEDGE = load_knowledge([data_dir("rules")])
QWEN_TUNE = "acme-labs/qwen2.5-7b-support-tune"  # as long as the example's longest id
PLAIN = "acme-labs/plain-model"
BAAI = "BAAI/bge-m3"


@pytest.fixture(scope="module")
def listed():
    """A Qwen fine-tune (its publisher's parent is on the DoD 1260H list), a model of a listed publisher (BAAI,
    on the Entity List) and a model with no listing anywhere in its ancestry."""
    return scan_of({
        QWEN_TUNE: chain(node(QWEN_TUNE, "apache-2.0"), node("Qwen/Qwen2.5-7B-Instruct", "apache-2.0")),
        BAAI: chain(node(BAAI, "mit")),
        PLAIN: chain(node(PLAIN, "mit")),
    })


def table_rows(text: str) -> dict[str, list[str]]:
    """The terminal's decision table: each model's row as its lines (a row starts at an unindented line)."""
    table = text.split("\n\n")[1].splitlines()
    rows: dict[str, list[str]] = {}
    current: list[str] = []
    for line in table[2:]:
        if not line.startswith(" "):
            current = []
            rows[_model_of(line)] = current
        current.append(line)
    return rows


def _model_of(line: str) -> str:
    return next(word for word in line.split() if "/" in word)


def column(header_line: str, lines: list[str], name: str) -> str:
    """One column's text across a row's lines, from the header's position to the next header's."""
    start = header_line.index(name)
    following = [match.start() for match in re.finditer(r"\S+", header_line) if match.start() > start]
    end = following[0] if following else None
    return " ".join(" ".join(line[start:end].split()) for line in lines if line[start:end].strip())


# --- 1. The restricted-party column reflects the publisher's parent as well --------------------------------

def test_the_decision_records_a_parents_listing_apart_from_the_publishers_own(listed):
    qwen = listed.answers.decision(QWEN_TUNE)
    (party,) = qwen.listings
    assert party.organization == "Alibaba Group Holding Limited" and party.via_parent_of == "Alibaba Cloud"
    assert qwen.listing_words == "parent listed: DoD 1260H"
    assert qwen.entity_listed == ()  # no publisher of its ancestry is listed itself
    assert listed.answers.decision(BAAI).listing_words == "listed: BIS Entity List"
    assert listed.answers.decision(PLAIN).listing_words == "none found"


@pytest.mark.parametrize("width", [100, 120, 200])
def test_the_terminal_listing_column_says_the_parent_is_listed(listed, width):
    text = render(listed, width=width)
    header = text.split("\n\n")[1].splitlines()[0]
    assert "listing" in header
    rows = table_rows(text)
    assert column(header, rows[QWEN_TUNE], "listing") == "parent listed: DoD 1260H"
    assert column(header, rows[BAAI], "listing") == "listed: BIS Entity List"
    assert column(header, rows[PLAIN], "listing") == "none found"
    assert max(len(line) for line in text.splitlines()) <= width
    for key in (QWEN_TUNE, BAAI, PLAIN):  # every model id whole on its row's first line
        assert key in rows[key][0].split(), (width, key)


def test_at_80_columns_the_reason_says_the_parent_is_listed_and_model_ids_stay_whole(listed):
    text = render(listed, width=80)
    header = text.split("\n\n")[1].splitlines()[0]
    assert "listing" not in header  # no room for a column of its own
    rows = table_rows(text)
    assert column(header, rows[QWEN_TUNE], "why").endswith("— parent listed: DoD 1260H")
    assert column(header, rows[BAAI], "why").endswith("— listed: BIS Entity List")
    assert "listed" not in column(header, rows[PLAIN], "why")
    assert max(len(line) for line in text.splitlines()) <= 80
    for key in (QWEN_TUNE, BAAI, PLAIN):
        assert key in rows[key][0].split() and all(key not in line for line in rows[key][1:])


@pytest.mark.parametrize("width", [100, 120])
def test_the_listings_never_wrap_a_model_id_the_table_keeps_whole_without_them(width):
    long_id = "api:anthropic/claude-3-5-haiku-latest"  # 37 characters: whole at 100 columns without listings
    result = scan_of({QWEN_TUNE: chain(node(QWEN_TUNE, "apache-2.0"), node("Qwen/Qwen2.5-7B-Instruct", "apache-2.0")),
                      long_id: chain(node(long_id, "mit"))})
    text = render(result, width=width)
    rows = table_rows(text)
    assert long_id in rows[long_id][0].split()
    header = text.split("\n\n")[1].splitlines()[0]
    words = column(header, rows[QWEN_TUNE], "listing" if "listing" in header else "why")
    assert words.endswith("parent listed: DoD 1260H"), (width, words)


def test_below_80_columns_the_stacked_decision_says_the_parent_is_listed(listed):
    text = render(listed, width=60)
    block = text.split(f"{QWEN_TUNE}\n")[1].split("\n\n")[0]
    assert "parent listed: DoD 1260H" in " ".join(block.split())


def test_the_markdown_row_says_the_parent_is_listed(listed):
    text = MarkdownFormat(data_dir("reports")).render(listed)
    header = next(line for line in text.splitlines() if line.startswith("| model |"))
    position = [cell.strip() for cell in header.split("|")].index("restricted-party listing")

    def cell(key: str) -> str:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{key}` |"))
        return [item.strip() for item in row.split("|")][position]

    assert cell(QWEN_TUNE) == "parent listed: DoD 1260H \\(Alibaba Group Holding Limited\\)"
    assert cell(BAAI) == "listed: BIS Entity List \\(Beijing Academy of Artificial Intelligence\\)"
    assert cell(PLAIN) == "none found"


def test_the_html_decision_table_says_the_parent_is_listed(listed):
    page = get_format("html", data_dir("reports")).render(listed)
    table = page.split('<table class="decisions">')[1].split("</table>")[0]

    def last_cell(key: str) -> str:
        row = next(item for item in table.split("<tr>") if f">{key}</a>" in item)
        cells = re.findall(r"<td>(.*?)</td>", row, flags=re.S)
        return html_text.unescape(re.sub(r"<[^>]+>", "", cells[-1])).strip()

    assert last_cell(QWEN_TUNE) == "parent listed: DoD 1260H (Alibaba Group Holding Limited)"
    assert last_cell(BAAI) == "listed: BIS Entity List (Beijing Academy of Artificial Intelligence)"
    assert last_cell(PLAIN) == "none found"


def test_the_json_decision_names_a_parents_listing_as_well(listed):
    import json

    report = json.loads(get_format("json", data_dir("reports")).render(listed))
    decisions = {item["id"]: item["decision"] for item in report["models"]}
    (party,) = decisions[QWEN_TUNE]["listings"]
    assert party["organization"] == "Alibaba Group Holding Limited" and party["via_parent_of"] == "Alibaba Cloud"
    assert party["short_list"] == "DoD 1260H"
    assert [item["via_parent_of"] for item in decisions[BAAI]["listings"]] == [None]
    assert decisions[PLAIN]["listings"] == []


def test_every_list_in_the_rules_has_a_short_name_for_a_table_cell():
    from licscan.evaluation.answers import short_list_name

    names = {listing.list_name for origin in KNOWLEDGE.origins.values() for listing in origin.listings}
    names |= {listing.list_name for listing in KNOWLEDGE.unmapped_entities}
    assert len(names) >= 3
    for name in names:
        assert 0 < len(short_list_name(name)) <= 16, name
    assert short_list_name("DoD Section 1260H list (Chinese military companies; not BIS/OFAC)") == "DoD 1260H"
    assert short_list_name("OFAC Non-SDN Chinese Military-Industrial Complex (NS-CMIC) List") == "OFAC NS-CMIC"
    assert short_list_name("BIS Entity List") == "BIS Entity List"
    assert short_list_name("OFAC SDN (full blocking)") == "OFAC SDN"


# --- 2. A release whose licence is not confirmed (LS115), in the Markdown and terminal summaries -----------

@pytest.fixture(scope="module")
def releases():
    """Two models over DeepSeek-V3.1 (rules/releases.yaml: its licence not read in DeepSeek's own text), and a
    DeepSeek model whose licence is read in the publisher's own README."""
    return scan_of({
        "acme-labs/v31-tune": chain(node("acme-labs/v31-tune", "mit"), node("deepseek-ai/DeepSeek-V3.1", "mit")),
        "deepseek-ai/DeepSeek-V3.1": chain(node("deepseek-ai/DeepSeek-V3.1", "mit")),
        "deepseek-ai/DeepSeek-R1": chain(node("deepseek-ai/DeepSeek-R1", "mit")),
    })


def test_markdown_names_each_unconfirmed_release_once_with_the_models_that_have_it(releases):
    text = MarkdownFormat(data_dir("reports")).render(releases)
    section = text.split("### Release licences not confirmed")[1].split("\n### ")[0].split("<details>")[0]
    lines = [line for line in section.splitlines() if line.startswith("- ")]
    (line,) = lines  # one release, however many models have it
    assert "DeepSeek-V3.1" in line and "[LS115](" in line and "third-party sources report MIT" in line
    assert "`acme-labs/v31-tune`" in line and "`deepseek-ai/DeepSeek-V3.1`" in line
    assert "DeepSeek-R1" not in section
    assert text.index("### Release licences not confirmed") < text.index("<details>")
    assert "Release licences not confirmed" not in MarkdownFormat(data_dir("reports")).render(scan_of({
        "deepseek-ai/DeepSeek-R1": chain(node("deepseek-ai/DeepSeek-R1", "mit"))}))


def test_the_terminal_folds_unconfirmed_releases_into_one_line_and_verbose_lists_them(releases):
    text = render(releases, width=80)
    (block,) = [item for item in text.split("\n\n") if item.startswith("Release licences not confirmed")]
    assert " ".join(block.split()) == ("Release licences not confirmed (1): DeepSeek-V3.1 (2025-08) "
                                        "(LS115; --verbose lists them)")
    verbose = render(releases, width=120, verbose=True)
    (block,) = [item for item in verbose.split("\n\n") if item.startswith("Release licences not confirmed")]
    words = " ".join(block.split())
    assert "LS115 licscan has not confirmed the licence of DeepSeek-V3.1" in words
    assert words.endswith("in the ancestry of acme-labs/v31-tune, deepseek-ai/DeepSeek-V3.1")
    assert "Release licences not confirmed" not in render(scan_of({
        "deepseek-ai/DeepSeek-R1": chain(node("deepseek-ai/DeepSeek-R1", "mit"))}), width=80)


# --- 3. The Tencent-Hunyuan namespace is Tencent's ----------------------------------------------------------

def test_the_tencent_hunyuan_namespace_rests_on_a_licence_text_that_names_it():
    origin, tencent = KNOWLEDGE.origins["tencent-hunyuan"], KNOWLEDGE.origins["tencent"]
    assert (origin.organization, origin.country, origin.parent, origin.listings, origin.sources) == (
        tencent.organization, tencent.country, tencent.parent, tencent.listings, tencent.sources)
    (source,) = [item for item in origin.sources if "huggingface.co/Tencent-Hunyuan" in item.citation]
    assert source.type == "licence-text" and source.confidence == "primary" and source.date == "2026-12-07"
    assert "THL A29 Limited" in source.citation


def test_a_model_under_tencent_hunyuan_shows_tencents_origin_and_its_1260h_listing(tmp_path):
    mirror = tmp_path / "mirror"
    add_repo(mirror, "Tencent-Hunyuan/HunyuanDiT-v1.2", {"license": "other", "license_name": "tencent-hunyuan-community"})
    result, report = scan(project_with(tmp_path, "Tencent-Hunyuan/HunyuanDiT-v1.2"), tmp_path, "--markdown",
                          str(tmp_path / "summary.md"), mirror=mirror)
    found = model(report, "Tencent-Hunyuan/HunyuanDiT-v1.2")
    origin = found["lineage"]["nodes"][0]["origin"]
    assert (origin["organization"], origin["country"], origin["confidence"]) == ("THL A29 Limited", "CN", "primary")
    rules = [item["rule_id"] for item in found["findings"]]
    assert "LS141" in rules and "LS140" not in rules
    (listing,) = [item for item in found["findings"] if item["rule_id"] == "LS141"]
    assert "Tencent Holdings Limited" in listing["message"] and "1260H" in listing["message"]
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    row = next(line for line in summary.splitlines() if line.startswith("| `Tencent-Hunyuan/HunyuanDiT-v1.2` |"))
    assert "listed: DoD 1260H" in row
