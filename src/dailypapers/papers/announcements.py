"""New on arXiv: the papers arXiv announced on one day, in some categories.

Like arXiv's ``/list/cs/new``: a paper belongs to the day it was first
published (``Paper.published``), and to every category it is filed under,
cross-lists included. A category is an archive (``cs``: every ``cs.*``; ``hep-th``)
or a subject class (``cs.LG``). The newest day is the newest one in the
catalog, not the calendar's, so an imported archive has a "new" page too.
The pages and the feeds read these lists from here.
"""

import re
from collections import Counter
from collections.abc import Sequence
from datetime import date

from django.conf import settings
from django.db.models import Q, QuerySet

from .models import Paper

# An archive and a subject class, each of at most 20 characters ("cond-mat.stat-mech").
_CATEGORY = re.compile(r"[a-z][a-z-]{0,19}(\.[A-Za-z-]{1,20})?")


class InvalidCategory(ValueError):
    """Not an arXiv archive or category name; the message says which."""


def check_categories(categories: Sequence[str]) -> list[str]:
    for name in categories:
        if not _CATEGORY.fullmatch(name):
            raise InvalidCategory(f"not an arXiv category (such as cs or cs.LG): {name[:40]!r}")
    return list(categories)


def chosen_categories(category: str = "") -> tuple[list[str], str]:
    """The categories of ``/papers/new/<category>``, else the configured ones, and how to
    name them; raises InvalidCategory."""
    categories = check_categories([category] if category else settings.NEW_CATEGORIES)
    return categories, " ".join(categories) or "all categories"


def _in_categories(categories: Sequence[str]) -> Q:
    """Papers filed under any of ``categories``; every paper when there are none."""
    matches = Q()
    for name in check_categories(categories):
        # Categories are stored space-separated; an archive also matches its subject classes.
        tail = r"( |$)" if "." in name else r"(\.| |$)"
        matches |= Q(categories__regex=rf"(^| ){name.replace('.', '[.]')}{tail}")
    return matches


def announced(categories: Sequence[str]) -> QuerySet:
    return Paper.objects.visible().filter(_in_categories(categories), published__isnull=False)


def newest_day(categories: Sequence[str], today: date | None = None) -> date | None:
    papers = announced(categories)
    if today is not None:
        papers = papers.filter(published__lte=today)
    return papers.order_by("-published").values_list("published", flat=True).first()


def neighbour_days(day: date, categories: Sequence[str]) -> tuple[date | None, date | None]:
    """The nearest earlier and later days with papers in ``categories``."""
    days = announced(categories).values_list("published", flat=True)
    return (
        days.filter(published__lt=day).order_by("-published").first(),
        days.filter(published__gt=day).order_by("published").first(),
    )


def announced_on(day: date, categories: Sequence[str]) -> QuerySet:
    """The day's papers, most upvoted first, then in arXiv's order (by id)."""
    return announced(categories).filter(published=day).for_cards().order_by("-upvotes", "arxiv_id")


def categories_on(day: date, categories: Sequence[str]) -> list[tuple[str, int]]:
    """The subject classes of the day's papers within ``categories``, with their counts."""
    wanted = check_categories(categories)
    filed = announced(categories).filter(published=day).values_list("categories", flat=True)
    counts = Counter(
        name
        for names in filed
        for name in names.split()
        if not wanted or any(name == w or name.startswith(f"{w}.") for w in wanted)
    )
    return sorted(counts.items())
