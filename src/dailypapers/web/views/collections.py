"""Collections: the reader's list with a form for a new one and a search within them, a
collection's page (anyone's when public, its owner's alone when private), importing
into one, its BibTeX, and the "add to collection" form of every card and paper page.

The views only read the request and call the library's services; another reader's
private collection is the services' NotFound, answered 404 like a key nobody has.
"""

from dataclasses import replace

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dailypapers.feeds.lists import CollectionFeed
from dailypapers.ingest.on_demand import TooManyFetches
from dailypapers.library import collections as library
from dailypapers.library.arrivals import pending_papers
from dailypapers.library.errors import LibraryError, NotFound
from dailypapers.library.importing import import_into
from dailypapers.papers.models import Paper
from dailypapers.throttles import limits

from .rendering import PAGE_SIZE, cards, page_number
from .signed_in import back_to, login_first, refused

# A BibTeX file from a large Zotero library is a few megabytes; more is a mistake.
MAX_IMPORT_BYTES = 5 * 1024 * 1024


def _readable(request: HttpRequest, key: str):
    try:
        return library.readable_collection(request.user, key)
    except NotFound as error:
        raise Http404(str(error)) from None


@login_required
def collections(request: HttpRequest) -> HttpResponse:
    """GET: the reader's collections, and ``?q=`` searches within them. POST: a new one."""
    error = ""
    if request.method == "POST":
        try:
            made = library.create_collection(
                request.user, request.POST.get("name", ""), request.POST.get("public") == "on"
            )
        except LibraryError as refusal:
            error = str(refusal)
        else:
            return redirect("collection", key=made.key)
    query = request.GET.get("q", "")[:250]
    return render(
        request,
        "web/collections.html",
        {
            "title": "Your collections",
            "collections": library.collections_of(request.user).order_by("name"),
            "query": query,
            "matches": library.search_collections(request.user, query) if query.strip() else [],
            "error": error,
        },
        status=400 if error else 200,
    )


def collection(request: HttpRequest, key: str) -> HttpResponse:
    """A collection's papers with their notes; its owner may rename it, make it public or
    private, or delete it (POST)."""
    shown = _readable(request, key)
    owner = request.user.is_authenticated and shown.owner_id == request.user.pk
    error = ""
    if request.method == "POST":
        if not owner:
            raise Http404(f"You have no collection {key[:20]!r}.")
        try:
            if request.POST.get("action") == "delete":
                library.delete_collection(request.user, key)
                return redirect("collections")
            shown = library.change_collection(
                request.user,
                key,
                name=request.POST.get("name", shown.name),
                public=request.POST.get("public") == "on",
            )
        except LibraryError as refusal:
            error = str(refusal)
        else:
            return redirect("collection", key=key)
    number = page_number(request)
    start = (number - 1) * PAGE_SIZE
    items = list(library.collection_items(shown)[start : start + PAGE_SIZE + 1])
    if not items and number > 1:
        raise Http404(f"Page {number} is past the end of this collection.")
    page = items[:PAGE_SIZE]
    page_cards = [
        replace(card, note=item.note)
        for card, item in zip(cards(request, [i.paper for i in page]), page, strict=True)
    ]
    here = reverse("collection", args=[key])
    return render(
        request,
        "web/collection.html",
        {
            "collection": shown,
            "owner": owner,
            "title": shown.name,
            "cards": page_cards,
            "pending": pending_papers(shown) if owner else [],
            "feed_links": CollectionFeed.links_for(key) if shown.public else [],
            "previous_url": number > 1 and f"{here}?p={number - 1}",
            "next_url": len(items) > PAGE_SIZE and f"{here}?p={number + 1}",
            "error": error,
        },
        status=400 if error else 200,
    )


@require_POST
def remove_paper(request: HttpRequest, key: str) -> HttpResponse:
    here = reverse("collection", args=[key])
    if not request.user.is_authenticated:
        return login_first(request, here)
    try:
        library.remove_paper(request.user, key, request.POST.get("arxiv_id", ""))
    except LibraryError as error:
        return refused(request, error)
    return redirect(here)


@login_required
def import_papers(request: HttpRequest, key: str) -> HttpResponse:
    """A BibTeX file (Zotero's export) or pasted ids and URLs; the answer says where every
    entry went, malformed ones with their line."""
    try:
        target = library.own_collection(request.user, key)
    except NotFound as error:
        raise Http404(str(error)) from None
    context = {"collection": target, "title": f"Import into {target.name}", "report": None}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is not None and upload.size > MAX_IMPORT_BYTES:
            context["error"] = f"The file is over {MAX_IMPORT_BYTES // 2**20} MB."
            return render(request, "web/collection_import.html", context, status=400)
        text = (
            # utf-8-sig: some reference managers begin their files with a byte-order mark.
            upload.read().decode("utf-8-sig", errors="replace")
            if upload is not None
            else request.POST.get("text", "")
        )
        if not text.strip():
            context["error"] = "Choose a BibTeX file, or paste arXiv ids or URLs."
            return render(request, "web/collection_import.html", context, status=400)
        try:
            context["report"] = import_into(
                request.user, key, text, client=limits.client_key(request)
            )
        except LibraryError as error:
            context["error"] = str(error)
            return render(request, "web/collection_import.html", context, status=error.status)
    return render(request, "web/collection_import.html", context)


def bibtex(request: HttpRequest, key: str) -> HttpResponse:
    shown = _readable(request, key)
    response = HttpResponse(
        library.collection_bibtex(shown), content_type="application/x-bibtex; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="collection-{shown.key}.bib"'
    return response


def save_paper(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """The "add to collection" form (a fragment for htmx), and adding: to a collection the
    reader chose, or to a new one named in the form, with an optional note."""
    back = reverse("paper", args=[arxiv_id])
    if not request.user.is_authenticated:
        return login_first(request, back)
    paper = get_object_or_404(Paper.objects.visible(), pk=arxiv_id)
    context = {
        "paper": paper,
        "collections": library.collections_of(request.user).order_by("name"),
        "title": f"Add {paper.arxiv_id} to a collection",
        "next": request.GET.get("next", back),
    }
    template = "web/_save_form.html" if request.htmx else "web/save.html"
    if request.method != "POST":
        return render(request, template, context)
    try:
        # A name typed for a new collection wins over the list's choice, which has a default.
        new_name = request.POST.get("new_name", "")
        key = request.POST.get("collection", "")
        if new_name.strip() or not key:
            key = library.create_collection(request.user, new_name).key
        placed = library.add_paper(
            request.user,
            key,
            arxiv_id,
            request.POST.get("note", ""),
            client=limits.client_key(request),
        )
    except (LibraryError, TooManyFetches) as error:
        context["error"] = str(error)
        return render(request, template, context, status=200 if request.htmx else error.status)
    context["saved_in"] = library.own_collection(request.user, key)
    context["placed"] = placed
    if request.htmx:
        return render(request, template, context)
    return redirect(back_to(request, back))
