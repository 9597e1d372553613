"""New on arXiv (/papers/new): a day's announcements in the configured categories,
with upvotes, previous/next day, feeds; and what the empty pages say."""

import os
import re
import subprocess
import sys
from datetime import date

import feedparser
import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from dailypapers.ingest.models import SourceStatus
from dailypapers.papers.models import Paper
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.upserts import upsert_papers
from dailypapers.web.tests.test_browser import card, sign_in


def announcement(arxiv_id: str, published: str, categories: list[str], **fields) -> PaperRecord:
    values = {
        "arxiv_id": arxiv_id,
        "title": f"Announced paper {arxiv_id}",
        "abstract": f"What {arxiv_id} is about.",
        "authors": ["Ada Lovelace"],
        "published": date.fromisoformat(published),
        "categories": categories,
    }
    return PaperRecord.build(**(values | fields))


@pytest.fixture
def announced(db):
    """March 5, 2024 has three cs papers (one cross-listed from math) and a math one;
    March 4 one cs paper; March 2 only math; March 1 one cs paper."""
    upsert_papers(
        [
            announcement("2403.10001", "2024-03-05", ["cs.LG"], title="Graph Transformers"),
            announcement("2403.10002", "2024-03-05", ["cs.CV", "cs.LG"]),
            announcement("2403.10003", "2024-03-05", ["math.OC", "cs.LG"]),
            announcement("2403.10004", "2024-03-05", ["math.AG"]),
            announcement("2403.10005", "2024-03-04", ["cs.CL"]),
            announcement("2403.10006", "2024-03-02", ["math.AG"]),
            announcement("2403.10007", "2024-03-01", ["cs.CV"]),
            announcement("2403.10008", "2024-03-05", ["cs.AI"], title="Hidden by a moderator"),
        ]
    )
    Paper.objects.filter(pk="2403.10008").update(is_hidden=True)
    Paper.objects.filter(pk="2403.10002").update(upvotes=4)


def card_ids(html: str) -> list[str]:
    return re.findall(r'<li class="card" id="card-(\d+)">', html)


def ids(*numbers: int) -> list[str]:
    return [f"240310{n:03}" for n in numbers]


@pytest.mark.usefixtures("announced")
def test_new_lists_the_newest_days_papers_in_the_configured_categories(client):
    html = client.get("/papers/new").content.decode()

    assert "New on arXiv in cs: Tuesday, March 5, 2024" in html
    # Most upvoted first, then arXiv's order; the cross-list counts, math and hidden do not.
    assert card_ids(html) == ids(2, 1, 3)
    assert "cs.LG (3)" in html and "cs.CV (1)" in html
    assert "math.OC (" not in html and "math.AG" not in html


@pytest.mark.usefixtures("announced")
def test_previous_and_next_go_to_the_nearest_days_with_papers(client):
    html = client.get("/papers/new?date=2024-03-04").content.decode()

    assert card_ids(html) == ids(5)
    assert 'rel="prev" href="/papers/new?date=2024-03-01"' in html  # March 2 had no cs paper
    assert 'rel="next" href="/papers/new?date=2024-03-05"' in html
    newest = client.get("/papers/new").content.decode()
    assert 'rel="next"' not in newest


@pytest.mark.usefixtures("announced")
def test_a_category_page_lists_that_category_or_archive_only(client):
    cv = client.get("/papers/new/cs.CV").content.decode()
    assert "New on arXiv in cs.CV: Tuesday, March 5, 2024" in cv
    assert card_ids(cv) == ids(2)
    assert 'rel="prev" href="/papers/new/cs.CV?date=2024-03-01"' in cv

    assert card_ids(client.get("/papers/new/math").content.decode()) == ids(3, 4)
    assert card_ids(client.get("/papers/new/cs.CL").content.decode()) == ids(5)


@pytest.mark.usefixtures("announced")
def test_the_categories_come_from_the_setting(client, settings):
    settings.NEW_CATEGORIES = ["math"]

    html = client.get("/papers/new").content.decode()

    assert "New on arXiv in math: Tuesday, March 5, 2024" in html
    assert card_ids(html) == ids(3, 4)


@pytest.mark.usefixtures("announced")
@pytest.mark.parametrize(
    "url", ["/papers/new/cs.LG<script>", "/papers/new/CS", "/papers/new?date=2024-02-30"]
)
def test_a_bad_category_or_date_is_a_readable_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "<script>" not in response.content.decode()


