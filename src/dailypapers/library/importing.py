"""Importing into a collection: a BibTeX file or a list of arXiv ids, every entry
accounted for.

Papers the catalog has are added at once; the others wait in the collection
while arXiv is asked for them (arrivals.py), and arrive by themselves. Entries
that cannot become a paper are reported with their line. An import counts
against nothing but the reader's fetch limit (ingest.on_demand.queue_fetch):
what it may not queue yet stays pending, and ``queue_pending`` asks again.
"""

from dataclasses import dataclass, field

from django.db import transaction

from dailypapers.papers.models import Paper
from dailypapers.papers.upserts import in_chunks

from . import arrivals
from .collections import own_collection, refuse_beyond_capacity
from .import_formats import read_import
from .models import CollectionItem, PendingItem


@dataclass
class ImportReport:
    """Where every entry went. Ids are arXiv ids; problems are ``(line, message)``."""

    added: list[str] = field(default_factory=list)
    # In the collection before this import: left as they were, notes included.
    already: list[str] = field(default_factory=list)
    # Asked of arXiv in the background: each joins the collection when it arrives.
    queued: list[str] = field(default_factory=list)
    # Waiting in the collection too, but not asked of arXiv yet: the fetch limit ran
    # out (queue_pending asks again).
    not_queued: list[str] = field(default_factory=list)
    # Entries naming a paper an earlier entry named: ``(line, message)``.
    repeated: list[tuple[int, str]] = field(default_factory=list)
    # Entries that are no paper: malformed, without an arXiv id, a hidden paper.
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def entries(self) -> int:
        """How many entries the file had: every one is in exactly one list."""
        lists = (self.added, self.already, self.queued, self.not_queued)
        return sum(map(len, lists)) + len(self.repeated) + len(self.problems)


def import_into(owner, key: str, text: str, *, client: str) -> ImportReport:
    """Import ``text`` (BibTeX, or arXiv ids or URLs one per line) into ``owner``'s
    collection ``key``. ``client``: ``limits.client_key(request)``, whose fetch limit
    the unknown papers count against. TooMany if the papers would not fit."""
    collection = own_collection(owner, key)
    report = ImportReport()
    notes: dict[str, str] = {}
    lines: dict[str, int] = {}
    for entry in read_import(text):
        if entry.arxiv_id is None:
            report.problems.append((entry.line, entry.problem))
        elif entry.arxiv_id in lines:
            first = lines[entry.arxiv_id]
            report.repeated.append((entry.line, f"{entry.arxiv_id} again (as on line {first})"))
        else:
            lines[entry.arxiv_id], notes[entry.arxiv_id] = entry.line, entry.note
    hidden, stored, present, pending = _what_is_known(collection, list(notes))
    for arxiv_id in hidden:
        report.problems.append((lines[arxiv_id], f"paper {arxiv_id} is not available"))
    report.problems.sort()
    new = [pid for pid in stored if pid not in present]
    unknown = [pid for pid in notes if pid not in stored and pid not in hidden]
    refuse_beyond_capacity(collection, len(new) + len(set(unknown) - pending))
    with transaction.atomic():
        for chunk in in_chunks(new):
            CollectionItem.objects.bulk_create(
                [
                    CollectionItem(collection=collection, paper_id=pid, note=notes[pid])
                    for pid in chunk
                ],
                # Another import adding the same paper at the same moment: one row, no error.
                ignore_conflicts=True,
            )
        collection.save(update_fields=["updated_at"])
    report.added, report.already = new, [pid for pid in stored if pid in present]
    if unknown:
        queued = arrivals.wait_for(collection, {pid: notes[pid] for pid in unknown}, client)
        report.queued, report.not_queued = queued.queued, queued.not_queued
    return report


def _what_is_known(collection, arxiv_ids: list[str]) -> tuple[list, list, set, set]:
    """Of ``arxiv_ids``, in their order: the hidden papers and the visible ones; and the
    ids in the collection already, and those pending in it."""
    visibility: dict[str, bool] = {}
    present: set[str] = set()
    pending: set[str] = set()
    for chunk in in_chunks(arxiv_ids):
        visibility.update(Paper.objects.filter(pk__in=chunk).values_list("pk", "is_hidden"))
        present.update(
            collection.items.filter(paper_id__in=chunk).values_list("paper_id", flat=True)
        )
        pending.update(
            PendingItem.objects.filter(collection=collection, arxiv_id__in=chunk).values_list(
                "arxiv_id", flat=True
            )
        )
    hidden = [pid for pid in arxiv_ids if visibility.get(pid) is True]
    stored = [pid for pid in arxiv_ids if visibility.get(pid) is False]
    return hidden, stored, present, pending


def queue_pending(owner, key: str, *, client: str) -> arrivals.Queued:
    """Ask arXiv again for the papers of ``owner``'s collection ``key`` still waiting and
    not on their way (never queued for the fetch limit, or failed)."""
    return arrivals.queue_again(own_collection(owner, key), client)
