"""Bad requests get JSON errors with the right status, never a 500."""

from datetime import date

import pytest

from dailypapers.papers.records import ListingRecord
from dailypapers.papers.upserts import upsert_listings

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query",
    [
        "date=2024-02-30",
        "date=yesterday",
        "week=2024-W60",
        "week=2024-10",
        "month=2024-13",
        "month=24-01",
        "sort=best",
        "limit=0",
        "limit=101",
        "p=-1",
        "p=abc",
        "limit=x",
        "date=2024-03-05&week=2024-W10",
    ],
)
def test_invalid_daily_parameters_are_a_json_400(client, query):
    response = client.get(f"/api/daily_papers?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]


@pytest.mark.parametrize(
    "path, status",
    [
        ("/api/papers/2403.99999", 404),
        ("/api/papers/not-an-id", 400),
        ("/api/papers/search?q=" + "x" * 251, 400),
        ("/api/papers/search?limit=500", 400),
    ],
)
def test_paper_and_search_errors_are_json(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert "error" in response.json()


def test_markdown_of_an_unknown_paper_is_a_404(client):
    assert client.get("/papers/2403.99999.md").status_code == 404
    assert client.get("/papers/nonsense.md").status_code == 400


def test_lists_link_to_their_next_page_and_end_empty(client):
    upsert_listings(
        [
            ListingRecord(
                arxiv_id=f"2403.0{n:04d}",
                date=date(2024, 3, 5),
                source="hf-api",
                title=f"Paper {n}",
            )
            for n in range(1, 4)
        ]
    )
    first = client.get("/api/daily_papers?limit=2")
    assert len(first.json()) == 2
    assert first["Link"].endswith('p=1>; rel="next"') and "limit=2" in first["Link"]
    last = client.get("/api/daily_papers?limit=2&p=1")
    assert len(last.json()) == 1 and "Link" not in last
    assert client.get("/api/daily_papers?limit=2&p=9").json() == []


def test_openapi_schema_is_served(client):
    schema = client.get("/api/openapi.json").json()
    assert "/api/daily_papers" in schema["paths"]
    assert client.get("/api/docs").status_code == 200


@pytest.mark.parametrize(
    "query", ["month=0000-01", "month=9999-12", "week=0000-W01", "week=9999-W52", "date=0000-01-01"]
)
def test_years_out_of_range_are_a_400_not_a_500(client, query):
    assert client.get(f"/api/daily_papers?{query}").status_code == 400
