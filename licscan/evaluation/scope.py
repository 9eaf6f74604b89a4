"""Whether a licence term governs a model: the model list or modality its text names, decided from the cards."""

from __future__ import annotations

import dataclasses
import fnmatch
from typing import Sequence

from licscan.model import LicenseTerms, ModelRecord, TermScope

# Hub pipeline tags of models that take or produce more than text (the Hub's task list).
_MULTIMODAL_PIPELINES = {
    "image-text-to-text", "visual-question-answering", "document-question-answering", "image-to-text",
    "video-text-to-text", "any-to-any", "audio-text-to-text", "text-to-image", "image-to-image", "text-to-video",
    "text-to-speech", "text-to-audio", "automatic-speech-recognition", "image-to-video", "zero-shot-image-classification",
}
# Pipeline tags of text-only models.
_TEXT_PIPELINES = {
    "text-generation", "text2text-generation", "fill-mask", "feature-extraction", "sentence-similarity",
    "text-classification", "token-classification", "question-answering", "summarization", "translation",
    "zero-shot-classification", "text-ranking",
}
_MULTIMODAL_TAGS = {"multimodal", "vision", "image-text-to-text", "vision-language", "mllama", "llava", "video"}
# Fields a scope may narrow, and the value a field takes for a model it does not govern.
_EMPTY = {
    "naming": None, "attribution": None, "territory_note": None, "territory_exclusions": (), "thresholds": (),
    "registration_required": False, "use_policy_flow_down": False, "output_training_note": None,
}
SCOPABLE_FIELDS = frozenset(_EMPTY)


def modality(record: ModelRecord) -> str | None:
    """"multimodal" or "text" from one card's pipeline_tag and tags; None when the card does not say."""
    tags = {tag.lower() for tag in (*record.card.tags, *record.tags) if isinstance(tag, str)}
    pipeline = (record.card.pipeline_tag or "").lower()
    if pipeline in _MULTIMODAL_PIPELINES or tags & _MULTIMODAL_TAGS or tags & _MULTIMODAL_PIPELINES:
        return "multimodal"
    if pipeline in _TEXT_PIPELINES:
        return "text"
    return None


def lineage_modality(nodes: Sequence[ModelRecord]) -> str | None:
    """The model's modality as a licence term sees it: multimodal when any node of its lineage is (a text-only
    fine-tune of a vision model still derives from the multimodal model), text when the cards that say anything
    all say text (a quantization without a pipeline_tag takes its base's), None when no card says."""
    found = {item for item in map(modality, nodes) if item is not None}
    if "multimodal" in found:
        return "multimodal"
    return "text" if found else None


def governs(scope: TermScope, nodes: Sequence[ModelRecord]) -> bool | None:
    """True when the term governs the model (nodes: the model first, then its ancestors), False when its text
    names other models, None when licscan cannot tell (no card says the model's modality)."""
    if scope.models:
        names = [name.lower() for node in nodes for name in (node.repo_id, *node.aliases)]
        if not any(fnmatch.fnmatchcase(name, pattern.lower()) for name in names for pattern in scope.models):
            return False
    if scope.modality is not None:
        found = lineage_modality(nodes)
        if found is None:
            return None
        return found == scope.modality
    return True


def narrowed(record: LicenseTerms, nodes: Sequence[ModelRecord]) -> tuple[LicenseTerms, tuple[str, ...], tuple[str, ...]]:
    """The record as it governs this model: fields scoped to other models emptied.

    Returns the record, the fields left out (they govern other models) and the fields kept although their scope
    could not be decided (missing evidence never clears a term).
    """
    left_out, undecided, changes = [], [], {}
    for scope in record.scopes:
        if scope.field not in _EMPTY:
            continue
        answer = governs(scope, nodes)
        if answer is False:
            left_out.append(scope.field)
            changes[scope.field] = _EMPTY[scope.field]
        elif answer is None:
            undecided.append(scope.field)
    return (dataclasses.replace(record, **changes) if changes else record), tuple(left_out), tuple(undecided)
