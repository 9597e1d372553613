"""Papers visitors ask for, fetched from arXiv in the background.

A page or an API call only records the request (``request_fetch``) and answers
at once; ``add --watch``, which ``serve`` runs, fetches whatever is queued in one
arXiv request (``fetch_requested``) and records each outcome in words for the
visitor. Outside calls stay out of the web workers: a slow or silent arXiv holds
one background process, for at most ``SOURCE_TIMEOUT``, never a page. The
status is a row, so a task queue could take the fetching over without changing
the pages.
"""

from collections.abc import Iterable

import arxiv
from django.db import transaction
from django.utils import timezone

from dailypapers.papers.services import UpsertCounts, upsert_papers
from dailypapers.throttles import limits

from .arxiv_api import BATCH_SIZE, ArxivUnavailable, fetch_papers
from .models import FetchRequest

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
    return fetch


def fetch_requested(client: arxiv.Client) -> UpsertCounts | None:
    """Fetch the papers asked for, oldest first, up to one arXiv request's worth.

    Returns what was stored, or None when nothing was asked for. Raises
    ArxivUnavailable (after marking the requests failed) when arXiv cannot be
    reached. One process does this: a request still "fetching" when a round
    starts was left by a round the database or a kill interrupted, and is taken again.
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
