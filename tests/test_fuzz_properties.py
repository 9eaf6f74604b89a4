"""Property-based fuzzing of every channel in tests/fuzz_channels.py, with a fixed seed and a few examples each.

Each example must end in an answer (a result, a finding, a skip, a licscan error), never another exception, never
a hang (tests/fuzz_channels.hang_guard), and never a pass for input whose evidence fails. benchmarks/fuzz.py runs
the same channels with thousands of examples.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

import fuzz_channels
from fuzz_channels import CHANNELS, HubChannel, cards, hang_guard

# Fast channels get more examples than those that run a whole scan per example.
EXAMPLES = {"card-text": 200, "card-mirror": 40, "license-expression": 300, "gguf-header": 200,
            "safetensors-header": 150, "notebook": 150, "config-file": 150, "project-settings": 150, "reports": 15}
_SETTINGS = dict(derandomize=True, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])


def test_every_channel_has_a_bounded_number_of_examples():
    assert set(EXAMPLES) == set(CHANNELS)


@pytest.mark.parametrize("name", sorted(CHANNELS))
def test_no_hostile_input_crashes_hangs_or_passes_wrongly(name):
    strategy, check = CHANNELS[name]

    @settings(max_examples=EXAMPLES[name], **_SETTINGS)
    @given(strategy)
    def run(example):
        with hang_guard():
            check(example)

    run()


def test_cards_through_the_loopback_hub_never_crash_or_pass_wrongly(monkeypatch):
    channel = HubChannel()
    try:
        @settings(max_examples=15, **_SETTINGS)
        @given(cards())
        def run(card):
            with hang_guard():
                channel.check(card)

        run()
    finally:
        channel.close()
