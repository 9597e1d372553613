"""The HTTP API: Hugging Face's papers endpoints, so ``huggingface_hub.HfApi`` works unchanged.

Thin: every query goes through the catalog's and the search app's services.
Errors are JSON with a message and the right status, never an HTML page.
"""

from typing import Any, Literal

import orjson
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, NinjaAPI, Path, Query, Schema, Status, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer

from dailypapers.community.models import ApiToken
from dailypapers.ingest.models import FetchRequest
from dailypapers.papers.arxiv_ids import InvalidArxivId, normalize_arxiv_id
from dailypapers.papers.listings import InvalidPeriod, daily_listings, parse_period
from dailypapers.papers.models import Paper
from dailypapers.papers.services import (
    SubmissionRefused,
    add_upvote,
    remove_upvote,
    submit_to_daily_list,
)
from dailypapers.search.service import search_page
from dailypapers.web.fetches import TooManyFetches, queue_fetch

from . import shapes


class OrjsonRenderer(JSONRenderer):
    """orjson instead of the standard encoder: a search answer is ~190 kB of
    abstracts, and encoding it took a tenth of the request's CPU (1.7 ms vs 0.1 ms).
    """

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        # What orjson does not know (pydantic models, …) goes through ninja's encoder.
        return orjson.dumps(data, default=self.encoder_class().default)


api = NinjaAPI(
    title="dailypapers API",
    version="1",
    description="Hugging Face-compatible papers API of a dailypapers site.",
    renderer=OrjsonRenderer(),
    # No badge from swagger.io's online validator: the docs page loads nothing from outside.
    docs=Swagger(settings={"validatorUrl": None}),
)

# An arXiv id in a path: new style, or old style with its archive ("hep-th/9901001").
ArxivId = Path(
    ..., pattern=r"^(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$", examples=["2403.01779"]
)


class Message(Schema):
    error: str


@api.exception_handler(ValidationError)
def invalid_parameters(request: HttpRequest, error: ValidationError) -> HttpResponse:
    details = "; ".join(
        f"{'.'.join(map(str, e.get('loc', ())[1:]))}: {e.get('msg')}" for e in error.errors
    )
    return api.create_response(request, {"error": f"invalid parameters: {details}"}, status=400)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    message = "a valid API token is required: Authorization: Bearer <token>"
    return api.create_response(request, {"error": message}, status=401)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    return api.create_response(request, {"error": str(error)}, status=error.status_code)


