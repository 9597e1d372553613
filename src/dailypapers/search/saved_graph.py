"""The HNSW graph ``dailypapers index`` saves for the web workers, as files they map.

For the embedder named M, in the index dir:

- ``M.json``, the description: which files hold the graph, and until when it
  covers the PaperEmbedding table. Replaced atomically (``os.replace``).
- ``M.<stamp>.usearch``: the graph, vectors included; key n is row n.
- ``M.<stamp>.ids.npy``: the arXiv id of each row; ``M.<stamp>.lookup.npy``:
  the ids sorted, each with its row, to find a paper's row by binary search.

Each worker opens them read-only as memory maps: the pages are the page
cache's, so every process of the machine reads one copy (at 1M papers, 1.7 GB
instead of 1.7 GB per worker: docs/benchmarks.md). A new save writes files
under a new stamp before the description names them, so a reader sees the old
graph or the new one; the old files are deleted after, and a worker still
mapping them keeps reading them (Linux frees an unlinked file on its last unmap).
"""

import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from usearch.index import Index

logger = logging.getLogger(__name__)

# Candidates the graph keeps while searching (at least the number asked for).
HNSW_EF = 200
FORMAT = 2  # 1: the ids listed in the description, the graph loaded into each worker


@dataclass(frozen=True)
class SavedGraph:
    """One saved graph, memory-mapped: read-only, shared with the machine's other processes."""

    index: Index
    ids: np.ndarray  # bytes, one per row
    lookup: np.ndarray  # (id, row) sorted by id
    seen_until: datetime
    files: tuple[Path, ...]

    def rows_of(self, paper_ids: list[str]) -> np.ndarray:
        """The row of each paper, -1 for those the graph does not hold."""
        rows = np.full(len(paper_ids), -1, dtype=np.int64)
        width = self.lookup.dtype["id"].itemsize
        # An id longer than the stored ones would be cut to a stored id's length.
        fits = [n for n, paper_id in enumerate(paper_ids) if len(paper_id) <= width]
        if not fits or not len(self.lookup):
            return rows
        wanted = np.array([paper_ids[n].encode() for n in fits], dtype=f"S{width}")
        sorted_ids = self.lookup["id"]
        at = np.minimum(np.searchsorted(sorted_ids, wanted), len(sorted_ids) - 1)
        found = sorted_ids[at] == wanted
        rows[np.array(fits)[found]] = self.lookup["row"][at[found]]
        return rows

    def id_of(self, row: int) -> str:
        return self.ids[row].decode()

    def private_copy(self) -> Index:
        """The graph in this process's memory, to add to: a memory map is read-only."""
        index = Index.restore(self.files[0], view=False)
        index.expansion_search = HNSW_EF
        return index


def stat_key(description: Path) -> tuple[int, int] | None:
    """What changes when the description is replaced; None while there is none."""
    try:
        found = description.stat()
    except FileNotFoundError:
        return None
    return found.st_ino, found.st_mtime_ns


def open_saved(description: Path) -> SavedGraph | None:
    """Map the graph the description names, or None if there is none this version reads."""
    # The indexer replaces the files and then deletes the old ones: a reader caught
    # in between reads the description again.
    for _ in range(3):
        try:
            meta = json.loads(description.read_text())
            if meta.get("format") != FORMAT:
                raise ValueError("saved by an earlier version: `dailypapers index` replaces it")
            directory = description.parent
            files = tuple(directory / meta[part] for part in ("graph", "ids", "lookup"))
            index = Index.restore(files[0], view=True)
            if index is None:
                raise ValueError(f"{meta['graph']} is not a usearch index")
            ids = np.load(files[1], mmap_mode="r")
            lookup = np.load(files[2], mmap_mode="r")
        except FileNotFoundError:
            if not description.exists():
                return None
            logger.info("the vector graph was replaced while being opened; opening it again")
            continue
        except (RuntimeError, ValueError, KeyError) as error:
            logger.warning("could not open the vector graph: %s", error)
            return None
        index.expansion_search = HNSW_EF  # not kept in the file
        return SavedGraph(index, ids, lookup, datetime.fromisoformat(meta["seen_until"]), files)
    return None


def save(description: Path, index: Index, ids: np.ndarray, seen_until: datetime) -> None:
    """Write the graph and its ids under a new stamp, then name them in the description."""
    directory = description.parent
    directory.mkdir(parents=True, exist_ok=True)
    stamp = f"{description.stem}.{time.time_ns()}"
    names = {
        "graph": f"{stamp}.usearch",
        "ids": f"{stamp}.ids.npy",
        "lookup": f"{stamp}.lookup.npy",
    }
    index.save(directory / names["graph"])
    np.save(directory / names["ids"], ids)
    order = np.argsort(ids, kind="stable")
    lookup = np.empty(len(ids), dtype=[("id", ids.dtype), ("row", np.int64)])
    lookup["id"], lookup["row"] = ids[order], order
    np.save(directory / names["lookup"], lookup)
    previous = _files_named(description)
    partial = directory / f"{description.stem}.{os.getpid()}.partial"
    partial.write_text(
        json.dumps({"format": FORMAT, **names, "seen_until": seen_until.isoformat()})
    )
    os.replace(partial, description)
    for old in previous - {directory / name for name in names.values()}:
        old.unlink(missing_ok=True)


def _files_named(description: Path) -> set[Path]:
    """The files the current description names, whatever its format (1 named its graph only)."""
    try:
        meta = json.loads(description.read_text())
    except (FileNotFoundError, ValueError):
        return set()
    return {
        description.parent / meta[part]
        for part in ("graph", "ids", "lookup")
        if isinstance(meta.get(part), str)
    }
