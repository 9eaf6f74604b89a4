"""Discovery of model ids in Python code: every call shape, names, revisions, lines, and what is not a model."""

from __future__ import annotations

import textwrap

from licscan.discovery import discover
from licscan.model import DiscoverySettings, ModelRef, RefKind


def _project(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return discover(root, DiscoverySettings())


def _found(result):
    return {(o.ref.repo_id, o.location.path, o.location.line) for o in result.occurrences}


def test_from_pretrained_on_any_receiver_with_lines(tmp_path):
    result = _project(tmp_path, {"app/load.py": """
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from diffusers import DiffusionPipeline

        tok = AutoTokenizer.from_pretrained("meta-llama/Llama-3.1-8B-Instruct")
        model = AutoModelForCausalLM.from_pretrained(
            pretrained_model_name_or_path="mistralai/Mistral-7B-v0.1",
            torch_dtype="auto",
        )
        pipe = DiffusionPipeline.from_pretrained("stabilityai/stable-diffusion-xl-base-1.0")
        custom = registry["x"].from_pretrained("Qwen/Qwen2.5-0.5B")
    """})
    assert _found(result) == {
        ("meta-llama/Llama-3.1-8B-Instruct", "app/load.py", 4),
        ("mistralai/Mistral-7B-v0.1", "app/load.py", 5),
        ("stabilityai/stable-diffusion-xl-base-1.0", "app/load.py", 9),
        ("Qwen/Qwen2.5-0.5B", "app/load.py", 10),
    }
    first = result.occurrences[0]
    assert first.source == "python" and first.via == "literal"
    texts = {o.ref.repo_id: o.text for o in result.occurrences}
    assert texts["meta-llama/Llama-3.1-8B-Instruct"] == 'AutoTokenizer.from_pretrained("meta-llama/Llama-3.1-8B-Instruct")'
    assert texts["mistralai/Mistral-7B-v0.1"].startswith("AutoModelForCausalLM.from_pretrained( pretrained_model_name_or_path=")
    assert result.files_scanned == 1


def test_pipeline_model_and_tokenizer(tmp_path):
    result = _project(tmp_path, {"serve.py": """
        import transformers
        from transformers import pipeline

        clf = pipeline("text-classification", model="distilbert/distilbert-base-uncased-finetuned-sst-2-english")
        gen = transformers.pipeline(
            "text-generation",
            model="google/gemma-2-2b-it",
            tokenizer="google/gemma-2-2b",
        )
        asr = pipeline("automatic-speech-recognition", "openai/whisper-large-v3")
    """})
    assert _found(result) == {
        ("distilbert/distilbert-base-uncased-finetuned-sst-2-english", "serve.py", 4),
        ("google/gemma-2-2b-it", "serve.py", 5),
        ("google/gemma-2-2b", "serve.py", 5),
        ("openai/whisper-large-v3", "serve.py", 10),
    }


def test_hub_downloads_keep_revision_and_dataset_kind(tmp_path):
    result = _project(tmp_path, {"fetch.py": """
        import huggingface_hub
        from huggingface_hub import hf_hub_download, snapshot_download

        weights = hf_hub_download("TheBloke/Llama-2-7B-GGUF", filename="llama-2-7b.Q4_K_M.gguf")
        path = snapshot_download(repo_id="BAAI/bge-m3", revision="5617a9f61b028005a4858fdac845db406aefb181")
        data = huggingface_hub.hf_hub_download(repo_id="tatsu-lab/alpaca", filename="x.json", repo_type="dataset")
        app = snapshot_download(repo_id="gradio/hello_world", repo_type="space")
    """})
    refs = {o.ref: o.location.line for o in result.occurrences}
    assert refs == {
        ModelRef("TheBloke/Llama-2-7B-GGUF"): 4,
        ModelRef("BAAI/bge-m3", "5617a9f61b028005a4858fdac845db406aefb181"): 5,
        ModelRef("tatsu-lab/alpaca", None, RefKind.DATASET): 6,
    }


def test_sentence_transformers_cross_encoder_and_vllm(tmp_path):
    result = _project(tmp_path, {"embed.py": """
        from sentence_transformers import CrossEncoder, SentenceTransformer
        from vllm import LLM

        embedder = SentenceTransformer("sentence-transformers/all-MiniLM-L6-v2")
        embedder2 = SentenceTransformer(model_name_or_path="intfloat/e5-large-v2", revision="v1.0")
        reranker = CrossEncoder("cross-encoder/ms-marco-MiniLM-L-6-v2")
        reranker2 = CrossEncoder(model_name="BAAI/bge-reranker-base")
        llm = LLM(model="Qwen/Qwen2.5-7B-Instruct", tokenizer="Qwen/Qwen2.5-7B")
        llm2 = LLM("microsoft/phi-4")
    """})
    assert _found(result) == {
        ("sentence-transformers/all-MiniLM-L6-v2", "embed.py", 4),
        ("intfloat/e5-large-v2", "embed.py", 5),
        ("cross-encoder/ms-marco-MiniLM-L-6-v2", "embed.py", 6),
        ("BAAI/bge-reranker-base", "embed.py", 7),
        ("Qwen/Qwen2.5-7B-Instruct", "embed.py", 8),
        ("Qwen/Qwen2.5-7B", "embed.py", 8),
        ("microsoft/phi-4", "embed.py", 9),
    }
    assert ModelRef("intfloat/e5-large-v2", "v1.0") in {o.ref for o in result.occurrences}


def test_module_and_function_constants_are_followed(tmp_path):
    result = _project(tmp_path, {"train.py": """
        from transformers import AutoModel, AutoTokenizer

        MODEL_ID = "google-bert/bert-base-uncased"
        REVISION = "main"


        def load():
            local_id = "FacebookAI/roberta-base"
            model = AutoModel.from_pretrained(MODEL_ID, revision=REVISION)
            tok = AutoTokenizer.from_pretrained(local_id)
            return model, tok
    """})
    by_id = {o.ref.repo_id: o for o in result.occurrences}
    assert set(by_id) == {"google-bert/bert-base-uncased", "FacebookAI/roberta-base"}
    assert by_id["google-bert/bert-base-uncased"].via == "variable"
    assert by_id["google-bert/bert-base-uncased"].ref.revision == "main"
    assert by_id["google-bert/bert-base-uncased"].location.line == 9
    assert by_id["FacebookAI/roberta-base"].via == "variable"
    assert by_id["FacebookAI/roberta-base"].location.line == 10


def test_names_that_are_not_one_literal_are_not_guessed(tmp_path):
    result = _project(tmp_path, {"dyn.py": """
        import os
        from transformers import AutoModel

        MODEL = "org-a/model-a"
        MODEL = "org-b/model-b"          # rebound: which one runs is not knowable
        CHOSEN = os.environ["MODEL"]
        NAME = "org-c/model-c"


        def load(NAME):
            return AutoModel.from_pretrained(NAME)  # the parameter, not the module constant


        def other():
            AutoModel.from_pretrained(MODEL)
            AutoModel.from_pretrained(CHOSEN)
            org = "acme"
            AutoModel.from_pretrained(f"{org}/model-d")
            AutoModel.from_pretrained("acme" + "/model-e")
            return [AutoModel.from_pretrained(NAME) for NAME in ("x", "y")]
    """})
    assert result.occurrences == ()


def test_local_paths_and_invalid_strings_are_not_models(tmp_path):
    (tmp_path / "checkpoints" / "run-1").mkdir(parents=True)
    result = _project(tmp_path, {"local.py": """
        from transformers import AutoModel

        AutoModel.from_pretrained("./outputs/final")
        AutoModel.from_pretrained("../shared/model")
        AutoModel.from_pretrained("/mnt/models/llama")
        AutoModel.from_pretrained("~/models/llama")
        AutoModel.from_pretrained("checkpoints/run-1")
        AutoModel.from_pretrained("gpt2")
        AutoModel.from_pretrained("not a/model id")
        AutoModel.from_pretrained("org/name/extra")
        AutoModel.from_pretrained("")
        AutoModel.from_pretrained("real-org/real-model")
    """})
    assert [o.ref.repo_id for o in result.occurrences] == ["real-org/real-model"]
    assert result.occurrences[0].location.line == 12


def test_peft_adapter_id_is_the_second_argument(tmp_path):
    result = _project(tmp_path, {"adapter.py": """
        from peft import PeftModel
        from transformers import AutoModelForCausalLM

        base = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-2-7b-hf")
        model = PeftModel.from_pretrained(base, "tloen/alpaca-lora-7b")
    """})
    assert _found(result) == {
        ("meta-llama/Llama-2-7b-hf", "adapter.py", 4),
        ("tloen/alpaca-lora-7b", "adapter.py", 5),
    }


def test_code_is_parsed_not_run(tmp_path):
    marker = tmp_path / "ran"
    result = _project(tmp_path, {"evil.py": f"""
        open({str(marker)!r}, "w").write("x")
        from transformers import AutoModel
        AutoModel.from_pretrained("org/model")
    """})
    assert not marker.exists()
    assert [o.ref.repo_id for o in result.occurrences] == ["org/model"]


def test_files_without_trigger_words_and_comments_give_nothing(tmp_path):
    result = _project(tmp_path, {
        "util.py": 'X = "org/name"\n',
        "doc.py": '# AutoModel.from_pretrained("org/in-a-comment")\n"""pipeline(model="org/in-docstring")"""\n',
    })
    assert result.occurrences == ()
    assert result.skipped == ()
