"""What a new site shows while it fills: embeddings being built, papers awaiting arXiv."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dailypapers.cli import command_hint
from dailypapers.search.indexing import embed_pending
from dailypapers.search.models import EmbeddingProgress

from .conftest import PLACEHOLDER, embed_first_batch_only

pytestmark = pytest.mark.django_db


def test_while_embeddings_are_built_the_search_page_shows_coverage_and_time_left(client, catalog):
    embed_first_batch_only(2)
    html = client.get("/papers?q=language").content.decode()
    assert "Semantic search covers 2 of 5 papers (40%); " in html
    assert "left. The others are found by their keywords." in html
    # The empty search page too.
    assert "Semantic search covers 2 of 5 papers" in client.get("/papers?q=").content.decode()


def test_an_indexer_that_stopped_gives_no_time_left(client, catalog):
    embed_first_batch_only(2)
    EmbeddingProgress.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    html = client.get("/papers?q=language").content.decode()
    assert "Semantic search covers 2 of 5 papers (40%) so far." in html


def test_once_every_paper_is_embedded_the_search_page_says_nothing_of_it(client, catalog):
    embed_pending()
    html = client.get("/papers?q=language").content.decode()
    assert "Semantic search covers" not in html and "keyword matches only" not in html


def test_a_paper_awaiting_arxiv_says_metadata_pending_on_its_card(client, placeholder):
    html = client.get("/papers/date/2024-03-07").content.decode()
    card = html[html.index(f'id="card-{PLACEHOLDER.replace(".", "")}"') :]
    card = card[: card.index("</li>")]
    assert "metadata pending" in card and '<p class="excerpt">' not in card
    complete = html[html.index('id="card-240300004"') :]
    assert "metadata pending" not in complete[: complete.index("</li>")]


def test_a_paper_awaiting_arxiv_says_so_on_its_page_and_how_to_fetch_it(
    client, placeholder, reader, django_user_model
):
    html = client.get(f"/papers/{PLACEHOLDER}").content.decode()
    assert "metadata pending" in html and "known only from a daily listing" in html
    assert '<div class="abstract">' not in html
    assert "Fetch it from arXiv now" not in html and "add --pending" not in html
    client.force_login(reader)
    html = client.get(f"/papers/{PLACEHOLDER}").content.decode()
    assert "Fetch it from arXiv now" in html and "add --pending" not in html
    client.force_login(django_user_model.objects.create_user("op", is_staff=True))
    html = client.get(f"/papers/{PLACEHOLDER}").content.decode()
    assert f"<code>{command_hint('add --pending')}</code>" in html


def test_a_complete_paper_page_says_nothing_of_pending_metadata(client, placeholder):
    html = client.get("/papers/2403.00001").content.decode()
    assert "metadata pending" not in html and '<div class="abstract">' in html
