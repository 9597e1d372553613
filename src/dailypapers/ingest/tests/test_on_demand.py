"""Papers visitors ask for: queued by the request, fetched in the background in one arXiv
request, each marked done or failed in words for the visitor."""

import socket
import time
from collections.abc import Iterator

import pytest

from dailypapers.conftest import arxiv_row
from dailypapers.ingest.arxiv_api import ArxivUnavailable, arxiv_client
from dailypapers.ingest.models import FetchRequest
from dailypapers.ingest.on_demand import NOT_ON_ARXIV, fetch_requested, request_fetch
from dailypapers.papers.models import Paper

pytestmark = pytest.mark.django_db

Status = FetchRequest.Status


def statuses() -> dict[str, tuple[str, str]]:
    return {f.arxiv_id: (f.status, f.reason) for f in FetchRequest.objects.all()}


@pytest.fixture
def silent_arxiv(settings) -> Iterator[None]:
    """An arXiv that accepts connections and never answers."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen(8)
        settings.ARXIV_API_URL = f"http://127.0.0.1:{listening.getsockname()[1]}/api/query"
        settings.ARXIV_REQUEST_DELAY = 0
        yield


def test_everything_asked_for_is_fetched_in_one_request_and_marked(arxiv_stand_in):
    arxiv_stand_in.papers |= {i: arxiv_row(i) for i in ("2403.00001", "2403.00002")}
    for arxiv_id in ("2403.00001", "2403.00002", "2403.09999"):
        request_fetch(arxiv_id)

    counts = fetch_requested(arxiv_client())

    assert counts.new == 2 and Paper.objects.count() == 2
    assert arxiv_stand_in.requests == [["2403.00001", "2403.00002", "2403.09999"]]
    assert statuses() == {
        "2403.00001": (Status.DONE, ""),
        "2403.00002": (Status.DONE, ""),
        "2403.09999": (Status.FAILED, NOT_ON_ARXIV),
    }
    assert fetch_requested(arxiv_client()) is None  # nothing left: no request
    assert len(arxiv_stand_in.requests) == 1


def test_a_silent_arxiv_fails_the_fetch_after_the_timeout(silent_arxiv, settings):
    settings.SOURCE_TIMEOUT = 0.5
    request_fetch("2403.00001")
    started = time.monotonic()
    with pytest.raises(ArxivUnavailable, match="did not answer within 0.5 seconds"):
        fetch_requested(arxiv_client())
    assert 0.5 <= time.monotonic() - started < 10
    assert statuses() == {
        "2403.00001": (
            Status.FAILED,
            "arXiv did not answer within 0.5 seconds. Try again in a few minutes.",
        )
    }


def test_asking_again_requeues_a_failed_fetch_and_leaves_a_waiting_one_alone():
    first = request_fetch("2403.00001")
    assert request_fetch("2403.00001").requested_at == first.requested_at
    FetchRequest.objects.filter(pk="2403.00001").update(status=Status.FAILED, reason="x")
    again = request_fetch("2403.00001")
    assert (again.status, again.reason) == (Status.QUEUED, "")
    assert again.requested_at > first.requested_at


def test_a_fetch_an_interrupted_round_left_behind_is_taken_again(arxiv_stand_in):
    arxiv_stand_in.papers["2403.00001"] = arxiv_row("2403.00001")
    request_fetch("2403.00001")
    FetchRequest.objects.update(status=Status.FETCHING)  # the watcher was killed mid-fetch
    fetch_requested(arxiv_client())
    assert statuses() == {"2403.00001": (Status.DONE, "")}
