"""Every route naming a paper takes its id with the one `arxiv` converter (papers/converters.py)."""

from datetime import date

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from dailypapers.papers.converters import ArxivIdConverter
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.upserts import upsert_papers


def patterns(resolver: URLResolver | None = None, prefix: str = ""):
    """(route as written, pattern) of every URL of the site, included ones too."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from patterns(entry, route)
        else:
            yield route, entry


def test_every_route_taking_an_arxiv_id_uses_the_converter():
    routes = {route: p for route, p in patterns() if "arxiv_id" in route}
    assert len(routes) >= 11, routes  # the pages, community's forms, exports, the API
    for route, pattern in routes.items():
        assert isinstance(pattern, URLPattern)
        converter = pattern.pattern.converters.get("arxiv_id")
        assert isinstance(converter, ArxivIdConverter), route


@pytest.mark.parametrize(
    "suffix, name",
    [
        ("", "paper"),
        ("/upvote", "paper-upvote"),
        ("/fetch", "paper-fetch"),
        ("/comments", "comment-post"),
        ("/claim", "paper-claim"),
        ("/organization", "paper-organization"),
        (".md", "paper-markdown"),
        (".bib", "paper-bibtex"),
    ],
)
@pytest.mark.parametrize("arxiv_id", ["2403.01779", "hep-th/9901001", "math.GT/0309136"])
def test_an_id_old_or_new_reaches_each_of_its_routes_whole(arxiv_id, suffix, name):
    found = resolve(f"/papers/{arxiv_id}{suffix}")
    assert (found.url_name, found.kwargs) == (name, {"arxiv_id": arxiv_id})
    assert reverse(name, args=[arxiv_id]) == f"/papers/{arxiv_id}{suffix}"


@pytest.mark.parametrize(
    "typed",
    [
        "2403.01779v2",
        "2403.01779V2",
        "arXiv:2403.01779",
        "arXiv:hep-th/9901001",
        "HEP-TH/9901001",
        "oai:arXiv.org:2403.01779",
        "https://arxiv.org/abs/2403.01779v3",
        "http://arxiv.org/pdf/2403.01779v1.pdf",
        "2403.01779/",
        # Malformed: the view says what is wrong with it, not the resolver.
        "2413.01779",
        "not-an-id",
    ],
)
def test_what_a_reader_may_type_reaches_the_paper_view_as_typed(typed):
    found = resolve(f"/papers/{typed}")
    assert (found.url_name, found.kwargs) == ("paper", {"arxiv_id": typed})


@pytest.mark.django_db
def test_the_api_answers_for_an_old_style_id(client):
    upsert_papers(
        [
            PaperRecord.build(
                arxiv_id="hep-th/9901001",
                title="An old paper",
                abstract="Strings.",
                authors=["Ada Lovelace"],
                published=date(1999, 1, 4),
                categories=["hep-th"],
            )
        ]
    )
    assert client.get("/api/papers/hep-th/9901001v2").json()["id"] == "hep-th/9901001"
