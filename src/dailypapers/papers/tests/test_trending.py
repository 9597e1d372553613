"""The trending formula: upvotes decayed by age over a window of listed days."""

from datetime import date

import pytest

from dailypapers.papers.models import DailyListing, Paper
from dailypapers.papers.records import ListingRecord
from dailypapers.papers.trending import describe, trending_paper_ids, trending_score
from dailypapers.papers.upserts import upsert_listings

pytestmark = pytest.mark.django_db


def listed(arxiv_id: str, day: date, upvotes: int) -> ListingRecord:
    return ListingRecord(arxiv_id=arxiv_id, date=day, source="hf-api", upvotes=upvotes)


def test_the_score_halves_and_more_with_each_day_of_age():
    assert trending_score(40, 0, gravity=1.5) == 40
    assert trending_score(40, 1, gravity=1.5) == pytest.approx(40 / 2**1.5)
    assert trending_score(40, 1, gravity=1.5) > trending_score(60, 5, gravity=1.5)


def test_recent_upvotes_outrank_older_bigger_counts():
    upsert_listings(
        [
            listed("2403.00001", date(2024, 3, 10), 40),
            listed("2403.00002", date(2024, 3, 5), 60),
            listed("2403.00003", date(2024, 3, 9), 3),
        ]
    )
    assert trending_paper_ids() == ["2403.00001", "2403.00002", "2403.00003"]


def test_the_window_is_counted_back_from_the_newest_listed_day(settings):
    settings.TRENDING_WINDOW_DAYS = 3
    upsert_listings(
        [listed("2403.00001", date(2024, 3, 10), 1), listed("2403.00002", date(2024, 3, 7), 500)]
    )
    assert trending_paper_ids() == ["2403.00001"]
    assert trending_paper_ids(today=date(2024, 3, 8)) == ["2403.00002"]


@pytest.mark.parametrize("hidden", [DailyListing.objects, Paper.objects], ids=["listing", "paper"])
def test_hidden_listings_and_papers_do_not_trend(hidden):
    upsert_listings([listed("2403.00001", date(2024, 3, 10), 9)])
    hidden.update(is_hidden=True)
    assert trending_paper_ids() == []


def test_the_trending_page_and_feed_describe_the_formula_with_the_settings(settings):
    settings.TRENDING_GRAVITY, settings.TRENDING_WINDOW_DAYS = 2.0, 5
    assert describe() == (
        "Ranked by upvotes ÷ (days since listed + 1)^2, over the last 5 days of listings."
    )
