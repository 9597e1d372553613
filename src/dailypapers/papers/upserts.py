"""Storing imported records in the catalog: papers, their authors and daily listings.

Upserts take a batch of records and write it in one transaction, so an
interrupted import keeps every batch it finished and none of the one it was in.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import F, Model
from django.utils import timezone

from .links import find_github_repo, find_project_page
from .models import Author, Authorship, DailyListing, Organization, Paper
from .records import ListingRecord, PaperRecord

# Stay below SQLite's limit on variables in one statement.
_IN_CHUNK = 900


@dataclass
class UpsertCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    # Of the unchanged: records older than the version already stored.
    older: int = 0
    rejected: int = 0

    def __iadd__(self, other: "UpsertCounts") -> "UpsertCounts":
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    @property
    def changed(self) -> int:
        return self.new + self.updated


def in_chunks(items: Sequence, size: int = _IN_CHUNK) -> Iterable[Sequence]:
    """Slices small enough for one ``__in`` lookup on every database."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Stored(NamedTuple):
    """What an upsert needs to know of a stored paper: read as plain rows, not models."""

    version: int
    published: date | None
    updated: date | None
    content_hash: str
    github_repo: str
    project_page: str


def _paper_fields(record: PaperRecord, existing: _Stored | None) -> dict:
    text = f"{record.abstract}\n{record.comment}"
    # Links are only ever added: a new version that drops its code link keeps the old one.
    return {
        "version": record.version,
        "title": record.title,
        "abstract": record.abstract,
        "categories": " ".join(record.categories),
        "primary_category": record.primary_category,
        "published": record.published or (existing.published if existing else None),
        "updated": record.updated,
        "comment": record.comment,
        "journal_ref": record.journal_ref,
        "doi": record.doi,
        "github_repo": record.github_repo
        or find_github_repo(text)
        or (existing.github_repo if existing else ""),
        "project_page": record.project_page
        or find_project_page(text)
        or (existing.project_page if existing else ""),
        "content_hash": record.content_hash(),
    }


# The fields _paper_fields sets, in its order: an import writes these and changed_at.
_IMPORTED_FIELDS = [
    "version",
    "title",
    "abstract",
    "categories",
    "primary_category",
    "published",
    "updated",
    "comment",
    "journal_ref",
    "doi",
    "github_repo",
    "project_page",
    "content_hash",
]


# Rows are written with plain statements: bulk_create and bulk_update build a model
# instance per row and prepare every field of it in Python, which was most of an
# import's time (100k papers bring over half a million authorships). Values go as they
# are: text, numbers and dates, which both databases' drivers adapt. PostgreSQL takes
# new rows through COPY: an INSERT per row, even pipelined, spent half of a PostgreSQL
# import composing and parsing statements.


def _columns(model: type[Model], names: Sequence[str]) -> str:
    quote = connection.ops.quote_name
    return ", ".join(quote(model._meta.get_field(name).column) for name in names)


def _insert(
    model: type[Model], names: Sequence[str], rows: list[Sequence], ignore_conflicts: bool = False
) -> None:
    if not rows:
        return
    table = f"{connection.ops.quote_name(model._meta.db_table)} ({_columns(model, names)})"
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            sql = f"INSERT INTO {table} VALUES ({', '.join(['%s'] * len(names))})"
            if ignore_conflicts:
                sql += " ON CONFLICT DO NOTHING"
            cursor.executemany(sql, rows)
        elif ignore_conflicts:
            # COPY cannot skip a conflicting row: one statement, a column per array.
            arrays = ", ".join(
                f"%s::{model._meta.get_field(name).db_type(connection)}[]" for name in names
            )
            cursor.execute(
                f"INSERT INTO {table} SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING",
                [list(column) for column in zip(*rows, strict=True)],
            )
        else:
            with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)


def _create_papers(papers: dict[str, dict], now: datetime) -> None:
    """Insert new papers (arxiv id -> _paper_fields); every other column as bulk_create
    would write it: ``now`` for the timestamps, the model's default elsewhere."""
    others = [
        column
        for column in Paper._meta.concrete_fields
        if column.name not in {"arxiv_id", *_IMPORTED_FIELDS}
    ]
    other_values = []
    for column in others:
        stamped = getattr(column, "auto_now", False) or getattr(column, "auto_now_add", False)
        other_values.append(
            column.get_db_prep_save(now if stamped else column.get_default(), connection)
        )
    _insert(
        Paper,
        ["arxiv_id", *_IMPORTED_FIELDS, *(column.name for column in others)],
        [[arxiv_id, *fields.values(), *other_values] for arxiv_id, fields in papers.items()],
    )


