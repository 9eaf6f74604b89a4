"""Model families whose licence differs per release: each release gets the terms its own text states."""

from __future__ import annotations

from handmade import add_repo
from test_knowledge_resolution import model, node, project_with, scan


def test_minimax_m2_ties_its_display_duty_to_thresholds_and_m2_5_to_every_commercial_product(tmp_path):
    mirror = tmp_path / "mirror"
    slug = {"license": "other", "license_name": "modified-mit"}
    add_repo(mirror, "MiniMaxAI/MiniMax-M2", slug)
    add_repo(mirror, "MiniMaxAI/MiniMax-M2.5", slug)
    add_repo(mirror, "someone/m2-tune", {"license": "mit", "base_model": "MiniMaxAI/MiniMax-M2"})
    add_repo(mirror, "someone/m2.5-tune", {"license": "mit", "base_model": "MiniMaxAI/MiniMax-M2.5"})
    models = ("MiniMaxAI/MiniMax-M2", "MiniMaxAI/MiniMax-M2.5", "someone/m2-tune", "someone/m2.5-tune")
    result, report = scan(project_with(tmp_path, *models), tmp_path, mirror=mirror)
    for model_id in models:
        effective = model(report, model_id)["effective"]
        assert "modified-mit-minimax" in effective["licenses"], model_id
        assert effective["commercial_use"] == "conditional"
        duty = next(item for item in effective["obligations"] if item["license"] == "modified-mit-minimax"
                    and item["kind"] == "attribution")
        assert '"MiniMax M2.5" in every commercial product' in duty["text"] and duty["confidence"] == "primary"
    # M2's text: the display duty starts above 100 million MAU or USD 30 million annual recurring revenue ...
    for model_id in ("MiniMaxAI/MiniMax-M2", "someone/m2-tune"):
        conditions = " ".join(model(report, model_id)["effective"]["conditions"])
        assert "100 million monthly active users" in conditions and "USD 30 million" in conditions
    # ... M2.5's text has no threshold, so none is reported for it or what derives from it.
    for model_id in ("MiniMaxAI/MiniMax-M2.5", "someone/m2.5-tune"):
        assert not any("MiniMax" in text for text in model(report, model_id)["effective"]["conditions"])
    assert node(report, "MiniMaxAI/MiniMax-M2.5")["license_key"] == "modified-mit-minimax"
