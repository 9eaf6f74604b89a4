"""Chat service: a small assistant that answers support tickets."""

from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline

# A community fine-tune of Llama 3.2 3B; its card declares MIT.
CHAT_MODEL = "anon/AA-llama32-3b-c205633c"


def load_chat():
    tokenizer = AutoTokenizer.from_pretrained(CHAT_MODEL)
    model = AutoModelForCausalLM.from_pretrained(CHAT_MODEL, device_map="auto")
    return tokenizer, model


def load_summarizer():
    return pipeline("text-generation", model="Qwen/Qwen2.5-7B-Instruct", revision="main")