def _update_papers(papers: dict[str, dict], now: datetime) -> None:
    """Overwrite the imported fields of stored papers, changed at ``now``."""
    if not papers:
        return
    quote = connection.ops.quote_name
    names = [*_IMPORTED_FIELDS, "changed_at"]
    assignments = ", ".join(f"{quote(Paper._meta.get_field(name).column)} = %s" for name in names)
    sql = f"UPDATE {quote(Paper._meta.db_table)} SET {assignments} WHERE {quote('arxiv_id')} = %s"
    changed_at = Paper._meta.get_field("changed_at").get_db_prep_save(now, connection)
    with connection.cursor() as cursor:
        cursor.executemany(
            sql, [[*fields.values(), changed_at, arxiv_id] for arxiv_id, fields in papers.items()]
        )


def _stored_author_ids(names: list[str]) -> dict[str, int]:
    if connection.vendor == "postgresql":
        # One array rather than chunks of IN lists, which Django builds name by name:
        # those lists were a fifth of a PostgreSQL import's time.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT name, id FROM {connection.ops.quote_name(Author._meta.db_table)} "
                "WHERE name = ANY(%s)",
                [names],
            )
            return dict(cursor.fetchall())
    ids: dict[str, int] = {}
    for chunk in in_chunks(names):
        ids.update(Author.objects.filter(name__in=chunk).values_list("name", "id"))
    return ids


def _author_ids(names: set[str]) -> dict[str, int]:
    ordered = sorted(names)
    ids = _stored_author_ids(ordered)
    missing = [name for name in ordered if name not in ids]
    if missing:
        _insert(Author, ["name"], [[name] for name in missing], ignore_conflicts=True)
        ids.update(_stored_author_ids(missing))
    return ids


def _replace_authorships(records: Sequence[PaperRecord], stored: Iterable[str]) -> None:
    """Write the records' authorships; those of the ``stored`` papers go first (new
    papers have none yet)."""
    for chunk in in_chunks(list(stored)):
        Authorship.objects.filter(paper_id__in=chunk).delete()
    author_ids = _author_ids({name for record in records for name in record.authors})
    _insert(
        Authorship,
        ["paper", "author", "position"],
        [
            [record.arxiv_id, author_ids[name], position]
            for record in records
            for position, name in enumerate(record.authors)
        ],
    )


def upsert_papers(records: Sequence[PaperRecord]) -> UpsertCounts:
    """Store a batch of records: new ids are created, newer versions replace older ones.

    A record older than the stored version, or identical to it, changes nothing.
    Within one batch, later records for the same id compete by the same rule.
    """
    counts = UpsertCounts()
    with transaction.atomic():
        existing: dict[str, _Stored] = {}
        unique_ids = list(dict.fromkeys(record.arxiv_id for record in records))
        for chunk in in_chunks(unique_ids):
            rows = Paper.objects.filter(arxiv_id__in=chunk).values_list(
                "arxiv_id", *_Stored._fields
            )
            existing.update((arxiv_id, _Stored(*stored)) for arxiv_id, *stored in rows)

        winners: dict[str, PaperRecord] = {}
        for record in records:
            current = winners.get(record.arxiv_id)
            stored = existing.get(record.arxiv_id)
            if current is not None:
                current_recency, current_hash = current.recency, current.content_hash()
            elif stored is not None:
                current_recency = (stored.version, stored.updated or stored.published)
                current_hash = stored.content_hash
            else:
                winners[record.arxiv_id] = record
                counts.new += 1
                continue
            if _is_older(record.recency, current_recency):
                counts.unchanged += 1
                counts.older += 1
            elif record.content_hash() == current_hash:
                counts.unchanged += 1
            else:
                winners[record.arxiv_id] = record
                counts.updated += 1

        now = timezone.now()
        replaced = [arxiv_id for arxiv_id in winners if arxiv_id in existing]
        _create_papers(
            {
                arxiv_id: _paper_fields(record, None)
                for arxiv_id, record in winners.items()
                if arxiv_id not in existing
            },
            now,
        )
        _update_papers(
            {
                arxiv_id: _paper_fields(winners[arxiv_id], existing[arxiv_id])
                for arxiv_id in replaced
            },
            now,
        )
        _replace_authorships(list(winners.values()), replaced)
    return counts


class CatalogStatistics:
    """Keeps PostgreSQL's statistics of the catalog's tables level with a large import.

    PostgreSQL plans each query by its tables' statistics, which autovacuum refreshes
    a minute apart at best (and never where it is off). An import or a harvest into a
    young catalog outgrows them within seconds, and its lookups by id then scan whole
    tables: at 600,000 papers, reading a batch's authors back took 1.9 s instead of
    milliseconds. So each analyses the tables whenever the papers it added reach the
    number there were at the last analysis (ANALYZE samples a fixed number of rows: well under
    a second at any size).
    """

    FIRST_AFTER = 10_000

    def __init__(self) -> None:
        self._counted: int | None = None
        self._added = 0

    def papers_added(self, count: int) -> None:
        if connection.vendor != "postgresql" or not count:
            return
        if self._counted is None:
            self._counted = Paper.objects.count() - count
        self._added += count
        if self._added < max(self.FIRST_AFTER, self._counted):
            return
        tables = ", ".join(
            connection.ops.quote_name(model._meta.db_table) for model in (Paper, Author, Authorship)
        )
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {tables}")
        self._counted += self._added
        self._added = 0


