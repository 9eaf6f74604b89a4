"""Screenshot triage: reads images attached to tickets."""

from transformers import AutoModelForImageTextToText, AutoProcessor

VISION_MODEL = "RedHatAI/gemma-3-4b-it-FP8-dynamic"


def load_vision():
    processor = AutoProcessor.from_pretrained(VISION_MODEL)
    return processor, AutoModelForImageTextToText.from_pretrained(VISION_MODEL)
