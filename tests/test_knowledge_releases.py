"""Chinese publishers' releases: one licence text per release under a shared slug, read per release."""

from __future__ import annotations

import pytest

from handmade import add_repo, copy_recorded, stand_in_license
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
    # ... also under the namespace of a release it has one of: the publisher does not choose a release's text.
    ("Tencent-Hunyuan/HunyuanImage-3.0", "tencent-hunyuan-community"),
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
    assert terms["license_unconfirmed"] == [] and terms["license_confidence"] == "primary"


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


# --- Releases whose licence licscan has not confirmed (rules/releases.yaml): said once, in plain words ---------

def ls115(report: dict, model_id: str) -> list[dict]:
    return rules_of(report, model_id).get("LS115", [])


def test_a_release_whose_licence_is_unconfirmed_is_said_once_and_its_cards_licence_is_evaluated(tmp_path):
    mirror = tmp_path / "mirror"
    # DeepSeek-V3.1's front matter as a re-publisher's copy of the card shows it.
    add_repo(mirror, "deepseek-ai/DeepSeek-V3.1", {"license": "mit", "library_name": "transformers"})
    add_repo(mirror, "someone/v31-tune", {"license": "mit", "base_model": "deepseek-ai/DeepSeek-V3.1"})
    add_repo(mirror, "someone/v31-tune-GGUF", {"base_model": "someone/v31-tune"})
    add_repo(mirror, "deepseek-ai/DeepSeek-R1", {"license": "mit", "library_name": "transformers"})
    models = ("deepseek-ai/DeepSeek-V3.1", "someone/v31-tune-GGUF", "deepseek-ai/DeepSeek-R1")
    result, report = scan(project_with(tmp_path, *models), tmp_path, mirror=mirror)
    for name in models[:2]:
        (finding,) = ls115(report, name)  # once, although two nodes derive from the release
        assert finding["ancestor"] == "deepseek-ai/DeepSeek-V3.1" and not finding["fails"]
        assert finding["message"].startswith("licscan has not confirmed the licence of DeepSeek-V3.1")
        assert "third-party sources report MIT" in finding["message"] and "its card declares mit" in finding["message"]
        assert model(report, name)["effective"]["commercial_use"] == "allowed"
    # DeepSeek-R1's licence is read in DeepSeek's own README: nothing to say.
    assert ls115(report, "deepseek-ai/DeepSeek-R1") == []


@pytest.mark.parametrize("repo, neighbour", [
    ("deepseek-ai/DeepSeek-V3.2-Exp", "deepseek-ai/DeepSeek-V3"),
    ("deepseek-ai/DeepSeek-V4-Flash", "deepseek-ai/DeepSeek-R1"),
    ("zai-org/GLM-5.1", "zai-org/GLM-5"),
    ("MiniMaxAI/MiniMax-M1-80k", "MiniMaxAI/MiniMax-M2.5"),
    ("XiaomiMiMo/MiMo-7B-RL", "Qwen/Qwen3-8B"),
])
def test_each_unconfirmed_release_is_named_and_its_confirmed_neighbour_is_not(tmp_path, repo, neighbour):
    mirror = copy_recorded(tmp_path / "mirror")
    add_repo(mirror, repo, {"license": "mit"})
    result, report = scan(project_with(tmp_path, repo, neighbour), tmp_path, mirror=mirror)
    (finding,) = ls115(report, repo)
    assert finding["ancestor"] == repo
    assert ls115(report, neighbour) == []


def test_every_listed_release_names_its_own_repos():
    names = [release.name for release in KNOWLEDGE.releases]
    assert len(names) == len(set(names)) >= 6
    for release in KNOWLEDGE.releases:
        assert release.confidence in ("secondary", "unconfirmed") and release.models
        assert all(source.confidence != "primary" for source in release.sources)
        assert all(pattern.split("/", 1)[0] in {"deepseek-ai", "zai-org", "MiniMaxAI", "XiaomiMiMo", "moonshotai"}
                   for pattern in release.models), release.name


