"""Asking for a paper from arXiv, from a page or the API: queued at once, fetched in the
background (ingest/on_demand.py), at most ``FETCH_RATE_PER_CLIENT`` per client network."""

from django.http import HttpRequest

from dailypapers.ingest.models import FetchRequest
from dailypapers.ingest.on_demand import request_fetch
from dailypapers.throttles import limits


class TooManyFetches(Exception):
    """This client has asked for as many papers as it may for now."""

    status = 429

    def __init__(self) -> None:
        super().__init__(
            "You have asked for many papers from arXiv in a short time. Try again later."
        )


def queue_fetch(request: HttpRequest, arxiv_id: str) -> FetchRequest:
    """The fetch of ``arxiv_id`` (an id without version), queued unless it already waits.

    Asking for a paper that is already on its way is free; queuing one takes a
    token from the client network's bucket, and raises TooManyFetches when empty.
    """
    waiting = FetchRequest.objects.filter(pk=arxiv_id).first()
    if waiting is not None and waiting.waiting:
        return waiting
    try:
        limits.check(limits.FETCH, client=limits.client_key(request))
    except limits.Throttled:
        raise TooManyFetches from None
    return request_fetch(arxiv_id)
