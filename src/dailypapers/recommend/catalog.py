"""The catalog's papers as the ranker takes them: a window's candidates, a reader's papers.

The one module of ``recommend`` that reads the database. Preparing a window for
ranking (``CandidatePool``: its papers' words analysed, its covariance) takes ~0.3 ms
a paper, so each process keeps the pools it made and prepares one again only when
a paper or an embedding of the window changed, or after ``POOL_SECONDS``: upvotes,
which the community knob reads, change without touching a paper's row.
"""

import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

import numpy as np
from django.db.models import Count, Max

from dailypapers.papers.models import Authorship, Paper
from dailypapers.search.backends import embedding_model_name
from dailypapers.search.models import PaperEmbedding

from .profile import Candidate, ProfilePaper
from .ranker import CandidatePool

# "For you" ranks the last week of arXiv papers unless asked for another window.
WINDOW_DAYS = 7
# Longer windows are refused: a year of papers would take seconds and memory to prepare.
MAX_WINDOW_DAYS = 31
POOL_SECONDS = 300
POOLS_KEPT = 4


def default_window(days: int = WINDOW_DAYS, today: date | None = None) -> tuple[date, date] | None:
    """The last ``days`` days of papers, ending on the newest first-published day in the
    catalog (not the clock: an imported archive or a quiet week still has a feed).
    None while the catalog has no dated paper."""
    papers = Paper.objects.visible().filter(published__isnull=False)
    if today is not None:
        papers = papers.filter(published__lte=today)
    newest = papers.order_by("-published").values_list("published", flat=True).first()
    return (newest - timedelta(days=days - 1), newest) if newest else None


def _vectors(arxiv_ids: Iterable[str]) -> dict[str, np.ndarray]:
    rows = PaperEmbedding.objects.filter(model=embedding_model_name(), paper_id__in=arxiv_ids)
    return {
        pid: np.frombuffer(blob, dtype="<f4")
        for pid, blob in rows.values_list("paper_id", "vector")
    }


def _window_papers(since: date, until: date):
    return Paper.objects.visible().filter(published__gte=since, published__lte=until)


def candidates(since: date, until: date) -> list[Candidate]:
    """The visible papers first published from ``since`` to ``until`` (both included)."""
    papers = list(
        _window_papers(since, until)
        .order_by("published", "arxiv_id")
        .values_list(
            "arxiv_id",
            "title",
            "abstract",
            "categories",
            "organization__name",
            "published",
            "upvotes",
        )
    )
    ids = [row[0] for row in papers]
    vectors = _vectors(ids)
    authors: dict[str, list[str]] = defaultdict(list)
    authorships = Authorship.objects.filter(paper_id__in=ids).order_by("paper_id", "position")
    for paper_id, name in authorships.values_list("paper_id", "author__name"):
        authors[paper_id].append(name)
    return [
        Candidate(
            arxiv_id,
            title,
            abstract,
            vectors.get(arxiv_id),
            categories=categories.split(),
            authors=authors[arxiv_id],
            organization=organization or "",
            published=published,
            upvotes=upvotes,
        )
        for arxiv_id, title, abstract, categories, organization, published, upvotes in papers
    ]


def profile_papers(arxiv_ids: Iterable[str]) -> list[ProfilePaper]:
    """The papers of a reader's upvotes, saves or dismissals, in the order given; ids the
    catalog lacks are left out."""
    wanted = list(dict.fromkeys(arxiv_ids))
    found = {
        arxiv_id: (title, abstract)
        for arxiv_id, title, abstract in Paper.objects.filter(arxiv_id__in=wanted).values_list(
            "arxiv_id", "title", "abstract"
        )
    }
    vectors = _vectors(found)
    return [
        ProfilePaper(arxiv_id, *found[arxiv_id], vectors.get(arxiv_id))
        for arxiv_id in wanted
        if arxiv_id in found
    ]


class _Pools:
    def __init__(self):
        self.kept: OrderedDict[tuple[date, date], tuple[tuple, float, CandidatePool]] = (
            OrderedDict()
        )
        self.lock = threading.Lock()

    def get(self, since: date, until: date) -> CandidatePool:
        if until < since:
            raise ValueError(f"the window ends ({until}) before it starts ({since})")
        if (until - since).days + 1 > MAX_WINDOW_DAYS:
            raise ValueError(f"a window is at most {MAX_WINDOW_DAYS} days long")
        state = self._state(since, until)
        with self.lock:
            kept = self.kept.get((since, until))
            if kept and kept[0] == state and time.monotonic() - kept[1] < POOL_SECONDS:
                self.kept.move_to_end((since, until))
                return kept[2]
            pool = CandidatePool(candidates(since, until))
            self.kept[(since, until)] = (state, time.monotonic(), pool)
            while len(self.kept) > POOLS_KEPT:
                self.kept.popitem(last=False)
            return pool

    @staticmethod
    def _state(since: date, until: date) -> tuple:
        """What changes when a paper of the window, or its embedding, does."""
        return tuple(
            _window_papers(since, until)
            .aggregate(
                papers=Count("arxiv_id"),
                changed=Max("changed_at"),
                embedded=Count("embedding"),
                embedded_at=Max("embedding__updated_at"),
            )
            .values()
        )

    def clear(self) -> None:
        with self.lock:
            self.kept.clear()


_pools = _Pools()


def pool(since: date, until: date) -> CandidatePool:
    """The window's papers prepared for ranking, shared by the process's readers.

    Raises ValueError (a message for the reader) for a window that ends before it
    starts or is longer than ``MAX_WINDOW_DAYS``.
    """
    return _pools.get(since, until)


def forget_pools() -> None:
    """Drop every prepared window (tests; a process that changed papers and wants them now)."""
    _pools.clear()