def test_a_release_a_primary_source_confirms_does_not_belong_in_releases_yaml(tmp_path):
    from licscan.errors import RuleError
    from licscan.evaluation.knowledge import parse_releases

    release = {"name": "GLM-4.5", "models": ["zai-org/GLM-4.5"], "confidence": "secondary",
               "sources": [{"citation": "zai-org/GLM-4.5 README", "date": "2026-12-07", "confidence": "primary",
                            "type": "publisher-page"}]}
    data = {"schema": "licscan-releases/1", "last_reviewed": "2026-12-07", "releases": [release]}
    with pytest.raises(RuleError, match="families"):
        parse_releases(data, file="team/releases.yaml")
    with pytest.raises(RuleError, match="families"):
        parse_releases({**data, "releases": [{**release, "confidence": "primary", "sources": []}]},
                       file="team/releases.yaml")


# --- Recorded cards: each release under the licence its card declares, and the record that names it -----------

@pytest.mark.parametrize("repo, family, key", [
    ("zai-org/GLM-4.5", "GLM-4.5", "mit"),
    ("Qwen/Qwen3-8B", "Qwen3 ", "apache-2.0"),
    ("zai-org/GLM-5", "GLM-5", "mit"),
    ("zai-org/glm-4-9b-chat", "GLM-4-9B", "glm-4"),
    ("moonshotai/Kimi-K2-Instruct-0905", "Kimi K2", "modified-mit-kimi"),
    ("moonshotai/Kimi-K2.5", "Kimi K2.5", "modified-mit-kimi-k2.5"),
    ("MiniMaxAI/MiniMax-M2.5", "MiniMax M2.5", "modified-mit-minimax"),
])
def test_recorded_chinese_releases_are_read_under_their_own_record(tmp_path, repo, family, key):
    result, report = scan(project_with(tmp_path, repo), tmp_path, mirror=copy_recorded(tmp_path / "mirror"))
    assert node(report, repo)["license_key"] == key
    assert any(name.startswith(family) for name in KNOWLEDGE.licenses[key].families)
    assert KNOWLEDGE.licenses[key].field_confidence("families") in ("primary", "secondary")
    assert ls115(report, repo) == []


# --- MiniMax M3 and H3: their texts known second-hand, each duty marked so -----------------------------------

def test_minimax_m3_and_h3_licence_files_are_recognised_and_their_duties_are_marked_second_hand(tmp_path):
    mirror = tmp_path / "mirror"
    add_repo(mirror, "MiniMaxAI/MiniMax-M3", {"license": "other", "license_name": "minimax-community"},
             files={"LICENSE": stand_in_license('prominently display "Built with MiniMax M3"')})
    add_repo(mirror, "someone/h3-copy", {}, files={"LICENSE": stand_in_license(
        "implement, maintain, test, and periodically review reasonable and proportionate technical and "
        "organizational safeguards")})
    result, report = scan(project_with(tmp_path, "MiniMaxAI/MiniMax-M3", "someone/h3-copy"), tmp_path, mirror=mirror)
    assert node(report, "MiniMaxAI/MiniMax-M3")["license_key"] == "minimax-community"
    assert node(report, "someone/h3-copy")["license_key"] == "minimax-h3-community-license-agreement"
    m3 = model(report, "MiniMaxAI/MiniMax-M3")["effective"]
    (display,) = [item for item in m3["obligations"] if item["kind"] == "attribution"]
    assert '"Built with MiniMax M3"' in display["text"] and display["confidence"] == "secondary"
    h3 = model(report, "someone/h3-copy")["effective"]
    (display,) = [item for item in h3["obligations"] if item["kind"] == "attribution"]
    assert '"MiniMax H3"' in display["text"] and display["confidence"] == "secondary"
    assert any(item["kind"] == "use-policy" for item in h3["obligations"])


def test_hunyuan_3d_2_1_is_its_own_release_and_its_licence_file_says_which_text_it_is():
    card = CardData(license="other", license_name="tencent-hunyuan-community")
    assert identify("tencent/Hunyuan3D-2.1", card, KNOWLEDGE).key == "tencent-hunyuan-3d-2.1"
    assert identify("tencent/Hunyuan3D-2", card, KNOWLEDGE).key == "tencent-hunyuan-3d-2.0"
    text = stand_in_license(*KNOWLEDGE.licenses["tencent-hunyuan-3d-2.1"].markers)
    found = identify("someone/hy3d21-copy", card, KNOWLEDGE, license_text=text)
    assert (found.key, found.method, found.declared_key) == ("tencent-hunyuan-3d-2.1", "license-file", None)
    assert KNOWLEDGE.licenses["tencent-hunyuan-3d-2.1"].field_confidence("territory_exclusions") == "secondary"


