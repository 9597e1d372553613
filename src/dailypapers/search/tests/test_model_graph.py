"""The torch-free ONNX graph computes what the original PyTorch model computes.

Needs the optional ``export-check`` extra (torch, transformers) and SciFact
from ../shared/data; skipped, saying which is missing, without them.
"""

import gzip
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from dailypapers.search.embeddings import paper_text
from dailypapers.search.minilm import MiniLMEmbedder
from dailypapers.search.minilm_graph import build_minilm_graph, minilm_path

SCIFACT = Path(__file__).resolve().parents[4].parent / "shared/data/eval/scifact/corpus.jsonl.gz"
ABSTRACTS = 200
BATCH = 20

pytestmark = [
    pytest.mark.skipif(
        importlib.util.find_spec("torch") is None
        or importlib.util.find_spec("transformers") is None,
        reason="torch and transformers are not installed: pip install -e '.[export-check]' "
        "(README: the optional extra)",
    ),
    pytest.mark.skipif(not SCIFACT.exists(), reason=f"{SCIFACT} not found (../shared/data)"),
]


@pytest.fixture(scope="module")
def batches():
    """200 SciFact abstracts as the embedder tokenises them, in batches of 20."""
    from tokenizers import Tokenizer

    with gzip.open(SCIFACT, "rt") as lines:
        rows = [json.loads(line) for line, _ in zip(lines, range(ABSTRACTS), strict=False)]
    tokenizer = Tokenizer.from_file(str(minilm_path() / "tokenizer.json"))
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    tokenizer.enable_truncation(max_length=256)
    texts = [paper_text(row["title"], row["text"]) for row in rows]
    found = []
    for start in range(0, len(texts), BATCH):
        encoded = tokenizer.encode_batch(texts[start : start + BATCH])
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        types = np.zeros_like(ids)
        found.append({"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
    return found


def pytorch_embeddings(batches) -> np.ndarray:
    """sentence-transformers' recipe: BertModel, mean over real tokens, unit length."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(minilm_path()), attn_implementation="eager").eval()
    found = []
    with torch.no_grad():
        for inputs in batches:
            tensors = {name: torch.from_numpy(value) for name, value in inputs.items()}
            hidden = model(**tensors).last_hidden_state
            mask = tensors["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            found.append(torch.nn.functional.normalize(mean, p=2, dim=1).numpy())
    return np.vstack(found)


def onnx_embeddings(model_bytes: bytes, batches) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    return np.vstack([session.run(["embedding"], inputs)[0] for inputs in batches])


def test_graph_built_without_torch_matches_the_pytorch_model_in_float32(batches):
    graph = build_minilm_graph(minilm_path()).SerializeToString()
    ours, original = onnx_embeddings(graph, batches), pytorch_embeddings(batches)
    assert ours.shape == original.shape == (ABSTRACTS, MiniLMEmbedder.dim)
    cosine = np.sum(ours * original, axis=1) / (
        np.linalg.norm(ours, axis=1) * np.linalg.norm(original, axis=1)
    )
    assert cosine.min() >= 0.9999, f"lowest cosine {cosine.min():.6f}"


def test_int8_model_the_embedder_runs_stays_close_to_the_pytorch_model(batches, tmp_path):
    from dailypapers.search.minilm_graph import write_minilm_onnx

    write_minilm_onnx(tmp_path / "int8.onnx", quantized=True)
    ours = onnx_embeddings((tmp_path / "int8.onnx").read_bytes(), batches)
    cosine = np.sum(ours * pytorch_embeddings(batches), axis=1)
    # Per-channel int8 (per-tensor would fall to ~0.9); the ranking cost is in
    # docs/benchmarks.md (SciFact nDCG@10).
    assert cosine.min() >= 0.98 and cosine.mean() >= 0.99, (cosine.min(), cosine.mean())
