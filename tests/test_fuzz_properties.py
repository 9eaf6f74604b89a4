"""Property-based fuzzing of every channel in tests/fuzz_channels.py, with a fixed seed and a few examples each.

Each example must end in an answer (a result, a finding, a skip, a licscan error), never another exception, never
a hang (tests/fuzz_channels.hang_guard), and never a pass for input whose evidence fails. benchmarks/fuzz.py runs
the same channels with thousands of examples.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

import fuzz_channels
from fuzz_channels import CHANNELS, SCAN_CHANNELS, Card, FalseClear, MirrorChannel, cards, hang_guard
from licscan.errors import ConfigError

# Fast channels get more examples than those that run a whole scan per example.
EXAMPLES = {"card-text": 200, "card-mirror": 40, "card-hub": 15, "license-expression": 300, "gguf-header": 200,
            "safetensors-header": 150, "notebook": 150, "config-file": 150, "project-settings": 150, "reports": 15}
_SETTINGS = dict(derandomize=True, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])

APACHE = "---\nlicense: apache-2.0\n---\nA model.\n"
NON_COMMERCIAL = "---\nlicense: cc-by-nc-4.0\n---\nA model.\n"


def test_every_channel_has_a_bounded_number_of_examples():
    assert set(EXAMPLES) == set(CHANNELS) | set(SCAN_CHANNELS)


@pytest.mark.parametrize("name", sorted(CHANNELS))
def test_no_hostile_input_crashes_hangs_or_passes_wrongly(name):
    strategy, check = CHANNELS[name]

    @settings(max_examples=EXAMPLES[name], **_SETTINGS)
    @given(strategy)
    def run(example):
        with hang_guard():
            check(example)

    run()


@pytest.mark.parametrize("name", sorted(SCAN_CHANNELS))
def test_cards_through_a_whole_scan_never_crash_or_pass_wrongly(name):
    channel = SCAN_CHANNELS[name]()
    try:
        @settings(max_examples=EXAMPLES[name], **_SETTINGS)
        @given(cards())
        def run(card):
            channel.check(card)  # guarded against hangs by the channel itself

        run()
    finally:
        channel.close()


@pytest.mark.parametrize("name", sorted(SCAN_CHANNELS))
def test_many_cards_in_one_scan_are_each_judged_on_their_own_model(name):
    # The second card is planted: its evidence passes, but it is marked as evidence that must fail. Judged by
    # the scan's verdict it would hide behind the third, non-commercial card (the scan fails either way).
    channel = SCAN_CHANNELS[name]()
    try:
        problems = channel.check_many([Card(APACHE, must_fail=False), Card(APACHE, must_fail=True),
                                       Card(NON_COMMERCIAL, must_fail=True)])
    finally:
        channel.close()
    assert [type(problem) for problem in problems] == [type(None), FalseClear, type(None)]


class _Faulty(MirrorChannel):
    """A mirror channel whose scan crashes, or is refused, whenever it includes one chosen card."""

    def __init__(self, fail_on: str, error: Exception) -> None:
        super().__init__()
        self.fail_on, self.error, self.scans = fail_on, error, []

    def _scan(self, repo_ids):
        self.scans.append(len(repo_ids))
        if self.fail_on in repo_ids:
            raise self.error
        return super()._scan(repo_ids)


@pytest.mark.parametrize("error", [RuntimeError("boom"), ConfigError("refused")], ids=["crash", "licscan error"])
def test_a_scan_that_goes_wrong_is_split_until_the_card_that_does_it_is_found(error):
    channel = _Faulty("fuzz/model-6", error)
    try:
        problems = channel.check_many([Card(APACHE, must_fail=False)] * 8)
    finally:
        channel.close()
    assert [index for index, problem in enumerate(problems) if problem is not None] == [5]
    if isinstance(error, RuntimeError):
        assert problems[5] is error
    else:  # a readable card that licscan refuses to scan is counted against it, not passed over
        assert isinstance(problems[5], AssertionError) and "ended in an error" in str(problems[5])
    assert channel.scans[0] == 8 and len(channel.scans) == 7  # 8, then 4 + 4, then 2 + 2 under the bad half, 1 + 1


def test_a_hang_in_a_scan_is_counted_against_its_card(monkeypatch):
    monkeypatch.setattr(fuzz_channels, "HANG_SECONDS", 1)

    class Stuck(MirrorChannel):
        def _scan(self, repo_ids):
            if "fuzz/model-2" in repo_ids:
                import time
                time.sleep(5)
            return super()._scan(repo_ids)

    channel = Stuck()
    try:
        problems = channel.check_many([Card(APACHE, must_fail=False)] * 2)
    finally:
        channel.close()
    assert problems[0] is None and isinstance(problems[1], fuzz_channels.Hang)
