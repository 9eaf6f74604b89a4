"""A cold scan of a large project within its memory: reports and the history are written a model at a time,
byte for byte what the whole document would be (the peak itself is measured by benchmarks/bench_scale.py)."""

from __future__ import annotations

import json

import pytest

from licscan.config import data_dir
from licscan.reporting import REGISTRY, get_format, report_parts
from licscan.reporting.json_report import report_dict
from licscan.scan import write_output

from synthetic import synthetic_result


@pytest.fixture(scope="module")
def result():
    return synthetic_result(40)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_format_written_in_pieces_is_the_document_it_renders(result, name):
    writer = get_format(name, data_dir("reports"))
    assert "".join(report_parts(writer, result)) == writer.render(result)


@pytest.mark.parametrize("name", ["json", "sarif"])
def test_the_json_reports_are_streamed_a_few_elements_at_a_time_and_read_as_the_whole_document(result, name):
    from licscan.reporting.sarif import sarif_dict

    document = {"json": report_dict, "sarif": sarif_dict}[name](result)
    pieces = list(report_parts(get_format(name, data_dir("reports")), result))
    whole = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert "".join(pieces) == whole
    # Never a whole list of models, findings or results in one piece: they are encoded and written a batch at a
    # time, so the largest piece does not grow with the project.
    twice = list(report_parts(get_format(name, data_dir("reports")), synthetic_result(2 * len(result.models))))
    assert max(map(len, twice)) <= 1.2 * max(map(len, pieces)), (max(map(len, twice)), max(map(len, pieces)))


@pytest.mark.parametrize("value", [
    {}, [], {"a": [], "b": {}, "c": [1, {"d": "é\n", "e": None}], "f": 1.5, "g": True},
    [[[1, 2], []], {"x": [{"y": []}]}, "line\nbreak"], "text", 3,
])
@pytest.mark.parametrize("depth", [0, 1, 2, 5])
def test_indented_json_in_pieces_is_what_json_dumps_writes(value, depth):
    from licscan.reporting.json_pieces import json_pieces

    expected = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert "".join(json_pieces(value, depth=depth)) == expected


def test_a_report_that_fails_half_way_leaves_the_previous_file_and_no_temporary_one(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("the last good report\n")

    def pieces():
        yield "{\n"
        raise RuntimeError("a defect while rendering")

    with pytest.raises(RuntimeError):
        write_output(target, pieces())
    assert target.read_text() == "the last good report\n"
    assert [path.name for path in tmp_path.iterdir()] == ["report.json"]
    write_output(target, iter(["{", "}\n"]))
    assert target.read_text() == "{}\n"


def test_an_ancestor_shared_by_many_lineages_is_one_record_not_a_copy_per_lineage():
    from licscan.model import ModelRef, ResolutionSettings
    from licscan.resolution import resolve
    from synthetic_hub import generate
    from test_scale_growth import SyntheticSource

    hub = generate(60, seed=5)
    lineages = resolve([ModelRef(leaf) for leaf in hub.leaves], ResolutionSettings(workers=4, resolve_datasets=False),
                       source=SyntheticSource(hub, delay=0)).lineages
    held: dict[str, set[int]] = {}
    for lineage in lineages.values():
        for node in lineage.nodes:
            held.setdefault(node.repo_id, set()).add(id(node))
    assert sum(len(lineage.nodes) for lineage in lineages.values()) > 2 * len(held)  # the lineages do share nodes
    assert [repo for repo, objects in held.items() if len(objects) > 1] == []


def test_the_token_is_looked_up_once_per_walk_not_once_per_request(tmp_path, monkeypatch):
    import huggingface_hub.utils._headers as hf_headers

    from hubstub import HubStub
    from licscan.model import ModelRef, ResolutionSettings
    from licscan.resolution import resolve
    from synthetic_hub import generate, write_hub

    hub = generate(30, seed=3)
    write_hub(hub, tmp_path / "hub")
    lookups = []
    real = hf_headers.get_token
    monkeypatch.setattr(hf_headers, "get_token", lambda: lookups.append(1) or real())
    with HubStub(tmp_path / "hub") as stub:
        resolve([ModelRef(leaf) for leaf in hub.leaves],
                ResolutionSettings(endpoint=stub.url, timeout=5.0, workers=4, db_url=f"sqlite:///{tmp_path / 'c.db'}"))
        requests = len(stub.requests)
    # Each lookup reads the token file (~0.3 ms): two requests per repo made it a fifth of the walk's CPU.
    assert requests > 2 * len(hub.repos) and len(lookups) <= 2, (requests, len(lookups))
