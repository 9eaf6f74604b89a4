"""Every licence record and every origin record, exercised by scanning a card that uses it.

A recorded card from tests/data/hub is used where one declares the licence (or sits in the namespace);
otherwise a minimal hand-made card (namespace licscan-probe/, or <namespace>/licscan-origin-probe) is
written to a private copy of the mirror. All are scanned together, once, through resolution and evaluation.
"""

from __future__ import annotations

import json

import pytest

from handmade import HUB_DATA, add_repo, copy_recorded, stand_in_license
from licscan.cards import parse_card
from licscan.config import data_dir, load_config
from licscan.evaluation.inheritance import commercial_class, conditions_of, obligations_of
from licscan.evaluation.knowledge import load_knowledge
from licscan.evaluation.licenses import identify
from licscan.evaluation.scope import narrowed
from licscan.model import CommercialUse
from licscan.reporting.json_report import report_dict
from licscan.scan import scan_models
from test_rules_knowledge import PART_A

KNOWLEDGE = load_knowledge([data_dir("rules")])
LICENSES = sorted(KNOWLEDGE.licenses)
NAMESPACES = sorted({origin.namespace for origin in KNOWLEDGE.origins.values()})


def _recorded_cards() -> dict[str, str]:
    """Licence key -> the first recorded repo whose own card declares it."""
    found: dict[str, str] = {}
    for info_path in sorted(HUB_DATA.glob("*/*/info.json")):
        info = json.loads(info_path.read_text(encoding="utf-8"))
        if "renamed_to" in info or info.get("licscan", {}).get("provenance") == "hand-made":
            continue
        repo_id = f"{info_path.parent.parent.name}/{info_path.parent.name}"
        node = identify(repo_id, parse_card((info_path.parent / "README.md").read_bytes()), KNOWLEDGE)
        if node.key and node.method in ("license-id", "license_name"):
            found.setdefault(node.key, repo_id)
    return found


def _recorded_namespaces() -> dict[str, str]:
    found: dict[str, str] = {}
    for info_path in sorted(HUB_DATA.glob("*/*/info.json")):
        info = json.loads(info_path.read_text(encoding="utf-8"))
        if "renamed_to" in info or info.get("licscan", {}).get("provenance") == "hand-made":
            continue
        found.setdefault(info_path.parent.parent.name.lower(), f"{info_path.parent.parent.name}/{info_path.parent.name}")
    return found


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """(model for each licence key, model for each namespace, the scan result, its JSON report)."""
    root = copy_recorded(tmp_path_factory.mktemp("records") / "mirror")
    by_license = _recorded_cards()
    for key in LICENSES:
        if key in by_license:
            continue
        record = KNOWLEDGE.licenses[key]
        repo_id = f"licscan-probe/{key.replace('+', '-plus')}"  # '+' is not allowed in a repo id
        if key in PART_A:
            add_repo(root, repo_id, {"license": key})
        elif "key" in record.unconfirmed and record.markers:
            # No confirmed slug: the card says only `other`, and the LICENSE file's title phrases decide.
            add_repo(root, repo_id, {"license": "other"}, files={"LICENSE": stand_in_license(*record.markers)})
        else:
            add_repo(root, repo_id, {"license": "other", "license_name": key})
        by_license[key] = repo_id
    by_namespace = {}
    recorded = _recorded_namespaces()
    for namespace in NAMESPACES:
        repo_id = recorded.get(namespace.lower())
        if repo_id is None:
            repo_id = f"{namespace}/licscan-origin-probe"
            add_repo(root, repo_id, {"license": "mit"})
        by_namespace[namespace] = repo_id
    project = tmp_path_factory.mktemp("project")
    config = load_config(project, mirror=root)
    result = scan_models(config, sorted(set(by_license.values()) | set(by_namespace.values())))
    return by_license, by_namespace, result, report_dict(result)


def _report(result, model):
    return next(report for report in result.models if report.key == model)


def _json_model(report, model):
    return next(item for item in report["models"] if item["id"] == model)


