"""In chromium: upvote, submit, search and filter, move between days, math, a phone's screen."""

import re
from datetime import date

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from dailypapers.papers.models import DailyListing, Paper

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page: Page, live_server, user) -> None:
    """Give the browser the session of a logged-in ``user`` (logging in has its own tests)."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def card(page: Page, arxiv_id: str):
    return page.locator(f"#card-{arxiv_id.replace('.', '')}")


def test_upvote_updates_the_count_in_place(page: Page, live_server, catalog, reader):
    sign_in(page, live_server, reader)
    page.goto("/papers/date/2024-03-04")
    page.evaluate("window.sameDocument = true")  # a reload would drop this
    count = card(page, "2403.00001").get_by_test_id("upvotes")
    expect(count).to_have_text("3")
    card(page, "2403.00001").get_by_role("button", name="Upvote").click()
    expect(count).to_have_text("4")
    expect(card(page, "2403.00001").get_by_role("button", name="Withdraw upvote")).to_be_visible()
    card(page, "2403.00001").get_by_role("button", name="Withdraw upvote").click()
    expect(count).to_have_text("3")
    assert page.evaluate("window.sameDocument") is True
    assert Paper.objects.get(pk="2403.00001").upvotes == 3


def test_an_anonymous_upvote_leads_to_the_login_page(page: Page, catalog):
    page.goto("/papers/date/2024-03-04")
    card(page, "2403.00001").get_by_role("button", name="Upvote").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))


def test_submit_a_paper(page: Page, live_server, recent_paper, reader):
    sign_in(page, live_server, reader)
    page.goto("/papers")
    page.get_by_role("link", name="Submit", exact=True).click()
    page.get_by_label("arXiv id or URL").fill("https://arxiv.org/abs/2411.00042")
    page.get_by_role("button", name="Submit").click()
    expect(page).to_have_url(re.compile(r"/papers/2411\.00042$"))
    expect(page.get_by_text("is on today's daily list")).to_be_visible()
    assert DailyListing.objects.filter(paper=recent_paper, submitted_by=reader).exists()


def test_a_refused_submission_says_why(page: Page, live_server, catalog, reader):
    sign_in(page, live_server, reader)
    page.goto("/papers/submit")
    page.get_by_label("arXiv id or URL").fill("2403.00001")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".errorlist")).to_contain_text("already on the daily list")


def test_search_as_you_type_then_filter(page: Page, catalog):
    page.goto("/papers?q=")
    page.evaluate("window.sameDocument = true")
    page.get_by_label("Search", exact=True).fill("quantization")
    expect(card(page, "2403.00001")).to_be_visible()
    expect(card(page, "2403.00001").locator("mark").first).to_be_visible()
    assert page.evaluate("window.sameDocument") is True
    page.get_by_text("Filters and sort").click()
    page.get_by_label("arXiv category").fill("cs.CV")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No papers match")).to_be_visible()
    page.get_by_label("arXiv category").fill("cs.LG")
    page.get_by_role("button", name="Search").click()
    expect(card(page, "2403.00001")).to_be_visible()


def test_move_between_days_weeks_and_pick_a_date(page: Page, catalog):
    page.goto("/papers")
    expect(page.locator("h1")).to_have_text("Daily papers of Thursday, March 7, 2024")
    page.get_by_role("link", name="← Previous").click()
    expect(page.locator("h1")).to_have_text("Daily papers of Tuesday, March 5, 2024")
    page.get_by_role("link", name="← Previous").click()
    expect(page.locator("h1")).to_have_text("Daily papers of Monday, March 4, 2024")
    page.get_by_role("link", name="Next →").click()
    expect(page.locator("h1")).to_have_text("Daily papers of Tuesday, March 5, 2024")
    page.get_by_role("link", name="Weekly").click()
    expect(page.locator("h1")).to_have_text("Papers of the week 10, 2024")
    expect(page.locator(".card")).to_have_count(4)
    page.get_by_label("Go to date").fill("2024-03-04")
    expect(page).to_have_url(re.compile(r"/papers/date/2024-03-04$"))


def test_more_papers_load_below_without_leaving_the_page(page: Page, catalog):
    from dailypapers.papers.records import ListingRecord
    from dailypapers.papers.upserts import upsert_listings
    from dailypapers.web.views.rendering import PAGE_SIZE

    upsert_listings(
        [
            ListingRecord(arxiv_id=f"2402.{n:05}", date=date(2024, 3, 4), source="hf-api")
            for n in range(1, PAGE_SIZE + 1)
        ]
    )
    page.goto("/papers/date/2024-03-04")
    expect(page.locator(".card")).to_have_count(PAGE_SIZE)
    page.get_by_role("link", name="More papers").click()
    expect(page.locator(".card")).to_have_count(PAGE_SIZE + 2)
    expect(page).to_have_url(re.compile(r"/papers/date/2024-03-04$"))


def test_latex_renders_as_math_and_hostile_titles_stay_text(page: Page, catalog, katex):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto("/papers/2403.00001")
    expect(page.locator("h1 .katex")).to_be_visible()
    expect(page.locator("h1 em")).to_have_text("Large")
    page.goto("/papers/date/2024-03-04")
    expect(card(page, "2403.00002").locator("h3")).to_contain_text("<script>alert('x')</script>")
    page.goto("/papers/2403.00002")
    expect(page.locator("h1")).to_contain_text("onerror=alert(1)")
    assert dialogs == []


def test_a_phone_sized_screen_fits_without_sideways_scrolling(browser, live_server, catalog):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    phone = context.new_page()
    for path in ["/papers/date/2024-03-04", "/papers/2403.00001", "/papers?q=quantization"]:
        phone.goto(path)
        expect(phone.locator("h1")).to_be_visible()
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than the screen"
    context.close()


def test_walk_from_trending_to_a_paper_its_author_organization_and_a_profile(
    page: Page, live_server, catalog, reader, upvoted
):
    sign_in(page, live_server, reader)
    page.goto("/papers/trending")
    expect(page.locator("h1")).to_have_text("Trending papers")
    card(page, "2403.00001").get_by_role("link", name=re.compile("Block-wise")).click()
    expect(page.locator("h1")).to_contain_text("Block-wise Quantization")
    expect(page.get_by_role("heading", name="Discussion")).to_be_visible()
    page.get_by_role("link", name="Acme AI").first.click()
    expect(page.locator("h1")).to_have_text("Acme AI")
    expect(card(page, "2403.00001")).to_be_visible()
    page.goto("/papers/2403.00003")
    page.get_by_role("link", name="Grace Hopper").click()
    expect(page.locator("h1")).to_have_text("Grace Hopper")
    page.get_by_role("link", name="reader").first.click()
    expect(page.get_by_role("heading", name="Upvoted papers")).to_be_visible()
    expect(card(page, "2403.00003")).to_be_visible()
    page.get_by_role("link", name="Settings and API tokens").click()
    expect(page).to_have_url(re.compile(r"/settings$"))
    page.goto("/papers/month/2024-03")
    expect(page.locator(".card")).to_have_count(4)
