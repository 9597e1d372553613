"""The search page (/papers?q=…): results with snippets, filters, and search as you type."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dailypapers.feeds.lists import SearchFeed
from dailypapers.search.documents import SearchFilters
from dailypapers.search.progress import current as embedding_progress
from dailypapers.search.service import search

from ..forms import SearchForm
from .following import follow_button
from .rendering import PAGE_SIZE, page_number, page_of_cards


class _Window:
    """A slice of a longer list, addressed with the longer list's indexes."""

    def __init__(self, items: list, offset: int):
        self.items, self.offset = items, offset

    def __getitem__(self, window: slice) -> list:
        return self.items[window.start - self.offset : window.stop - self.offset]


def search_page(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "query": "", "title": "Search"}
        return render(request, "web/search.html", context, status=400)
    query = form.cleaned_data["q"]
    number = page_number(request)
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
        "feed_links": SearchFeed.links_for(q=query),
        "follow_button": follow_button(request, "query", query.strip()) if query.strip() else None,
        "title": f"Search: {query}" if query else "Search",
    }
    # Search as you type replaces the results region alone.
    as_you_type = request.htmx and request.htmx.target == "results"
    return page_of_cards(
        request,
        _Window([hit.paper for hit in hits], (number - 1) * PAGE_SIZE),
        "web/_search_results.html" if as_you_type else "web/search.html",
        context,
    )
