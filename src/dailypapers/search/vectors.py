"""Nearest-neighbour search over paper embeddings, inside the web process.

Exact cosine scan (one matrix product) while the catalog is small enough for
it to be fast; an HNSW graph (hnswlib) beyond HNSW_FROM vectors. The index
follows the PaperEmbedding table incrementally: rows updated since the last
look are added or replaced.
"""

import threading
import time
from datetime import datetime

import numpy as np

from .models import PaperEmbedding

# At 100k vectors an exact scan takes a few ms on 2 cores; at 1M it takes ~100 ms.
HNSW_FROM = 200_000
REFRESH_EVERY = 5.0  # seconds between looks for new embeddings


class InProcessVectors:
    def __init__(self, model: str, dim: int, hnsw_from: int = HNSW_FROM):
        self.model, self.dim, self.hnsw_from = model, dim, hnsw_from
        self.ids: list[str] = []
        self.rows: dict[str, int] = {}
        self.matrix = np.empty((0, dim), dtype=np.float32)
        self.hnsw = None
        self._seen_until: datetime | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked_at < REFRESH_EVERY:
            return
        with self._lock:
            self._checked_at = now
            rows = PaperEmbedding.objects.filter(model=self.model).order_by("updated_at")
            if self._seen_until is not None:
                rows = rows.filter(updated_at__gte=self._seen_until)
            fresh_ids, fresh = [], []
            for paper_id, vector, updated_at in rows.values_list(
                "paper_id", "vector", "updated_at"
            ).iterator(chunk_size=5000):
                fresh_ids.append(paper_id)
                fresh.append(np.frombuffer(vector, dtype="<f4"))
                self._seen_until = updated_at
            if fresh_ids:
                self._add(fresh_ids, np.vstack(fresh))

    def _add(self, ids: list[str], vectors: np.ndarray) -> None:
        new = [i for i, paper_id in enumerate(ids) if paper_id not in self.rows]
        for i, paper_id in enumerate(ids):
            if paper_id in self.rows:  # re-embedded after its text changed
                self.matrix[self.rows[paper_id]] = vectors[i]
        if new:
            start = len(self.ids)
            self.matrix = np.vstack([self.matrix, vectors[new]])
            for n, i in enumerate(new):
                self.rows[ids[i]] = start + n
                self.ids.append(ids[i])
        if len(self.ids) >= self.hnsw_from:
            self._update_hnsw(ids, vectors)

    def _update_hnsw(self, ids: list[str], vectors: np.ndarray) -> None:
        import hnswlib

        if self.hnsw is None:
            self.hnsw = hnswlib.Index(space="ip", dim=self.dim)
            self.hnsw.init_index(max_elements=len(self.ids) * 2, ef_construction=100, M=16)
            self.hnsw.add_items(self.matrix, np.arange(len(self.ids)))
        else:
            if len(self.ids) > self.hnsw.get_max_elements():
                self.hnsw.resize_index(len(self.ids) * 2)
            self.hnsw.add_items(vectors, [self.rows[pid] for pid in ids])
        self.hnsw.set_ef(100)

    @property
    def description(self) -> str:
        kind = "HNSW graph (hnswlib)" if self.hnsw is not None else "exact scan"
        return f"in-process index, {kind}"

    def is_empty(self) -> bool:
        self.refresh()
        return not self.ids

    def vector_of(self, paper_id: str) -> np.ndarray | None:
        self.refresh()
        row = self.rows.get(paper_id)
        return None if row is None else self.matrix[row]

    def search(self, vector: np.ndarray, limit: int) -> list[tuple[str, float]]:
        """The ``limit`` nearest papers as (arxiv id, cosine similarity), best first."""
        self.refresh()
        if not self.ids:
            return []
        limit = min(limit, len(self.ids))
        if self.hnsw is not None:
            labels, distances = self.hnsw.knn_query(vector, k=limit)
            return [
                (self.ids[row], 1.0 - float(d))
                for row, d in zip(labels[0], distances[0], strict=True)
            ]
        scores = self.matrix @ vector
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[np.argsort(-scores[top])]
        return [(self.ids[row], float(scores[row])) for row in top]
