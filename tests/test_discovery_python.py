"""Discovery of model ids in Python code: every call shape, names, revisions, lines, and what is not a model."""

from __future__ import annotations


from licscan.model import ModelRef, RefKind

from project_files import discover_project as _project


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


def test_names_that_are_not_one_literal_are_not_guessed_but_reported(tmp_path):
    result = _project(tmp_path, {"dyn.py": """
        import os
        from transformers import AutoModel

        MODEL = "org-a/model-a"
        MODEL = "org-b/model-b"          # rebound: which one runs is not knowable
        CHOSEN = os.environ["MODEL"]
        NAME = "org-c/model-c"


        def load(NAME):
            return AutoModel.from_pretrained(NAME)  # the parameter, not the module constant


        def other(suffix):
            AutoModel.from_pretrained(MODEL)
            AutoModel.from_pretrained(CHOSEN)
            AutoModel.from_pretrained(f"acme/{suffix}")
            AutoModel.from_pretrained("acme/" + suffix)
            return [AutoModel.from_pretrained(NAME) for NAME in ("x", "y")]
    """})
    # The calls name nothing knowable; the constants a model-naming name takes are named where they stand.
    assert [(o.ref.repo_id, o.location.line, o.via) for o in result.occurrences] == [
        ("org-a/model-a", 4, "named"), ("org-b/model-b", 5, "named"),
    ]
    unresolved = sorted((s.path, s.detail) for s in result.skipped if s.reason == "unresolved-reference")
    assert unresolved == [
        ("dyn.py", "line 11: AutoModel.from_pretrained(NAME) (known only at run time: NAME)"),
        ("dyn.py", "line 15: AutoModel.from_pretrained(MODEL) (MODEL is assigned more than once)"),
        ("dyn.py", "line 16: AutoModel.from_pretrained(CHOSEN) (environment variable MODEL)"),
        ("dyn.py", 'line 17: AutoModel.from_pretrained(f"acme/{suffix}") (an f-string with a part known only at run time)'),
        ("dyn.py", 'line 18: AutoModel.from_pretrained("acme/" + suffix) (a concatenation with a part known only at run time)'),
        ("dyn.py", "line 19: AutoModel.from_pretrained(NAME) (known only at run time: NAME)"),
    ]


def test_strings_built_from_known_parts_are_followed(tmp_path):
    result = _project(tmp_path, {"build.py": """
        import os
        from transformers import AutoModel, AutoTokenizer

        ORG = "acme"
        SIZE = "7b"
        FULL = f"{ORG}/chat-{SIZE}"


        def load():
            family = "llama"
            AutoModel.from_pretrained(f"{ORG}/{family}-{SIZE}")
            AutoModel.from_pretrained(ORG + "/joined")
            AutoModel.from_pretrained("%s/percent" % ORG)
            AutoModel.from_pretrained("{}/formatted".format(ORG))
            AutoTokenizer.from_pretrained(FULL)
            return AutoModel.from_pretrained(os.getenv("MODEL_ID", "acme/default-model"))
    """})
    found = {(o.ref.repo_id, o.location.line, o.via) for o in result.occurrences}
    assert found == {
        ("acme/llama-7b", 11, "variable"),
        ("acme/joined", 12, "variable"),
        ("acme/percent", 13, "variable"),
        ("acme/formatted", 14, "variable"),
        ("acme/chat-7b", 15, "variable"),
        ("acme/default-model", 16, "env-default"),
    }
    assert result.skipped == ()


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


def test_adapters_diffusers_loaders_and_keyword_ids(tmp_path):
    result = _project(tmp_path, {"tune.py": """
        from diffusers import StableDiffusionXLPipeline
        from peft import AutoPeftModelForCausalLM, PeftModel
        from transformers import AutoModelForCausalLM, TrainingArguments

        base = AutoModelForCausalLM.from_pretrained(pretrained_model_name_or_path="meta-llama/Llama-3.1-8B")
        tuned = PeftModel.from_pretrained(base, model_id="org/llama-lora", revision="v2")
        merged = AutoPeftModelForCausalLM.from_pretrained("org/auto-peft-adapter")
        base.load_adapter("org/second-adapter", adapter_name="second")
        pipe = StableDiffusionXLPipeline.from_single_file("https://huggingface.co/org/sdxl-ckpt/blob/main/m.safetensors")
        pipe.load_lora_weights("org/sdxl-lora", weight_name="lora.safetensors")
        pipe.load_textual_inversion("sd-concepts-library/cat-toy")
        pipe.load_ip_adapter("h94/IP-Adapter", subfolder="models", weight_name="ip-adapter_sd15.bin")
        args = dict(model_name_or_path="org/trainer-model", output_dir="./out")
    """})
    found = {(o.ref.repo_id, o.ref.revision, o.location.line) for o in result.occurrences}
    assert found == {
        ("meta-llama/Llama-3.1-8B", None, 5),
        ("org/llama-lora", "v2", 6),
        ("org/auto-peft-adapter", None, 7),
        ("org/second-adapter", None, 8),
        ("org/sdxl-ckpt", None, 9),
        ("org/sdxl-lora", None, 10),
        ("sd-concepts-library/cat-toy", None, 11),
        ("h94/IP-Adapter", None, 12),
        ("org/trainer-model", None, 13),
    }


