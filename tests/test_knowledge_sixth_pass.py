"""Facts raised from a secondary source to the primary text in the sixth pass, and what a reader of a scan sees.

Each test names a record whose facts were known only from a summary or a third party before, and now rest on the
publisher's own text or repository; the facts still not read stay marked, never invented.
"""

from __future__ import annotations

from handmade import add_repo, stand_in_license
from licscan.config import data_dir
from licscan.evaluation.knowledge import load_knowledge
from test_knowledge_resolution import model, node, project_with, scan

KNOWLEDGE = load_knowledge([data_dir("rules")])


def test_a_hunyuan_mt_licence_file_is_told_apart_and_its_territory_is_read_in_its_own_text(tmp_path):
    # Hunyuan-MT's License.txt opening was read in Tencent's own commit: its title line and release date identify
    # the text among Tencent's releases, and the territory it excludes is the text's, not a mirror's summary.
    mirror = tmp_path / "mirror"
    phrases = KNOWLEDGE.licenses["tencent-hunyuan-mt"].markers
    add_repo(mirror, "someone/hunyuan-mt-tune", {"license": "other", "license_name": "tencent-hunyuan-community"},
             files={"LICENSE": stand_in_license(*phrases)})
    result, report = scan(project_with(tmp_path, "someone/hunyuan-mt-tune"), tmp_path, mirror=mirror)
    found = node(report, "someone/hunyuan-mt-tune")
    assert (found["license_key"], found["license_method"]) == ("tencent-hunyuan-mt", "license-file")
    effective = model(report, "someone/hunyuan-mt-tune")["effective"]
    (territory,) = [text for text in effective["conditions"] if "not granted in" in text]
    assert "EU, GB, KR" in territory and "[unconfirmed]" not in territory
    (terms,) = effective["terms_confidence"]
    for field in ("territory_exclusions", "territory_note", "date"):
        assert field not in terms["license_secondary"] + terms["license_unconfirmed"]
    # What the opening does not say stays unconfirmed: no threshold or commercial verdict is made up.
    assert {"commercial_use", "thresholds"} <= set(terms["license_unconfirmed"])
    (first,) = KNOWLEDGE.licenses["tencent-hunyuan-mt"].sources[:1]
    assert (first.type, first.confidence) == ("licence-text", "primary") and "1cf3b9a" in first.citation


def test_an_ai_forever_model_shows_its_sberbank_parent_as_read_in_the_namespaces_own_repositories(tmp_path):
    mirror = tmp_path / "mirror"
    add_repo(mirror, "ai-forever/probe-model", {"license": "mit"})
    result, report = scan(project_with(tmp_path, "ai-forever/probe-model"), tmp_path, mirror=mirror)
    origin = node(report, "ai-forever/probe-model")["origin"]
    assert origin["parent"] == "PJSC Sberbank of Russia"
    # The parent rests on the namespace's own repositories; the team name and the seat on secondary sources only.
    assert origin["field_confidence"] == {"organization": "secondary", "country": "secondary", "parent": "primary"}
    record = KNOWLEDGE.origins["ai-forever"]
    assert any(source.type == "publisher-page" and source.confidence == "primary" and "ai-forever" in source.citation
               for source in record.sources)
    # The OFAC listing of the parent is read in OFAC's own SDN data (the eighth pass; test_knowledge_listings).
    (listing,) = origin["entity_lists"]
    assert listing["confidence"] == "primary"


def test_a_yandexgpt_fine_tune_shows_the_output_token_threshold_read_in_the_licence_text(tmp_path):
    # YandexGPT 5 Lite's commercial terms were known from a survey only; ScanCode's copy of the text gives them:
    # commercial use is granted, and reaching 10 million output tokens a month means agreeing terms with Yandex.
    mirror = tmp_path / "mirror"
    add_repo(mirror, "someone/yandexgpt-lite-tune", {"license": "other", "license_name": "yandexgpt-5-lite-8b",
                                                      "base_model": "yandex/YandexGPT-5-Lite-8B-instruct"})
    add_repo(mirror, "yandex/YandexGPT-5-Lite-8B-instruct", {"license": "other", "license_name": "yandexgpt-5-lite-8b"})
    result, report = scan(project_with(tmp_path, "someone/yandexgpt-lite-tune"), tmp_path, mirror=mirror)
    effective = model(report, "someone/yandexgpt-lite-tune")["effective"]
    assert effective["commercial_use"] == "conditional"
    (threshold,) = [text for text in effective["conditions"] if "threshold" in text]
    assert "10 million output tokens a month" in threshold and "section I.b" in threshold
    assert "[unconfirmed]" not in threshold
    (terms,) = effective["terms_confidence"]
    assert terms["license_secondary"] == [] and terms["license_unconfirmed"] == ["version"]
    duties = {duty["kind"]: duty for duty in effective["obligations"]}
    assert "section III" in duties["attribution"]["text"] and duties["attribution"]["confidence"] == "primary"


def test_an_english_yandexgpt_licence_file_is_identified_by_the_address_its_text_gives(tmp_path):
    mirror = tmp_path / "mirror"
    add_repo(mirror, "someone/yandexgpt-lite-gguf", {"license": "apache-2.0"},
             files={"LICENSE": stand_in_license("cloud-sales@yandex-team.ru")})
    result, report = scan(project_with(tmp_path, "someone/yandexgpt-lite-gguf"), tmp_path, mirror=mirror)
    found = node(report, "someone/yandexgpt-lite-gguf")
    assert (found["license_key"], found["license_method"]) == ("yandexgpt-5-lite-8b", "license-file")


def test_a_hunyuan_image_3_fine_tune_is_read_under_its_release_text_not_the_unidentified_one(tmp_path):
    # Under Tencent's shared slug, a Hunyuan Image 3.0 model was read as "release not identified": two thresholds
    # and an unconfirmed territory. Its own text (ScanCode's copy) now decides: one threshold, territory read.
    mirror = tmp_path / "mirror"
    card = {"license": "other", "license_name": "tencent-hunyuan-community"}
    add_repo(mirror, "tencent/HunyuanImage-3.0", card)
    add_repo(mirror, "someone/hunyuan-image-3-lora", {**card, "base_model": "tencent/HunyuanImage-3.0"})
    result, report = scan(project_with(tmp_path, "someone/hunyuan-image-3-lora"), tmp_path, mirror=mirror)
    effective = model(report, "someone/hunyuan-image-3-lora")["effective"]
    assert effective["licenses"] == ["tencent-hunyuan-image-3.0"]
    thresholds = [text for text in effective["conditions"] if "threshold" in text]
    assert len(thresholds) == 1 and "100 million monthly active users" in thresholds[0]
    (territory,) = [text for text in effective["conditions"] if "not granted in" in text]
    assert "EU, GB, KR" in territory and "[unconfirmed]" not in territory
    duties = {duty["kind"]: duty for duty in effective["obligations"]}
    assert "section 5.b" in duties["output-training"]["text"] and duties["output-training"]["confidence"] == "primary"
