"""Chinese publishers' releases: one licence text per release under a shared slug, read per release."""

from __future__ import annotations

import pytest

from handmade import add_repo, stand_in_license
from licscan.config import data_dir
from licscan.evaluation.knowledge import load_knowledge
from licscan.evaluation.licenses import identify
from licscan.model import CardData
from test_knowledge_resolution import model, node, project_with, rules_of, scan

KNOWLEDGE = load_knowledge([data_dir("rules")])
MODIFIED_MIT = {"license": "other", "license_name": "modified-mit"}
HUNYUAN = {"license": "other", "license_name": "tencent-hunyuan-community"}


def display_duty(report: dict, model_id: str) -> dict:
    (duty,) = [item for item in model(report, model_id)["effective"]["obligations"]
               if item["kind"] == "attribution" and item["license"].startswith("modified-mit-kimi")]
    return duty


# --- Kimi: each release's modified MIT text names its own release in the display duty ------------------------

def test_kimi_k2_5_and_k2_6_must_display_their_own_release_name_and_k2_keeps_kimi_k2(tmp_path):
    mirror = tmp_path / "mirror"
    for repo in ("moonshotai/Kimi-K2-Instruct-0905", "moonshotai/Kimi-K2.5", "moonshotai/Kimi-K2.6"):
        add_repo(mirror, repo, MODIFIED_MIT)
    add_repo(mirror, "someone/k2.5-tune", {**MODIFIED_MIT, "base_model": "moonshotai/Kimi-K2.5"})
    models = ("moonshotai/Kimi-K2-Instruct-0905", "moonshotai/Kimi-K2.5", "moonshotai/Kimi-K2.6", "someone/k2.5-tune")
    result, report = scan(project_with(tmp_path, *models), tmp_path, mirror=mirror)
    k2, k25, k26, tune = (display_duty(report, name)["text"] for name in models)
    assert '"Kimi K2" on the user interface' in k2
    assert '"Kimi K2.5" on the user interface' in k25 and '"Kimi K2"' not in k25
    assert '"Kimi K2.6" on the user interface' in k26 and '"Kimi K2.5"' not in k26
    # A fine-tune declaring the shared slug is read under its base's release.
    assert '"Kimi K2.5" on the user interface' in tune
    assert node(report, "someone/k2.5-tune")["license_key"] == "modified-mit-kimi-k2.5"
    # Their clause is known from word-for-word quotations of the file, not from the file: said so, per fact.
    assert display_duty(report, "moonshotai/Kimi-K2.5")["confidence"] == "secondary"
    assert display_duty(report, "moonshotai/Kimi-K2-Instruct-0905")["confidence"] == "primary"
    for name in models:
        conditions = " ".join(model(report, name)["effective"]["conditions"])
        assert "100 million monthly active users" in conditions


def test_a_kimi_k2_5_licence_file_is_told_from_k2s_and_agrees_with_the_shared_slug(tmp_path):
    mirror = tmp_path / "mirror"
    text = stand_in_license("Modified MIT License", "Our only modification part is that",
                            'you shall prominently display "Kimi K2.5" on the user interface')
    add_repo(mirror, "someone/k25-mirror", MODIFIED_MIT, files={"LICENSE": text})
    result, report = scan(project_with(tmp_path, "someone/k25-mirror"), tmp_path, mirror=mirror)
    found = node(report, "someone/k25-mirror")
    assert (found["license_key"], found["license_method"]) == ("modified-mit-kimi-k2.5", "license-file")
    assert "LS113" not in rules_of(report, "someone/k25-mirror")


# --- Tencent Hunyuan: one record per release under the one slug --------------------------------------------

@pytest.mark.parametrize("repo, key", [
    ("tencent/Hunyuan3D-2", "tencent-hunyuan-3d-2.0"),
    ("tencent/Tencent-Hunyuan-Large", "tencent-hunyuan-large"),
    ("tencent/Hunyuan-MT-7B", "tencent-hunyuan-mt"),
    ("Tencent-Hunyuan/HunyuanDiT", "tencent-hunyuan-dit"),
    ("tencent/HunyuanVideo", "tencent-hunyuan-community"),  # a release licscan has no text of: the slug's record
])
def test_the_shared_hunyuan_slug_is_read_under_the_releases_own_record(repo, key):
    card = CardData(license="other", license_name="tencent-hunyuan-community")
    assert identify(repo, card, KNOWLEDGE).key == key


