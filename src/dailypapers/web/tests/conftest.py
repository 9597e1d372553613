"""A small catalog for the page tests: listings over several days, an organization, voters."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from dailypapers.papers.models import Paper
from dailypapers.papers.records import ListingRecord, OrganizationRecord, PaperRecord
from dailypapers.papers.services import add_upvote
from dailypapers.papers.upserts import upsert_listings, upsert_papers
from dailypapers.search.indexing import embed_pending, sync_keyword_index

HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>"


def paper_record(arxiv_id: str, **fields) -> PaperRecord:
    values = {
        "arxiv_id": arxiv_id,
        "title": f"Paper {arxiv_id}",
        "abstract": f"We study the problem of {arxiv_id}. Our method works.",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "published": date(2024, 3, 1),
        "categories": ["cs.LG"],
    }
    return PaperRecord.build(**(values | fields))


@pytest.fixture
def katex(settings):
    """KaTeX's files, which set-up takes from npm: tests of rendered math need them."""
    if not Path(settings.KATEX_DIR).is_dir():
        pytest.skip(f"KaTeX is not installed at {settings.KATEX_DIR} (no npm at set-up)")


@pytest.fixture
def catalog(db):
    """Three listed days (March 4, 5 and 7, 2024) and one paper that is not listed."""
    upsert_papers(
        [
            paper_record(
                "2403.00001",
                title="Block-wise Quantization of $O(n^2)$ \\emph{Large} Language Models",
                abstract="We quantize large language models block by block.",
                github_repo="https://github.com/acme/quant",
            ),
            paper_record("2403.00002", title=f"Hostile title {HOSTILE}", abstract=HOSTILE),
            paper_record("2403.00003", title="Diffusion for Video", authors=["Grace Hopper"]),
            paper_record("2403.00004", title="Sparse Attention Everywhere"),
            paper_record("2403.00005", title="An Unlisted Paper on Graphs"),
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
                submitter_name="hfuser",
            ),
            ListingRecord(arxiv_id="2403.00002", date=date(2024, 3, 4), source="hf-api", upvotes=9),
            ListingRecord(arxiv_id="2403.00003", date=date(2024, 3, 5), source="hf-api", upvotes=1),
            ListingRecord(arxiv_id="2403.00004", date=date(2024, 3, 7), source="hf-api", upvotes=5),
        ]
    )
    sync_keyword_index()


@pytest.fixture
def reader(db) -> User:
    return User.objects.create_user("reader", "reader@example.org", "a long passphrase")


@pytest.fixture
def logged_in(client, reader):
    client.force_login(reader)
    return client


@pytest.fixture
def recent_paper(db) -> Paper:
    """A paper published yesterday, not listed: it may be submitted."""
    upsert_papers([paper_record("2411.00042", published=date.today() - timedelta(days=1))])
    return Paper.objects.get(pk="2411.00042")


@pytest.fixture
def upvoted(catalog, reader):
    add_upvote(reader, Paper.objects.get(pk="2403.00003"))


PLACEHOLDER = "2403.09999"


@pytest.fixture
def placeholder(catalog):
    """A paper known only from a listing without abstract: it waits for arXiv's record."""
    upsert_listings(
        [
            ListingRecord(
                arxiv_id=PLACEHOLDER,
                date=date(2024, 3, 7),
                source="hf-api",
                title="Only a Title from the Listing",
                upvotes=2,
            )
        ]
    )
    sync_keyword_index()


def embed_first_batch_only(batch_size: int) -> None:
    """Embedding interrupted after its first batch, as Ctrl-C or a stopped server leaves it."""

    def stop(papers, progress):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        embed_pending(batch_size=batch_size, on_batch=stop)
