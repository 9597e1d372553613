"""A reader's library through the API (docs/library.md): collections, follows,
dismissals and their "For you" feed, with the reader's API token, on the same API as
Hugging Face's endpoints.

Thin: each call is one library service, and its refusals (``library.errors``)
answer as JSON with their status. The answers are small, so ninja validates them
against their schemas on the way out.
"""

import re
from datetime import date
from typing import Annotated, Literal

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from ninja import Field, Path, Query, Schema, Status
from ninja.errors import HttpError
from pydantic import BeforeValidator, StrictBool

from dailypapers.ingest.on_demand import TooManyFetches
from dailypapers.library import collections, follows, marks
from dailypapers.library.collections import MAX_NAME
from dailypapers.library.errors import LibraryError
from dailypapers.library.models import MAX_NOTE, MAX_VALUE
from dailypapers.library.models import Collection as CollectionRow
from dailypapers.library.models import CollectionItem as CollectionItemRow
from dailypapers.library.models import Follow as FollowRow
from dailypapers.recommend import readers
from dailypapers.recommend.ranker import DEFAULT_LIMIT
from dailypapers.throttles import limits

from . import shapes
from .schemas import (
    Collection,
    CollectionPaper,
    Dismissed,
    FetchStatus,
    Follow,
    ForYouItem,
    Message,
)
from .views import ArxivId, TokenAuth, api, writer

CollectionKey = Path(..., max_length=40, examples=["k3x9q2m7a1b0"])
# The .bib of a public collection needs no token, a private one's its owner's: ninja
# lists TokenAuth, and this adds "or none" to the operation's security.
WITHOUT_TOKEN = [{}]


@api.exception_handler(LibraryError)
def library_refusal(request: HttpRequest, refusal: LibraryError) -> HttpResponse:
    return api.create_response(request, {"error": str(refusal)}, status=refusal.status)


def _anyone(request: HttpRequest) -> AnonymousUser:
    """The caller without a valid token: may read what is public."""
    return AnonymousUser()


def _collection(row: CollectionRow) -> dict:
    return {
        "id": row.key,
        "name": row.name,
        "public": row.public,
        "numPapers": row.paper_count,
        "numPending": row.pending_count,
        "createdAt": shapes.iso(row.created_at),
        "updatedAt": shapes.iso(row.updated_at),
    }


def _collection_paper(item: CollectionItemRow) -> dict:
    return {"arxivId": item.paper_id, "note": item.note, "addedAt": shapes.iso(item.added_at)}


def _follow(row: FollowRow) -> dict:
    return {
        "id": row.pk,
        "kind": row.kind,
        "value": row.value,
        "createdAt": shapes.iso(row.created_at),
    }


READ = {401: Message}
WRITE = {400: Message, 401: Message, 403: Message}


@api.get(
    "/collections",
    auth=TokenAuth(),
    response={200: list[Collection], **READ},
    summary="Your collections",
)
def list_collections(request: HttpRequest):
    return [_collection(row) for row in collections.collections_of(request.auth)]


class NewCollection(Schema):
    name: str = Field(min_length=1, max_length=MAX_NAME, examples=["To read"])
    # Strict: 0 or "yes" is a mistake to answer, not a boolean to guess.
    public: StrictBool = Field(False, description="anyone may read it; private by default")


@api.post(
    "/collections",
    auth=TokenAuth(),
    response={201: Collection, 409: Message, **WRITE},
    summary="Create a collection",
)
def create_collection(request: HttpRequest, collection: NewCollection):
    """409 when you have a collection of that name already (in any case), or as many
    collections as one may have."""
    owner = writer(request, None)
    created = collections.create_collection(owner, collection.name, collection.public)
    return Status(201, _collection(collections.collections_of(owner).get(pk=created.pk)))


class PaperForCollection(Schema):
    arxivId: str = Field(  # noqa: N815 (the spelling of POST /api/daily_papers)
        max_length=200,
        description="an arXiv id, with or without its version or 'arXiv:', or its arxiv.org URL",
        examples=["2403.01779"],
    )
    note: str = Field("", max_length=MAX_NOTE, description="yours; it replaces the paper's note")


@api.post(
    "/collections/{slug:collection_id}/papers",
    auth=TokenAuth(),
    response={
        200: CollectionPaper,
        201: CollectionPaper,
        202: FetchStatus,
        404: Message,
        409: Message,
        429: Message,
        **WRITE,
    },
    summary="Put a paper in your collection",
)
def add_paper(request: HttpRequest, paper: PaperForCollection, collection_id: str = CollectionKey):
    """201 when the paper joins the collection, 200 when it was there (its note is now
    this one). A paper the catalog lacks is fetched from arXiv in the background: 202
    with the fetch's status, and it joins the collection by itself when it arrives."""
    owner = writer(request, None)
    try:
        placed = collections.add_paper(
            owner, collection_id, paper.arxivId, paper.note, client=limits.client_key(request)
        )
    except TooManyFetches as refusal:
        raise HttpError(refusal.status, str(refusal)) from None
    if placed.item is None:
        return Status(202, shapes.fetch_status(placed.fetch))
    return Status(201 if placed.created else 200, _collection_paper(placed.item))


@api.delete(
    "/collections/{slug:collection_id}/papers/{arxiv:arxiv_id}",
    auth=TokenAuth(),
    response={204: None, 404: Message, **WRITE},
    summary="Take a paper out of your collection",
)
def remove_paper(request: HttpRequest, collection_id: str = CollectionKey, arxiv_id: str = ArxivId):
    """Also stops waiting for a paper still on its way from arXiv."""
    collections.remove_paper(writer(request, None), collection_id, arxiv_id)
    return Status(204, None)


