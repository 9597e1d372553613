"""The official ``huggingface_hub`` client against a live dailypapers server."""

from datetime import date

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import close_session

from dailypapers.papers.models import Paper
from dailypapers.papers.records import ListingRecord, OrganizationRecord, PaperRecord
from dailypapers.papers.upserts import upsert_listings, upsert_papers
from dailypapers.search.indexing import embed_pending, sync_keyword_index

pytestmark = pytest.mark.django_db(transaction=True)

PAPERS = [
    (
        "2403.01779",
        "OOTDiffusion: Outfitting Fusion based Latent Diffusion for Virtual Try-on",
        "Image-based virtual try-on with latent diffusion. Code: https://github.com/levihsu/OOTDiffusion",
        ["Yuhao Xu", "Tao Gu"],
        date(2024, 3, 4),
        date(2024, 3, 5),
        28,
        "akhaliq",
        OrganizationRecord("xiao-i", "Xiao-i Research", "https://example.org/x.png"),
    ),
    (
        "2403.02000",
        "Block-wise Quantization of Large Language Models",
        "We quantize weights block-wise to four bits.",
        ["Ada Lovelace"],
        date(2024, 3, 3),
        date(2024, 3, 5),
        40,
        "reviewer",
        None,
    ),
    (
        "2403.03000",
        "Scaling Rectified Flow Transformers",
        "Rectified flow models for high-resolution image synthesis.",
        ["Patrick Esser"],
        date(2024, 3, 5),
        date(2024, 3, 6),
        12,
        "akhaliq",
        None,
    ),
    (
        "2402.09000",
        "A Survey of Graph Neural Networks",
        "Message passing, surveyed.",
        ["Justin Gilmer"],
        date(2024, 2, 20),
        date(2024, 2, 21),
        5,
        "someone",
        None,
    ),
]


@pytest.fixture
def client(live_server):
    upsert_papers(
        [
            PaperRecord.build(
                arxiv_id=pid,
                title=title,
                abstract=abstract,
                authors=authors,
                published=published,
                categories=["cs.CV"],
            )
            for pid, title, abstract, authors, published, *_ in PAPERS
        ]
    )
    upsert_listings(
        [
            ListingRecord(
                arxiv_id=pid,
                date=listed,
                source="hf-api",
                upvotes=upvotes,
                submitter_name=submitter,
                organization=org,
            )
            for pid, _, _, _, _, listed, upvotes, submitter, org in PAPERS
        ]
    )
    sync_keyword_index()
    embed_pending()
    yield HfApi(endpoint=live_server.url)
    # The client keeps its connections alive, and the live server's thread for
    # each keeps its database session until the connection closes: on
    # PostgreSQL that session would stop the test database from being dropped.
    close_session()


def ids(papers) -> list[str]:
    return [paper.id for paper in papers]


def test_list_daily_papers_of_a_date_matches_the_database(client):
    papers = list(client.list_daily_papers(date="2024-03-05"))
    assert ids(papers) == ["2403.02000", "2403.01779"]  # newest day, most upvoted first
    ootd = papers[1]
    stored = Paper.objects.select_related("organization", "listing").get(pk="2403.01779")
    assert ootd.title == stored.title and ootd.summary == stored.abstract
    assert [a.name for a in ootd.authors] == ["Yuhao Xu", "Tao Gu"]
    assert ootd.upvotes == stored.upvotes == 28
    assert ootd.published_at.date() == stored.published == date(2024, 3, 4)
    assert ootd.submitted_at.date() == stored.listing.date == date(2024, 3, 5)
    assert ootd.submitted_by.username == "akhaliq"
    assert ootd.organization.name == "xiao-i"
    assert ootd.organization.fullname == "Xiao-i Research"
    assert ootd.github_repo == stored.github_repo == "https://github.com/levihsu/OOTDiffusion"
    assert ootd.comments == 0


def test_a_paper_known_only_from_its_listing_keeps_its_submission_date(client):
    """5,418 of the real listings name papers whose arXiv date is unknown: the client
    then reads the listing's date as the arXiv date, and needs submittedOnDailyAt."""
    upsert_listings(
        [ListingRecord(arxiv_id="2403.09999", date=date(2024, 3, 7), source="hf-api", title="Stub")]
    )
    (stub,) = client.list_daily_papers(date="2024-03-07")
    assert stub.id == "2403.09999"
    assert stub.submitted_at.date() == date(2024, 3, 7)


def test_list_daily_papers_by_week_month_submitter_sort_and_pages(client):
    assert ids(client.list_daily_papers(week="2024-W10")) == [
        "2403.03000",
        "2403.02000",
        "2403.01779",
    ]
    assert ids(client.list_daily_papers(week="2024-W10", sort="trending")) == [
        "2403.02000",
        "2403.01779",
        "2403.03000",
    ]
    assert ids(client.list_daily_papers(month="2024-02")) == ["2402.09000"]
    assert ids(client.list_daily_papers(submitter="akhaliq")) == ["2403.03000", "2403.01779"]
    assert ids(client.list_daily_papers(limit=2)) == ["2403.03000", "2403.02000"]
    assert ids(client.list_daily_papers(limit=2, p=1)) == ["2403.01779", "2402.09000"]
    assert ids(client.list_daily_papers(limit=2, p=50)) == []


def test_list_papers_searches_the_catalog(client):
    found = list(client.list_papers(query="block-wise quantization", limit=10))
    assert found[0].id == "2403.02000"
    assert found[0].title == "Block-wise Quantization of Large Language Models"


def test_paper_info_and_read_paper(client):
    info = client.paper_info("2403.01779")
    assert info.id == "2403.01779" and info.upvotes == 28
    assert info.submitted_by.username == "akhaliq"
    assert info.submitted_at.date() == date(2024, 3, 5)
    assert info.organization.fullname == "Xiao-i Research"
    text = client.read_paper("2403.01779")
    assert text.startswith("# OOTDiffusion")
    assert "Yuhao Xu, Tao Gu" in text and "https://github.com/levihsu/OOTDiffusion" in text


def test_unknown_paper_is_a_404_for_the_client(client):
    with pytest.raises(HfHubHTTPError) as error:
        client.paper_info("2403.99999")
    assert error.value.response.status_code == 404