class DailyParams(Schema):
    date: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")
    week: str | None = Field(None, pattern=r"^\d{4}-W\d{2}$", description="ISO week, YYYY-Www")
    month: str | None = Field(None, pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")
    submitter: str | None = Field(None, max_length=150)
    sort: Literal["publishedAt", "trending"] = "publishedAt"
    p: int = Field(0, ge=0, le=100_000)
    limit: int = Field(50, ge=1, le=100)


def _link_next(request: HttpRequest, response: HttpResponse, page: int) -> None:
    query = request.GET.copy()
    query["p"] = str(page + 1)
    response["Link"] = (
        f'<{request.build_absolute_uri(request.path)}?{query.urlencode()}>; rel="next"'
    )


@api.get("/daily_papers", response={200: list[dict], 400: Message}, summary="Daily papers")
def daily_papers(request: HttpRequest, response: HttpResponse, params: Query[DailyParams]):
    """Listings of a day, an ISO week or a month (by listing date), or the most recent."""
    try:
        period = parse_period(params.date, params.week, params.month)
    except InvalidPeriod as error:
        raise HttpError(400, str(error)) from None
    listings = daily_listings(period, submitter=params.submitter or "", sort=params.sort)
    start = params.p * params.limit
    page = list(listings[start : start + params.limit + 1])
    if len(page) > params.limit:
        _link_next(request, response, params.p)
    return [shapes.daily_item(listing.paper, listing) for listing in page[: params.limit]]


@api.get("/papers/search", response={200: list[dict], 400: Message}, summary="Search papers")
def search_papers(
    request: HttpRequest, q: str = Query("", max_length=250), limit: int = Query(50, ge=1, le=120)
):
    """Hybrid keyword and semantic search over the whole catalog."""
    return shapes.daily_items([pid for pid, _ in search_page(q, limit=limit).page])


def _paper(arxiv_id: str) -> Paper:
    try:
        canonical = normalize_arxiv_id(arxiv_id)
    except InvalidArxivId as error:
        raise HttpError(400, str(error)) from None
    paper = Paper.objects.visible().for_cards().filter(pk=canonical).first()
    if paper is None:
        raise HttpError(404, f"paper {canonical} not found")
    return paper


@api.get(
    "/papers/{arxiv_id}", response={200: dict, 400: Message, 404: Message}, summary="One paper"
)
def paper_info(request: HttpRequest, arxiv_id: str = ArxivId):
    paper = _paper(arxiv_id)
    return shapes.paper_info(paper, paper.daily_listing)


def paper_markdown(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """/papers/{id}.md, read by ``HfApi.read_paper``."""
    try:
        paper = _paper(arxiv_id)
    except HttpError as error:
        return HttpResponse(
            f"{error}\n", status=error.status_code, content_type="text/plain; charset=utf-8"
        )
    return HttpResponse(shapes.markdown(paper), content_type="text/markdown; charset=utf-8")


class TokenAuth(HttpBearer):
    """``Authorization: Bearer dp_…``: a token from `dailypapers token create`."""

    def authenticate(self, request: HttpRequest, token: str):
        found = ApiToken.objects.user_for(token)
        if found is None:
            return None
        request.api_token = found
        return found.user


def _writer(request: HttpRequest):
    if not request.api_token.can_write:
        raise HttpError(403, "this token is read-only")
    return request.auth


class Upvoted(Schema):
    id: str
    upvotes: int
    upvoted: bool


@api.api_operation(
    ["POST", "DELETE"],
    "/papers/{arxiv_id}/upvote",
    auth=TokenAuth(),
    response={200: Upvoted, 400: Message, 401: Message, 403: Message, 404: Message},
    summary="Upvote a paper (POST) or withdraw the upvote (DELETE)",
)
def upvote(request: HttpRequest, arxiv_id: str = ArxivId):
    user, paper = _writer(request), _paper(arxiv_id)
    upvoted = request.method == "POST"
    (add_upvote if upvoted else remove_upvote)(user, paper)
    paper.refresh_from_db(fields=["upvotes"])
    return {"id": paper.arxiv_id, "upvotes": paper.upvotes, "upvoted": upvoted}


class Submission(Schema):
    arxivId: str  # noqa: N815 (Hugging Face's spelling)


class FetchStatus(Schema):
    """A paper asked for from arXiv: fetched in the background, never while the call waits."""

    arxivId: str  # noqa: N815 (the spelling of the other fields)
    status: Literal["queued", "fetching", "failed", "done"]
    # Why it failed, in words for people; empty otherwise.
    reason: str
    # Where to follow it (GET, with the same token).
    statusUrl: str  # noqa: N815


def _fetch_status(fetch: FetchRequest) -> FetchStatus:
    return FetchStatus(
        arxivId=fetch.arxiv_id,
        status=fetch.status,
        reason=fetch.reason,
        statusUrl=f"/api/papers/{fetch.arxiv_id}/fetch",
    )


@api.post(
    "/daily_papers",
    auth=TokenAuth(),
    response={
        201: dict,
        202: FetchStatus,
        400: Message,
        401: Message,
        403: Message,
        404: Message,
        409: Message,
        429: Message,
    },
    summary="Submit a paper to today's daily list",
)
def submit(request: HttpRequest, submission: Submission):
    """A paper the catalog lacks is fetched from arXiv in the background: the answer is
    202 with its fetch status; follow ``statusUrl``, then submit again once it is done."""
    user = _writer(request)
    try:
        arxiv_id = normalize_arxiv_id(submission.arxivId)
    except InvalidArxivId as error:
        raise HttpError(400, str(error)) from None
    paper = Paper.objects.filter(pk=arxiv_id).first()
    if paper is None:
        try:
            return Status(202, _fetch_status(queue_fetch(request, arxiv_id)))
        except TooManyFetches as refusal:
            raise HttpError(refusal.status, str(refusal)) from None
    try:
        listing = submit_to_daily_list(user, paper, timezone.localdate())
    except SubmissionRefused as refusal:
        raise HttpError(refusal.status, str(refusal)) from None
    return Status(201, shapes.daily_item(_paper(arxiv_id), listing))


@api.get(
    "/papers/{arxiv_id}/fetch",
    auth=TokenAuth(),
    response={200: FetchStatus, 400: Message, 401: Message, 404: Message},
    summary="How the fetch of a paper from arXiv is going",
)
def fetch_status(request: HttpRequest, arxiv_id: str = ArxivId):
    try:
        canonical = normalize_arxiv_id(arxiv_id)
    except InvalidArxivId as error:
        raise HttpError(400, str(error)) from None
    fetch = FetchRequest.objects.filter(pk=canonical).first()
    if fetch is None:
        raise HttpError(404, f"nobody asked for {canonical} from arXiv")
    return _fetch_status(fetch)
