"""The HTTP API: Hugging Face's papers endpoints, so ``huggingface_hub.HfApi`` works unchanged.

Thin: every query goes through the catalog's and the search app's services.
Errors are JSON with a message and the right status, never an HTML page.
"""

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Query, Schema
from ninja.errors import HttpError, ValidationError

from dailypapers.papers.arxiv_ids import InvalidArxivId, normalize_arxiv_id
from dailypapers.papers.listings import (
    InvalidPeriod,
    daily_listings,
    parse_day,
    parse_month,
    parse_week,
)
from dailypapers.papers.models import Authorship, DailyListing, Paper
from dailypapers.search.service import search

from . import shapes

api = NinjaAPI(
    title="dailypapers API",
    version="1",
    description="Hugging Face-compatible papers API of a dailypapers site.",
)

AUTHORS = Prefetch("authorships", queryset=Authorship.objects.select_related("author"))


class Message(Schema):
    error: str


@api.exception_handler(ValidationError)
def invalid_parameters(request: HttpRequest, error: ValidationError) -> HttpResponse:
    details = "; ".join(
        f"{'.'.join(map(str, e.get('loc', ())[1:]))}: {e.get('msg')}" for e in error.errors
    )
    return api.create_response(request, {"error": f"invalid parameters: {details}"}, status=400)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    return api.create_response(request, {"error": str(error)}, status=error.status_code)


class DailyParams(Schema):
    date: str | None = None
    week: str | None = None
    month: str | None = None
    submitter: str | None = None
    sort: str = "publishedAt"
    p: int = 0
    limit: int = 50


def _link_next(request: HttpRequest, response: HttpResponse, page: int) -> None:
    query = request.GET.copy()
    query["p"] = str(page + 1)
    response["Link"] = (
        f'<{request.build_absolute_uri(request.path)}?{query.urlencode()}>; rel="next"'
    )


@api.get("/daily_papers", response={200: list[dict], 400: Message}, summary="Daily papers")
def daily_papers(request: HttpRequest, response: HttpResponse, params: Query[DailyParams]):
    """Listings of a day, an ISO week or a month (by listing date), or the most recent."""
    if params.sort not in ("publishedAt", "trending"):
        raise HttpError(400, "sort must be publishedAt or trending")
    if not 1 <= params.limit <= 100 or not 0 <= params.p <= 100_000:
        raise HttpError(400, "limit must be 1-100 and p 0-100000")
    given = [
        (text, parse)
        for text, parse in (
            (params.date, parse_day),
            (params.week, parse_week),
            (params.month, parse_month),
        )
        if text is not None
    ]
    if len(given) > 1:
        raise HttpError(400, "give at most one of date, week and month")
    try:
        period = given[0][1](given[0][0]) if given else None
    except InvalidPeriod as error:
        raise HttpError(400, str(error)) from None
    listings = daily_listings(period, submitter=params.submitter or "", sort=params.sort)
    start = params.p * params.limit
    page = list(
        listings.prefetch_related(
            Prefetch("paper__authorships", queryset=Authorship.objects.select_related("author"))
        )[start : start + params.limit + 1]
    )
    if len(page) > params.limit:
        _link_next(request, response, params.p)
    return [shapes.daily_item(listing.paper, listing) for listing in page[: params.limit]]


@api.get("/papers/search", response={200: list[dict], 400: Message}, summary="Search papers")
def search_papers(request: HttpRequest, q: str = "", limit: int = 50):
    """Hybrid keyword and semantic search over the whole catalog."""
    if len(q) > 250:
        raise HttpError(400, "q must be at most 250 characters")
    if not 1 <= limit <= 120:
        raise HttpError(400, "limit must be 1-120")
    hits = search(q, limit=limit).hits
    ids = [hit.paper.arxiv_id for hit in hits]
    papers = Paper.objects.select_related("organization").prefetch_related(AUTHORS).in_bulk(ids)
    listings = DailyListing.objects.select_related("submitted_by").in_bulk(ids, field_name="paper")
    return [shapes.daily_item(papers[pid], listings.get(pid)) for pid in ids if pid in papers]


def _paper(arxiv_id: str) -> Paper:
    try:
        canonical = normalize_arxiv_id(arxiv_id)
    except InvalidArxivId as error:
        raise HttpError(400, str(error)) from None
    queryset = Paper.objects.select_related("organization").prefetch_related(AUTHORS)
    paper = queryset.filter(pk=canonical).first()
    if paper is None:
        raise HttpError(404, f"paper {canonical} not found")
    return paper


@api.get(
    "/papers/{arxiv_id}", response={200: dict, 400: Message, 404: Message}, summary="One paper"
)
def paper_info(request: HttpRequest, arxiv_id: str):
    paper = _paper(arxiv_id)
    listing = DailyListing.objects.select_related("submitted_by").filter(paper=paper).first()
    return shapes.paper_info(paper, listing)


def paper_markdown(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """/papers/{id}.md, read by ``HfApi.read_paper``."""
    try:
        paper = _paper(arxiv_id)
    except HttpError as error:
        return HttpResponse(
            f"{error}\n", status=error.status_code, content_type="text/plain; charset=utf-8"
        )
    return HttpResponse(shapes.markdown(paper), content_type="text/markdown; charset=utf-8")
