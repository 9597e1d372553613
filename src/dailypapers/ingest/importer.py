"""``dailypapers import``: files in any supported format into the catalog, in batches."""

from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from dailypapers.console import byte_progress
from dailypapers.papers.records import InvalidRecord, ListingRecord, PaperRecord
from dailypapers.papers.signals import papers_stored
from dailypapers.papers.upserts import (
    CatalogStatistics,
    UpsertCounts,
    upsert_listings,
    upsert_papers,
)

from .formats import PARSERS, detect_format
from .reader import BrokenInput, read_objects


class UnknownFormat(Exception):
    pass


@dataclass
class ImportResult:
    format: str
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    # Set when the file could not be read to its end.
    error: str | None = None


def guess_format(path: Path) -> str:
    """The format of the first record that is a JSON object with recognisable fields."""
    for checked, (_, obj) in enumerate(read_objects(path)):
        if isinstance(obj, dict) and (name := detect_format(obj)):
            return name
        if checked >= 100:
            break
    raise UnknownFormat(
        f"{path}: cannot tell the format from its first records; use --format "
        f"({', '.join(PARSERS)})"
    )


def import_file(
    path: Path, fmt: str | None = None, *, batch_size: int = 1000, console: Console | None = None
) -> ImportResult:
    """Import one file; every finished batch is committed, whatever happens after it."""
    console = console or Console(stderr=True)
    result = ImportResult(format=fmt or guess_format(path))
    parse = PARSERS[result.format]
    papers: list[PaperRecord] = []
    listings: list[ListingRecord] = []
    statistics = CatalogStatistics()

    def flush() -> None:
        if papers:
            stored = upsert_papers(papers)
            statistics.papers_added(stored.new)
            if stored.changed:
                papers_stored.send(import_file, ids=[record.arxiv_id for record in papers])
            result.counts += stored
            papers.clear()
        if listings:
            result.counts += upsert_listings(listings)
            listings.clear()

    with byte_progress(console) as progress:
        task = progress.add_task(path.name, total=path.stat().st_size, records=0)
        seen = 0
        try:
            for where, obj in read_objects(
                path, lambda done: progress.update(task, completed=done)
            ):
                seen += 1
                if seen % 1000 == 0:
                    progress.update(task, records=seen)
                try:
                    if isinstance(obj, str):
                        raise InvalidRecord(obj)
                    record = parse(obj)
                except (ValueError, TypeError, AttributeError, KeyError) as reason:
                    # InvalidRecord is a ValueError; the others are shapes a parser did not expect.
                    result.counts.rejected += 1
                    console.print(
                        f"[yellow]{escape(str(path))}, {where}: rejected: {escape(str(reason))}",
                        soft_wrap=True,
                    )
                    continue
                (papers if isinstance(record, PaperRecord) else listings).append(record)
                if len(papers) + len(listings) >= batch_size:
                    flush()
        except BrokenInput as error:
            result.error = f"{path}, {error}"
        flush()
        progress.update(task, records=seen)
    return result
