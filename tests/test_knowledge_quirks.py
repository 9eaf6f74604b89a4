"""Real-card quirks read as a careful reader would: template placeholders, other/unknown, generic family ids."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from handmade import HUB_DATA, add_repo, copy_recorded
from knowledge_scan import messages, model, scan_report
from licscan.cli import app
from licscan.config import data_dir
from licscan.evaluation.explain import explain
from licscan.evaluation.knowledge import load_knowledge
from test_rules_knowledge import PART_A

runner = CliRunner()


def test_trl_template_licence_license_on_a_recorded_card_is_no_licence_and_the_adapter_inherits(tmp_path):
    # anon/Z-gpt-oss-9606f0fa is a real card (TRL's template) whose front matter says `licence: license`.
    item = model(scan_report(tmp_path, HUB_DATA, "anon/Z-gpt-oss-9606f0fa"), "anon/Z-gpt-oss-9606f0fa")
    (inherits,) = messages(item, "LS110")
    assert "placeholder" in inherits and "inherits the terms of its base models" in inherits
    assert not any("anon/Z-gpt-oss-9606f0fa declares" in text for text in messages(item, "LS111"))
    assert item["effective"]["licenses"] == ["apache-2.0"]  # openai/gpt-oss-20b's licence


@pytest.mark.parametrize("fields", [{"license": "license"}, {"license": "other", "license_name": "license"}])
def test_other_template_placeholders_are_no_licence_either(tmp_path, fields):
    mirror = copy_recorded(tmp_path / "mirror")
    add_repo(mirror, "someone/trl-tune", {**fields, "base_model": "meta-llama/Llama-3.2-3B"})
    item = model(scan_report(tmp_path, mirror, "someone/trl-tune"), "someone/trl-tune")
    assert any("placeholder" in text for text in messages(item, "LS110"))
    assert item["effective"]["licenses"] == ["llama3.2"]


def test_license_other_with_no_name_link_or_file_on_a_recorded_card_stays_unknown(tmp_path):
    # anon/OLMO2-1c0297ec is a real card: `license: other`, nothing else about its licence.
    item = model(scan_report(tmp_path, HUB_DATA, "anon/OLMO2-1c0297ec"), "anon/OLMO2-1c0297ec")
    (unknown,) = [text for text in messages(item, "LS111") if text.startswith("anon/OLMO2-1c0297ec declares")]
    assert "may have set terms of its own" in unknown
    assert item["effective"]["commercial_use"] == "unknown"


def test_license_unknown_stays_unknown_even_over_a_permissive_base(tmp_path):
    mirror = copy_recorded(tmp_path / "mirror")
    add_repo(mirror, "someone/unknown-tune", {"license": "unknown", "base_model": "Qwen/Qwen2.5-7B"})
    item = model(scan_report(tmp_path, mirror, "someone/unknown-tune"), "someone/unknown-tune")
    assert any("may have set terms of its own" in text for text in messages(item, "LS111"))
    assert item["effective"]["commercial_use"] == "unknown"


def test_a_controlnet_declaring_openrail_over_creativeml_openrail_m_is_read_through_that_text(tmp_path):
    # Hand-made: no ControlNet card is among the recorded fixtures; the shape is the common one on the Hub.
    mirror = copy_recorded(tmp_path / "mirror")
    add_repo(mirror, "someone/sd-base", {"license": "creativeml-openrail-m"})
    add_repo(mirror, "someone/controlnet-canny", {"license": "openrail", "base_model": "someone/sd-base"})
    add_repo(mirror, "someone/orphan-openrail", {"license": "openrail"})
    report = scan_report(tmp_path, mirror, "someone/controlnet-canny", "someone/orphan-openrail")
    controlnet = model(report, "someone/controlnet-canny")
    assert controlnet["effective"]["licenses"] == ["creativeml-openrail-m"]
    assert controlnet["effective"]["commercial_use"] == "conditional"
    assert messages(controlnet, "LS111") == [] and messages(controlnet, "LS112") == []
    # With no ancestor under a specific text of the family, the family id stays unknown, never clear.
    orphan = model(report, "someone/orphan-openrail")
    assert orphan["effective"]["commercial_use"] == "unknown"


def test_explain_answers_for_every_hub_licence_id_including_other_and_unknown():
    knowledge = load_knowledge([data_dir("rules")])
    silent = [hub_id for hub_id in sorted(PART_A) if not (explain(hub_id, knowledge) or "").strip()]
    assert silent == []


def test_explain_other_and_unknown_say_what_licscan_reads_and_that_they_stay_unknown():
    result = runner.invoke(app, ["explain", "other"])
    assert result.exit_code == 0
    other = result.output
    assert "license_name" in other and "stays unknown" in other
    assert "never treated as clear" in runner.invoke(app, ["explain", "unknown"]).output


def test_a_re_publisher_that_is_one_person_is_said_so_in_the_report(tmp_path):
    repo = "bartowski/Codestral-22B-v0.1-GGUF"
    item = model(scan_report(tmp_path, HUB_DATA, repo), repo)
    origin = item["lineage"]["nodes"][0]["origin"]
    assert (origin["organization"], origin["account"]) == ("bartowski", "individual")
    assert not any(f["rule_id"] == "LS140" and "bartowski" in f["message"] for f in item["findings"])
