"""A paper that moderators hid is not in the catalog for anybody else, on any path."""

import pytest

from dailypapers.community.models import ApiToken
from dailypapers.community.services import post_comment
from dailypapers.papers.models import DailyListing, Paper

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
