"""A reader's library through the API (docs/library.md): collections, follows and
dismissals, with the reader's API token, on the same API as Hugging Face's endpoints.

Thin: each call is one library service, and its refusals (``library.errors``)
answer as JSON with their status. The answers are small, so ninja validates them
against their schemas on the way out.
"""

from typing import Literal

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from ninja import Field, Path, Schema, Status
from ninja.errors import HttpError
from pydantic import StrictBool

from dailypapers.ingest.on_demand import TooManyFetches
from dailypapers.library import collections, follows, marks
from dailypapers.library.collections import MAX_NAME
from dailypapers.library.errors import LibraryError
from dailypapers.library.models import MAX_NOTE, MAX_VALUE
from dailypapers.library.models import Collection as CollectionRow
from dailypapers.library.models import CollectionItem as CollectionItemRow
from dailypapers.library.models import Follow as FollowRow
from dailypapers.throttles import limits

from . import shapes
from .schemas import Collection, CollectionPaper, Dismissed, FetchStatus, Follow, Message
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
