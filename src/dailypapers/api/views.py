"""The HTTP API: Hugging Face's papers endpoints, so ``huggingface_hub.HfApi`` works unchanged.

Thin: every query goes through the catalog's and the search app's services.
Errors are JSON with a message and the right status, never an HTML page.
"""

from typing import Any, Literal

import orjson
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, NinjaAPI, Path, Query, Schema, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer

from dailypapers.community.models import ApiToken
from dailypapers.ingest.models import FetchRequest
from dailypapers.ingest.on_demand import TooManyFetches, queue_fetch
from dailypapers.papers.arxiv_ids import VERSIONED_ID, InvalidArxivId, normalize_arxiv_id
from dailypapers.papers.listings import InvalidPeriod, daily_listings, parse_period
from dailypapers.papers.listings import Sort as ListingSort
from dailypapers.papers.models import Paper
from dailypapers.papers.services import (
    SubmissionRefused,
    add_upvote,
    remove_upvote,
    submit_to_daily_list,
)
from dailypapers.search.query import parse_query
from dailypapers.search.service import search_page
from dailypapers.throttles import limits

from . import shapes
from .schemas import DailyItem, FetchStatus, Message, PaperInfo, Upvoted


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

# An arXiv id in a path, routed by the site's converter (papers/converters.py): new
# style, or old style with its archive ("hep-th/9901001"), maybe versioned.
ArxivId = Path(..., pattern=f"^{VERSIONED_ID}$", examples=["2403.01779"])


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