def test_each_hunyuan_release_gets_its_own_territory_and_threshold(tmp_path):
    mirror = tmp_path / "mirror"
    for repo in ("tencent/Hunyuan3D-2", "Tencent-Hunyuan/HunyuanDiT", "tencent/HunyuanVideo"):
        add_repo(mirror, repo, HUNYUAN)
    add_repo(mirror, "someone/dit-tune", {**HUNYUAN, "base_model": "Tencent-Hunyuan/HunyuanDiT"})
    models = ("tencent/Hunyuan3D-2", "Tencent-Hunyuan/HunyuanDiT", "tencent/HunyuanVideo", "someone/dit-tune")
    result, report = scan(project_with(tmp_path, *models), tmp_path, mirror=mirror)
    three_d, dit, video, tune = (model(report, name)["effective"] for name in models)
    # Hunyuan 3D 2.0's text: not granted in the EU, the UK and South Korea; 1 million monthly active users.
    assert "1 million monthly active users" in " ".join(three_d["conditions"])
    assert "100 million" not in " ".join(three_d["conditions"])
    assert {"EU", "GB", "KR"} <= set(three_d["territory_exclusions"])
    # HunyuanDiT's text is worldwide, with 100 million: neither the 3D text's territories nor its threshold.
    for effective in (dit, tune):
        assert effective["territory_exclusions"] == []
        assert "100 million monthly active users" in " ".join(effective["conditions"])
        assert "1 million monthly" not in " ".join(effective["conditions"])
    # A release whose own text licscan has not identified keeps the widest exclusion, marked unconfirmed.
    assert {"EU", "GB", "KR"} <= set(video["territory_exclusions"])
    (terms,) = video["terms_confidence"]
    assert "territory_exclusions" in terms["license_unconfirmed"]
    assert "LS122" in rules_of(report, "tencent/HunyuanVideo")
    assert "LS122" not in rules_of(report, "Tencent-Hunyuan/HunyuanDiT")


def test_a_hunyuan_releases_own_text_under_the_shared_slug_is_not_a_relabel(tmp_path):
    mirror = tmp_path / "mirror"
    three_d = stand_in_license(*KNOWLEDGE.licenses["tencent-hunyuan-3d-2.0"].markers)
    dit = stand_in_license(*KNOWLEDGE.licenses["tencent-hunyuan-dit"].markers)
    add_repo(mirror, "someone/hy3d-copy", HUNYUAN, files={"LICENSE": three_d})
    # ... but a text of one release under another release's repo is the text that governs, and said to differ.
    add_repo(mirror, "tencent/Hunyuan3D-2mini", HUNYUAN, files={"LICENSE": dit})
    result, report = scan(project_with(tmp_path, "someone/hy3d-copy", "tencent/Hunyuan3D-2mini"), tmp_path,
                          mirror=mirror)
    copy = node(report, "someone/hy3d-copy")
    assert (copy["license_key"], copy["license_method"]) == ("tencent-hunyuan-3d-2.0", "license-file")
    assert "LS113" not in rules_of(report, "someone/hy3d-copy")
    assert node(report, "tencent/Hunyuan3D-2mini")["license_key"] == "tencent-hunyuan-dit"
    assert "LS113" not in rules_of(report, "tencent/Hunyuan3D-2mini")  # the slug names the DiT text too


def test_a_licence_text_of_another_licence_under_the_hunyuan_slug_is_still_a_relabel(tmp_path):
    mirror = tmp_path / "mirror"
    add_repo(mirror, "tencent/Hunyuan3D-2", HUNYUAN,
             files={"LICENSE": stand_in_license(*KNOWLEDGE.licenses["deepseek"].markers)})
    result, report = scan(project_with(tmp_path, "tencent/Hunyuan3D-2"), tmp_path, mirror=mirror)
    assert node(report, "tencent/Hunyuan3D-2")["license_key"] == "deepseek"
    assert "LS113" in rules_of(report, "tencent/Hunyuan3D-2")


# --- GLM-4: the licence text itself ------------------------------------------------------------------------

def test_a_glm_4_fine_tune_must_say_built_with_glm_4_and_begin_its_name_with_glm_4_read_in_the_text(tmp_path):
    mirror = tmp_path / "mirror"
    add_repo(mirror, "THUDM/glm-4-9b", {"license": "other", "license_name": "glm-4"})
    add_repo(mirror, "someone/glm4-tune", {"license": "apache-2.0", "base_model": "THUDM/glm-4-9b"})
    result, report = scan(project_with(tmp_path, "someone/glm4-tune"), tmp_path, mirror=mirror)
    effective = model(report, "someone/glm4-tune")["effective"]
    duties = {item["kind"]: item for item in effective["obligations"] if item["license"] == "glm-4"}
    assert '"Built with glm-4"' in duties["attribution"]["text"] and duties["attribution"]["confidence"] == "primary"
    assert 'begins with "glm-4"' in duties["naming"]["text"] and duties["naming"]["confidence"] == "primary"
    assert any("registration or application required" in text for text in effective["conditions"])
    (terms,) = [item for item in effective["terms_confidence"] if item["license"] == "glm-4"]
    assert terms["license_unconfirmed"] == ["version", "date"]


def test_a_glm_4_licence_file_is_recognised_by_its_clauses(tmp_path):
    mirror = tmp_path / "mirror"
    add_repo(mirror, "someone/glm4-mirror", {}, files={"LICENSE": stand_in_license(
        'Prominently display "Built with glm-4" on the relevant website',
        'you should also add "glm-4" to the beginning of any such AI model name')})
    result, report = scan(project_with(tmp_path, "someone/glm4-mirror"), tmp_path, mirror=mirror)
    assert node(report, "someone/glm4-mirror")["license_key"] == "glm-4"


def test_a_release_pattern_without_a_namespace_is_a_rule_error():
    import yaml

    from licscan.errors import RuleError
    from licscan.evaluation.knowledge import parse_license

    data = yaml.safe_load((data_dir("rules") / "licenses" / "tencent-hunyuan-dit.yaml").read_text(encoding="utf-8"))
    with pytest.raises(RuleError, match="repo id pattern"):
        parse_license({**data, "models": ["*DiT*"]}, file="team/tencent-hunyuan-dit.yaml")