@pytest.mark.parametrize(
    "harvested, categories", [("cs", ["cs"]), ("physics:hep-th", ["hep-th"]), ("", [])]
)
def test_the_default_categories_are_the_harvested_sets(tmp_path, harvested, categories):
    environment = {
        **os.environ,
        "DAILYPAPERS_DATA_DIR": str(tmp_path),
        "DAILYPAPERS_HARVEST_SET": harvested,
    }
    environment.pop("DAILYPAPERS_NEW_CATEGORIES", None)
    shown = subprocess.run(
        [sys.executable, "-c", "from dailypapers import settings; print(settings.NEW_CATEGORIES)"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.strip() == str(categories)


def test_an_empty_catalog_says_what_failed_and_what_to_do(client, db):
    SourceStatus.record(SourceStatus.Source.ARXIV_OAI, "cannot reach https://oaipmh.arxiv.org")

    new = client.get("/papers/new").content.decode()
    daily = client.get("/papers").content.decode()

    for html in (new, daily):
        assert "Fetching from arXiv (OAI-PMH harvest) failed" in html
        assert "cannot reach https://oaipmh.arxiv.org" in html
        assert "dailypapers harvest --from" in html
    assert "dailypapers sync-hf --from" in daily


@pytest.mark.usefixtures("announced")
def test_papers_but_no_listings_point_to_new_on_arxiv_and_the_hugging_face_sync(client):
    SourceStatus.record(SourceStatus.Source.HF, "cannot reach https://huggingface.co")

    html = client.get("/papers").content.decode()

    assert "none on a daily list yet" in html
    assert 'href="/papers/new"' in html
    assert "Fetching from Hugging Face Daily Papers failed" in html
    assert "dailypapers sync-hf" in html


def test_a_source_that_answered_again_is_no_longer_reported(client, db):
    SourceStatus.record(SourceStatus.Source.HF, "cannot reach https://huggingface.co")
    SourceStatus.record(SourceStatus.Source.HF)

    assert "failed" not in client.get("/papers").content.decode()


def parse(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


@pytest.mark.usefixtures("announced")
@pytest.mark.parametrize("flavour", ["rss", "atom"])
@pytest.mark.parametrize(
    "page, feed, expected",
    [
        ("/papers/new", "/feeds/new", ids(2, 1, 3)),
        ("/papers/new/cs.CV", "/feeds/new/cs.CV", ids(2)),
    ],
)
def test_new_pages_advertise_their_feeds_which_list_the_same_papers(
    client, page, feed, expected, flavour
):
    html = client.get(page).content.decode()
    advertised = re.search(rf'<link rel="alternate" type="application/{flavour}\+xml"[^>]*>', html)
    assert advertised and f'href="{feed}.{flavour}"' in advertised[0]

    parsed = parse(client, f"{feed}.{flavour}")

    assert [entry.id.rsplit("/", 1)[-1] for entry in parsed.entries] == [
        f"{i[:4]}.{i[4:]}" for i in expected
    ]
    assert parsed.entries[0].published_parsed[:3] == (2024, 3, 5)
    assert parsed.feed.title.startswith("dailypapers: New on arXiv in")


def test_the_new_feed_of_an_empty_catalog_is_valid_and_empty(client, db):
    assert parse(client, "/feeds/new.rss").entries == []


def test_the_nav_links_to_new_on_arxiv(client, db):
    assert '<a href="/papers/new">New</a>' in client.get("/papers").content.decode()


@pytest.mark.django_db(transaction=True)
def test_browse_new_on_arxiv_upvote_and_move_between_days(page: Page, live_server, announced):
    reader = User.objects.create_user("reader")
    sign_in(page, live_server, reader)
    page.goto("/papers")
    page.get_by_role("link", name="New", exact=True).click()
    expect(page.locator("h1")).to_have_text("New on arXiv in cs: Tuesday, March 5, 2024")
    expect(page.locator(".card")).to_have_count(3)

    graph = card(page, "2403.10001")
    graph.get_by_role("button", name="Upvote").click()
    expect(graph.get_by_test_id("upvotes")).to_have_text("1")
    assert Paper.objects.get(pk="2403.10001").upvotes == 1
    # An upvote there counts like any other: the paper's own page shows it.
    page.goto("/papers/2403.10001")
    expect(page.get_by_test_id("upvotes").first).to_have_text("1")

    page.goto("/papers/new")
    page.get_by_role("link", name="← Previous day").click()
    expect(page.locator("h1")).to_have_text("New on arXiv in cs: Monday, March 4, 2024")
    expect(page.locator(".card")).to_have_count(1)
    page.get_by_role("link", name="← Previous day").click()
    expect(page.locator("h1")).to_have_text("New on arXiv in cs: Friday, March 1, 2024")
    page.get_by_role("link", name="cs.CV (1)").click()
    expect(page).to_have_url(re.compile(r"/papers/new/cs\.CV\?date=2024-03-01$"))
    expect(page.locator(".card")).to_have_count(1)
    page.get_by_role("link", name="Next day →").click()
    expect(page.locator("h1")).to_have_text("New on arXiv in cs.CV: Tuesday, March 5, 2024")
