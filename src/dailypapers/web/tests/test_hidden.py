"""A paper that moderators hid is not in the catalog for anybody else, on any path."""

import re

import pytest
from django.core.cache import cache

from dailypapers.community.models import ApiToken
from dailypapers.community.services import post_comment
from dailypapers.papers.models import DailyListing, Paper
from dailypapers.search.indexing import embed_pending

HIDDEN = "2411.00042"


@pytest.fixture
def hidden(recent_paper, reader) -> Paper:
    comment = post_comment(reader, recent_paper, "Seen before it was hidden.")
    recent_paper.is_hidden = True
    recent_paper.save(update_fields=["is_hidden"])
    recent_paper.comment_pk = comment.pk
    return recent_paper


def test_a_hidden_paper_has_no_bibtex(client, hidden):
    assert client.get(f"/papers/{HIDDEN}.bib").status_code == 404


def test_the_comments_of_a_hidden_paper_are_not_served(logged_in, hidden):
    pk = hidden.comment_pk
    assert logged_in.get(f"/comments/{pk}", HTTP_HX_REQUEST="true").status_code == 404
    assert logged_in.get(f"/comments/{pk}/edit", HTTP_HX_REQUEST="true").status_code == 404


def test_a_hidden_paper_cannot_be_submitted_on_the_site(logged_in, hidden):
    response = logged_in.post("/papers/submit", {"arxiv_id": HIDDEN})
    assert response.status_code == 404
    assert "not in the catalog" in response.content.decode()
    assert not DailyListing.objects.exists()


def test_a_hidden_paper_cannot_be_submitted_through_the_api(client, hidden, reader):
    _, token = ApiToken.objects.issue(reader, "script")
    response = client.post(
        "/api/daily_papers",
        {"arxivId": HIDDEN},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 404
    assert not DailyListing.objects.exists()


def similar_on_page(client, arxiv_id: str) -> list[str]:
    html = client.get(f"/papers/{arxiv_id}").content.decode()
    section = html.partition("<h2>Similar papers</h2>")[2].partition("</section>")[0]
    return re.findall(r'href="/papers/([^"]+)"', section)


def test_a_hidden_paper_is_never_among_similar_papers(client, catalog):
    embed_pending()
    shown = similar_on_page(client, "2403.00001")
    assert "2403.00002" in shown
    Paper.objects.filter(pk="2403.00002").update(is_hidden=True)
    cache.clear()  # the page and its similar papers, shared for PAGE_CACHE_SECONDS
    assert similar_on_page(client, "2403.00001") == [pid for pid in shown if pid != "2403.00002"]


def test_previous_and_next_skip_a_day_whose_papers_are_all_hidden(client, catalog):
    Paper.objects.filter(pk="2403.00003").update(is_hidden=True)  # March 5's only paper
    html = client.get("/papers/date/2024-03-04").content.decode()
    assert 'rel="next" href="/papers/date/2024-03-07"' in html
    html = client.get("/papers/date/2024-03-07").content.decode()
    assert 'rel="prev" href="/papers/date/2024-03-04"' in html
