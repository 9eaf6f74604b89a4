"""Offline fallback: quantized models run on the support team's laptops."""

from huggingface_hub import hf_hub_download


def fetch_fallback_models():
    code = hf_hub_download(repo_id="bartowski/Codestral-22B-v0.1-GGUF", filename="Codestral-22B-v0.1-Q4_K_M.gguf")
    general = hf_hub_download(repo_id="ubergarm/GLM-4.6-GGUF", filename="IQ2_KL/GLM-4.6-IQ2_KL-00001-of-00003.gguf")
    return code, general
