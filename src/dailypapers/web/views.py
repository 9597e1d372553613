"""The website's pages. Thin: every list comes from papers.listings, papers.collections,
papers.trending or search.service, the same places the API and the feeds read.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from dailypapers.cli import command_hint
from dailypapers.community.services import verified_author_ids
from dailypapers.ingest.models import FetchRequest, SourceStatus
from dailypapers.ingest.on_demand import TooManyFetches, queue_fetch
from dailypapers.papers import announcements
from dailypapers.papers.arxiv_ids import InvalidArxivId, normalize_arxiv_id
from dailypapers.papers.collections import (
    author_papers,
    organization_papers,
    organizations_by_paper_count,
    papers_in_order,
    submitted_listings,
    upvoted_papers,
)
from dailypapers.papers.listings import (
    InvalidPeriod,
    Period,
    daily_listings,
    parse_day,
    parse_month,
    parse_week,
)
from dailypapers.papers.models import Author, DailyListing, Organization, Paper, Upvote
from dailypapers.papers.services import (
    SubmissionRefused,
    add_upvote,
    remove_upvote,
    submit_to_daily_list,
)
from dailypapers.papers.trending import newest_listed_day, trending_paper_ids
from dailypapers.search.documents import SearchFilters
from dailypapers.search.progress import current as embedding_progress
from dailypapers.search.service import search, similar
from dailypapers.throttles import limits

from .forms import SearchForm, SubmitForm
from .page_cache import shared_with_anonymous_readers

PAGE_SIZE = 30
# Organizations are one line each: a page holds more of them than of cards.
ORGANIZATIONS_PER_PAGE = 100
# Deeper than anyone pages by hand; beyond it a page number is a mistake or a crawler.
MAX_PAGE = 1000
SORTS = {"upvotes": "trending", "date": "publishedAt"}


@dataclass
class Card:
    """One entry of a list: the paper, the day it was listed, and the viewer's upvote."""

    paper: Paper
    listed_on: date | None
    upvoted: bool


def _cards(request: HttpRequest, papers: list[Paper], listed_on: list | None = None) -> list[Card]:
    upvoted = set()
    if request.user.is_authenticated and papers:
        upvoted = set(
            Upvote.objects.filter(
                user=request.user, paper_id__in=[p.arxiv_id for p in papers]
            ).values_list("paper_id", flat=True)
        )
    days = listed_on or [getattr(p.daily_listing, "date", None) for p in papers]
    return [Card(p, day, p.arxiv_id in upvoted) for p, day in zip(papers, days, strict=True)]


def _page_number(request: HttpRequest) -> int:
    text = request.GET.get("p", "1")
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise Http404(f"There is no page {text[:20]!r}: pages are numbered 1 to {MAX_PAGE}.")
    return int(text)


def _page(request: HttpRequest, items, template: str, context: dict) -> HttpResponse:
    """Render one page of ``items`` (a queryset, or a sliceable list of papers or listings).

    An htmx request for a following page ("more results") gets only the cards.
    """
    number = _page_number(request)
    start = (number - 1) * PAGE_SIZE
    window = list(items[start : start + PAGE_SIZE + 1])
    if not window and number > 1:
        raise Http404(f"Page {number} is past the end of this list.")
    shown = window[:PAGE_SIZE]
    if shown and isinstance(shown[0], DailyListing):
        cards = _cards(request, [x.paper for x in shown], [x.date for x in shown])
    else:
        cards = _cards(request, shown)
    more_url = ""
    if len(window) > PAGE_SIZE:
        query = request.GET.copy()
        query["p"] = number + 1
        more_url = f"{request.path}?{query.urlencode()}"
    context |= {"cards": cards, "more_url": more_url}
    if request.htmx and number > 1:
        return render(request, "web/_cards.html", context)
    return render(request, template, context)


def home(request: HttpRequest) -> HttpResponse:
    return redirect("papers")


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and feed readers ask for /favicon.ico whatever the page links."""
    return redirect(static("web/favicon.ico"), permanent=True)


@shared_with_anonymous_readers
def papers(request: HttpRequest) -> HttpResponse:
    """/papers: the latest day with listings, or the search page when ``q`` is given."""
    if "q" in request.GET:
        return _search(request)
    day = newest_listed_day(timezone.localdate())
    if day is None:
        return render(
            request,
            "web/empty.html",
            {
                "paper_count": Paper.objects.count(),
                "cli": command_hint(),
                "failures": SourceStatus.failing(),
            },
        )
    return _listing_page(request, "date", day.isoformat(), Period(day, day))


def pick_date(request: HttpRequest) -> HttpResponse:
    """The date picker's target: /papers/date?date=… → /papers/date/…."""
    text = request.GET.get("date", "")
    try:
        parse_day(text)
    except InvalidPeriod as error:
        return _bad_request(request, str(error))
    return redirect("papers-date", day=text)


