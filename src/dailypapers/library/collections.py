"""Collections: a reader's named lists of papers, each with a note per paper.

Private by default; a public one is readable by anyone at its key (its page and
its feed). Another reader's private collection is answered exactly like one that
does not exist (NotFound), so its key tells nobody it is there. The services that
change a collection take its owner and its key: a key alone changes nothing.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet

from dailypapers.ingest.models import FetchRequest
from dailypapers.papers.arxiv_ids import InvalidArxivId, normalize_arxiv_id
from dailypapers.papers.bibtex import bibliography
from dailypapers.papers.models import Paper, visible_paper

from . import arrivals
from .errors import Conflict, Invalid, NotFound, TooMany
from .models import MAX_NOTE, Collection, CollectionItem, PendingItem
from .typed import clean_line, clean_note

MAX_COLLECTIONS = 100
MAX_ITEMS = 5000
MAX_NAME = 100
MAX_SEARCH_WORDS = 10


def create_collection(owner, name: str, public: bool = False) -> Collection:
    """A new collection; Conflict when the owner has one of that name (in any case)."""
    name = clean_line(name, "collection's name", MAX_NAME)
    if Collection.objects.filter(owner=owner).count() >= MAX_COLLECTIONS:
        raise TooMany(f"You have {MAX_COLLECTIONS} collections already; delete one first.")
    _refuse_taken_name(owner, name)
    try:
        with transaction.atomic():
            return Collection.objects.create(owner=owner, name=name, public=public)
    except IntegrityError:
        # Another request created the same name at the same moment.
        raise Conflict(f"You already have a collection named {name!r}.") from None


def collection_named(owner, name: str) -> Collection:
    """The owner's collection of that name (in any case), made private when they have none."""
    found = Collection.objects.filter(owner=owner, name__iexact=name).first()
    return found or create_collection(owner, name)


def change_collection(
    owner, key: str, *, name: str | None = None, public: bool | None = None
) -> Collection:
    """Rename a collection, or make it public or private."""
    collection = own_collection(owner, key)
    if name is not None:
        name = clean_line(name, "collection's name", MAX_NAME)
        if name.casefold() != collection.name.casefold():
            _refuse_taken_name(owner, name)
        collection.name = name
    if public is not None:
        collection.public = public
    try:
        with transaction.atomic():
            collection.save()
    except IntegrityError:
        raise Conflict(f"You already have a collection named {name!r}.") from None
    return collection


def delete_collection(owner, key: str) -> None:
    own_collection(owner, key).delete()


def _refuse_taken_name(owner, name: str) -> None:
    if Collection.objects.filter(owner=owner, name__iexact=name).exists():
        raise Conflict(f"You already have a collection named {name!r}.")


def own_collection(owner, key: str) -> Collection:
    """``owner``'s collection ``key``; NotFound for anyone else's, public or not."""
    found = Collection.objects.filter(owner=owner, key=key).first()
    if found is None:
        raise NotFound(f"You have no collection {key[:20]!r}.")
    return found


def readable_collection(reader, key: str) -> Collection:
    """Collection ``key`` if ``reader`` may read it: their own, or a public one.

    ``reader`` may be anonymous (``None`` or Django's AnonymousUser). Another
    reader's private collection is NotFound, worded as for a key nobody has.
    """
    signed_in = reader is not None and reader.is_authenticated
    readable = Q(public=True) | Q(owner=reader) if signed_in else Q(public=True)
    found = Collection.objects.filter(readable, key=key).select_related("owner").first()
    if found is None:
        raise NotFound(f"There is no collection {key[:20]!r}.")
    return found


def collections_of(owner) -> QuerySet[Collection]:
    """The owner's collections by name, each with ``paper_count`` (visible papers in it)
    and ``pending_count`` (papers waiting for their fetch from arXiv)."""
    return Collection.objects.filter(owner=owner).annotate(
        paper_count=Count("items", filter=visible_paper(via="items__paper"), distinct=True),
        pending_count=Count("pending", distinct=True),
    )


def collection_items(collection: Collection) -> QuerySet[CollectionItem]:
    """The collection's papers (hidden ones left out), latest added first, ready for cards."""
    return CollectionItem.objects.filter(
        visible_paper(via="paper"), collection=collection
    ).select_related("paper", "paper__organization", "paper__listing__submitted_by")


@dataclass(frozen=True)
class Placed:
    """Where ``add_paper`` put a paper: in the collection (``item``), or waiting for its
    fetch from arXiv (``fetch``), after which it is added by itself."""

    arxiv_id: str
    item: CollectionItem | None = None
    fetch: FetchRequest | None = None
    # False when the paper was in the collection already (its note is now the one given).
    created: bool = True


