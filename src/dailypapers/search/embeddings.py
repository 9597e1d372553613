"""What search asks of an embedding model (``Embedder``), and the caches around whichever
one the ``EMBEDDER`` setting names (``backends.embedder()``)."""

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

QUERY_CACHE_SIZE = 1024


class Embedder(Protocol):
    """An embedding model, as search uses it.

    Made with no arguments (a settings-chosen class, like Django's backends), and
    cheaply: it loads its model on first use, since processes that only need
    ``name`` and ``dim`` (an import, a paper page's similar papers) make one too.
    """

    # What the vectors are stored under: another name means another set of vectors,
    # so it must change whenever the vectors would (model, truncation, dimension).
    name: str
    # The length of every vector.
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row of ``dim`` per text."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """The query's L2-normalised float32 vector, of ``dim`` values."""
        ...


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


class CachingEmbedder:
    """An embedder with the embedding cache (documents) and a query cache around it.

    Also an ``Embedder``. Vectors of the wrong shape are refused here, before they
    are stored: the vector indexes take ``dim`` on trust.
    """

    def __init__(self, embedder: Embedder, cache: EmbeddingCache | None = None):
        self.embedder, self.cache = embedder, cache
        self.name, self.dim = embedder.name, embedder.dim
        # Queries repeat (popular searches, feeds polled, pages of one search):
        # each is embedded once per process. ``embed_query.cache_clear()`` forgets them.
        self.embed_query = lru_cache(maxsize=QUERY_CACHE_SIZE)(self._embed_query)

    def _checked(self, vectors: np.ndarray, count: int) -> np.ndarray:
        if vectors.shape != (count, self.dim):
            raise ValueError(
                f"embedder {self.name} made vectors of shape {vectors.shape}, "
                f"not ({count}, {self.dim})"
            )
        return vectors.astype(np.float32, copy=False)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        if self.cache is None:
            return self._checked(self.embedder.embed_documents(texts), len(texts))
        hashes = [text_hash(t) for t in texts]
        cached = self.cache.get(self.name, hashes)
        todo = [i for i, h in enumerate(hashes) if h not in cached]
        fresh = self._checked(self.embedder.embed_documents([texts[i] for i in todo]), len(todo))
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
        vector = self._checked(self.embedder.embed_query(text)[np.newaxis], 1)[0]
        vector.setflags(write=False)
        return vector
