from datetime import date

import pytest
from django.contrib.auth.models import User

from dailypapers.papers.models import Author, DailyListing, Paper
from dailypapers.papers.records import (
    InvalidRecord,
    ListingRecord,
    OrganizationRecord,
    PaperRecord,
)
from dailypapers.papers.services import add_upvote, remove_upvote
from dailypapers.papers.upserts import upsert_listings, upsert_papers

pytestmark = pytest.mark.django_db


def record(arxiv_id="2403.01779", version=1, **fields) -> PaperRecord:
    values = {
        "title": "OOTDiffusion",
        "abstract": "Virtual try-on. https://github.com/levihsu/OOTDiffusion",
        "authors": ["Yuhao Xu", "Tao Gu"],
        "published": date(2024, 3, 4),
        "categories": ["cs.CV"],
    }
    values.update(fields)
    return PaperRecord.build(arxiv_id=arxiv_id, version=version, **values)


def test_new_paper_is_stored_with_ordered_authors_and_found_links():
    counts = upsert_papers([record(authors=["Zed Last", "Amy First", "Mid Dle"])])
    assert (counts.new, counts.updated, counts.unchanged) == (1, 0, 0)
    paper = Paper.objects.get(pk="2403.01779")
    names = [a.author.name for a in paper.authorships.select_related("author")]
    assert names == ["Zed Last", "Amy First", "Mid Dle"]
    assert paper.github_repo == "https://github.com/levihsu/OOTDiffusion"
    assert paper.primary_category == "cs.CV"


def test_same_record_twice_changes_nothing():
    upsert_papers([record()])
    before = Paper.objects.get().changed_at
    counts = upsert_papers([record()])
    assert (counts.new, counts.updated, counts.unchanged) == (0, 0, 1)
    assert Paper.objects.get().changed_at == before


def test_newer_version_replaces_older_and_older_never_overwrites_newer():
    upsert_papers([record(version=1, title="First title")])
    assert upsert_papers([record(version=2, title="Second title")]).updated == 1
    counts = upsert_papers([record(version=1, title="First title")])
    assert (counts.unchanged, counts.older) == (1, 1)
    paper = Paper.objects.get()
    assert (paper.version, paper.title) == (2, "Second title")


def test_duplicate_ids_in_one_batch_keep_the_newest():
    counts = upsert_papers(
        [
            record(version=2, title="v2"),
            record(version=1, title="v1"),
            record(version=3, title="v3"),
        ]
    )
    assert (counts.new, counts.updated, counts.older) == (1, 1, 1)
    assert Paper.objects.get().title == "v3"


def test_update_replaces_authors_and_keeps_author_rows_shared():
    upsert_papers([record(), record("2403.00002", authors=["Yuhao Xu"])])
    upsert_papers([record(version=2, authors=["Tao Gu", "New Person"])])
    names = list(
        Paper.objects.get(pk="2403.01779").authorships.values_list("author__name", flat=True)
    )
    assert names == ["Tao Gu", "New Person"]
    assert Author.objects.get(name="Yuhao Xu").papers.count() == 1


def test_links_are_kept_when_a_new_version_drops_them():
    upsert_papers([record()])
    upsert_papers([record(version=2, abstract="No link any more.")])
    assert Paper.objects.get().github_repo == "https://github.com/levihsu/OOTDiffusion"


@pytest.mark.parametrize(
    "fields, reason",
    [
        ({"arxiv_id": "not-an-id"}, "not an arXiv id"),
        ({"title": "  "}, "missing title"),
        ({"abstract": None}, "missing abstract"),
        ({"authors": "A. Person"}, "authors must be a list"),
    ],
)
def test_invalid_records_are_refused_with_a_reason(fields, reason):
    values = {"arxiv_id": "2403.01779", "title": "T", "abstract": "A", "authors": []}
    values.update(fields)
    with pytest.raises(InvalidRecord, match=reason):
        PaperRecord.build(**values)


def listing(arxiv_id="2403.01779", day=date(2024, 3, 5), **fields) -> ListingRecord:
    return ListingRecord(arxiv_id=arxiv_id, date=day, source="hf-api", **fields)


