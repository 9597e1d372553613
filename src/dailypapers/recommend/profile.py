"""What the ranker knows of a reader, and of the papers it ranks: plain values, no database.

The callers (pages, API, digests) gather these from their models; the ranker
(``ranker.py``) never reads the database, so the benchmark and the site share it.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import numpy as np

from .words import document_frequency


@dataclass(frozen=True)
class ProfilePaper:
    """A paper the reader upvoted or saved (liked), or dismissed."""

    arxiv_id: str
    title: str
    abstract: str
    # float32, L2-normalised (search.models.PaperEmbedding); None while not embedded:
    # its words still count.
    vector: np.ndarray | None = None
    # Its distinct terms' numbers as the indexer stored them with the embedding
    # (search.models.PaperEmbedding.terms); None: the title and abstract are analysed.
    terms: bytes | None = None


@dataclass(frozen=True)
class Follows:
    """What the reader follows. Names and organizations match case-insensitively.

    A category is an arXiv category (``cs.LG``) or a whole archive (``cs``); a query
    matches a paper whose title or abstract holds every one of its words.
    """

    categories: frozenset[str] = frozenset()
    organizations: frozenset[str] = frozenset()
    authors: frozenset[str] = frozenset()
    queries: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.categories or self.organizations or self.authors or self.queries)


@dataclass(frozen=True)
class Profile:
    """Everything the ranker learns from. Every part may be empty (a new reader).

    Muted words (a word or a phrase, matched like search matches words: "LLM"
    mutes "LLMs") and muted authors remove papers before ranking; so do the
    dismissed papers themselves, the liked ones, and ``seen`` (read, or already
    sent in a digest). Its words are counted on first use and kept with it (and each
    paper's terms per process, ``words.paper_terms``).
    """

    liked: Sequence[ProfilePaper] = ()
    dismissed: Sequence[ProfilePaper] = ()
    follows: Follows = field(default_factory=Follows)
    muted_words: Sequence[str] = ()
    muted_authors: Sequence[str] = ()
    seen: frozenset[str] = frozenset()

    @cached_property
    def liked_terms(self) -> tuple[np.ndarray, np.ndarray]:
        """The liked papers' terms (``words.term_numbers``) and how many papers hold each."""
        return document_frequency(
            ((p.arxiv_id, f"{p.title} {p.abstract}") for p in self.liked if p.terms is None),
            stored=[p.terms for p in self.liked if p.terms is not None],
        )

    @cached_property
    def excluded(self) -> frozenset[str]:
        """Papers never returned: the reader already has them, or said no to them."""
        return self.seen | {p.arxiv_id for p in self.liked} | {p.arxiv_id for p in self.dismissed}


@dataclass(frozen=True)
class Candidate:
    """A paper that may be recommended (one of the window's)."""

    arxiv_id: str
    title: str
    abstract: str
    vector: np.ndarray | None = None
    categories: Sequence[str] = ()
    authors: Sequence[str] = ()
    organization: str = ""
    published: date | None = None
    upvotes: int = 0