def _parsed(parse, text: str) -> Period:
    try:
        return parse(text)
    except InvalidPeriod as error:
        raise Http404(str(error)) from None


@shared_with_anonymous_readers
def papers_of_day(request: HttpRequest, day: str) -> HttpResponse:
    return _listing_page(request, "date", day, _parsed(parse_day, day))


@shared_with_anonymous_readers
def papers_of_week(request: HttpRequest, week: str) -> HttpResponse:
    return _listing_page(request, "week", week, _parsed(parse_week, week))


@shared_with_anonymous_readers
def papers_of_month(request: HttpRequest, month: str) -> HttpResponse:
    return _listing_page(request, "month", month, _parsed(parse_month, month))


def _neighbours(kind: str, period: Period) -> dict[str, str | None]:
    """Previous and next page: the nearest listed days, or the adjacent week or month."""
    if kind == "date":
        listed = DailyListing.objects.filter(is_hidden=False).values_list("date", flat=True)
        before = listed.filter(date__lt=period.first).order_by("-date").first()
        after = listed.filter(date__gt=period.last).order_by("date").first()
        return {
            "previous_url": before and reverse("papers-date", args=[before.isoformat()]),
            "next_url": after and reverse("papers-date", args=[after.isoformat()]),
        }
    before, after = period.first - timedelta(days=1), period.last + timedelta(days=1)
    if kind == "week":
        return {
            "previous_url": reverse("papers-week", args=[_iso_week(before)]),
            "next_url": reverse("papers-week", args=[_iso_week(after)]),
        }
    return {
        "previous_url": reverse("papers-month", args=[f"{before:%Y-%m}"]),
        "next_url": reverse("papers-month", args=[f"{after:%Y-%m}"]),
    }


def _iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02}"


def _title(kind: str, period: Period) -> str:
    if kind == "date":
        return f"Daily papers of {period.first:%A, %B} {period.first.day}, {period.first.year}"
    if kind == "week":
        return f"Papers of the week {period.first.isocalendar()[1]}, {period.first.year}"
    return f"Papers of {period.first:%B %Y}"


def _listing_page(request: HttpRequest, kind: str, value: str, period: Period) -> HttpResponse:
    sort = request.GET.get("sort", "upvotes")
    if sort not in SORTS:
        return _bad_request(request, "sort is upvotes or date")
    return _page(
        request,
        daily_listings(period, sort=SORTS[sort]),
        "web/listing.html",
        {
            "title": _title(kind, period),
            "kind": kind,
            "value": value,
            "period": period,
            "sort": sort,
            "feed": "daily",
            **_neighbours(kind, period),
        },
    )


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "web/error.html", {"message": message}, status=400)


@shared_with_anonymous_readers
def trending(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        _PapersByIds(lambda: trending_paper_ids(timezone.localdate())),
        "web/trending.html",
        {
            "title": "Trending papers",
            "feed": "trending",
            "gravity": settings.TRENDING_GRAVITY,
            "window_days": settings.TRENDING_WINDOW_DAYS,
        },
    )


@shared_with_anonymous_readers
def new_papers(request: HttpRequest, category: str = "") -> HttpResponse:
    """New on arXiv: one day's announcements (the newest by default, or ``?date=``)."""
    try:
        categories, shown = announcements.chosen_categories(category)
        day = (
            parse_day(request.GET["date"]).first
            if "date" in request.GET
            else announcements.newest_day(categories, timezone.localdate())
        )
    except (announcements.InvalidCategory, InvalidPeriod) as error:
        raise Http404(str(error)) from None
    context = {
        "category": category,
        "shown": shown,
        "feed": "new-category" if category else "new",
        "feed_arg": category,
        "day": day,
    }
    if day is None:
        context |= {
            "title": f"New on arXiv in {shown}",
            "cli": command_hint(),
            "failures": SourceStatus.failing(),
            "harvest_set": settings.HARVEST_SET,
        }
        return render(request, "web/new.html", context | {"cards": []})
    before, after = announcements.neighbour_days(day, categories)
    here = reverse("papers-new-category", args=[category]) if category else reverse("papers-new")
    return _page(
        request,
        announcements.announced_on(day, categories),
        "web/new.html",
        context
        | {
            "title": f"New on arXiv in {shown}: {day:%A, %B} {day.day}, {day.year}",
            "subjects": announcements.categories_on(day, settings.NEW_CATEGORIES),
            "previous_url": before and f"{here}?date={before}",
            "next_url": after and f"{here}?date={after}",
        },
    )


class _PapersByIds:
    """Papers in the order of a list of ids, fetched only for the slice shown."""

    def __init__(self, ids: Callable[[], list[str]]):
        self.ids = ids

    def __getitem__(self, window: slice) -> list[Paper]:
        return papers_in_order(self.ids()[window])


