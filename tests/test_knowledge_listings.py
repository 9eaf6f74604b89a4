"""Restricted-party listings cited to the regulation or list itself: each one shown with its document and dates."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from handmade import add_repo
from licscan.cli import app
from licscan.config import data_dir
from licscan.evaluation.knowledge import load_knowledge
from test_knowledge_resolution import node, project_with, scan

KNOWLEDGE = load_knowledge([data_dir("rules")])
runner = CliRunner()

# Namespace -> (the document the listing is cited to, its citation, effective date, publication date).
LISTED_PUBLISHERS = {
    "BAAI": ("FR Doc 2025-05427", "90 FR 14046", "2025-03-25", "2025-03-28"),
    "zai-org": ("FR Doc 2025-00704", "90 FR 4617", "2025-01-16", "2025-01-16"),
    "tencent": ("FR Doc 2025-00070", "90 FR 1105-1106", "2025-01-07", "2025-01-07"),
    "ai-forever": ("Specially Designated Nationals", "E.O. 14024", "2022-04-06", "2022-04-06"),
}
# Organisations with no Hub namespace: (entity, list) -> (document or authority, effective date).
UNMAPPED = {
    ("Beijing Sensetime Technology Development Co., Ltd. (a.k.a. Sense Time)", "BIS Entity List"):
        ("FR Doc 2019-22210, 84 FR 54002", "2019-10-09"),
    ("Sensetime Group Limited", "OFAC Non-SDN"): ("E.O. 13959 as amended by E.O. 14032", "2021-12-10"),
    ("Megvii Technology", "BIS Entity List"): ("FR Doc 2019-22210, 84 FR 54002", "2019-10-09"),
    ("Megvii Technology Limited", "OFAC Non-SDN"): ("E.O. 13959 as amended by E.O. 14032", "2021-12-16"),
    ("IFLYTEK", "BIS Entity List"): ("FR Doc 2019-22210, 84 FR 54002", "2019-10-09"),
}


@pytest.fixture(scope="module")
def listed_scan(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("listed")
    mirror = tmp_path / "mirror"
    repos = [f"{namespace}/probe-listed" for namespace in LISTED_PUBLISHERS]
    for repo in repos:
        add_repo(mirror, repo, {"license": "apache-2.0"})
    html = tmp_path / "report.html"
    result, report = scan(project_with(tmp_path, *repos), tmp_path, "--html", str(html), mirror=mirror)
    return report, html.read_text()


@pytest.mark.parametrize("namespace", sorted(LISTED_PUBLISHERS))
def test_each_listing_shows_its_regulation_and_effective_date_in_json_and_html(listed_scan, namespace):
    report, html = listed_scan
    document, citation, effective, published = LISTED_PUBLISHERS[namespace]
    (listing,) = node(report, f"{namespace}/probe-listed")["origin"]["entity_lists"]
    assert document in listing["citation"] and citation in listing["citation"]
    assert (listing["date_added"], listing["published"]) == (effective, published)
    assert listing["source"]["type"] and listing["source"]["date"] == "2026-12-07"
    # The publishers appendix: the list, the regulation and its effective date (and the publication date when
    # it differs).
    appendix = html[html.index("Appendix A: publishers"):]
    at = appendix.index(document)
    row = appendix[appendix.rindex("<tr>", 0, at):appendix.index("</tr>", at)]
    assert f"effective {effective}" in row and citation in row and document in row
    assert ("(published 2025-03-28)" in row) == (published != effective)


def test_baai_is_pinned_to_the_ai_rule_of_march_2025_by_its_own_entry_and_says_what_was_not_read():
    (listing,) = KNOWLEDGE.origins["baai"].listings
    assert "FR Doc 2025-05427" in listing.citation and "2025-05426" not in listing.citation
    # The entry itself, read in the Entity List's text: its Federal Register page lies inside 2025-05427, and its
    # aliases are the ones a screen must match.
    assert listing.confidence == "primary" and listing.source.type == "regulation"
    assert "'90 FR 14048, 3/28/25'" in listing.citation and "Zhiyuan Research Institute" in listing.entity
    assert "No. 150 Chengfu Road" in listing.source.citation
    # The companion rule of the same day is named as the one it is not; what the copy lacks is said plainly.
    assert "2025-05426" in listing.notes and "review policy" in listing.notes and "not read" in listing.notes


def test_zhipu_is_listed_by_its_entry_with_its_aliases_and_a_scan_shows_the_rule_as_read(tmp_path):
    (listing,) = KNOWLEDGE.origins["zai-org"].listings
    assert listing.confidence == "primary" and listing.source.type == "regulation"
    assert listing.entity.startswith("Beijing Zhipu Huazhang Technology Co., Ltd.")
    assert "Zhipu AI" in listing.entity and "Beijing Knowledge Atlas Technology Co., Ltd." in listing.entity
    assert "'90 FR 4619, 1/16/25'" in listing.citation and "FR Doc 2025-00704" in listing.citation
    for affiliate in ("Beijing Zhipu Future Technology Co., Ltd.", "Hangzhou Zhipu Huazhang Technology Co., Ltd.",
                      "Shanghai Zhipu Huanyu Technology Co., Ltd."):
        assert affiliate in listing.notes
    # The Beijing company's country is read in the same entry; which company holds the namespace is not.
    origin = KNOWLEDGE.origins["zai-org"]
    assert origin.field_confidence("country") == "primary" and origin.field_confidence("organization") == "secondary"
    mirror = tmp_path / "mirror"
    add_repo(mirror, "THUDM/probe-glm", {"license": "mit"})
    html = tmp_path / "report.html"
    result, report = scan(project_with(tmp_path, "THUDM/probe-glm"), tmp_path, "--html", str(html), mirror=mirror)
    (finding,) = [item for item in next(m for m in report["models"] if m["id"] == "THUDM/probe-glm")["findings"]
                  if item["rule_id"] == "LS141"]
    assert "Zhipu AI" in finding["message"] and "90 FR 4619" in finding["message"] and finding["fails"]
    appendix = html.read_text()[html.read_text().index("Appendix A: publishers"):]
    at = appendix.index("90 FR 4619")
    row = appendix[appendix.rindex("<tr>", 0, at):appendix.index("</tr>", at)]
    assert '<span class="meta">(primary)</span>' in row and "(secondary)" not in row.split("BIS Entity List")[1]


def test_a_listing_read_in_the_regulators_own_text_is_primary_and_one_read_elsewhere_says_so():
    listings = [item for origin in KNOWLEDGE.origins.values() for item in origin.listings]
    listings += list(KNOWLEDGE.unmapped_entities)
    for item in listings:
        assert item.date_added and item.published and item.source.date == "2026-12-07", item.entity
        if item.confidence == "primary":
            assert item.source.type == "regulation", item.entity
        else:
            # A listing not read in the list's own entry keeps its sources as corroboration and says why.
            assert "not read" in (item.notes or ""), item.entity


def test_listings_of_organisations_with_no_hub_namespace_name_their_authority_and_date():
    found = {}
    for item in KNOWLEDGE.unmapped_entities:
        for (entity, list_name), expected in UNMAPPED.items():
            if item.entity == entity and item.list_name.startswith(list_name):
                found[(entity, list_name)] = (item, expected)
    assert found.keys() == UNMAPPED.keys()
    for (item, (authority, effective)) in found.values():
        assert authority in item.citation and item.date_added == effective
    megvii = found[("Megvii Technology Limited", "OFAC Non-SDN")][0]
    assert megvii.confidence == "primary" and "Megvii Technology Limited" in megvii.source.citation
    result = runner.invoke(app, ["rules", "stats"])
    assert result.exit_code == 0
    for (entity, _), (_, effective) in UNMAPPED.items():
        line = next(text for text in result.output.splitlines() if text.startswith(f"{entity} (no Hub namespace)"))
        assert effective in line and "regulation" in line


def test_a_1260h_listing_read_in_the_dod_lists_own_data_is_primary_and_names_the_list_of_each_year(tmp_path):
    (tencent,) = KNOWLEDGE.origins["tencent"].listings
    assert tencent.confidence == "primary" and tencent.entity == "Tencent Holdings Limited"
    assert "dod_chinese_milcorps" in tencent.source.citation and tencent.source.url.startswith("https://github.com/")
    assert "2026-06-08" in tencent.notes and "media.defense.gov/2025/Jan/07" in tencent.notes
    # Baidu, Inc. is on the list released on 2026-06-08: a model of the baidu namespace fails on it.
    (baidu,) = KNOWLEDGE.origins["baidu"].listings
    assert (baidu.entity, baidu.date_added, baidu.confidence) == ("Baidu, Inc.", "2026-06-08", "primary")
    mirror = tmp_path / "mirror"
    add_repo(mirror, "baidu/probe-ernie", {"license": "apache-2.0"})
    result, report = scan(project_with(tmp_path, "baidu/probe-ernie"), tmp_path, mirror=mirror)
    (finding,) = [item for item in next(m for m in report["models"] if m["id"] == "baidu/probe-ernie")["findings"]
                  if item["rule_id"] == "LS141"]
    assert finding["fails"] and "Section 1260H" in finding["message"] and "2026-06-08" in finding["message"]
    stats = runner.invoke(app, ["rules", "stats"])
    line = next(text for text in stats.output.splitlines() if text.startswith("SenseTime Group, Inc. (no Hub namespace)"))
    assert "2025-01-07" in line and "regulation" in line and line.rstrip().endswith("primary")


# ---------------------------------------------------------------------------------------------------------
# The Russia section (eighth pass): Sberbank read in OFAC's own SDN data, Yandex looked for and not found
# ---------------------------------------------------------------------------------------------------------

def test_sberbanks_sdn_listing_is_read_in_ofacs_own_data_and_says_its_date_rests_on_reports(tmp_path):
    (listing,) = KNOWLEDGE.origins["ai-forever"].listings
    # The entry as OFAC writes it: its number, name and program tags; the file read is a copy of OFAC's SDN.CSV.
    assert listing.confidence == "primary" and listing.source.type == "regulation"
    assert "17018" in listing.citation and "PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA" in listing.citation
    assert "[UKRAINE-EO13662] [RUSSIA-EO14024]" in listing.citation
    assert "data/sdn.csv" in listing.source.citation and "SWIFT/BIC SABRRUMM" in listing.source.citation
    assert listing.source.url.startswith("https://github.com/") and "457e3a2" in listing.source.url
    # An SDN entry has no designation date: the reader is told where the date comes from, and that the copy is undated.
    assert "no date of designation" in listing.notes and "undated" in listing.notes
    assert "Willkie" in listing.source.citation and "Hughes Hubbard" in listing.source.citation
    # A scan of a Sber AI model fails on its parent's listing and the report shows it as read in the list itself.
    mirror = tmp_path / "mirror"
    add_repo(mirror, "ai-forever/probe-kandinsky", {"license": "apache-2.0"})
    html = tmp_path / "report.html"
    result, report = scan(project_with(tmp_path, "ai-forever/probe-kandinsky"), tmp_path, "--html", str(html),
                          mirror=mirror)
    findings = next(m for m in report["models"] if m["id"] == "ai-forever/probe-kandinsky")["findings"]
    (finding,) = [item for item in findings if item["rule_id"] == "LS141"]
    assert finding["fails"] and "SBERBANK OF RUSSIA" in finding["message"] and "2022-04-06" in finding["message"]
    appendix = html.read_text()[html.read_text().index("Appendix A: publishers"):]
    at = appendix.index("RUSSIA-EO14024")
    row = appendix[appendix.rindex("<tr>", 0, at):appendix.index("</tr>", at)]
    assert "OFAC SDN" in row and '<span class="meta">(primary)</span>' in row.split("OFAC SDN")[1]


def test_the_russia_section_says_what_was_looked_for_when_no_listing_was_found():
    # Yandex: no listing recorded, and the record says where it was looked for rather than calling it clear.
    yandex = KNOWLEDGE.origins["yandex"]
    assert yandex.listings == ()
    assert "not confirmed either way" in yandex.notes and "bis_entity_list.json" in yandex.notes
    assert "SDN" in yandex.notes and "not read entry by entry" in yandex.notes
    # Sberbank on the Entity List: not found where it would be filed, said the same way.
    sber = KNOWLEDGE.origins["ai-forever"]
    assert "no entry on the Entity" in sber.notes and "not confirmed either way" in sber.notes
    stats = runner.invoke(app, ["rules", "stats"])
    line = next(text for text in stats.output.splitlines() if text.startswith("ai-forever ") and "OFAC SDN" in text)
    assert "2022-04-06" in line and "regulation" in line and line.rstrip().endswith("primary")
