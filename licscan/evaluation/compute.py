"""Training compute as an estimate (factor x parameters x training tokens), with where each input comes from."""

from __future__ import annotations

import re

from licscan.evaluation.knowledge import ComputeRules
from licscan.model import ComputeEstimate, ModelRecord

_UNITS = {"t": 1e12, "trillion": 1e12, "b": 1e9, "billion": 1e9}
# "trained on 18 trillion tokens", "pre-trained with 15T high-quality tokens", "2.5 trillion tokens of data".
# A number is only tried from its first digit: without the look-behind, every digit of a long run of digits in a
# card would start a new attempt that re-reads the rest of the run (20,000 digits took 78 s).
_TOKENS = re.compile(
    r"(?<![\d.])(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>trillion|billion|T|B)\b(?:\s+[A-Za-z-]+){0,2}?\s+tokens\b",
    re.I)
_TRAINING = re.compile(r"train", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def training_tokens(card_text: str | None) -> tuple[float, str] | None:
    """The training-token count a card states in words, and the statement with its line number.

    Only a sentence that also speaks of training counts, so that a context length or a tokenizer size is not
    taken for a training set. The first such statement wins; the report quotes it so a reader can check.
    """
    if not card_text:
        return None
    for number, line in enumerate(card_text.splitlines(), start=1):
        for sentence in _SENTENCE_END.split(line):
            match = _TOKENS.search(sentence)
            if match and _TRAINING.search(sentence):
                value = float(match["number"]) * _UNITS[match["unit"].lower()]
                quote = " ".join(sentence.split())[:200]
                return value, f"README.md line {number}: \"{quote}\""
    return None


def estimate(record: ModelRecord, rules: ComputeRules | None) -> ComputeEstimate | None:
    """6 x N x D for one node, when its parameters and its training tokens are both known."""
    if rules is None or not record.parameters:
        return None
    tokens = training_tokens(record.card_text)
    if tokens is None:
        return None
    count, statement = tokens
    flop = rules.factor * record.parameters * count
    return ComputeEstimate(
        model=record.repo_id,
        flop=flop,
        parameters=record.parameters,
        parameters_source=record.parameters_source or "the Hub's safetensors metadata",
        tokens=count,
        tokens_source=statement,
        factor=rules.factor,
        thresholds=tuple((t.flop, t.meaning, flop > t.flop) for t in rules.thresholds),
    )
