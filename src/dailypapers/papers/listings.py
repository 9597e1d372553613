"""Reading the daily list: one day, an ISO week or a month, newest or most upvoted first.

The API and the web pages both list papers through here.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from django.db.models import QuerySet

from .models import DailyListing

# "date": newest day first, then most upvoted; "upvotes": most upvoted first.
Sort = Literal["date", "upvotes"]
SORTS: tuple[Sort, ...] = ("date", "upvotes")


class InvalidPeriod(ValueError):
    """A date, week or month that does not exist; the message says which."""


@dataclass(frozen=True)
class Period:
    first: date
    last: date


def parse_day(text: str) -> Period:
    try:
        day = date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidPeriod(f"not a date (YYYY-MM-DD): {text[:40]!r}")
    return Period(day, day)


def parse_week(text: str) -> Period:
    match = re.fullmatch(r"(\d{4})-W(\d{2})", text)
    try:
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
        return Period(monday, monday + timedelta(days=6))
    except (TypeError, ValueError, OverflowError):  # no match, week 60, year 0 or 9999
        raise InvalidPeriod(f"not an ISO week (YYYY-Www): {text[:40]!r}") from None


def parse_month(text: str) -> Period:
    match = re.fullmatch(r"(\d{4})-(\d{2})", text)
    try:
        first = date(int(match[1]), int(match[2]), 1)
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    except (TypeError, ValueError):  # no match, month 13, year 0 or 9999-12
        raise InvalidPeriod(f"not a month (YYYY-MM): {text[:40]!r}") from None
    return Period(first, following - timedelta(days=1))


def parse_period(
    date: str | None = None, week: str | None = None, month: str | None = None
) -> Period | None:
    """The one period given as a day, an ISO week or a month; None when none is given."""
    given = [
        (text, parse)
        for text, parse in ((date, parse_day), (week, parse_week), (month, parse_month))
        if text is not None
    ]
    if len(given) > 1:
        raise InvalidPeriod("give at most one of date, week and month")
    return given[0][1](given[0][0]) if given else None


def daily_listings(
    period: Period | None = None, *, submitter: str = "", sort: Sort = "date"
) -> QuerySet:
    """Visible listings with their papers, in ``sort``'s order, within ``period`` when given."""
    listings = DailyListing.objects.visible().select_related(
        "paper", "paper__organization", "submitted_by"
    )
    if period is not None:
        listings = listings.filter(date__range=(period.first, period.last))
    if submitter:
        listings = listings.filter(submitter_name=submitter) | listings.filter(
            submitted_by__username=submitter
        )
    if sort == "upvotes":
        return listings.order_by("-paper__upvotes", "-date", "paper_id")
    return listings.order_by("-date", "-paper__upvotes", "paper_id")
