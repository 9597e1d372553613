"""What the search indexes know of a paper, read from the catalog in batches."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from dailypapers.papers.models import Authorship, Paper
from dailypapers.papers.services import in_chunks


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


def changed_after(since: datetime) -> bool:
    """Whether any paper changed after ``since``."""
    return Paper.objects.filter(changed_at__gt=since).exists()


def changed_documents(
    since: datetime | None, batch_size: int = 2000
) -> Iterator[tuple[list[SearchDocument], datetime]]:
    """Papers changed at or after ``since`` (all when None), oldest change first.

    Yields each batch with the latest change time in it, so an index can
    record how far it got and resume there.
    """
    papers = Paper.objects.order_by("changed_at", "arxiv_id")
    if since is not None:
        papers = papers.filter(changed_at__gte=since)
    rows = papers.values_list(
        "arxiv_id",
        "title",
        "abstract",
        "published",
        "categories",
        "organization__slug",
        "changed_at",
    )
    batch: list[tuple] = []
    for row in rows.iterator(chunk_size=batch_size):
        batch.append(row)
        if len(batch) >= batch_size:
            yield _documents(batch), batch[-1][-1]
            batch = []
    if batch:
        yield _documents(batch), batch[-1][-1]


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
        )
        for arxiv_id, title, abstract, published, categories, organization, _ in rows
    ]
