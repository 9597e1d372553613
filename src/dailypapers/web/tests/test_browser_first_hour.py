"""In chromium: what a new site shows while embeddings are built and papers await arXiv."""

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import PLACEHOLDER, embed_first_batch_only
from .test_browser import card, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_card_and_a_page_say_metadata_pending(page: Page, live_server, placeholder, reader):
    page.goto("/papers/date/2024-03-07")
    pending = card(page, PLACEHOLDER)
    expect(pending.get_by_text("metadata pending")).to_be_visible()
    expect(card(page, "2403.00004").get_by_text("metadata pending")).to_have_count(0)
    pending.get_by_role("link", name="Only a Title from the Listing").click()
    expect(page).to_have_url(re.compile(rf"/papers/{re.escape(PLACEHOLDER)}$"))
    expect(page.get_by_text("metadata pending")).to_be_visible()
    expect(page.get_by_text("known only from a daily listing")).to_be_visible()
    expect(page.get_by_role("heading", name="Abstract")).to_have_count(0)
    sign_in(page, live_server, reader)
    page.reload()
    expect(page.get_by_role("button", name="Fetch it from arXiv now")).to_be_visible()


def test_the_search_page_shows_how_far_semantic_search_has_got(page: Page, catalog):
    embed_first_batch_only(2)
    page.goto("/papers?q=language")
    expect(page.locator("#embedding-progress")).to_have_text(
        re.compile(r"Semantic search covers 2 of 5 papers \(40%\); .* left\.")
    )
