"""How a page of papers is drawn: cards with the viewer's upvotes, PAGE_SIZE to a page,
the following page as cards alone for htmx's "more", and the pages that refuse.
"""

from dataclasses import dataclass
from datetime import date
from functools import cached_property

from django.db.models import Count, Min
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify

from dailypapers.library.models import Mark
from dailypapers.papers.models import Authorship, DailyListing, Paper, Upvote
from dailypapers.throttles import limits

PAGE_SIZE = 30
# Deeper than anyone pages by hand; beyond it a page number is a mistake or a crawler.
MAX_PAGE = 1000


@dataclass
class Card:
    """One entry of a list: the paper, the day it was listed, and the viewer's upvote and
    marks (read, "not interested")."""

    paper: Paper
    listed_on: date | None
    upvoted: bool
    # The byline, where the paper has no organization: "N authors", or the one author's name.
    author_count: int = 0
    only_author: str = ""
    read: bool = False
    dismissed: bool = False
    # The reader's note, on a collection's page.
    note: str = ""
    # Why "For you" shows it.
    reason: str = ""

    @cached_property
    def slug(self) -> str:
        """The paper's id as the card's element ids spell it."""
        return slugify(self.paper.arxiv_id)

    # A page draws thirty cards of four actions each: the paths below are spelt from the
    # paper's own path, as web/urls.py routes them (a test holds the two together),
    # instead of thirty times four reverse() lookups.
    @cached_property
    def url(self) -> str:
        return self.paper.get_absolute_url()

    @property
    def upvote_url(self) -> str:
        return f"{self.url}/upvote"

    @property
    def save_url(self) -> str:
        return f"{self.url}/save"

    @property
    def read_url(self) -> str:
        return f"{self.url}/read"

    @property
    def dismiss_url(self) -> str:
        return f"{self.url}/dismiss"


def cards(request: HttpRequest, papers: list[Paper], listed_on: list | None = None) -> list[Card]:
    ids = [p.arxiv_id for p in papers]
    # One row a paper, rather than every authorship and author as model instances: the
    # largest part of loading a page of cards.
    bylines = {
        paper_id: {"author_count": count, "only_author": name}
        for paper_id, count, name in Authorship.objects.filter(paper_id__in=ids)
        .order_by()
        .values("paper_id")
        # With one author, the least name is that author's.
        .annotate(count=Count("id"), name=Min("author__name"))
        .values_list("paper_id", "count", "name")
    }
    upvoted, marked = set(), set()
    if request.user.is_authenticated and papers:
        upvoted = set(
            Upvote.objects.filter(user=request.user, paper_id__in=ids).values_list(
                "paper_id", flat=True
            )
        )
        marked = set(
            Mark.objects.filter(user=request.user, paper_id__in=ids).values_list("paper_id", "kind")
        )
    days = listed_on or [getattr(p.daily_listing, "date", None) for p in papers]
    return [
        Card(
            p,
            day,
            p.arxiv_id in upvoted,
            **bylines.get(p.arxiv_id, {}),
            read=(p.arxiv_id, Mark.Kind.READ) in marked,
            dismissed=(p.arxiv_id, Mark.Kind.DISMISSED) in marked,
        )
        for p, day in zip(papers, days, strict=True)
    ]


def page_number(request: HttpRequest) -> int:
    text = request.GET.get("p", "1")
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise Http404(f"There is no page {text[:20]!r}: pages are numbered 1 to {MAX_PAGE}.")
    return int(text)


def page_of_cards(
    request: HttpRequest,
    items,
    template: str,
    context: dict,
    reasons: dict[str, str] | None = None,
) -> HttpResponse:
    """Render one page of ``items`` (a queryset, or a sliceable list of papers or listings),
    each card with its line from ``reasons`` (by arXiv id) when given.

    An htmx request for a following page ("more results") gets only the cards.
    """
    number = page_number(request)
    start = (number - 1) * PAGE_SIZE
    window = list(items[start : start + PAGE_SIZE + 1])
    if not window and number > 1:
        raise Http404(f"Page {number} is past the end of this list.")
    shown = window[:PAGE_SIZE]
    if shown and isinstance(shown[0], DailyListing):
        page_cards = cards(request, [x.paper for x in shown], [x.date for x in shown])
    else:
        page_cards = cards(request, shown)
    for card in page_cards:
        card.reason = (reasons or {}).get(card.paper.arxiv_id, "")
    more_url = ""
    if len(window) > PAGE_SIZE:
        query = request.GET.copy()
        query["p"] = number + 1
        more_url = f"{request.path}?{query.urlencode()}"
    context |= {"cards": page_cards, "more_url": more_url}
    if request.htmx and number > 1:
        return render(request, "web/_cards.html", context)
    return render(request, template, context)


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "web/error.html", {"message": message}, status=400)


def too_many_requests(request: HttpRequest, refusal: limits.Throttled) -> HttpResponse:
    context = {"heading": "Too many requests", "message": str(refusal)}
    response = render(request, "web/error.html", context, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response
