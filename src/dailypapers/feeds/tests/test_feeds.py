"""RSS and Atom feeds: valid, with correct dates, ids, links and escaped content."""

import re
from datetime import date

import feedparser
import pytest
from django.contrib.auth.models import User

from dailypapers.feeds.paper_feed import FLAVOURS, PaperFeed
from dailypapers.library.collections import add_paper, create_collection
from dailypapers.library.feed_tokens import feed_token, reset_feed_token
from dailypapers.library.follows import follow
from dailypapers.library.marks import mark_read
from dailypapers.papers.models import Paper
from dailypapers.papers.records import ListingRecord, OrganizationRecord, PaperRecord
from dailypapers.papers.services import add_upvote
from dailypapers.papers.upserts import upsert_listings, upsert_papers
from dailypapers.search.indexing import sync_keyword_index

pytestmark = pytest.mark.django_db

HOSTILE = "Attacks <script>alert('x')</script> & friends"


@pytest.fixture
def catalog():
    upsert_papers(
        [
            PaperRecord.build(
                arxiv_id="2403.00001",
                title="Block-wise Quantization",
                abstract=f"We quantize. {HOSTILE}",
                authors=["Ada Lovelace"],
                published=date(2024, 3, 1),
                categories=["cs.LG"],
            ),
            PaperRecord.build(
                arxiv_id="2403.00002",
                title=HOSTILE,
                abstract="Diffusion models.",
                authors=["Alan Turing", "Ada Lovelace"],
                published=date(2024, 3, 2),
                categories=["cs.CV"],
            ),
        ]
    )
    upsert_listings(
        [
            ListingRecord(
                arxiv_id="2403.00001",
                date=date(2024, 3, 4),
                source="hf-api",
                upvotes=3,
                organization=OrganizationRecord("acme", "Acme AI"),
            ),
            ListingRecord(arxiv_id="2403.00002", date=date(2024, 3, 5), source="hf-api", upvotes=9),
        ]
    )
    add_upvote(User.objects.create_user("reader"), Paper.objects.get(pk="2403.00002"))
    sync_keyword_index()


