"""In chromium, a reader's library: follow, collections and notes, import, dismiss, mute."""

import re

import pytest
from playwright.sync_api import Page, expect

from dailypapers.library.collections import create_collection
from dailypapers.library.models import CollectionItem, Follow, Mark, Mute

from .test_browser import card, sign_in
from .test_library_pages import BIBTEX

pytestmark = pytest.mark.django_db(transaction=True)


def test_follow_and_unfollow_an_author_in_place(page: Page, live_server, catalog, reader):
    sign_in(page, live_server, reader)
    page.goto("/authors/Grace Hopper")
    page.evaluate("window.sameDocument = true")
    page.get_by_role("button", name="Follow", exact=True).click()
    expect(page.get_by_role("button", name="Following · Unfollow")).to_be_visible()
    assert Follow.objects.filter(user=reader, kind="author", value="Grace Hopper").exists()
    page.get_by_role("button", name="Following · Unfollow").click()
    expect(page.get_by_role("button", name="Follow", exact=True)).to_be_visible()
    assert not Follow.objects.filter(user=reader).exists()
    assert page.evaluate("window.sameDocument") is True


def test_create_a_collection_then_add_a_paper_with_a_note(page: Page, live_server, catalog, reader):
    sign_in(page, live_server, reader)
    page.goto("/collections")
    page.get_by_label("Name").fill("To read <b>soon</b>")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("h1")).to_have_text("To read <b>soon</b>")
    page.goto("/papers/date/2024-03-04")
    paper = card(page, "2403.00001")
    paper.get_by_role("link", name="Add to collection").click()
    paper.get_by_label("Collection", exact=True).select_option(label="To read <b>soon</b>")
    paper.get_by_label("Note").fill("Section 3 has the trick")
    paper.get_by_role("button", name="Add to collection").click()
    expect(paper.get_by_role("status")).to_contain_text("Saved in")
    paper.get_by_role("link", name="To read <b>soon</b>").click()
    expect(card(page, "2403.00001")).to_contain_text("Section 3 has the trick")
    assert CollectionItem.objects.get(collection__owner=reader).note == "Section 3 has the trick"


def test_import_a_bibtex_file_and_see_the_malformed_entry_line(
    page: Page, live_server, catalog, reader, tmp_path
):
    made = create_collection(reader, "Zotero")
    bib = tmp_path / "zotero.bib"
    bib.write_text(BIBTEX)
    sign_in(page, live_server, reader)
    page.goto(f"/collections/{made.key}")
    page.get_by_text("Edit, import").click()
    page.get_by_role("link", name="Import BibTeX or arXiv ids").click()
    page.get_by_label("BibTeX file").set_input_files(bib)
    page.get_by_role("button", name="Import").click()
    report = page.get_by_test_id("import-report")
    expect(report).to_contain_text("Added: 1 (2403.00001)")
    expect(report.locator(".problems")).to_contain_text(re.compile(r"line 7:"))
    expect(report.locator(".problems")).to_contain_text("nopaper")


def test_dismiss_a_paper_from_its_card(page: Page, live_server, catalog, reader):
    sign_in(page, live_server, reader)
    page.goto("/papers/date/2024-03-04")
    card(page, "2403.00001").get_by_role("button", name="Not interested").click()
    expect(
        card(page, "2403.00001").get_by_role("button", name="Not interested · undo")
    ).to_be_visible()
    assert Mark.objects.filter(user=reader, paper_id="2403.00001", kind="dismissed").exists()


def test_mute_a_word(page: Page, live_server, catalog, reader):
    sign_in(page, live_server, reader)
    page.goto("/settings/feed")
    page.get_by_label("Word, phrase or author's name").fill("Diffusion")
    page.get_by_role("button", name="Mute").click()
    expect(page.get_by_test_id("mute")).to_have_text(re.compile(r"Word: diffusion"))
    assert Mute.objects.filter(user=reader, kind="word", value="diffusion").exists()


def test_a_new_reader_starts_a_feed_and_each_card_says_why(
    page: Page, live_server, catalog, reader
):
    sign_in(page, live_server, reader)
    page.goto("/papers/for-you")
    starting = page.get_by_test_id("starting-points")
    starting.get_by_label("One name per line").fill("Grace Hopper")
    starting.get_by_role("button", name="Make my feed").click()

    expect(page.get_by_test_id("starting-points")).to_have_count(0)
    expect(card(page, "2403.00003").locator(".why")).to_have_text("You follow Grace Hopper")
    expect(page.locator(".card").first).to_have_id("card-240300003")

    card(page, "2403.00003").get_by_role("button", name="Not interested").click()
    expect(
        card(page, "2403.00003").get_by_role("button", name="Not interested · undo")
    ).to_be_visible()
    page.reload()
    expect(card(page, "2403.00003")).to_have_count(0)