def test_listing_without_paper_data_creates_a_placeholder_that_arxiv_completes():
    upsert_listings([listing(title="Only a title", upvotes=7)])
    paper = Paper.objects.get()
    assert (paper.version, paper.title, paper.is_complete) == (0, "Only a title", False)
    assert paper.upvotes == 7
    upsert_papers([record()])
    paper.refresh_from_db()
    assert (paper.version, paper.title, paper.upvotes) == (1, "OOTDiffusion", 7)
    assert paper.listing.date == date(2024, 3, 5)


def test_listing_data_never_overrides_arxiv_metadata():
    upsert_papers([record()])
    hf = PaperRecord.build(
        arxiv_id="2403.01779",
        title="HF title",
        abstract="HF abstract",
        authors=["Someone"],
        version=0,
    )
    upsert_listings([listing(paper=hf, organization=OrganizationRecord("acme", "Acme AI"))])
    paper = Paper.objects.get()
    assert paper.title == "OOTDiffusion"
    assert paper.organization.name == "Acme AI"


def test_imported_upvotes_are_a_baseline_that_local_upvotes_add_to():
    upsert_papers([record()])
    upsert_listings([listing(upvotes=28)])
    paper = Paper.objects.get()
    user = User.objects.create_user("reader")
    assert add_upvote(user, paper) is True
    assert add_upvote(user, paper) is False
    paper.refresh_from_db()
    assert (paper.imported_upvotes, paper.upvotes) == (28, 29)
    # A newer snapshot raises the baseline; the local vote stays on top.
    upsert_listings([listing(upvotes=30)])
    paper.refresh_from_db()
    assert paper.upvotes == 31
    # An older snapshot with fewer votes does not lower it.
    assert upsert_listings([listing(upvotes=10)]).unchanged == 1
    assert remove_upvote(user, paper) is True
    assert remove_upvote(user, paper) is False
    paper.refresh_from_db()
    assert paper.upvotes == 30 == paper.imported_upvotes + paper.upvote_set.count()


def test_a_paper_is_listed_once_on_its_earliest_date():
    upsert_listings([listing(day=date(2024, 3, 6), submitter_name="akhaliq")])
    upsert_listings([listing(day=date(2024, 3, 5))])
    upsert_listings([listing(day=date(2024, 3, 7))])
    only = DailyListing.objects.get()
    assert (only.date, only.submitter_name) == (date(2024, 3, 5), "akhaliq")


def upvotes_of(paper: Paper) -> int:
    paper.refresh_from_db(fields=["upvotes"])
    return paper.upvotes


def test_upvotes_of_deactivated_and_deleted_accounts_stop_counting():
    upsert_papers([record(), record("2403.01780")])
    upsert_listings([listing(upvotes=5)])
    paper, other = Paper.objects.order_by("pk")
    voters = [User.objects.create_user(name) for name in ("a", "b", "c")]
    for voter in voters:
        add_upvote(voter, paper)
    add_upvote(voters[0], other)
    assert (upvotes_of(paper), upvotes_of(other)) == (8, 1)

    voters[0].is_active = False
    voters[0].save()
    assert (upvotes_of(paper), upvotes_of(other)) == (7, 0)
    voters[0].save()  # saved again, still inactive: no second discount
    voters[0].delete()  # already discounted
    assert (upvotes_of(paper), upvotes_of(other)) == (7, 0)

    voters[1].delete()
    assert upvotes_of(paper) == 6

    voters[2].is_active = False
    voters[2].save(update_fields=["is_active"])
    assert upvotes_of(paper) == 5
    voters[2].is_active = True
    voters[2].save()
    assert upvotes_of(paper) == 6 == paper.imported_upvotes + paper.upvote_set.count()


def test_logging_in_does_not_touch_upvote_counts(client):
    upsert_papers([record()])
    paper = Paper.objects.get()
    user = User.objects.create_user("reader", password="a long enough password 1")
    add_upvote(user, paper)
    assert client.login(username="reader", password="a long enough password 1")
    assert upvotes_of(paper) == 1
