"""Submitting a paper to today's daily list, and fetching unknown papers from arXiv
(in the background: ingest/on_demand.py)."""

import pytest
from django.utils import timezone

from dailypapers.conftest import PAPER_V2
from dailypapers.ingest.arxiv_api import ArxivUnavailable, arxiv_client
from dailypapers.ingest.models import FetchRequest
from dailypapers.ingest.on_demand import fetch_requested
from dailypapers.ingest.tests.stand_ins import closed_port_url
from dailypapers.papers.models import DailyListing, Paper

pytestmark = pytest.mark.django_db


def test_the_submit_page_needs_an_account(client, db):
    response = client.get("/papers/submit")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_recent_paper_is_listed_today_by_id_or_url(logged_in, recent_paper, reader):
    response = logged_in.post("/papers/submit", {"arxiv_id": "https://arxiv.org/abs/2411.00042v1"})
    assert response.status_code == 302 and response["Location"] == "/papers/2411.00042"
    listing = DailyListing.objects.get(paper=recent_paper)
    assert (listing.date, listing.submitted_by) == (timezone.localdate(), reader)
    page = logged_in.get("/papers/2411.00042").content.decode()
    assert 'by <a href="/users/reader">reader</a>' in page


@pytest.mark.parametrize(
    "given, status, reason",
    [
        ("2403.00001", 409, "already on the daily list"),
        ("2403.00005", 400, "more than 14 days ago"),
        ("not an id", 400, "not an arXiv id"),
        ("", 400, "This field is required"),
    ],
)
def test_each_refusal_says_why(logged_in, catalog, given, status, reason):
    response = logged_in.post("/papers/submit", {"arxiv_id": given})
    assert response.status_code == status
    assert reason in response.content.decode()


def test_the_daily_limit_per_user_is_a_setting(logged_in, recent_paper, catalog, settings):
    settings.SUBMISSIONS_PER_USER_PER_DAY = 1
    settings.SUBMISSION_MAX_AGE_DAYS = 100_000
    assert logged_in.post("/papers/submit", {"arxiv_id": "2411.00042"}).status_code == 302
    response = logged_in.post("/papers/submit", {"arxiv_id": "2403.00005"})
    assert response.status_code == 429 and "the daily limit" in response.content.decode()


def fetch_in_the_background() -> None:
    """What a run of the worker's `fetch_queued` task does."""
    fetch_requested(arxiv_client())


def test_an_unknown_paper_is_fetched_in_the_background_then_offered_for_submission(
    logged_in, arxiv_api, settings
):
    settings.SUBMISSION_MAX_AGE_DAYS = 100_000
    arxiv_api.responses["2403.01779"] = (200, PAPER_V2)
    response = logged_in.post("/papers/submit", {"arxiv_id": "2403.01779"})
    assert response.status_code == 303
    assert response["Location"] == "/papers/2403.01779/fetch?then=submit"
    assert arxiv_api.requests == []  # the request did not wait for arXiv
    status = logged_in.get(response["Location"]).content.decode()
    assert 'data-status="queued"' in status and 'hx-trigger="every 1s"' in status

    fetch_in_the_background()
    done = logged_in.get(response["Location"]).content.decode()
    assert 'data-status="done"' in done and "Submit it to today's list" in done
    assert "hx-trigger" not in done
    assert logged_in.post("/papers/submit", {"arxiv_id": "2403.01779"}).status_code == 302
    assert Paper.objects.get(pk="2403.01779").version == 2
    assert DailyListing.objects.filter(paper_id="2403.01779").exists()


def test_a_paper_arxiv_does_not_know_fails_with_the_reason_and_an_offer_to_retry(
    logged_in, arxiv_api
):
    response = logged_in.post("/papers/submit", {"arxiv_id": "2403.09999"})
    fetch_in_the_background()
    html = logged_in.get(response["Location"]).content.decode()
    assert 'data-status="failed"' in html and "arXiv has no paper with this id." in html
    assert 'action="/papers/2403.09999/fetch?then=submit"' in html and "Try again" in html


def test_the_paper_page_of_an_unknown_id_fetches_it_in_the_background(logged_in, arxiv_api):
    arxiv_api.responses["2403.01779"] = (200, PAPER_V2)
    response = logged_in.post("/papers/2403.01779/fetch")
    assert response.status_code == 303 and response["Location"] == "/papers/2403.01779/fetch"
    assert arxiv_api.requests == []
    polled = logged_in.get("/papers/2403.01779/fetch", HTTP_HX_REQUEST="true")
    fragment = polled.content.decode().lstrip()
    assert fragment.startswith('<div class="fetch-status" data-status="queued"')

    fetch_in_the_background()
    polled = logged_in.get("/papers/2403.01779/fetch", HTTP_HX_REQUEST="true")
    assert polled["HX-Redirect"] == "/papers/2403.01779"
    assert logged_in.get("/papers/2403.01779/fetch")["Location"] == "/papers/2403.01779"
    assert logged_in.get("/papers/2403.01779").status_code == 200


def test_an_unreachable_arxiv_fails_the_fetch_in_words_for_the_visitor(logged_in, settings):
    settings.ARXIV_API_URL = f"{closed_port_url()}/api/query"
    settings.ARXIV_REQUEST_DELAY = 0
    logged_in.post("/papers/2403.01779/fetch")
    with pytest.raises(ArxivUnavailable):
        fetch_in_the_background()
    html = logged_in.get("/papers/2403.01779/fetch").content.decode()
    assert "could not be fetched: arXiv could not be reached. Try again in a few minutes." in html
    assert settings.ARXIV_API_URL not in html


def test_asking_again_for_a_paper_on_its_way_is_free_and_each_client_may_queue_a_few(
    logged_in, arxiv_api, settings
):
    settings.FETCH_RATE_PER_CLIENT = "2/hour"
    for _ in range(3):
        assert logged_in.post("/papers/2403.00011/fetch").status_code == 303
    assert logged_in.post("/papers/submit", {"arxiv_id": "2403.00012"}).status_code == 303
    refused = logged_in.post("/papers/2403.00013/fetch")
    assert refused.status_code == 429 and "Try again later" in refused.content.decode()
    refused = logged_in.post("/papers/submit", {"arxiv_id": "2403.00013"})
    assert refused.status_code == 429 and "Try again later" in refused.content.decode()
    assert FetchRequest.objects.count() == 2


def test_fetching_needs_an_account(client, arxiv_api):
    assert client.post("/papers/2403.01779/fetch").status_code == 302
    assert client.get("/papers/2403.01779/fetch").status_code == 302
    assert not FetchRequest.objects.exists()