class _Window:
    """A slice of a longer list, addressed with the longer list's indexes."""

    def __init__(self, items: list, offset: int):
        self.items, self.offset = items, offset

    def __getitem__(self, window: slice) -> list:
        return self.items[window.start - self.offset : window.stop - self.offset]


def _search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "query": "", "title": "Search"}
        return render(request, "web/search.html", context, status=400)
    query = form.cleaned_data["q"]
    number = _page_number(request)
    results = None
    if query.strip():
        results = search(
            query,
            SearchFilters(
                published_from=form.cleaned_data["published_from"],
                published_until=form.cleaned_data["published_until"],
                category=form.cleaned_data["category"],
                organization=form.cleaned_data["organization"],
            ),
            sort=form.cleaned_data["sort"] or "relevance",
            limit=PAGE_SIZE + 1,
            offset=(number - 1) * PAGE_SIZE,
        )
    hits = results.hits if results else []
    progress = embedding_progress()
    context = {
        "form": form,
        "query": query,
        "results": results,
        # While embeddings are built, how much semantic search covers and how long it needs.
        "embedding_progress": progress if progress and not progress.complete else None,
        "snippets": {hit.paper.arxiv_id: hit.snippet for hit in hits[:PAGE_SIZE]},
        "feed": "search",
        "title": f"Search: {query}" if query else "Search",
    }
    # Search as you type replaces the results region alone.
    as_you_type = request.htmx and request.htmx.target == "results"
    return _page(
        request,
        _Window([hit.paper for hit in hits], (number - 1) * PAGE_SIZE),
        "web/_search_results.html" if as_you_type else "web/search.html",
        context,
    )


