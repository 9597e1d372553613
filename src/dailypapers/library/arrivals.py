"""Papers put in a collection before the catalog has them, and how they get there.

Each is a PendingItem, and its fetch is ingest.on_demand's FetchRequest (one per
paper, shared with the pages and everyone else who asked for it), which a
worker's ``fetch_queued`` task fetches from arXiv in the background. Every
run that stores papers sends ``papers.signals.catalog_changed``; its receiver
here moves each pending item whose paper is now in the catalog into its
collection, with its note. Reading a collection's pending papers does the same
first, so a run killed before its signal delays nothing a reader looks at.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from dailypapers.ingest.models import FetchRequest
from dailypapers.ingest.on_demand import TooManyFetches, queue_fetch
from dailypapers.papers.models import Paper
from dailypapers.papers.upserts import in_chunks

from .models import Collection, CollectionItem, PendingItem

# What a pending paper's fetch is when nobody has queued it yet: the reader's fetch
# limit ran out during an import. The rest are FetchRequest's statuses.
NOT_QUEUED = "not queued"


@dataclass(frozen=True)
class PendingPaper:
    arxiv_id: str
    note: str
    added_at: datetime
    # "queued", "fetching", "failed" (``reason`` says why), or NOT_QUEUED.
    status: str
    reason: str


@dataclass
class Queued:
    """What became of the papers an import or a retry asked arXiv for."""

    queued: list[str]
    # Left for later: the client's fetch limit ran out (ingest.on_demand.queue_fetch).
    not_queued: list[str]


def wait_for_one(collection: Collection, arxiv_id: str, note: str, client: str) -> FetchRequest:
    """Queue the fetch of ``arxiv_id`` for ``collection``; raises TooManyFetches, and then
    nothing is stored."""
    fetch = queue_fetch(arxiv_id, client)
    try:
        with transaction.atomic():
            PendingItem.objects.update_or_create(
                collection=collection, arxiv_id=arxiv_id, defaults={"note": note}
            )
    except IntegrityError:
        pass  # the same paper, asked for by another request at the same moment: it waits
    fill_arrived([collection.pk])
    return fetch


def wait_for(collection: Collection, notes: Mapping[str, str], client: str) -> Queued:
    """Keep every paper of ``notes`` (arXiv id to note) as pending in ``collection`` and
    queue as many fetches as ``client`` may; the others wait for ``queue_again``."""
    PendingItem.objects.bulk_create(
        [
            PendingItem(collection=collection, arxiv_id=pid, note=note)
            for pid, note in notes.items()
        ],
        ignore_conflicts=True,
    )
    queued = _queue(list(notes), client)
    fill_arrived([collection.pk])
    return queued


def queue_again(collection: Collection, client: str) -> Queued:
    """Ask again for the collection's pending papers that nobody is fetching: never
    queued, or failed (arXiv was down)."""
    fill_arrived([collection.pk])
    waiting = set(
        FetchRequest.objects.filter(
            arxiv_id__in=collection.pending.values("arxiv_id"),
            status__in=[FetchRequest.Status.QUEUED, FetchRequest.Status.FETCHING],
        ).values_list("arxiv_id", flat=True)
    )
    pending = collection.pending.values_list("arxiv_id", flat=True)
    return _queue([pid for pid in pending if pid not in waiting], client)


def _queue(arxiv_ids: list[str], client: str) -> Queued:
    queued: list[str] = []
    for position, arxiv_id in enumerate(arxiv_ids):
        try:
            queue_fetch(arxiv_id, client)
        except TooManyFetches:
            return Queued(queued, arxiv_ids[position:])
        queued.append(arxiv_id)
    return Queued(queued, [])


def pending_papers(collection: Collection) -> list[PendingPaper]:
    """The collection's papers still on their way from arXiv, oldest first."""
    fill_arrived([collection.pk])
    pending = list(collection.pending.all())
    fetches = FetchRequest.objects.in_bulk([item.arxiv_id for item in pending])
    return [
        PendingPaper(
            item.arxiv_id,
            item.note,
            item.added_at,
            fetches[item.arxiv_id].status if item.arxiv_id in fetches else NOT_QUEUED,
            fetches[item.arxiv_id].reason if item.arxiv_id in fetches else "",
        )
        for item in pending
    ]


def fill_arrived(collection_ids: Iterable[int] | None = None) -> int:
    """Move the pending items whose paper is in the catalog now into their collections
    (of ``collection_ids``, or all); how many. Safe to run twice at once: an item
    there already is left as it is, a pending row gone already is no error."""
    arrived = PendingItem.objects.filter(Exists(Paper.objects.filter(pk=OuterRef("arxiv_id"))))
    if collection_ids is not None:
        arrived = arrived.filter(collection_id__in=list(collection_ids))
    moved = 0
    for chunk in in_chunks(list(arrived)):
        with transaction.atomic():
            CollectionItem.objects.bulk_create(
                [
                    # Added when the reader asked, so it stands where they put it.
                    CollectionItem(
                        collection_id=item.collection_id,
                        paper_id=item.arxiv_id,
                        note=item.note,
                        added_at=item.added_at,
                    )
                    for item in chunk
                ],
                ignore_conflicts=True,
            )
            PendingItem.objects.filter(pk__in=[item.pk for item in chunk]).delete()
        moved += len(chunk)
    return moved


def after_catalog_change(sender: object = None, **signal: object) -> str:
    """The receiver of ``papers.signals.catalog_changed`` (library/apps.py): a line for
    the operator when papers readers were waiting for reached their collections."""
    moved = fill_arrived()
    return f"Library: {moved} papers readers asked for added to their collections" if moved else ""