def test_explain_says_which_releases_a_shared_slugs_text_governs():
    from licscan.evaluation.explain import explain, explain_license

    text = explain("tencent-hunyuan-dit", KNOWLEDGE)
    assert "Tencent-Hunyuan/HunyuanDiT" in text and "among the texts sharing its slug" in text
    generic = explain_license(KNOWLEDGE.licenses["tencent-hunyuan-community"], KNOWLEDGE)
    assert "among the texts sharing its slug" not in generic
    # The shared slug explains every text it may name.
    shared = explain("tencent-hunyuan-community", KNOWLEDGE)
    assert all(f"{key}:" in shared for key in ("tencent-hunyuan-community", "tencent-hunyuan-dit",
                                                "tencent-hunyuan-3d-2.0", "tencent-hunyuan-large"))


def test_qwen3_5_and_qwen3_6_are_apache_read_in_qwens_own_readme_and_say_nothing_unconfirmed(tmp_path):
    mirror = tmp_path / "mirror"
    for repo in ("Qwen/Qwen3.5-27B", "Qwen/Qwen3.6-35B-A3B"):
        add_repo(mirror, repo, {"license": "apache-2.0", "pipeline_tag": "image-text-to-text"})
    result, report = scan(project_with(tmp_path, "Qwen/Qwen3.5-27B", "Qwen/Qwen3.6-35B-A3B"), tmp_path, mirror=mirror)
    for repo in ("Qwen/Qwen3.5-27B", "Qwen/Qwen3.6-35B-A3B"):
        assert model(report, repo)["effective"]["commercial_use"] == "allowed" and ls115(report, repo) == []
    apache = KNOWLEDGE.licenses["apache-2.0"]
    assert {"Qwen3.5 (2026-02)", "Qwen3.6 (2026-04)"} <= set(apache.families)
    assert apache.field_confidence("families") == "primary"
    assert any("QwenLM/Qwen3.6" in source.citation and source.confidence == "primary" for source in apache.sources)


def test_a_teams_releases_yaml_is_validated_and_overrides_a_shipped_release_by_name(tmp_path):
    from typer.testing import CliRunner

    from licscan.cli import app
    from licscan.evaluation.knowledge import load_knowledge

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "releases.yaml").write_text('schema: licscan-releases/1\nlast_reviewed: "2026-12-07"\nreleases:\n'
                                       '  - name: "GLM-5.1 (2026-04)"\n    models: ["GLM-5.1*"]\n'
                                       '    confidence: unconfirmed\n')
    result = CliRunner().invoke(app, ["rules", "validate", str(bad)])
    assert result.exit_code != 0 and "releases.yaml" in result.output + (result.stderr or "")
    assert "repo id pattern" in result.output + (result.stderr or "")
    good = tmp_path / "good"
    good.mkdir()
    (good / "releases.yaml").write_text('schema: licscan-releases/1\nlast_reviewed: "2026-12-07"\nreleases:\n'
                                        '  - name: "GLM-5.1 (2026-04)"\n    models: ["zai-org/GLM-5.1-Air"]\n'
                                        '    confidence: unconfirmed\n    notes: "our own reading"\n')
    merged = load_knowledge([data_dir("rules"), good])
    (glm,) = [release for release in merged.releases if release.name == "GLM-5.1 (2026-04)"]
    assert glm.models == ("zai-org/GLM-5.1-Air",) and glm.notes == "our own reading"
    assert len(merged.releases) == len(KNOWLEDGE.releases)


def test_kimi_k2_thinking_is_read_under_k2s_text_and_told_that_its_own_text_is_not_confirmed(tmp_path):
    mirror = tmp_path / "mirror"
    add_repo(mirror, "moonshotai/Kimi-K2-Thinking", MODIFIED_MIT)
    result, report = scan(project_with(tmp_path, "moonshotai/Kimi-K2-Thinking"), tmp_path, mirror=mirror)
    assert node(report, "moonshotai/Kimi-K2-Thinking")["license_key"] == "modified-mit-kimi"
    (finding,) = ls115(report, "moonshotai/Kimi-K2-Thinking")
    assert "Kimi K2 Thinking" in finding["message"] and "its own" in finding["message"]
    assert "third-party" not in finding["message"] and "its card declares other (modified-mit)" in finding["message"]
