"""How far the embeddings have got, for the search page and the ``serve`` log.

Embedding a large catalog takes hours on a small machine. Whoever embeds
(``embed_pending``, so ``dailypapers index`` and imports) records the count
and its rate in one row; the search page reads that row (cached briefly:
counting 100k papers on every request would cost more than the search).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from .models import EmbeddingProgress

ROW = 1
CACHE_KEY = "search:embedding-progress"
CACHE_SECONDS = 15
# A run that has not reported for this long has stopped: its rate says nothing any more.
STALE_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class Progress:
    embedded: int
    total: int
    per_second: float | None = None

    @property
    def complete(self) -> bool:
        return self.embedded >= self.total

    @property
    def coverage(self) -> float:
        """The share of papers embedded, from 0 to 1."""
        return min(1.0, self.embedded / self.total) if self.total else 1.0

    @property
    def percent(self) -> int:
        """Rounded down, so that 99.9% done never reads as 100%."""
        return 100 * self.embedded // self.total if self.total else 100

    @property
    def seconds_left(self) -> float | None:
        if self.complete or not self.per_second:
            return None
        return (self.total - self.embedded) / self.per_second

    def counts(self) -> str:
        return f"{self.embedded:,} of {self.total:,} papers ({self.percent}%)"

    def time_left(self) -> str:
        """'about 2 h 10 min left', or '' when there is no estimate."""
        seconds = self.seconds_left
        if seconds is None:
            return ""
        if seconds < 60:
            return "less than a minute left"
        minutes = round(seconds / 60)
        if minutes < 60:
            return f"about {minutes} min left"
        hours, minutes = divmod(10 * round(minutes / 10), 60)
        if hours >= 48:
            return f"about {round(hours / 24)} days left"
        return f"about {hours} h {minutes} min left" if minutes else f"about {hours} h left"

    def page_notice(self) -> str:
        """What the search page says while embeddings are built."""
        left = self.time_left()
        return (
            f"Semantic search covers {self.counts()}"
            + (f"; {left}" if left else " so far")
            + ". The others are found by their keywords."
        )

    def log_line(self) -> str:
        """What the indexer logs as it goes."""
        rate = f", {self.per_second:.1f} papers/s" if self.per_second else ""
        left = self.time_left()
        return f"Embeddings: {self.counts()}{rate}" + (f", {left}" if left else "")


def record(progress: Progress) -> None:
    EmbeddingProgress.objects.update_or_create(
        pk=ROW,
        defaults={
            "embedded": progress.embedded,
            "total": progress.total,
            "per_second": progress.per_second,
        },
    )
    cache.delete(CACHE_KEY)


def current() -> Progress | None:
    """The last progress recorded (a few seconds old at most), or None before any embedding."""
    # In a tuple, so that "no row yet" is cached too.
    cached = cache.get(CACHE_KEY)
    if cached is None:
        row = EmbeddingProgress.objects.filter(pk=ROW).first()
        cached = (None if row is None else _progress(row),)
        cache.set(CACHE_KEY, cached, CACHE_SECONDS)
    return cached[0]


def _progress(row: EmbeddingProgress) -> Progress:
    running = timezone.now() - row.updated_at < STALE_AFTER
    return Progress(row.embedded, row.total, row.per_second if running else None)
