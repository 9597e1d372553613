"""Nearest-neighbour search over paper embeddings, inside the web process.

An exact cosine scan (one matrix product) while the catalog is small; from
HNSW_FROM vectors on, an HNSW graph (usearch). Building the graph takes a
while, so web workers never do it: ``dailypapers index`` builds it and saves it
to the index dir (``save_graph()``), and every process maps the saved graph
(search/saved_graph.py: one copy per machine, whatever the number of workers).
Until a graph is saved, workers scan exactly, whatever the size.

A mapped graph is read-only: the embeddings stored since it was saved (new
papers, re-embedded ones) are the delta, held by each process and scanned
exactly beside the graph; a re-embedded paper's node in the graph is passed
over. The delta follows the PaperEmbedding table incrementally, and each save
folds it into a new graph, which every process maps on its next look.
"""

import logging
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import numpy as np
from usearch.index import Index

from . import saved_graph
from .models import PaperEmbedding
from .saved_graph import HNSW_EF, SavedGraph

logger = logging.getLogger(__name__)

# An exact scan of 100k vectors costs a worker ~12 ms of CPU per query, the
# graph under 1 ms at recall@100 0.97 (docs/benchmarks.md); small catalogs
# (SciFact's 5k, for relevance benchmarks) keep the exact scan.
HNSW_FROM = 50_000
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 100
# A save writes the whole graph (1.7 GB at 1M) and the indexer runs every minute: it waits
# until the delta, which every process scans exactly, holds this share of the graph's size
# (10,000 vectors at 1M: ~1 ms of scan, 15 MB per process).
FOLD_FROM = 0.01
REFRESH_EVERY = 5.0  # seconds between looks for new embeddings and a newly saved graph


