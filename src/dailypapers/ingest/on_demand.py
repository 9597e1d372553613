"""Papers visitors ask for, fetched from arXiv in the background.

A page or an API call only records the request (``request_fetch``), enqueues the
``fetch_queued`` task (on the "fetch" queue, unless a run of it waits already) and
answers at once; a worker fetches whatever is queued in one arXiv request
(``fetch_requested``) and records each outcome in words for the visitor. Outside
calls stay out of the web workers: a slow or silent arXiv holds one worker thread,
for at most ``SOURCE_TIMEOUT``, never a page. The status is a row, so a run killed
half-way is simply run again: it takes the requests still "fetching" too.
"""

import sys
from collections.abc import Iterable
from functools import cache

import arxiv
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from dailypapers.papers.signals import announce_catalog_change
from dailypapers.papers.upserts import UpsertCounts, upsert_papers
from dailypapers.throttles import limits
from dailypapers.workers import queue

from .arxiv_api import BATCH_SIZE, ArxivUnavailable, arxiv_client, fetch_papers
from .models import FetchRequest, SourceStatus

Status = FetchRequest.Status

NOT_ON_ARXIV = "arXiv has no paper with this id."
UNREADABLE = "arXiv's record of this paper could not be read."


class TooManyFetches(Exception):
    """This client has asked for as many papers as it may for now."""

    status = 429

    def __init__(self) -> None:
        super().__init__(
            "You have asked for many papers from arXiv in a short time. Try again later."
        )


def queue_fetch(arxiv_id: str, client: str) -> FetchRequest:
    """The fetch of ``arxiv_id`` (an id without version), queued unless it already waits.

    Asking for a paper that is already on its way is free; queuing one takes a
    token from the bucket of ``client`` (``limits.client_key(request)``), at most
    ``FETCH_RATE_PER_CLIENT``, and raises TooManyFetches when it is empty.
    """
    waiting = FetchRequest.objects.filter(pk=arxiv_id).first()
    if waiting is not None and waiting.waiting:
        return waiting
    try:
        limits.check(limits.FETCH, client=client)
    except limits.Throttled:
        raise TooManyFetches from None
    return request_fetch(arxiv_id)


def request_fetch(arxiv_id: str) -> FetchRequest:
    """Queue ``arxiv_id`` (an id without version), unless it is queued or being fetched."""
    now = timezone.now()
    with transaction.atomic():
        fetch, created = FetchRequest.objects.select_for_update().get_or_create(
            arxiv_id=arxiv_id, defaults={"requested_at": now, "updated_at": now}
        )
        if not created and not fetch.waiting:
            fetch.status, fetch.reason = Status.QUEUED, ""
            fetch.requested_at = fetch.updated_at = now
            fetch.save()
        transaction.on_commit(lambda: queue.enqueue_unless_waiting(fetch_queued))
    return fetch


@cache
def worker_client() -> arxiv.Client:
    """One client per worker process: its runs keep ARXIV_REQUEST_DELAY apart."""
    return arxiv_client()


@task(queue_name="fetch")
def fetch_queued() -> int:
    """The task: fetch what visitors asked for, until nothing is queued; papers stored."""
    stored = 0
    while True:
        try:
            counts = fetch_requested(worker_client())
        except ArxivUnavailable as error:
            SourceStatus.record(SourceStatus.Source.ARXIV_API, str(error))
            print(f"{error}: the papers visitors asked for are marked failed", file=sys.stderr)
            return stored
        if counts is None:
            return stored
        SourceStatus.record(SourceStatus.Source.ARXIV_API)
        if counts.changed:
            stored += counts.changed
            print(f"{counts.changed} papers fetched from arXiv as visitors asked", flush=True)
            for line in announce_catalog_change("fetch_queued"):
                print(line, flush=True)


def fetch_requested(client: arxiv.Client) -> UpsertCounts | None:
    """Fetch the papers asked for, oldest first, up to one arXiv request's worth.

    Returns what was stored, or None when nothing was asked for. Raises
    ArxivUnavailable (after marking the requests failed) when arXiv cannot be
    reached. A request still "fetching" when a run starts was left by a run the
    database or a kill interrupted, and is taken again (two workers' runs at once
    may both fetch a paper: it is stored once).
    """
    asked = list(
        FetchRequest.objects.filter(status__in=[Status.QUEUED, Status.FETCHING])
        .order_by("requested_at")
        .values_list("arxiv_id", flat=True)[:BATCH_SIZE]
    )
    if not asked:
        return None
    _mark(asked, Status.FETCHING)
    try:
        batch = next(fetch_papers(asked, client))
    except ArxivUnavailable as error:
        _mark(asked, Status.FAILED, error.for_visitors)
        raise
    counts = upsert_papers(batch.records)
    fetched = {record.arxiv_id for record in batch.records}
    _mark(fetched, Status.DONE)
    _mark(batch.missing, Status.FAILED, NOT_ON_ARXIV)
    _mark(set(asked) - fetched - set(batch.missing), Status.FAILED, UNREADABLE)
    return counts


def _mark(ids: Iterable[str], status: str, reason: str = "") -> None:
    FetchRequest.objects.filter(arxiv_id__in=list(ids)).update(
        status=status, reason=reason, updated_at=timezone.now()
    )