@api.get(
    "/collections/{slug:collection_id}.bib",
    auth=[TokenAuth(), _anyone],
    response={400: Message, 404: Message},
    openapi_extra={
        "security": WITHOUT_TOKEN,
        "responses": {
            "200": {
                "description": "the collection as BibTeX: each paper's arXiv id (eprint, "
                "archivePrefix, url) and your note (annote)",
                "content": {"application/x-bibtex": {"schema": {"type": "string"}}},
            }
        },
    },
    summary="A collection as BibTeX",
)
def collection_bibtex(request: HttpRequest, collection_id: str = CollectionKey) -> HttpResponse:
    """A public collection's, or your own with your token: anyone else's is a 404."""
    collection = collections.readable_collection(request.auth, collection_id)
    response = HttpResponse(
        collections.collection_bibtex(collection),
        content_type="application/x-bibtex; charset=utf-8",
    )
    response["Content-Disposition"] = f'inline; filename="{collection.key}.bib"'
    return response


@api.get(
    "/me/follows",
    auth=TokenAuth(),
    response={200: list[Follow], **READ},
    summary="What you follow",
)
def list_follows(request: HttpRequest):
    return [_follow(row) for row in follows.follows(request.auth)]


class NewFollow(Schema):
    kind: Literal["author", "organization", "category", "query"]
    value: str = Field(
        min_length=1,
        max_length=MAX_VALUE,
        description="an author's name, an organization's slug, an arXiv category or "
        "archive, or a search query",
        examples=["cs.LG"],
    )


@api.post(
    "/me/follows",
    auth=TokenAuth(),
    response={200: Follow, 201: Follow, 409: Message, **WRITE},
    summary="Follow an author, an organization, a category or a search",
)
def add_follow(request: HttpRequest, follow: NewFollow):
    """201 when new, 200 when you followed it already. 400 says what is wrong (no such
    author or organization, not an arXiv category); 409 when you follow as many things
    as one may."""
    row, created = follows.follow(writer(request, None), follow.kind, follow.value)
    return Status(201 if created else 200, _follow(row))


@api.delete(
    "/me/follows/{int:follow_id}",
    auth=TokenAuth(),
    response={204: None, 404: Message, **WRITE},
    summary="Unfollow",
)
def remove_follow(request: HttpRequest, follow_id: int):
    follows.unfollow(writer(request, None), follow_id)
    return Status(204, None)


@api.post(
    "/papers/{arxiv:arxiv_id}/dismiss",
    auth=TokenAuth(),
    response={200: Dismissed, 404: Message, **WRITE},
    summary='Not interested: keep a paper out of your "For you" feed and digest',
)
def dismiss(request: HttpRequest, arxiv_id: str = ArxivId):
    return {"id": marks.dismiss(writer(request, None), arxiv_id), "dismissed": True}


@api.delete(
    "/papers/{arxiv:arxiv_id}/dismiss",
    auth=TokenAuth(),
    response={200: Dismissed, 404: Message, **WRITE},
    summary="Interested again: undo a dismissal",
)
def undismiss(request: HttpRequest, arxiv_id: str = ArxivId):
    return {"id": marks.undismiss(writer(request, None), arxiv_id), "dismissed": False}


def _written_as_a_day(value: object) -> object:
    # pydantic reads a number as seconds since 1970: a day here is written YYYY-MM-DD.
    if not (isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_written_as_a_day)]


class ForYouParams(Schema):
    since: Day | None = Field(None, description="the window's first day (YYYY-MM-DD)")
    until: Day | None = Field(None, description="its last day; the window is at most 31 days")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=readers.MAX_LIMIT)
    community: float | None = Field(
        None,
        ge=0,
        le=1,
        description="how much upvotes weigh against personal fit (0 to 1); by default "
        "the weight you set on the For you page",
    )


@api.get(
    "/me/for-you",
    auth=TokenAuth(),
    response={200: list[ForYouItem], 400: Message, 401: Message},
    summary='Your "For you" feed',
    # Authors' "_id" is an alias: the answer and the shared schema both use it.
    by_alias=True,
)
def for_you(request: HttpRequest, params: Query[ForYouParams]):
    """Papers first published in a window (by default the catalog's last 7 days), best
    first for you, as daily items, each with its ``reason``. Learned from what you
    upvoted, saved, followed and dismissed, on the site or through this API; read,
    dismissed and muted papers stay out."""
    # A misspelt parameter (``limt=10``) is refused rather than silently ignored.
    unknown = sorted(set(request.GET) - set(ForYouParams.model_fields))
    if unknown:
        raise HttpError(400, f"unknown parameter: {', '.join(map(repr, unknown))}")
    try:
        feed = readers.feed(
            readers.state_of(request.auth.pk),
            since=params.since,
            until=params.until,
            limit=params.limit,
            community=params.community,
        )
    except ValueError as error:
        raise HttpError(400, str(error)) from None
    if feed is None:
        return []
    found = {
        item["paper"]["id"]: item
        for item in shapes.daily_items([r.arxiv_id for r in feed.recommendations])
    }
    return [
        found[r.arxiv_id]
        | {"reason": {"kind": r.reason.kind, "text": r.reason.text}, "score": r.score}
        for r in feed.recommendations
        if r.arxiv_id in found
    ]
