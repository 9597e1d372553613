"""Nearest-neighbour search over paper embeddings, inside the web process.

An exact cosine scan (one matrix product) while the catalog is small; from
HNSW_FROM vectors on, an HNSW graph (usearch). Building the graph takes a
while, so web workers never do it: ``dailypapers index`` builds it and saves it
to the index dir (``save_graph()``), and every process loads the saved graph
once and follows the PaperEmbedding table from there. Until a graph is saved,
workers scan exactly, whatever the size.

Either way the index follows the table incrementally: rows updated since the
last look are added or replaced.
"""

import json
import logging
import os
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import numpy as np
from usearch.index import Index

from .models import PaperEmbedding

logger = logging.getLogger(__name__)

# An exact scan of 100k vectors costs a worker ~12 ms of CPU per query, the
# graph under 1 ms at recall@100 0.97 (docs/benchmarks.md); small catalogs
# (SciFact's 5k, for relevance benchmarks) keep the exact scan.
HNSW_FROM = 50_000
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 100
# Candidates the graph keeps while searching (at least the number asked for).
HNSW_EF = 200
REFRESH_EVERY = 5.0  # seconds between looks for new embeddings


class InProcessVectors:
    def __init__(
        self, model: str, dim: int, graph_dir: Path | None = None, hnsw_from: int | None = None
    ):
        self.model, self.dim = model, dim
        # Only the indexer uses it (save_graph): web workers follow the saved graph.
        self.hnsw_from = HNSW_FROM if hnsw_from is None else hnsw_from
        # The saved graph: `<model>.json` (ids, what it covers) names the graph file.
        self._meta_file = graph_dir / f"{model.replace('/', '-')}.json" if graph_dir else None
        self.ids: list[str] = []
        self.rows: dict[str, int] = {}
        # Exact-scan mode: the vectors, one row each. Graph mode: the graph holds them.
        self.matrix = np.empty((0, dim), dtype=np.float32)
        self.hnsw: Index | None = None
        self._seen_until: datetime | None = None
        self._saved_until: datetime | None = None
        self._checked_at = 0.0
        # A replaced vector is removed, then added: no search may see the gap between.
        self._lock = threading.Lock()

    def refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked_at < REFRESH_EVERY:
            return
        with self._lock:
            self._checked_at = now
            if self.hnsw is None:
                self._load_graph()
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
        start = len(self.ids)
        new = [i for i, paper_id in enumerate(ids) if paper_id not in self.rows]
        for n, i in enumerate(new):
            self.rows[ids[i]] = start + n
        self.ids.extend(ids[i] for i in new)
        if self.hnsw is not None:
            self._add_to_graph(ids, vectors, start)
            return
        for i, paper_id in enumerate(ids):
            if (row := self.rows[paper_id]) < start:  # re-embedded after its text changed
                self.matrix[row] = vectors[i]
        if new:
            self.matrix = np.vstack([self.matrix, vectors[new]])

    def _add_to_graph(self, ids: list[str], vectors: np.ndarray, start: int) -> None:
        keys = np.array([self.rows[paper_id] for paper_id in ids], dtype=np.uint64)
        # Rows are re-read from the last timestamp seen (a saved graph's too), and
        # updating a node in the graph is costly: skip vectors it already holds.
        known = np.flatnonzero(keys < start)
        if len(known):
            held = np.vstack(self.hnsw.get(keys[known]))
            changed = ~np.all(held == vectors[known], axis=1)
            keep = np.ones(len(ids), dtype=bool)
            keep[known[~changed]] = False
            # A re-embedded paper: its old node goes, the new vector comes in under its key.
            self.hnsw.remove(keys[known[changed]])
            keys, vectors = keys[keep], vectors[keep]
        if len(keys):
            self.hnsw.add(keys, vectors)

    # The saved graph

    def _load_graph(self) -> None:
        """Switch to the graph `dailypapers index` saved, if there is one."""
        if self._meta_file is None or not self._meta_file.exists():
            return
        # The indexer replaces the graph file and then deletes the old one: a
        # reader caught in between reads the description again.
        for _ in range(3):
            try:
                meta = json.loads(self._meta_file.read_text())
                index = Index.restore(self._meta_file.parent / meta["graph"])
                if index is None:
                    raise ValueError(f"{meta['graph']} is not a usearch index")
                break
            except (FileNotFoundError, RuntimeError, ValueError) as error:
                logger.warning("could not load the vector graph: %s", error)
        else:
            return
        index.expansion_search = HNSW_EF  # not kept in the file
        # In this order, so that a search scanning exactly meanwhile (without the
        # lock) never pairs the old matrix with the new ids: see search().
        self.matrix = np.empty((0, self.dim), dtype=np.float32)
        self.ids = meta["ids"]
        self.rows = {paper_id: row for row, paper_id in enumerate(self.ids)}
        self.hnsw = index
        self._seen_until = self._saved_until = datetime.fromisoformat(meta["seen_until"])

    def save_graph(self) -> bool:
        """Bring the index level with the table and save its graph for the web workers.

        Builds the graph first when there is none and the index has reached
        HNSW_FROM vectors. Returns whether a graph was written.
        """
        self.refresh(force=True)
        with self._lock:
            if self._meta_file is None or self._seen_until is None:
                return False
            if self.hnsw is None:
                if len(self.ids) < self.hnsw_from:
                    return False
                self._build_graph()
            if self._saved_until == self._seen_until:
                return False
            self._meta_file.parent.mkdir(parents=True, exist_ok=True)
            partial = self._meta_file.parent / f"{self._meta_file.stem}.{os.getpid()}.partial"
            previous = (
                json.loads(self._meta_file.read_text())["graph"]
                if self._meta_file.exists()
                else None
            )
            graph = f"{self._meta_file.stem}.{time.time_ns()}.usearch"
            self.hnsw.save(self._meta_file.parent / graph)
            meta = {"graph": graph, "seen_until": self._seen_until.isoformat(), "ids": self.ids}
            partial.write_text(json.dumps(meta))
            # Atomic: readers see the old graph or the new one, never half of one.
            os.replace(partial, self._meta_file)
            if previous and previous != graph:
                (self._meta_file.parent / previous).unlink(missing_ok=True)
            self._saved_until = self._seen_until
            return True

    def _build_graph(self) -> None:
        # Inner product of unit vectors: the distance is 1 - cosine.
        index = Index(
            ndim=self.dim,
            metric="ip",
            dtype="f32",
            connectivity=HNSW_M,
            expansion_add=HNSW_EF_CONSTRUCTION,
            expansion_search=HNSW_EF,
        )
        index.add(np.arange(len(self.ids), dtype=np.uint64), self.matrix)
        self.hnsw, self.matrix = index, np.empty((0, self.dim), dtype=np.float32)

    # Reading

    @property
    def description(self) -> str:
        kind = "HNSW graph (usearch)" if self.hnsw is not None else "exact scan"
        return f"in-process index, {kind}"

    def is_empty(self) -> bool:
        self.refresh()
        return not self.ids

    def embedded(self, paper_ids: Iterable[str]) -> set[str]:
        """Those of ``paper_ids`` the index holds."""
        self.refresh()
        rows = self.rows
        return {paper_id for paper_id in paper_ids if paper_id in rows}

    def vector_of(self, paper_id: str) -> np.ndarray | None:
        self.refresh()
        row = self.rows.get(paper_id)
        if row is None:
            return None
        if self.hnsw is None:
            return self.matrix[row]
        with self._lock:
            return self.hnsw.get(row)

    def search(self, vector: np.ndarray, limit: int) -> list[tuple[str, float]]:
        """The ``limit`` nearest papers as (arxiv id, cosine similarity), best first."""
        self.refresh()
        if self.hnsw is not None:
            with self._lock:
                limit = min(limit, len(self.ids))
                if not limit:
                    return []
                found = self.hnsw.search(vector, limit)
                return [
                    (self.ids[row], 1.0 - float(d))
                    for row, d in zip(found.keys, found.distances, strict=True)
                ]
        # Ids first: they only grow in place, and _load_graph() empties the matrix
        # before replacing them, so every row of this matrix has its id in this list.
        ids, matrix = self.ids, self.matrix
        limit = min(limit, len(matrix))
        if not limit:
            return []
        scores = matrix @ vector
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[np.argsort(-scores[top])]
        return [(ids[row], float(scores[row])) for row in top]
