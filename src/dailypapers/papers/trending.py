"""Trending: what the community is upvoting now.

The formula, gravity-style as on Hacker News:

    score = upvotes / (age_in_days + 1) ** TRENDING_GRAVITY

over the listings of the last ``TRENDING_WINDOW_DAYS`` days (default 7 days,
gravity 1.5). A listing's age counts from its daily-list date to the newest
listed day, not to the wall clock, so a catalog imported from an archive (or a
site that lists nothing over a holiday) still has a trending page. A paper
with 40 upvotes from yesterday (40 / 2^1.5 ≈ 14) outranks one with 60 from
five days ago (60 / 6^1.5 ≈ 4).
"""

from datetime import date, timedelta

from django.conf import settings

from .models import DailyListing


def describe() -> str:
    """The formula in a reader's words, with this site's settings: the trending page
    and feed say it this way."""
    return (
        f"Ranked by upvotes ÷ (days since listed + 1)^{settings.TRENDING_GRAVITY:g}, "
        f"over the last {settings.TRENDING_WINDOW_DAYS} days of listings."
    )


def newest_listed_day(today: date | None = None) -> date | None:
    listings = DailyListing.objects.visible()
    if today is not None:
        listings = listings.filter(date__lte=today)
    return listings.order_by("-date").values_list("date", flat=True).first()


def trending_score(upvotes: int, age_days: int, gravity: float | None = None) -> float:
    gravity = settings.TRENDING_GRAVITY if gravity is None else gravity
    return upvotes / (max(age_days, 0) + 1) ** gravity


def trending_paper_ids(today: date | None = None, window_days: int | None = None) -> list[str]:
    """Paper ids of the window's listings, highest trending score first."""
    newest = newest_listed_day(today)
    if newest is None:
        return []
    window_days = settings.TRENDING_WINDOW_DAYS if window_days is None else window_days
    rows = (
        DailyListing.objects.visible()
        .filter(date__range=(newest - timedelta(days=window_days - 1), newest))
        .values_list("paper_id", "paper__upvotes", "date")
    )
    scored = [
        (trending_score(upvotes, (newest - day).days), day, paper_id)
        for paper_id, upvotes, day in rows
    ]
    # Ties: the newer listing, then the id, so the order is stable between requests.
    scored.sort(key=lambda row: (-row[0], -row[1].toordinal(), row[2]))
    return [paper_id for _, _, paper_id in scored]