def add_paper(owner, key: str, arxiv_id: str, note: str = "", *, client: str) -> Placed:
    """Put a paper in ``owner``'s collection ``key`` with ``note``; a paper there already
    gets the new note.

    A paper the catalog lacks is fetched from arXiv in the background and added
    when it arrives (arrivals.py); queuing it counts against ``client``'s fetch
    limit (``limits.client_key(request)``) and raises ingest's TooManyFetches when
    that is spent. A paper moderators hid is NotFound.
    """
    collection = own_collection(owner, key)
    arxiv_id = _arxiv_id(arxiv_id)
    note = clean_note(note, MAX_NOTE)
    paper = Paper.objects.filter(pk=arxiv_id).only("pk", "is_hidden").first()
    if paper is not None and paper.is_hidden:
        raise NotFound(f"Paper {arxiv_id} is not available.")
    with transaction.atomic():
        updated = CollectionItem.objects.filter(collection=collection, paper_id=arxiv_id).update(
            note=note
        )
        if updated:
            item = CollectionItem.objects.get(collection=collection, paper_id=arxiv_id)
            return Placed(arxiv_id, item=item, created=False)
        refuse_beyond_capacity(collection, 1)
        if paper is not None:
            item, created = CollectionItem.objects.get_or_create(
                collection=collection, paper_id=arxiv_id, defaults={"note": note}
            )
            collection.save(update_fields=["updated_at"])
            return Placed(arxiv_id, item=item, created=created)
    fetch = arrivals.wait_for_one(collection, arxiv_id, note, client)
    return Placed(arxiv_id, fetch=fetch)


def remove_paper(owner, key: str, arxiv_id: str) -> None:
    """Take a paper out of the collection, or stop waiting for it; NotFound if neither."""
    collection = own_collection(owner, key)
    arxiv_id = _arxiv_id(arxiv_id)
    removed, _ = CollectionItem.objects.filter(collection=collection, paper_id=arxiv_id).delete()
    dropped, _ = PendingItem.objects.filter(collection=collection, arxiv_id=arxiv_id).delete()
    if not removed + dropped:
        raise NotFound(f"Paper {arxiv_id} is not in this collection.")
    collection.save(update_fields=["updated_at"])


def refuse_beyond_capacity(collection: Collection, adding: int) -> None:
    """TooMany when ``adding`` more papers would put the collection over MAX_ITEMS."""
    held = collection.items.count() + collection.pending.count()
    if held + adding > MAX_ITEMS:
        raise TooMany(
            f"A collection holds at most {MAX_ITEMS} papers; this one has {held}, "
            f"and {adding} more would not fit."
        )


def _arxiv_id(text: str) -> str:
    try:
        return normalize_arxiv_id(text)
    except InvalidArxivId as error:
        raise Invalid(str(error)) from None


def search_collections(owner, query: str, limit: int = 100) -> list[CollectionItem]:
    """The papers in ``owner``'s collections whose title, abstract or note holds every word
    of ``query`` (any case), latest added first; a paper in two collections comes twice.

    A plain database match, not the search engine: the engine indexes neither
    notes nor one reader's papers, and ranks only its best candidates over the
    whole catalog, so a filter to the reader's papers after it would miss some.
    It reads only the reader's own items: a few thousand papers in practice.
    """
    words = query.split()[:MAX_SEARCH_WORDS]
    if not words:
        return []
    matches = Q()
    for word in words:
        matches &= (
            Q(paper__title__icontains=word)
            | Q(paper__abstract__icontains=word)
            | Q(note__icontains=word)
        )
    return list(
        CollectionItem.objects.filter(visible_paper(via="paper"), matches, collection__owner=owner)
        .select_related("collection", "paper")
        .order_by("-added_at", "-id")[:limit]
    )


def collection_bibtex(collection: Collection) -> str:
    """The collection as BibTeX, every paper with its arXiv id and its note (``annote``),
    oldest added first: the order it was built in."""
    items = list(collection_items(collection).order_by("added_at", "id"))
    return bibliography(
        [item.paper for item in items], notes={item.paper_id: item.note for item in items}
    )


def saved_paper_ids(user) -> set[str]:
    """Every paper in any of ``user``'s collections: what the ranker learns from."""
    return set(
        CollectionItem.objects.filter(collection__owner=user).values_list("paper_id", flat=True)
    )
