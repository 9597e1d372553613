"""Submitting a paper to today's daily list, and fetching unknown papers from arXiv."""

import pytest
from django.utils import timezone

from dailypapers.conftest import PAPER_V2
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


def test_an_unknown_paper_is_fetched_from_arxiv_when_submitted(logged_in, arxiv_api, settings):
    settings.SUBMISSION_MAX_AGE_DAYS = 100_000
    arxiv_api.responses["2403.01779"] = (200, PAPER_V2)
    response = logged_in.post("/papers/submit", {"arxiv_id": "2403.01779"})
    assert response.status_code == 302
    assert Paper.objects.get(pk="2403.01779").version == 2
    assert DailyListing.objects.filter(paper_id="2403.01779").exists()


def test_a_paper_arxiv_does_not_know_is_refused_with_the_reason(logged_in, arxiv_api):
    response = logged_in.post("/papers/submit", {"arxiv_id": "2403.09999"})
    assert response.status_code == 400 and "not found on arXiv" in response.content.decode()


def test_the_paper_page_of_an_unknown_id_fetches_it_for_a_logged_in_user(logged_in, arxiv_api):
    arxiv_api.responses["2403.01779"] = (200, PAPER_V2)
    response = logged_in.post("/papers/2403.01779/fetch")
    assert response.status_code == 302 and response["Location"] == "/papers/2403.01779"
    assert logged_in.get("/papers/2403.01779").status_code == 200


def test_fetching_needs_an_account_and_a_post(client, arxiv_api):
    assert client.post("/papers/2403.01779/fetch").status_code == 302
    assert not arxiv_api.requests
