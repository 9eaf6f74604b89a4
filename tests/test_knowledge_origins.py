"""Publishers read in their own pages (second pass): the facts rest on them, and a scan shows them."""

from __future__ import annotations

import pytest

from handmade import add_repo
from licscan.config import data_dir
from licscan.evaluation.knowledge import load_knowledge
from licscan.evaluation.stats import publisher_counts
from test_knowledge_resolution import node, project_with, scan

KNOWLEDGE = load_knowledge([data_dir("rules")])

# Namespace -> (organisation, country, parent) as its own pages state them.
READ_IN_OWN_PAGES = {
    "sentence-transformers": ("Sentence Transformers", None, "Hugging Face, Inc."),
    "allenai": ("Allen Institute for Artificial Intelligence (AI2)", "US", None),
}


@pytest.mark.parametrize("namespace", sorted(READ_IN_OWN_PAGES))
def test_a_publisher_read_in_its_own_pages_rests_its_organisation_on_them(namespace):
    origin = KNOWLEDGE.origins[namespace.lower()]
    assert (origin.organization, origin.country, origin.parent) == READ_IN_OWN_PAGES[namespace]
    assert "organization" not in origin.unconfirmed and origin.confidence == "primary"
    assert any(source.type == "publisher-page" and source.confidence == "primary" and source.url
               for source in origin.sources)
    (row,) = [row for row in publisher_counts(KNOWLEDGE) if namespace in row.subject.split(", ")]
    assert row.primary >= 2


def test_a_sentence_transformers_model_shows_its_steward_and_no_invented_country(tmp_path):
    mirror = tmp_path / "mirror"
    add_repo(mirror, "sentence-transformers/probe-minilm", {"license": "apache-2.0"})
    result, report = scan(project_with(tmp_path, "sentence-transformers/probe-minilm"), tmp_path, mirror=mirror)
    origin = node(report, "sentence-transformers/probe-minilm")["origin"]
    assert (origin["organization"], origin["parent"], origin["country"]) == ("Sentence Transformers",
                                                                             "Hugging Face, Inc.", None)
    assert origin["account"] == "community" and origin["confidence"] == "primary" and origin["unconfirmed"] == []


def test_tencents_1260h_listing_is_cited_to_the_federal_register_notice_itself(tmp_path):
    (listing,) = KNOWLEDGE.origins["tencent"].listings
    assert "FR Doc 2025-00070" in listing.citation and "90 FR 1105" in listing.citation
    assert listing.source.type == "regulation" and listing.date_added == "2025-01-07"
    mirror = tmp_path / "mirror"
    add_repo(mirror, "tencent/probe-hunyuan", {"license": "apache-2.0"})
    result, report = scan(project_with(tmp_path, "tencent/probe-hunyuan"), tmp_path, mirror=mirror)
    (finding,) = [item for item in next(m for m in report["models"] if m["id"] == "tencent/probe-hunyuan")["findings"]
                  if item["rule_id"] == "LS141"]
    assert "FR Doc 2025-00070" in finding["message"] and "since 2025-01-07" in finding["message"]