@shared_with_anonymous_readers
def paper(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    try:
        canonical = normalize_arxiv_id(arxiv_id)
    except InvalidArxivId as error:
        raise Http404(str(error)) from None
    if canonical != arxiv_id:
        return redirect("paper", arxiv_id=canonical, permanent=True)
    found = Paper.objects.for_cards().filter(pk=canonical).first()
    if found is None or (found.is_hidden and not request.user.is_staff):
        return render(request, "web/paper_unknown.html", {"arxiv_id": canonical}, status=404)
    return render(
        request,
        "web/paper.html",
        {
            "paper": found,
            "card": _cards(request, [found])[0],
            "listing": found.daily_listing,
            "similar": _similar(found),
            "verified_author_ids": verified_author_ids(found),
            "title": found.title,
            "add_pending_command": command_hint("add --pending") if found.metadata_pending else "",
        },
    )


def _similar(paper: Paper) -> list[tuple[str, str]]:
    """(URL, title) of the nearest papers: the same for every reader, so cached."""
    key = f"similar:{paper.arxiv_id}"
    found = cache.get(key)
    if found is None:
        found = [(p.get_absolute_url(), p.title) for p in similar(paper, limit=6)]
        cache.set(key, found, settings.PAGE_CACHE_SECONDS)
    return found


@login_required
def fetch_paper(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """POST: ask for the paper from arXiv, and go to how it is going. GET: how it is going
    (queued, fetching, failed and why, done), polled by htmx until it is over.

    Nothing here waits for arXiv: ``add --watch``, beside the server, does the
    fetching (ingest/on_demand.py). ``?then=submit`` comes from the submit form,
    which offers to submit the paper once it is here.
    """
    try:
        canonical = normalize_arxiv_id(arxiv_id)
    except InvalidArxivId as error:
        raise Http404(str(error)) from None
    found = Paper.objects.filter(pk=canonical).first()
    if found is not None and found.is_hidden and not request.user.is_staff:
        raise Http404(f"arXiv:{canonical} is not in the catalog.")
    then_submit = request.GET.get("then") == "submit"
    if request.method == "POST":
        if found is not None and not found.metadata_pending:
            return redirect(found)
        try:
            queue_fetch(canonical, limits.client_key(request))
        except TooManyFetches as refusal:
            context = {"heading": "Too many requests", "message": str(refusal)}
            return render(request, "web/error.html", context, status=refusal.status)
        return HttpResponseRedirect(_fetch_status_url(canonical, then_submit), status=303)
    fetch = FetchRequest.objects.filter(pk=canonical).first()
    if fetch is None or (fetch.status == FetchRequest.Status.DONE and not then_submit):
        # Never asked for here (the paper page offers it), or arrived: the paper page.
        where = reverse("paper", args=[canonical])
        return HttpResponseClientRedirect(where) if request.htmx else redirect(where)
    context = {"fetch": fetch, "paper": found, "then_submit": then_submit}
    if request.htmx:
        return render(request, "web/_fetch_status.html", context)
    return render(request, "web/fetch_status.html", context)


def _fetch_status_url(arxiv_id: str, then_submit: bool) -> str:
    return reverse("paper-fetch", args=[arxiv_id]) + ("?then=submit" if then_submit else "")


def _too_many(request: HttpRequest, refusal: limits.Throttled) -> HttpResponse:
    context = {"heading": "Too many requests", "message": str(refusal)}
    response = render(request, "web/error.html", context, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response


@require_POST
def upvote(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """Toggle the viewer's upvote; htmx swaps in the updated button."""
    if not request.user.is_authenticated:
        login = f"{reverse('login')}?next={reverse('paper', args=[arxiv_id])}"
        if request.htmx:
            return HttpResponse(status=401, headers={"HX-Redirect": login})
        return redirect(login)
    target = get_object_or_404(Paper.objects.visible(), pk=arxiv_id)
    try:
        limits.check(limits.VOTE, client=limits.client_key(request), account=request.user.pk)
    except limits.Throttled as refusal:
        if request.htmx:
            # htmx swaps no 4xx answer: the button stays as it was, with the reason under it.
            context = {"card": _cards(request, [target])[0], "refusal": refusal}
            return render(request, "web/_upvote.html", context)
        return _too_many(request, refusal)
    if not add_upvote(request.user, target):
        remove_upvote(request.user, target)
    target.refresh_from_db(fields=["upvotes"])
    if request.htmx:
        return render(request, "web/_upvote.html", {"card": _cards(request, [target])[0]})
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        back = target.get_absolute_url()
    return redirect(back)


@login_required
def submit(request: HttpRequest) -> HttpResponse:
    """Submit a paper to today's daily list by arXiv id or URL; a refusal says why."""
    form = SubmitForm(request.POST or None)
    status = 200
    retry_after = None
    if form.is_valid():
        arxiv_id = form.cleaned_data["arxiv_id"]
        found = Paper.objects.filter(pk=arxiv_id).first()
        try:
            limits.check(limits.SUBMIT, client=limits.client_key(request), account=request.user.pk)
            if found is None:
                # Fetched in the background; its status page offers to submit it once here.
                queue_fetch(arxiv_id, limits.client_key(request))
                return HttpResponseRedirect(_fetch_status_url(arxiv_id, True), status=303)
            submit_to_daily_list(request.user, found, timezone.localdate())
        except limits.Throttled as refusal:
            form.add_error(None, str(refusal))
            status, retry_after = 429, refusal.retry_after
        except (SubmissionRefused, TooManyFetches) as refusal:
            form.add_error("arxiv_id", str(refusal))
            status = refusal.status
        else:
            messages.success(request, f"{found.title} is on today's daily list.")
            return redirect(found)
    elif request.method == "POST":
        status = 400
    rules = {
        "max_age_days": settings.SUBMISSION_MAX_AGE_DAYS,
        "per_day": settings.SUBMISSIONS_PER_USER_PER_DAY,
    }
    response = render(request, "web/submit.html", {"form": form, **rules}, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@shared_with_anonymous_readers
def organizations(request: HttpRequest) -> HttpResponse:
    """Every organization, most papers first, ORGANIZATIONS_PER_PAGE to a page."""
    number = _page_number(request)
    start = (number - 1) * ORGANIZATIONS_PER_PAGE
    window = list(organizations_by_paper_count()[start : start + ORGANIZATIONS_PER_PAGE + 1])
    if not window and number > 1:
        raise Http404(f"Page {number} is past the end of the organizations.")
    path = reverse("organizations")
    return render(
        request,
        "web/organizations.html",
        {
            "organizations": window[:ORGANIZATIONS_PER_PAGE],
            "title": "Organizations",
            "previous_url": number > 1 and f"{path}?p={number - 1}",
            "next_url": len(window) > ORGANIZATIONS_PER_PAGE and f"{path}?p={number + 1}",
        },
    )


@shared_with_anonymous_readers
def organization(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_object_or_404(Organization, slug=slug)
    return _page(
        request,
        organization_papers(org),
        "web/organization.html",
        {"organization": org, "title": org.name, "feed": "organization", "feed_arg": org.slug},
    )


@shared_with_anonymous_readers
def author(request: HttpRequest, name: str) -> HttpResponse:
    person = get_object_or_404(Author, name=name)
    return _page(
        request,
        author_papers(person),
        "web/author.html",
        {"author": person, "title": person.name, "feed": "author", "feed_arg": person.name},
    )


@shared_with_anonymous_readers
def profile(request: HttpRequest, username: str) -> HttpResponse:
    person = get_object_or_404(get_user_model(), username=username, is_active=True)
    submitted = list(submitted_listings(person)[:PAGE_SIZE])
    return _page(
        request,
        upvoted_papers(person),
        "web/profile.html",
        {
            "person": person,
            "submitted": submitted,
            "title": person.username,
            "feed": "upvotes",
            "feed_arg": person.username,
        },
    )