class InProcessVectors:
    def __init__(
        self, model: str, dim: int, graph_dir: Path | None = None, hnsw_from: int | None = None
    ):
        self.model, self.dim = model, dim
        # Only the indexer uses it (save_graph): web workers follow the saved graph.
        self.hnsw_from = HNSW_FROM if hnsw_from is None else hnsw_from
        self._description = graph_dir / f"{model.replace('/', '-')}.json" if graph_dir else None
        self._described: tuple[int, int] | None = None  # the description last opened
        self.graph: SavedGraph | None = None
        # The delta: embeddings the graph lacks or holds an older vector of, one row each.
        self.ids: list[str] = []
        self.rows: dict[str, int] = {}
        self.matrix = np.empty((0, dim), dtype=np.float32)
        # Rows of the graph whose paper has a newer vector in the delta (copied on write).
        self._stale: frozenset[int] = frozenset()
        self._seen_until: datetime | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """How many papers the index holds."""
        with self._lock:
            in_graph = len(self.graph.ids) if self.graph is not None else 0
            return in_graph + len(self.ids) - len(self._stale)

    def refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked_at < REFRESH_EVERY:
            return
        with self._lock:
            self._checked_at = now
            if self._description is not None:
                self._follow_saved_graph()
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

    def _follow_saved_graph(self) -> None:
        """Map the graph the indexer saved last, if it is not the one mapped already."""
        described = saved_graph.stat_key(self._description)
        if described is None or described == self._described:
            return
        graph = saved_graph.open_saved(self._description)
        self._described = described
        if graph is None:
            return
        # New objects rather than emptied ones: a search running meanwhile (without
        # the lock) keeps the graph and the delta it started with. See search().
        self.graph = graph
        self.ids, self.rows = [], {}
        self.matrix = np.empty((0, self.dim), dtype=np.float32)
        self._stale = frozenset()
        # Rows are re-read from the graph's last timestamp: those it holds already are
        # passed over in _add().
        self._seen_until = graph.seen_until

    def _add(self, ids: list[str], vectors: np.ndarray) -> None:
        graph = self.graph
        if graph is not None:
            in_graph = graph.rows_of(ids)
            held = np.flatnonzero(in_graph >= 0)
            if len(held):
                held_vectors = graph.index.get(in_graph[held].astype(np.uint64))
                changed = ~np.all(held_vectors == vectors[held], axis=1)
                self._stale = self._stale | frozenset(int(r) for r in in_graph[held[changed]])
                keep = np.ones(len(ids), dtype=bool)
                keep[held[~changed]] = False
                ids = [paper_id for paper_id, kept in zip(ids, keep, strict=True) if kept]
                vectors = vectors[keep]
        start = len(self.ids)
        new = [i for i, paper_id in enumerate(ids) if paper_id not in self.rows]
        for n, i in enumerate(new):
            self.rows[ids[i]] = start + n
        for i, paper_id in enumerate(ids):
            if (row := self.rows[paper_id]) < start:  # re-embedded after its text changed
                self.matrix[row] = vectors[i]
        # Ids first, then the matrix: every row of a matrix a search holds has its id.
        self.ids.extend(ids[i] for i in new)
        if new:
            self.matrix = np.vstack([self.matrix, vectors[new]])

    # Saving the graph

    def save_graph(self) -> bool:
        """Bring the index level with the table and save its graph for the web workers.

        Builds the graph first when there is none and the index has reached
        HNSW_FROM vectors; else folds the delta into a copy of the saved graph, once
        the delta has reached FOLD_FROM of its size. Returns whether a graph was written.
        """
        self.refresh(force=True)
        with self._lock:
            if self._description is None or not self.ids:
                return False
            if self.graph is None and len(self.ids) < self.hnsw_from:
                return False
            if self.graph is not None and len(self.ids) < FOLD_FROM * len(self.graph.ids):
                return False
            index, ids = self._graph_with_delta()
            saved_graph.save(self._description, index, ids, self._seen_until)
            del index  # this process maps the saved file, as the workers do
            self._follow_saved_graph()
            return True

    def _graph_with_delta(self) -> tuple[Index, np.ndarray]:
        delta_ids = np.array(self.ids, dtype=bytes)
        if self.graph is None:
            index = Index(
                ndim=self.dim,
                # Inner product of unit vectors: the distance is 1 - cosine.
                metric="ip",
                dtype="f32",
                connectivity=HNSW_M,
                expansion_add=HNSW_EF_CONSTRUCTION,
                expansion_search=HNSW_EF,
            )
            index.add(np.arange(len(self.ids), dtype=np.uint64), self.matrix)
            return index, delta_ids
        index = self.graph.private_copy()
        in_graph = self.graph.rows_of(self.ids)
        replaced = in_graph >= 0
        keys = in_graph.copy()
        keys[~replaced] = len(self.graph.ids) + np.arange(np.count_nonzero(~replaced))
        # A re-embedded paper: its old node goes, the new vector comes in under its row.
        index.remove(keys[replaced].astype(np.uint64))
        index.add(keys.astype(np.uint64), self.matrix)
        return index, np.concatenate([self.graph.ids, delta_ids[~replaced]])

    # Reading

    @property
    def description(self) -> str:
        kind = "HNSW graph (usearch)" if self.graph is not None else "exact scan"
        return f"in-process index, {kind}"

    def is_empty(self) -> bool:
        self.refresh()
        return not self.size

    def embedded(self, paper_ids: Iterable[str]) -> set[str]:
        """Those of ``paper_ids`` the index holds."""
        self.refresh()
        paper_ids = list(paper_ids)
        graph, rows = self.graph, self.rows
        found = {paper_id for paper_id in paper_ids if paper_id in rows}
        if graph is not None and paper_ids:
            in_graph = graph.rows_of(paper_ids)
            found.update(p for p, row in zip(paper_ids, in_graph, strict=True) if row >= 0)
        return found

    def vector_of(self, paper_id: str) -> np.ndarray | None:
        self.refresh()
        with self._lock:
            if (row := self.rows.get(paper_id)) is not None:
                return self.matrix[row]
            if self.graph is None or (row := int(self.graph.rows_of([paper_id])[0])) < 0:
                return None
            return self.graph.index.get(row)

    def search(self, vector: np.ndarray, limit: int) -> list[tuple[str, float]]:
        """The ``limit`` nearest papers as (arxiv id, cosine similarity), best first."""
        self.refresh()
        with self._lock:
            graph, stale, ids, matrix = self.graph, self._stale, self.ids, self.matrix
        found = self._scan(ids, matrix, vector, limit)
        if graph is not None:
            # Room for the graph's stale nodes, which are passed over.
            wanted = min(limit + len(stale), len(graph.ids))
            if wanted:
                near = graph.index.search(vector, wanted)
                found += [
                    (graph.id_of(row), 1.0 - float(d))
                    for row, d in zip(near.keys, near.distances, strict=True)
                    if int(row) not in stale
                ]
        return sorted(found, key=lambda hit: -hit[1])[:limit]

    @staticmethod
    def _scan(
        ids: list[str], matrix: np.ndarray, vector: np.ndarray, limit: int
    ) -> list[tuple[str, float]]:
        limit = min(limit, len(matrix))
        if not limit:
            return []
        scores = matrix @ vector
        top = np.argpartition(-scores, limit - 1)[:limit]
        return [(ids[row], float(scores[row])) for row in top]
