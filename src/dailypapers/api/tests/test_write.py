"""Write endpoints with per-user API tokens: upvote, withdraw, submit to the daily list."""

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from dailypapers.community.models import ApiToken
from dailypapers.conftest import PAPER_V2
from dailypapers.ingest.arxiv_api import ArxivUnavailable, arxiv_client
from dailypapers.ingest.on_demand import fetch_requested
from dailypapers.ingest.tests.stand_ins import closed_port_url
from dailypapers.papers.models import DailyListing, Paper
from dailypapers.papers.records import ListingRecord, PaperRecord
from dailypapers.papers.upserts import upsert_listings, upsert_papers

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    return User.objects.create_user("reader")


@pytest.fixture
def token(reader) -> str:
    out = StringIO()
    call_command("token", "create", "reader", "--name", "script", stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def papers():
    today = timezone.localdate()
    upsert_papers(
        [
            PaperRecord.build(
                arxiv_id="2403.00001",
                title="Fresh",
                abstract="New.",
                authors=["A B"],
                published=today - timedelta(days=2),
            ),
            PaperRecord.build(
                arxiv_id="2403.00002",
                title="Old",
                abstract="Old.",
                authors=["C D"],
                published=today - timedelta(days=30),
            ),
        ]
    )
    upsert_listings(
        [ListingRecord(arxiv_id="2403.00001", date=date(2024, 3, 5), source="hf-api", upvotes=10)]
    )


def call(client, method, path, token=None, body=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return getattr(client, method)(
        path, data=json.dumps(body) if body else None, content_type="application/json", **headers
    )


def test_tokens_are_stored_hashed_and_shown_once(token, reader):
    stored = ApiToken.objects.get(user=reader)
    assert token.startswith("dp_") and len(token) > 40
    assert token not in stored.token_hash and stored.hint == token[-4:]


@pytest.mark.usefixtures("papers")
def test_upvote_and_withdraw_with_a_token(client, token):
    response = call(client, "post", "/api/papers/2403.00001/upvote", token)
    assert response.status_code == 200
    assert response.json() == {"id": "2403.00001", "upvotes": 11, "upvoted": True}
    assert call(client, "post", "/api/papers/2403.00001/upvote", token).json()["upvotes"] == 11
    response = call(client, "delete", "/api/papers/2403.00001/upvote", token)
    assert response.json() == {"id": "2403.00001", "upvotes": 10, "upvoted": False}
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.usefixtures("papers")
@pytest.mark.parametrize("header", [None, "Bearer dp_wrong", "Basic eDp5"])
def test_writes_without_a_valid_token_are_401(client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.post("/api/papers/2403.00001/upvote", **extra)
    assert response.status_code == 401 and "API token" in response.json()["error"]
    assert Paper.objects.get(pk="2403.00001").upvotes == 10


@pytest.mark.usefixtures("papers")
def test_read_only_tokens_and_deactivated_accounts_cannot_write(client, reader):
    _, read_only = ApiToken.objects.issue(reader, can_write=False)
    assert call(client, "post", "/api/papers/2403.00001/upvote", read_only).status_code == 403
    _, plain = ApiToken.objects.issue(reader)
    reader.is_active = False
    reader.save()
    assert call(client, "post", "/api/papers/2403.00001/upvote", plain).status_code == 401


@pytest.mark.usefixtures("papers")
def test_submit_a_recent_paper_to_todays_list(client, token):
    upsert_papers(
        [
            PaperRecord.build(
                arxiv_id="2403.00003",
                title="Brand new",
                abstract="x",
                authors=["E F"],
                published=timezone.localdate(),
            )
        ]
    )
    response = call(client, "post", "/api/daily_papers", token, {"arxivId": "2403.00003"})
    assert response.status_code == 201
    assert response.json()["submittedBy"]["user"] == "reader"
    listing = DailyListing.objects.get(paper_id="2403.00003")
    assert (listing.date, listing.submitted_by.username) == (timezone.localdate(), "reader")


@pytest.mark.usefixtures("papers")
@pytest.mark.parametrize(
    "arxiv_id, status, reason",
    [
        ("2403.00001", 409, "already on the daily list"),
        ("2403.00002", 400, "more than 14 days ago"),
        ("not an id", 400, "not an arXiv id"),
    ],
)
def test_submission_refusals_say_why(client, token, arxiv_id, status, reason):
    response = call(client, "post", "/api/daily_papers", token, {"arxivId": arxiv_id})
    assert response.status_code == status and reason in response.json()["error"]


def test_submissions_are_limited_per_user_per_day(client, token, settings):
    settings.SUBMISSIONS_PER_USER_PER_DAY = 2
    today = timezone.localdate()
    upsert_papers(
        [
            PaperRecord.build(
                arxiv_id=f"2403.1000{n}",
                title=f"P{n}",
                abstract="x",
                authors=["G H"],
                published=today,
            )
            for n in range(3)
        ]
    )
    statuses = [
        call(client, "post", "/api/daily_papers", token, {"arxivId": f"2403.1000{n}"}).status_code
        for n in range(3)
    ]
    assert statuses == [201, 201, 429]


def test_an_unknown_paper_answers_202_and_is_fetched_in_the_background(
    client, token, arxiv_api, settings
):
    settings.SUBMISSION_MAX_AGE_DAYS = 100_000
    arxiv_api.responses["2403.01779"] = (200, PAPER_V2)
    response = call(client, "post", "/api/daily_papers", token, {"arxivId": "2403.01779"})
    assert response.status_code == 202 and arxiv_api.requests == []
    assert response.json() == {
        "arxivId": "2403.01779",
        "status": "queued",
        "reason": "",
        "statusUrl": "/api/papers/2403.01779/fetch",
    }
    fetch_requested(arxiv_client())
    status = call(client, "get", "/api/papers/2403.01779/fetch", token)
    assert status.status_code == 200 and status.json()["status"] == "done"
    again = call(client, "post", "/api/daily_papers", token, {"arxivId": "2403.01779"})
    assert again.status_code == 201 and again.json()["paper"]["id"] == "2403.01779"


def test_a_fetch_arxiv_cannot_answer_fails_with_the_reason(client, token, settings):
    settings.ARXIV_API_URL = f"{closed_port_url()}/api/query"
    settings.ARXIV_REQUEST_DELAY = 0
    call(client, "post", "/api/daily_papers", token, {"arxivId": "2403.09999"})
    with pytest.raises(ArxivUnavailable):
        fetch_requested(arxiv_client())
    status = call(client, "get", "/api/papers/2403.09999/fetch", token).json()
    assert status["status"] == "failed"
    assert status["reason"] == "arXiv could not be reached. Try again in a few minutes."
    unknown = call(client, "get", "/api/papers/2403.09998/fetch", token)
    assert unknown.status_code == 404 and "nobody asked" in unknown.json()["error"]
    assert client.get("/api/papers/2403.09999/fetch").status_code == 401


def test_each_client_may_queue_a_few_fetches(client, token, settings, db):
    settings.FETCH_RATE_PER_CLIENT = "1/hour"
    first = call(client, "post", "/api/daily_papers", token, {"arxivId": "2403.09991"})
    second = call(client, "post", "/api/daily_papers", token, {"arxivId": "2403.09992"})
    assert (first.status_code, second.status_code) == (202, 429)
    assert "Try again later" in second.json()["error"]