@pytest.mark.parametrize("key", LICENSES)
def test_each_licence_record_shows_in_the_terms_and_findings_of_a_scanned_card(scanned, key):
    by_license, _, result, json_report = scanned
    model = by_license[key]
    record = KNOWLEDGE.licenses[key]
    report = _report(result, model)
    root = report.lineage.nodes[0].repo_id
    assert report.licenses[root].key == key
    assert key in report.effective.licenses
    expected = commercial_class(record)
    assert report.effective.commercial_use.strictness >= expected.strictness
    if report.effective.commercial_use is expected:
        assert root in report.effective.commercial_use_from

    mine = [f for f in report.findings if f.ancestor == root and dict(f.evidence).get("license") == key]
    rules = {f.rule_id for f in mine}
    unknown = expected is CommercialUse.UNKNOWN
    assert ("LS111" in rules) == unknown
    assert ("LS120" in rules) == (expected is CommercialUse.NON_COMMERCIAL)
    # A term scoped to other models or another modality (Llama 3.3's EU clause: multimodal models; MiniMax M2's
    # thresholds: MiniMax-M2) is left out.
    governing, _, _ = narrowed(record, report.lineage.nodes)
    has_conditions = any(not text.startswith("not granted") for text in conditions_of(governing))
    assert ("LS121" in rules) == (has_conditions and not unknown and expected is not CommercialUse.NON_COMMERCIAL)
    assert ("LS122" in rules) == bool((governing.territory_exclusions or governing.territory_note) and not unknown)
    assert ("LS130" in rules) == bool(obligations_of(governing, root) and not unknown)
    assert ("LS114" in rules) == bool(record.superseded_by)
    for finding in mine:
        evidence = dict(finding.evidence)
        assert evidence["confidence"] == record.confidence
        assert evidence.get("unconfirmed", "") == ", ".join(record.unconfirmed)
    # Unconfirmed facts travel into the JSON report with the terms, never as plain facts.
    node = next(item for item in _json_model(json_report, model)["lineage"]["nodes"] if item["id"] == root)
    assert node["license_key"] == key and node["license_confidence"] == record.confidence
    assert node["license_unconfirmed"] == list(record.unconfirmed)
    terms = {item["license"]: item for item in _json_model(json_report, model)["effective"]["terms_confidence"]}
    assert terms[key]["license_unconfirmed"] == list(record.unconfirmed)
    for duty in report.effective.obligations:
        if duty.license_key == key and duty.confidence == "unconfirmed":
            assert "[unconfirmed]" in duty.text


def test_records_without_a_confirmed_slug_are_found_by_their_licence_text(scanned):
    by_license, _, result, _ = scanned
    report = _report(result, by_license["minimax-model-license"])
    node = report.licenses[report.lineage.nodes[0].repo_id]
    assert node.method == "license-file" and "MINIMAX MODEL LICENSE" in dict(node.evidence)["markers"]


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_each_origin_record_shows_on_the_nodes_of_its_namespace(scanned, namespace):
    _, by_namespace, result, json_report = scanned
    model = by_namespace[namespace]
    registry = KNOWLEDGE.origins[namespace.lower()]
    report = _report(result, model)
    root = report.lineage.nodes[0].repo_id
    origin = report.origins[root]
    assert (origin.organization, origin.country, origin.parent) == (registry.organization, registry.country,
                                                                    registry.parent)
    assert not [f for f in report.findings if f.rule_id == "LS140" and f.ancestor == root]
    listed = [f for f in report.findings if f.rule_id == "LS141" and f.ancestor == root]
    assert len(listed) == len(registry.listings)
    for finding, listing in zip(listed, registry.listings):
        # A fact with its date and citation, not a verdict: the policy decides (the default one fails it).
        assert listing.list_name in finding.message and listing.citation in finding.message
        if listing.date_added:
            assert f"since {listing.date_added}" in finding.message
        evidence = dict(finding.evidence)
        assert evidence["source"].startswith(listing.source.citation) and evidence["registry_reviewed"]
        assert finding.fails
    node = next(item for item in _json_model(json_report, model)["lineage"]["nodes"] if item["id"] == root)
    assert node["origin"]["unconfirmed"] == list(registry.unconfirmed)
    assert node["origin"]["reviewed"] == KNOWLEDGE.origins_reviewed
