"""`licscan rules stats`: per licence and publisher, how many facts rest on a primary source, a secondary one, none."""

from __future__ import annotations

import textwrap

from typer.testing import CliRunner

from licscan.cli import app
from licscan.config import data_dir
from licscan.evaluation.knowledge import load_knowledge
from licscan.evaluation.stats import LICENSE_FACT_FIELDS, license_counts, listing_citations, publisher_counts

runner = CliRunner()


def test_every_standard_licence_rests_wholly_on_its_licence_text():
    counts = [row for row in license_counts(load_knowledge([data_dir("rules")])) if row.kind == "standard licence"]
    assert len(counts) >= 50
    assert [row.subject for row in counts if row.share_primary < 1.0] == []


def test_every_restricted_party_listing_is_cited_to_the_list_or_regulation_itself():
    knowledge = load_knowledge([data_dir("rules")])
    listings = [listing for origin in knowledge.origins.values() for listing in origin.listings]
    listings += list(knowledge.unmapped_entities)
    assert listings
    legal_basis = ("15 CFR Part 744", "FR Doc", "E.O.", "Section 1260H", "FR ")
    assert [item.citation for item in listings if not any(word in item.citation for word in legal_basis)] == []
    assert all(row.cited_to != "untyped" for row in listing_citations(knowledge))


def test_stats_count_an_unconfirmed_field_as_resting_on_no_source(tmp_path):
    user = tmp_path / "rules"
    (user / "licenses").mkdir(parents=True)
    (user / "licenses" / "acme-model.yaml").write_text(textwrap.dedent("""\
        schema: licscan-license/1
        key: acme-model
        name: Acme Model Licence
        spdx_id: LicenseRef-acme
        commercial_use: conditional
        sources: [{citation: "Acme LICENSE, section 2", date: "2026-11-01", type: licence-text}]
        secondary: [naming]
        unconfirmed: [thresholds, attribution]
        """))
    knowledge = load_knowledge([data_dir("rules"), user])
    (row,) = [row for row in license_counts(knowledge) if row.subject == "acme-model"]
    assert (row.primary, row.secondary, row.none) == (len(LICENSE_FACT_FIELDS) - 3, 1, 2)
    assert row.kind == "AI licence"
    result = runner.invoke(app, ["rules", "stats", "--rules-dir", str(user)])
    assert result.exit_code == 0
    line = next(text for text in result.output.splitlines() if text.startswith("acme-model "))
    assert line.split()[-4:] == [str(len(LICENSE_FACT_FIELDS) - 3), "1", "2", f"{row.share_primary:.0%}"]
    assert "standard licences" in result.output and "restricted-party listing" in result.output


def test_a_publisher_whose_country_is_unconfirmed_counts_it_as_unsourced():
    knowledge = load_knowledge([data_dir("rules")])
    rows = {row.subject: row for row in publisher_counts(knowledge)}
    meta = next(row for name, row in rows.items() if "meta-llama" in name)
    assert meta.none == 0 and meta.primary == 3
