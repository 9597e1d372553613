"""Papers stored with an embedding chosen by the test, for the ranker's database tests."""

from datetime import date

import numpy as np

from dailypapers.papers.models import Paper
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.upserts import upsert_papers
from dailypapers.search.backends import embedder
from dailypapers.search.models import PaperEmbedding

DIM = 384


def vector(seed: int) -> np.ndarray:
    values = np.random.default_rng(seed).normal(size=DIM).astype("<f4")
    return values / np.linalg.norm(values)


def topic_vector(topic: int, seed: int, noise: float = 0.02) -> np.ndarray:
    """A unit vector close to axis ``topic``: papers of one topic are near each other."""
    values = np.random.default_rng(seed).normal(0, noise, DIM).astype("<f4")
    values[topic] += 1
    return values / np.linalg.norm(values)


def store(
    arxiv_id: str,
    published: date,
    *,
    embedded: bool = True,
    seed: int | None = None,
    embedding: np.ndarray | None = None,
    **fields,
) -> None:
    """One paper; its embedding is ``embedding``, else random from ``seed`` (default: the id)."""
    upsert_papers(
        [
            PaperRecord.build(
                arxiv_id=arxiv_id,
                title=fields.pop("title", f"Paper {arxiv_id}"),
                abstract=fields.pop("abstract", "An abstract about graphs."),
                authors=fields.pop("authors", ["Ada Lovelace", "Alan Turing"]),
                published=published,
                categories=fields.pop("categories", ("cs.LG", "stat.ML")),
            )
        ]
    )
    if fields:
        Paper.objects.filter(arxiv_id=arxiv_id).update(**fields)
    if embedded:
        if embedding is None:
            embedding = vector(seed or int(arxiv_id.replace(".", "")))
        PaperEmbedding.objects.create(
            paper_id=arxiv_id, model=embedder().name, text_hash="x", vector=embedding.tobytes()
        )
