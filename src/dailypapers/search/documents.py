"""What the search indexes know of a paper, read from the catalog in batches."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection
from django.utils import timezone

from dailypapers.papers.models import Authorship, Paper, RemovedPaper
from dailypapers.papers.upserts import in_chunks


@dataclass(frozen=True)
class SearchFilters:
    published_from: date | None = None
    published_until: date | None = None
    category: str = ""
    organization: str = ""  # slug
    author: str = ""

    def __bool__(self) -> bool:
        return any(
            (
                self.published_from,
                self.published_until,
                self.category,
                self.organization,
                self.author,
            )
        )


@dataclass(frozen=True)
class SearchDocument:
    arxiv_id: str
    title: str
    abstract: str
    published: date | None
    categories: tuple[str, ...] = ()
    organization: str = ""
    authors: tuple[str, ...] = field(default=())
    changed_at: datetime | None = None
    # Hidden by moderators: an index leaves it out.
    hidden: bool = False


# How long a write to the catalog may take, at most, from stamping ``changed_at`` to its
# commit, where the database cannot tell which writes are open (SQLite): its busy timeout
# (30 s) and the longest import batch, with room to spare.
SQLITE_SETTLE = timedelta(seconds=60)
# On PostgreSQL, the open writes are known; ``changed_at`` is stamped by the writing node's
# clock, which may run this far behind the database server's (and a write stamps its
# papers a moment before it takes its first lock).
CLOCK_MARGIN = timedelta(seconds=5)

# The start of the oldest transaction that has written and not ended yet, or the server's
# time when none is open. A transaction of another role shows no start: every node must
# connect as the same role (or one granted pg_read_all_stats), as the deployment does.
_OLDEST_OPEN_WRITE = """
SELECT least(clock_timestamp(), min(xact_start)) FROM pg_stat_activity
WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()
"""


def settled_before() -> datetime:
    """A time before which every change to the catalog is committed: a write still open, or
    one to come, stamps its papers at or after it. An index that has read every change from
    its last position up to this time can move its position here, and lose nothing to a
    transaction that commits after a later one (on PostgreSQL, writers run side by side)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_OLDEST_OPEN_WRITE)
            (oldest,) = cursor.fetchone()
        return oldest - CLOCK_MARGIN
    return timezone.now() - SQLITE_SETTLE


def changes_since(since: datetime) -> list[tuple[str, datetime]]:
    """(arxiv id, changed_at) of the papers changed at or after ``since``: cheap, read before
    any paper's text to learn whether there is anything to do."""
    return list(
        Paper.objects.filter(changed_at__gte=since)
        .order_by("changed_at", "arxiv_id")
        .values_list("arxiv_id", "changed_at")
    )


def removals_since(since: datetime | None) -> list[tuple[str, datetime]]:
    """(arxiv id, removed_at) of the papers deleted at or after ``since`` (all when None) and
    not back in the catalog since."""
    removed = RemovedPaper.objects.exclude(arxiv_id__in=Paper.objects.values("arxiv_id"))
    if since is not None:
        removed = removed.filter(removed_at__gte=since)
    return list(removed.order_by("removed_at").values_list("arxiv_id", "removed_at"))


_COLUMNS = (
    "arxiv_id",
    "title",
    "abstract",
    "published",
    "categories",
    "organization__slug",
    "changed_at",
    "is_hidden",
)


def changed_documents(
    since: datetime | None, batch_size: int = 2000
) -> Iterator[list[SearchDocument]]:
    """Papers changed at or after ``since`` (all when None), oldest change first, in batches,
    so that an index can record how far it got and resume there."""
    papers = Paper.objects.order_by("changed_at", "arxiv_id")
    if since is not None:
        papers = papers.filter(changed_at__gte=since)
    batch: list[tuple] = []
    for row in papers.values_list(*_COLUMNS).iterator(chunk_size=batch_size):
        batch.append(row)
        if len(batch) >= batch_size:
            yield _documents(batch)
            batch = []
    if batch:
        yield _documents(batch)


def documents_of(ids: Sequence[str], changed_since: datetime | None = None) -> list[SearchDocument]:
    """The papers of ``ids`` as they are now, oldest change first (deleted ones left out),
    only those changed at or after ``changed_since`` if given."""
    papers = Paper.objects.all()
    if changed_since is not None:
        papers = papers.filter(changed_at__gte=changed_since)
    rows = [
        row
        for chunk in in_chunks(ids)
        for row in papers.filter(arxiv_id__in=chunk).values_list(*_COLUMNS)
    ]
    return _documents(sorted(rows, key=lambda row: (row[6], row[0])))


def _documents(rows: list[tuple]) -> list[SearchDocument]:
    ids = [row[0] for row in rows]
    authors: dict[str, list[str]] = {arxiv_id: [] for arxiv_id in ids}
    for chunk in in_chunks(ids):
        for paper_id, name in (
            Authorship.objects.filter(paper_id__in=chunk)
            .order_by("paper_id", "position")
            .values_list("paper_id", "author__name")
        ):
            authors[paper_id].append(name)
    return [
        SearchDocument(
            arxiv_id=arxiv_id,
            title=title,
            abstract=abstract,
            published=published,
            categories=tuple(categories.split()),
            organization=organization or "",
            authors=tuple(authors[arxiv_id]),
            changed_at=changed_at,
            hidden=hidden,
        )
        for (
            arxiv_id,
            title,
            abstract,
            published,
            categories,
            organization,
            changed_at,
            hidden,
        ) in rows
    ]