def _is_older(candidate: tuple, current: tuple) -> bool:
    version, day = candidate
    current_version, current_day = current
    if version != current_version:
        return version < current_version
    return day is not None and current_day is not None and day < current_day


def _organizations(records: Iterable[ListingRecord]) -> dict[str, Organization]:
    wanted = {r.organization.slug: r.organization for r in records if r.organization}
    found = {org.slug: org for org in Organization.objects.filter(slug__in=list(wanted))}
    missing = [
        Organization(slug=o.slug, name=o.name or o.slug, avatar_url=o.avatar_url)
        for slug, o in wanted.items()
        if slug not in found
    ]
    Organization.objects.bulk_create(missing, ignore_conflicts=True)
    if missing:
        found = {org.slug: org for org in Organization.objects.filter(slug__in=list(wanted))}
    return found


def upsert_listings(records: Sequence[ListingRecord]) -> UpsertCounts:
    """Store daily listings, creating the papers they name when the catalog lacks them.

    A listing's paper data never overrides arXiv's: it creates a placeholder
    (version 0) that the next arXiv record replaces. What only listings know —
    organization, links, the imported upvote count — fills in what is missing.
    A paper is listed once: the earliest date wins.
    """
    counts = UpsertCounts()
    with transaction.atomic():
        ids = list(dict.fromkeys(r.arxiv_id for r in records))
        known = {
            pk
            for chunk in in_chunks(ids)
            for pk in Paper.objects.filter(arxiv_id__in=chunk).values_list("pk", flat=True)
        }
        described = {r.arxiv_id for r in records if r.paper}
        placeholders = {
            r.arxiv_id: _placeholder(r)
            for r in records
            if r.arxiv_id not in known and r.arxiv_id not in described
        }
        upsert_papers([r.paper for r in records if r.paper] + list(placeholders.values()))
        organizations = _organizations(records)
        papers = {
            p.arxiv_id: p
            for chunk in in_chunks(ids)
            for p in Paper.objects.filter(arxiv_id__in=chunk)
        }
        listings = {
            listing.paper_id: listing
            for chunk in in_chunks(ids)
            for listing in DailyListing.objects.filter(paper_id__in=chunk)
        }
        for record in records:
            paper = papers[record.arxiv_id]
            listing = listings.get(record.arxiv_id)
            changed = _merge_listing_into_paper(paper, record, organizations)
            if listing is None:
                listing = DailyListing(
                    paper=paper,
                    date=record.date,
                    submitter_name=record.submitter_name,
                    source=record.source,
                )
                listings[record.arxiv_id] = listing
                listing.save()
                counts.new += 1
                continue
            if record.date < listing.date:
                listing.date, listing.source = record.date, record.source
                listing.submitter_name = record.submitter_name or listing.submitter_name
                changed = True
            elif not listing.submitter_name and record.submitter_name:
                listing.submitter_name = record.submitter_name
                changed = True
            if changed:
                listing.save()
                counts.updated += 1
            else:
                counts.unchanged += 1
    return counts


def _placeholder(record: ListingRecord) -> PaperRecord:
    return PaperRecord(
        arxiv_id=record.arxiv_id,
        title=record.title or record.arxiv_id,
        abstract="",
        authors=(),
        published=None,
        version=0,
    )


def _merge_listing_into_paper(
    paper: Paper, record: ListingRecord, organizations: dict[str, Organization]
) -> bool:
    """Fill what the listing knows and the paper lacks; return whether anything changed."""
    updates = {}
    if record.organization and paper.organization_id is None:
        updates["organization"] = organizations[record.organization.slug]
    if record.paper:
        for name in ("github_repo", "project_page"):
            value = getattr(record.paper, name)
            if value and not getattr(paper, name):
                updates[name] = value
    if record.upvotes is not None and record.upvotes > paper.imported_upvotes:
        # The baseline only grows, so importing snapshots in any order gives one result.
        updates["upvotes"] = F("upvotes") + (record.upvotes - paper.imported_upvotes)
        updates["imported_upvotes"] = record.upvotes
        paper.imported_upvotes = record.upvotes
    if updates:
        Paper.objects.filter(pk=paper.pk).update(**updates, changed_at=timezone.now())
        for name in ("github_repo", "project_page"):
            if name in updates:
                setattr(paper, name, updates[name])
        if "organization" in updates:
            paper.organization = updates["organization"]
    return bool(updates)