def parse(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    return response, feed


@pytest.mark.usefixtures("catalog")
@pytest.mark.parametrize(
    "path, expected",
    [
        ("/feeds/daily", ["2403.00002", "2403.00001"]),
        ("/feeds/trending", ["2403.00002", "2403.00001"]),
        ("/feeds/new", ["2403.00002"]),
        ("/feeds/new/cs.LG", ["2403.00001"]),
        ("/feeds/search?q=quantization", ["2403.00001"]),
        ("/feeds/organizations/acme", ["2403.00001"]),
        ("/feeds/authors/Ada Lovelace", ["2403.00002", "2403.00001"]),
        ("/feeds/users/reader/upvotes", ["2403.00002"]),
    ],
)
@pytest.mark.parametrize(
    "flavour, content_type", [("rss", "application/rss+xml"), ("atom", "application/atom+xml")]
)
def test_feeds_are_valid_and_list_the_right_papers(client, path, expected, flavour, content_type):
    route, _, query = path.partition("?")
    response, feed = parse(client, f"{route}.{flavour}" + (f"?{query}" if query else ""))
    assert response["Content-Type"].startswith(content_type)
    assert [entry.id.rsplit("/", 1)[-1] for entry in feed.entries] == expected
    for entry in feed.entries:
        assert entry.link.startswith("http://testserver/papers/24")
        assert entry.published_parsed is not None


@pytest.mark.usefixtures("catalog")
def test_feed_entries_carry_dates_authors_and_escaped_text(client):
    _, feed = parse(client, "/feeds/daily.atom")
    newest = feed.entries[0]
    assert newest.title == HOSTILE  # escaped in the XML, the same text once parsed
    assert newest.published_parsed[:3] == (2024, 3, 5)
    assert newest.id == "https://arxiv.org/abs/2403.00002"
    assert newest.author == "Alan Turing, Ada Lovelace"
    raw = parse(client, "/feeds/daily.rss")[0].content.decode()
    assert "<script>" not in raw and "&lt;script&gt;" in raw


@pytest.mark.parametrize(
    "url",
    [
        "/feeds/organizations/nobody.rss",
        "/feeds/authors/Nobody.atom",
        "/feeds/users/ghost/upvotes.rss",
    ],
)
def test_feeds_of_unknown_things_are_404(client, db, url):
    assert client.get(url).status_code == 404


def test_empty_search_feed_is_valid_and_empty(client, db):
    _, feed = parse(client, "/feeds/search.rss?q=")
    assert feed.entries == []


@pytest.mark.parametrize(
    "page, feed",
    [
        ("/papers", "/feeds/daily"),
        ("/papers/date/2024-03-04", "/feeds/daily"),
        ("/papers/week/2024-W10", "/feeds/daily"),
        ("/papers/month/2024-03", "/feeds/daily"),
        ("/papers/trending", "/feeds/trending"),
        ("/papers/new", "/feeds/new"),
        ("/papers/new/cs.LG", "/feeds/new/cs.LG"),
        ("/papers?q=quantization", "/feeds/search"),
        ("/organizations/acme", "/feeds/organizations/acme"),
        ("/authors/Ada%20Lovelace", "/feeds/authors/Ada%20Lovelace"),
        ("/users/reader", "/feeds/users/reader/upvotes"),
    ],
)
def test_every_page_with_a_feed_advertises_it_to_feed_readers(client, catalog, page, feed):
    html = client.get(page).content.decode()
    for kind, media_type in (("rss", "application/rss+xml"), ("atom", "application/atom+xml")):
        advertised = re.search(
            rf'<link rel="alternate" type="{re.escape(media_type)}" title="[^"]*" href="([^"]+)">',
            html,
        )
        assert advertised, f"{page} has no {kind} link"
        url = advertised[1].replace("&amp;", "&")
        assert url.startswith(f"{feed}.{kind}"), url
        _, parsed = parse(client, url)
        assert parsed.entries, url


def test_each_feed_class_answers_under_the_url_names_the_site_has_always_used():
    names = {feed.url_name(flavour) for feed in PaperFeed.registered() for flavour in FLAVOURS}
    kinds = [
        "daily",
        "trending",
        "new",
        "new-category",
        "search",
        "organization",
        "author",
        "upvotes",
        "collection",
        "for-you",
    ]
    assert names == {f"feed-{kind}-{flavour}" for kind in kinds for flavour in FLAVOURS}


def test_a_public_collection_has_a_feed_a_private_one_is_404(client, catalog):
    owner = User.objects.get(username="reader")
    shared = create_collection(owner, f"Reading {HOSTILE}", public=True)
    add_paper(owner, shared.key, "2403.00002", "a note", client="192.0.2.1/32")
    hidden = create_collection(owner, "Secret")
    add_paper(owner, hidden.key, "2403.00001", client="192.0.2.1/32")
    for flavour in FLAVOURS:
        _, feed = parse(client, f"/feeds/collections/{shared.key}.{flavour}")
        assert HOSTILE in feed.feed.title
        assert [entry.title for entry in feed.entries] == [HOSTILE]
        assert client.get(f"/feeds/collections/{hidden.key}.{flavour}").status_code == 404
        client.force_login(owner)  # even its owner: a feed URL is shared, sessions are not
        assert client.get(f"/feeds/collections/{hidden.key}.{flavour}").status_code == 404
        client.logout()


def test_the_private_for_you_feed_says_why_and_stops_working_once_reset(client, catalog):
    reader = User.objects.create_user("follower")
    follow(reader, "author", "Ada Lovelace")
    mark_read(reader, "2403.00001")
    token = feed_token(reader)
    for flavour in FLAVOURS:
        response, feed = parse(client, f"/feeds/for-you/{token}.{flavour}")
        assert [entry.id.rsplit("/", 1)[-1] for entry in feed.entries] == ["2403.00002"]
        assert "You follow Ada Lovelace" in feed.entries[0].summary
        assert feed.entries[0].title == HOSTILE
        assert "no-store" in response["Cache-Control"]
        assert response["Referrer-Policy"] == "no-referrer"

    fresh = reset_feed_token(reader)

    for flavour in FLAVOURS:
        assert client.get(f"/feeds/for-you/{token}.{flavour}").status_code == 404
        assert client.get(f"/feeds/for-you/{fresh}.{flavour}").status_code == 200
        assert client.get(f"/feeds/for-you/not-a-token.{flavour}").status_code == 404
