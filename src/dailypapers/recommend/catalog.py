"""The catalog's papers as the ranker takes them: a window's candidates, a reader's papers.

The one module of ``recommend`` that reads the database. Preparing a window for
ranking (``CandidatePool``: its papers' words analysed, its covariance) takes ~0.3 ms
a paper, so each process keeps the pools it made and prepares one again only when
a paper or an embedding of the window changed (looked at every ``CHECK_SECONDS``),
or after ``POOL_SECONDS``: upvotes, which the community knob reads, change without
touching a paper's row.
"""

import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

import numpy as np
from django.db.models import BinaryField, Case, Count, F, Max, Q, TextField, Value, When

from dailypapers.papers.models import Authorship, Paper
from dailypapers.search.backends import embedder

from .profile import Candidate, ProfilePaper
from .ranker import CandidatePool

# "For you" ranks the last week of arXiv papers unless asked for another window.
WINDOW_DAYS = 7
# Longer windows are refused: a year of papers would take seconds and memory to prepare.
MAX_WINDOW_DAYS = 31
POOL_SECONDS = 300
# A kept pool is checked against the database at most this often (the check is a few
# milliseconds of a page's fifty): a new paper or embedding shows within seconds.
CHECK_SECONDS = 5.0
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


def _vector(blob: bytes | None, model: str | None, current: str) -> np.ndarray | None:
    # A vector of another model is being redone: the paper counts as not embedded yet.
    return np.frombuffer(blob, dtype="<f4") if blob is not None and model == current else None


def _bytes(blob: bytes | memoryview | None) -> bytes | None:
    # SQLite's driver gives bytes, psycopg's a memoryview.
    return None if blob is None else bytes(blob)


def _window_papers(since: date, until: date):
    return Paper.objects.visible().filter(published__gte=since, published__lte=until)


def candidates(since: date, until: date) -> list[Candidate]:
    """The visible papers first published from ``since`` to ``until`` (both included)."""
    current = embedder().name
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
            "embedding__vector",
            "embedding__model",
        )
    )
    authors: dict[str, list[str]] = defaultdict(list)
    authorships = Authorship.objects.filter(paper__in=_window_papers(since, until)).order_by(
        "paper_id", "position"
    )
    for paper_id, name in authorships.values_list("paper_id", "author__name"):
        authors[paper_id].append(name)
    return [
        Candidate(
            arxiv_id,
            title,
            abstract,
            _vector(blob, model, current),
            categories=categories.split(),
            authors=authors[arxiv_id],
            organization=organization or "",
            published=published,
            upvotes=upvotes,
        )
        for (
            arxiv_id,
            title,
            abstract,
            categories,
            organization,
            published,
            upvotes,
            blob,
            model,
        ) in papers
    ]


def profile_papers(arxiv_ids: Iterable[str]) -> list[ProfilePaper]:
    """The papers of a reader's upvotes, saves or dismissals, in the order given; ids the
    catalog lacks are left out."""
    wanted = list(dict.fromkeys(arxiv_ids))
    current = embedder().name
    # Terms stored before the paper's last change are of its old text: analyse it.
    fresh = Q(embedding__terms__isnull=False, embedding__updated_at__gte=F("changed_at"))
    rows = (
        Paper.objects.filter(arxiv_id__in=wanted)
        .annotate(
            stored_terms=Case(When(fresh, then="embedding__terms"), output_field=BinaryField()),
            # Read only when analysed: the abstracts of 500 papers are half a megabyte.
            text=Case(When(fresh, then=Value("")), default="abstract", output_field=TextField()),
        )
        .values_list(
            "arxiv_id", "title", "text", "embedding__vector", "embedding__model", "stored_terms"
        )
    )
    found = {
        arxiv_id: ProfilePaper(
            arxiv_id, title, abstract, _vector(blob, model, current), _bytes(terms)
        )
        for arxiv_id, title, abstract, blob, model, terms in rows
    }
    return [found[arxiv_id] for arxiv_id in wanted if arxiv_id in found]


class _Pools:
    def __init__(self):
        # (since, until) -> [state, prepared at, checked at, pool]
        self.kept: OrderedDict[tuple[date, date], list] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, since: date, until: date) -> tuple[CandidatePool, tuple]:
        if until < since:
            raise ValueError(f"the window ends ({until}) before it starts ({since})")
        if (until - since).days + 1 > MAX_WINDOW_DAYS:
            raise ValueError(f"a window is at most {MAX_WINDOW_DAYS} days long")
        with self.lock:
            now = time.monotonic()
            kept = self.kept.get((since, until))
            if kept and now - kept[1] < POOL_SECONDS:
                if now - kept[2] < CHECK_SECONDS:
                    self.kept.move_to_end((since, until))
                    return kept[3], kept[0]
                if self._state(since, until) == kept[0]:
                    kept[2] = now
                    self.kept.move_to_end((since, until))
                    return kept[3], kept[0]
            state = self._state(since, until)
            pool = CandidatePool(candidates(since, until))
            self.kept[(since, until)] = [state, now, now, pool]
            while len(self.kept) > POOLS_KEPT:
                self.kept.popitem(last=False)
            return pool, state

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
    return _pools.get(since, until)[0]


def window_state(since: date, until: date) -> tuple:
    """What the window's papers were when its pool was prepared (papers, embeddings,
    their last changes): a feed ranked on the window holds while this does."""
    return _pools.get(since, until)[1]


def forget_pools() -> None:
    """Drop every prepared window (tests; a process that changed papers and wants them now)."""
    _pools.clear()