@api.exception_handler(limits.Throttled)
def throttled(request: HttpRequest, refusal: limits.Throttled) -> HttpResponse:
    response = api.create_response(request, {"error": str(refusal)}, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response


# Hugging Face's names for the daily list's orders: its "trending" is the most upvoted
# (papers/trending.py's formula is the site's trending page, not this).
_DAILY_SORTS: dict[str, ListingSort] = {"publishedAt": "date", "trending": "upvotes"}


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


def _answer(request: HttpRequest, data: Any, status: int = 200) -> HttpResponse:
    """``data``, built by ``shapes`` in the shape its operation declares, rendered as it is.

    Not validated against that schema on the way out: for 120 search results,
    ninja's validation doubled the endpoint's time (6.7 to 12-14 ms). The tests
    hold real answers to the schemas instead (test_schema.py).
    """
    return api.create_response(request, data, status=status)


def _links_to_the_paper(status: int, pointer: str) -> dict:
    """OpenAPI links from an answer to the operations that take the paper it names.

    ``pointer`` locates the paper's id in the answer (a JSON pointer). They tell
    readers of the schema how the operations connect, and lead schemathesis'
    stateful tests from one answer to the next call.
    """
    arxiv_id = f"$response.body#{pointer}"
    by_id = {"arxiv_id": arxiv_id}
    links = {
        "paper_info": {"operationId": "paper_info", "parameters": by_id},
        "upvote": {"operationId": "upvote", "parameters": by_id},
        "withdraw_upvote": {"operationId": "withdraw_upvote", "parameters": by_id},
        "submit": {"operationId": "submit", "requestBody": {"arxivId": arxiv_id}},
    }
    return {"responses": {status: {"links": links}}}


@api.get(
    "/daily_papers",
    response={200: list[DailyItem], 400: Message},
    by_alias=True,
    operation_id="daily_papers",
    openapi_extra=_links_to_the_paper(200, "/0/paper/id"),
    summary="Daily papers",
)
def daily_papers(request: HttpRequest, params: Query[DailyParams]) -> HttpResponse:
    """Listings of a day, an ISO week or a month (by listing date), or the most recent."""
    try:
        period = parse_period(params.date, params.week, params.month)
    except InvalidPeriod as error:
        raise HttpError(400, str(error)) from None
    listings = daily_listings(
        period, submitter=params.submitter or "", sort=_DAILY_SORTS[params.sort]
    )
    start = params.p * params.limit
    # Only the ids: daily_items() reads the rest in two plain queries, as for a search;
    # the listings' model instances took four times as long (100 items: 28 ms, now 6-7).
    page = list(listings.values_list("paper_id", flat=True)[start : start + params.limit + 1])
    response = _answer(request, shapes.daily_items(page[: params.limit]))
    if len(page) > params.limit:
        _link_next(request, response, params.p)
    return response


QUERY_HELP = (
    'Words, "quoted phrases", an arXiv id, and filters: author:LeCun or '
    'author:"Yann LeCun", cat:cs.LG, org:<organization slug>, after:2025-01 (from that '
    "year, month or day on), before:2024 (up to the day before it). Filters alone list "
    "their papers, newest first. A filter with a value it cannot take is a 400."
)


@api.get(
    "/papers/search",
    response={200: list[DailyItem], 400: Message},
    by_alias=True,
    operation_id="search_papers",
    openapi_extra=_links_to_the_paper(200, "/0/paper/id"),
    summary="Search papers",
)
def search_papers(
    request: HttpRequest,
    q: str = Query("", max_length=250, description=QUERY_HELP),
    limit: int = Query(50, ge=1, le=120),
) -> HttpResponse:
    """Hybrid keyword and semantic search over the whole catalog."""
    # A filter typed with a value it cannot take is refused, as other bad parameters are
    # (pages and the command leave it out and say so).
    if problems := parse_query(q).problems:
        raise HttpError(400, " ".join(problems))
    return _answer(
        request, shapes.daily_items([pid for pid, _ in search_page(q, limit=limit).page])
    )


def _paper(arxiv_id: str) -> Paper:
    try:
        canonical = normalize_arxiv_id(arxiv_id)
    except InvalidArxivId as error:
        raise HttpError(400, str(error)) from None
    paper = Paper.objects.visible().for_cards().with_authors().filter(pk=canonical).first()
    if paper is None:
        raise HttpError(404, f"paper {canonical} not found")
    return paper


@api.get(
    "/papers/{arxiv:arxiv_id}",
    response={200: PaperInfo, 400: Message, 404: Message},
    by_alias=True,
    operation_id="paper_info",
    openapi_extra=_links_to_the_paper(200, "/id"),
    summary="One paper",
)
def paper_info(request: HttpRequest, arxiv_id: str = ArxivId) -> HttpResponse:
    paper = _paper(arxiv_id)
    return _answer(request, shapes.paper_info(paper, paper.daily_listing))


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


def writer(request: HttpRequest, action: limits.Action | None):
    """The token's user, if the token may write and the user has not done ``action`` too
    often (None: an action without a rate limit)."""
    if not request.api_token.can_write:
        raise HttpError(403, "this token is read-only")
    if action is not None:
        limits.check(action, client=limits.client_key(request), account=request.auth.pk)
    return request.auth


UPVOTE_ANSWERS = {
    200: Upvoted,
    400: Message,
    401: Message,
    403: Message,
    404: Message,
    429: Message,
}


@api.post(
    "/papers/{arxiv:arxiv_id}/upvote",
    auth=TokenAuth(),
    response=UPVOTE_ANSWERS,
    operation_id="upvote",
    openapi_extra=_links_to_the_paper(200, "/id"),
    summary="Upvote a paper",
)
def upvote(request: HttpRequest, arxiv_id: str = ArxivId) -> HttpResponse:
    return _vote(request, arxiv_id, upvoted=True)


@api.delete(
    "/papers/{arxiv:arxiv_id}/upvote",
    auth=TokenAuth(),
    response=UPVOTE_ANSWERS,
    operation_id="withdraw_upvote",
    openapi_extra=_links_to_the_paper(200, "/id"),
    summary="Withdraw one's upvote",
)
def withdraw_upvote(request: HttpRequest, arxiv_id: str = ArxivId) -> HttpResponse:
    return _vote(request, arxiv_id, upvoted=False)


def _vote(request: HttpRequest, arxiv_id: str, upvoted: bool) -> HttpResponse:
    user, paper = writer(request, limits.VOTE), _paper(arxiv_id)
    (add_upvote if upvoted else remove_upvote)(user, paper)
    paper.refresh_from_db(fields=["upvotes"])
    return _answer(request, {"id": paper.arxiv_id, "upvotes": paper.upvotes, "upvoted": upvoted})


class Submission(Schema):
    arxivId: str = Field(  # noqa: N815 (Hugging Face's spelling)
        max_length=200,
        description="an arXiv id, with or without its version or 'arXiv:', or its arxiv.org URL",
        examples=["2403.01779", "https://arxiv.org/abs/2403.01779v2"],
    )


@api.post(
    "/daily_papers",
    auth=TokenAuth(),
    response={
        201: DailyItem,
        202: FetchStatus,
        400: Message,
        401: Message,
        403: Message,
        404: Message,
        409: Message,
        429: Message,
    },
    by_alias=True,
    operation_id="submit",
    openapi_extra=_links_to_the_paper(201, "/paper/id"),
    summary="Submit a paper to today's daily list",
)
def submit(request: HttpRequest, submission: Submission) -> HttpResponse:
    """A paper the catalog lacks is fetched from arXiv in the background: the answer is
    202 with its fetch status; follow ``statusUrl``, then submit again once it is done."""
    user = writer(request, limits.SUBMIT)
    try:
        arxiv_id = normalize_arxiv_id(submission.arxivId)
    except InvalidArxivId as error:
        raise HttpError(400, str(error)) from None
    paper = Paper.objects.filter(pk=arxiv_id).first()
    if paper is None:
        try:
            fetch = queue_fetch(arxiv_id, limits.client_key(request))
            return _answer(request, shapes.fetch_status(fetch), status=202)
        except TooManyFetches as refusal:
            raise HttpError(refusal.status, str(refusal)) from None
    try:
        listing = submit_to_daily_list(user, paper, timezone.localdate())
    except SubmissionRefused as refusal:
        raise HttpError(refusal.status, str(refusal)) from None
    return _answer(request, shapes.daily_item(_paper(arxiv_id), listing), status=201)


@api.get(
    "/papers/{arxiv:arxiv_id}/fetch",
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
    return shapes.fetch_status(fetch)
