"""The search endpoint's rows-based items are exactly the model-based ones."""

from datetime import date

import pytest
from django.contrib.auth.models import User

from dailypapers.api import shapes
from dailypapers.community.services import post_comment, remove_comments
from dailypapers.papers.models import DailyListing, Paper
from dailypapers.papers.records import ListingRecord, OrganizationRecord, PaperRecord
from dailypapers.papers.upserts import upsert_listings, upsert_papers

pytestmark = pytest.mark.django_db


@pytest.fixture
def papers() -> list[str]:
    """Every combination the shapes distinguish: organization, listing, submitter kind, links."""
    ids = [f"2403.0000{n}" for n in range(1, 7)]
    upsert_papers(
        [
            PaperRecord.build(
                arxiv_id=ids[0],
                title="Listed by a Hugging Face user, with an organization",
                abstract="Code at https://github.com/acme/method.",
                authors=["Ada Lovelace", "Alan Turing", "Grace Hopper"],
                published=date(2024, 3, 4),
                project_page="https://acme.example/method",
            ),
            PaperRecord.build(
                arxiv_id=ids[1],
                title="Submitted here by a user with a full name",
                abstract="B.",
                authors=["Émilie du Châtelet"],
                published=date(2024, 3, 3),
            ),
            PaperRecord.build(
                arxiv_id=ids[2],
                title="Submitted here by a user without a name",
                abstract="C.",
                authors=["C D"],
                published=None,
            ),
            PaperRecord.build(
                arxiv_id=ids[3],
                title="Listed without a submitter",
                abstract="D.",
                authors=[],
                published=date(2024, 2, 1),
            ),
            PaperRecord.build(
                arxiv_id=ids[4],
                title="Never listed",
                abstract="E.",
                authors=["E F", "G H"],
                published=date(2023, 12, 31),
            ),
        ]
    )
    upsert_listings(
        [
            ListingRecord(
                arxiv_id=ids[0],
                date=date(2024, 3, 5),
                source="hf-api",
                upvotes=28,
                submitter_name="akhaliq",
                organization=OrganizationRecord("acme", "ACME Research", "https://a.example/x.png"),
            ),
            ListingRecord(arxiv_id=ids[3], date=date(2024, 2, 2), source="hf-api", upvotes=3),
            # Known only from a listing: no arXiv record yet.
            ListingRecord(arxiv_id=ids[5], date=date(2024, 3, 6), source="hf-api", title="Stub"),
        ]
    )
    for arxiv_id, user in [
        (ids[1], User.objects.create_user("ada", first_name="Ada", last_name="King")),
        (ids[2], User.objects.create_user("anon")),
    ]:
        DailyListing.objects.create(
            paper_id=arxiv_id, date=date(2024, 3, 5), source="local", submitted_by=user
        )
    return ids


def test_daily_items_from_rows_equal_the_model_based_items(papers):
    order = [papers[4], papers[0], papers[5], papers[2], papers[1], papers[3]]
    by_id = Paper.objects.for_cards().in_bulk(order)
    expected = [shapes.daily_item(by_id[pid], by_id[pid].daily_listing) for pid in order]
    assert shapes.daily_items(order) == expected
    assert expected[1]["submittedBy"]["user"] == "akhaliq"
    assert expected[4]["submittedBy"]["fullname"] == "Ada King"
    assert expected[3]["submittedBy"]["fullname"] == "anon"
    assert expected[0]["submittedBy"] is None and expected[0]["organization"] is None


def test_daily_items_skip_unknown_and_hidden_papers_in_two_queries(
    papers, django_assert_num_queries
):
    Paper.objects.filter(pk=papers[1]).update(is_hidden=True)
    with django_assert_num_queries(2):
        items = shapes.daily_items(["2403.99999", papers[0], papers[1], papers[4]])
    assert [item["paper"]["id"] for item in items] == [papers[0], papers[4]]
    assert shapes.daily_items([]) == []


def test_every_item_shape_counts_the_papers_comments(papers, client):
    user = User.objects.get(username="ada")
    paper = Paper.objects.get(pk=papers[0])
    for body in ["First.", "Second.", "Third."]:
        post_comment(user, paper, body)
    moderator = User.objects.create_user("mod", is_staff=True, is_superuser=True)
    remove_comments(moderator, paper.comments.filter(body="Third."))

    assert shapes.daily_items([papers[0]])[0]["numComments"] == 2
    day = client.get("/api/daily_papers", {"date": "2024-03-05"}).json()
    assert {item["paper"]["id"]: item["numComments"] for item in day}[papers[0]] == 2
    assert client.get(f"/api/papers/{papers[0]}").json()["numComments"] == 2