def test_runtimes_and_hub_helpers(tmp_path):
    result = _project(tmp_path, {"serve.py": """
        import mlx_lm
        import open_clip
        import timm
        from huggingface_hub import InferenceClient, hf_hub_url
        from llama_cpp import Llama
        from mlx_lm import load as mlx_load
        from vllm import AsyncEngineArgs

        llm = Llama.from_pretrained(repo_id="bartowski/Llama-3.2-1B-Instruct-GGUF", filename="*Q4_K_M.gguf")
        model, tokenizer = mlx_lm.load("mlx-community/Qwen2.5-7B-Instruct-4bit")
        other, _ = mlx_load("mlx-community/Mistral-7B-Instruct-v0.3-4bit")
        clip, _, preprocess = open_clip.create_model_and_transforms("hf-hub:laion/CLIP-ViT-g-14-laion2B-s12B-b42K")
        vit = timm.create_model("hf-hub:timm/vit_base_patch16_224.augreg_in21k", pretrained=True)
        named = timm.create_model("resnet50", pretrained=True)
        url = hf_hub_url("org/hub-url-model", "config.json")
        client = InferenceClient(model="org/inference-model")
        engine = AsyncEngineArgs(model="org/vllm-engine-model")
    """})
    assert {(o.ref.repo_id, o.location.line) for o in result.occurrences} == {
        ("bartowski/Llama-3.2-1B-Instruct-GGUF", 9),
        ("mlx-community/Qwen2.5-7B-Instruct-4bit", 10),
        ("mlx-community/Mistral-7B-Instruct-v0.3-4bit", 11),
        ("laion/CLIP-ViT-g-14-laion2B-s12B-b42K", 12),
        ("timm/vit_base_patch16_224.augreg_in21k", 13),
        ("org/hub-url-model", 15),
        ("org/inference-model", 16),
        ("org/vllm-engine-model", 17),
    }


def test_datasets_are_recorded_with_their_kind(tmp_path):
    result = _project(tmp_path, {"data.py": """
        import datasets
        from datasets import load_dataset

        train = load_dataset("HuggingFaceH4/ultrachat_200k", split="train_sft")
        evals = datasets.load_dataset(path="cais/mmlu", name="all")
        local = load_dataset("json", data_files="data/train.jsonl")
    """})
    refs = {o.ref for o in result.occurrences}
    assert refs == {
        ModelRef("HuggingFaceH4/ultrachat_200k", None, RefKind.DATASET),
        ModelRef("cais/mmlu", None, RefKind.DATASET),
    }


def test_hub_urls_in_code_strings_count_but_not_in_comments_or_docstrings(tmp_path):
    result = _project(tmp_path, {"fetch.py": '''
        """Downloads weights; see https://huggingface.co/org/in-docstring for the card."""
        import requests

        # mirrored from https://huggingface.co/org/in-comment
        WEIGHTS = "https://huggingface.co/org/weights-repo/resolve/main/model.safetensors"
        DATA = 'https://huggingface.co/datasets/org/eval-set/resolve/main/test.parquet'
        SPACE = "https://huggingface.co/spaces/org/demo"


        def get():
            """Also https://hf.co/org/in-function-docstring."""
            return requests.get(WEIGHTS, timeout=10), requests.get("hf.co/org/short-link/resolve/main/a.bin")


        # A repo's page is a link for a reader (a registry of models to show), not a fetch.
        register_model_info(["chat"], "Chat", "https://huggingface.co/org/a-page-link", "A chat model")
    '''})
    found = {(o.ref.repo_id, o.ref.kind, o.location.line, o.via) for o in result.occurrences}
    assert found == {
        ("org/weights-repo", RefKind.MODEL, 5, "url"),
        ("org/eval-set", RefKind.DATASET, 6, "url"),
        ("org/short-link", RefKind.MODEL, 12, "url"),
    }


def test_revision_and_repo_type_follow_names(tmp_path):
    result = _project(tmp_path, {"pin.py": """
        from huggingface_hub import snapshot_download

        REPO = "org/pinned-model"
        PIN = "0123456789abcdef0123456789abcdef01234567"
        KIND = "dataset"


        def fetch():
            snapshot_download(REPO, revision=PIN)
            snapshot_download("org/some-data", repo_type=KIND)
    """})
    assert {o.ref for o in result.occurrences} == {
        ModelRef("org/pinned-model", "0123456789abcdef0123456789abcdef01234567"),
        ModelRef("org/some-data", None, RefKind.DATASET),
    }
