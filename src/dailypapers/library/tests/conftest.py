"""A small catalog and two readers, for the library's tests."""

from datetime import date

import pytest
from django.contrib.auth.models import User

from dailypapers.papers.models import Organization, Paper
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.upserts import upsert_papers

CLIENT = "192.0.2.7/32"

PAPERS = {
    "2403.01779": ("OOTDiffusion: outfitting fusion for try-on", "Latent diffusion for try-on."),
    "2403.01780": ("Graph networks for molecules", "Message passing over molecular graphs."),
    "2403.01781": ("Sparse attention for long documents", "Attention, made sparse & fast."),
    "1706.03762": ("Attention is all you need", "The Transformer, built on attention alone."),
    "hep-th/9901001": ("Strings at low energy", "An old-style identifier."),
}


@pytest.fixture
def reader(db) -> User:
    return User.objects.create_user("reader")


@pytest.fixture
def other(db) -> User:
    return User.objects.create_user("other")


@pytest.fixture
def catalog(db) -> list[str]:
    """Five papers (one with an old-style id), one organization."""
    upsert_papers(
        [
            PaperRecord.build(
                arxiv_id=arxiv_id,
                title=title,
                abstract=abstract,
                authors=["Yuhao Xu", f"Author {n}"] if n % 2 == 0 else [f"Author {n}"],
                published=date(2024, 3, 4),
                categories=["cs.LG", "cs.CV"] if n < 3 else ["hep-th"],
            )
            for n, (arxiv_id, (title, abstract)) in enumerate(PAPERS.items())
        ]
    )
    Organization.objects.create(slug="xiao-i", name="Xiao-i Research")
    return list(PAPERS)


@pytest.fixture
def hidden(catalog) -> str:
    """A paper moderators hid."""
    Paper.objects.filter(pk="2403.01781").update(is_hidden=True)
    return "2403.01781"
