"""Read answers shared by every caller for PAGE_CACHE_SECONDS; writers' reads stay fresh."""

from datetime import date

import pytest

from dailypapers.papers.models import Paper
from dailypapers.papers.records import ListingRecord
from dailypapers.papers.upserts import upsert_listings

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed():
    upsert_listings(
        [
            ListingRecord(arxiv_id=f"2403.{n:05}", date=date(2024, 3, 5), source="hf-api")
            for n in range(1, 4)
        ]
    )


def test_a_read_is_answered_from_the_shared_cache(client, listed):
    first = client.get("/api/papers/2403.00001").json()
    Paper.objects.filter(pk="2403.00001").update(title="Renamed")
    assert client.get("/api/papers/2403.00001").json() == first


def test_callers_with_a_token_always_get_a_fresh_answer(client, listed):
    client.get("/api/papers/2403.00001")
    Paper.objects.filter(pk="2403.00001").update(title="Renamed")
    fresh = client.get("/api/papers/2403.00001", HTTP_AUTHORIZATION="Bearer anything")
    assert fresh.json()["title"] == "Renamed"


def test_a_shared_list_keeps_its_link_header_and_type(client, listed):
    first = client.get("/api/daily_papers?date=2024-03-05&limit=2")
    again = client.get("/api/daily_papers?date=2024-03-05&limit=2")
    assert again["Link"] == first["Link"] and 'rel="next"' in again["Link"]
    assert again["Content-Type"] == first["Content-Type"] == "application/json; charset=utf-8"
    assert again.json() == first.json()


def test_errors_are_not_shared(client, listed):
    assert client.get("/api/papers/2403.09999").status_code == 404
    upsert_listings([ListingRecord(arxiv_id="2403.09999", date=date(2024, 3, 5), source="hf-api")])
    assert client.get("/api/papers/2403.09999").status_code == 200
