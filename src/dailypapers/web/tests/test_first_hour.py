"""In chromium, what a new user meets in the first hour (issue 11, section 5): the API's
docs offline, the subscribe box without a mail server, math in comments, the favicon,
the header on a phone, and the paper page's forms out of the abstract's way.
"""

import socket
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from dailypapers.community.models import Membership
from dailypapers.papers.models import Organization

from .test_browser import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def offline(page: Page) -> list[str]:
    """Refuse every request to another host, as a machine without internet would;
    returns the list of the URLs refused."""
    refused: list[str] = []

    def only_this_server(route) -> None:
        if urlsplit(route.request.url).hostname in {"localhost", "127.0.0.1"}:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort("internetdisconnected")

    page.route("**/*", only_this_server)
    return refused


def test_the_api_docs_render_their_operations_offline(page: Page, catalog):
    refused = offline(page)
    page.goto("/api/docs")
    expect(page.get_by_text("dailypapers API").first).to_be_visible()
    operations = page.locator(".opblock-summary-path")
    expect(operations.filter(has_text="/api/daily_papers").first).to_be_visible()
    expect(operations.filter(has_text="/api/papers/search")).to_be_visible()
    assert operations.count() >= 5
    assert refused == []


def test_the_subscribe_box_without_a_mail_server_says_so(page: Page, catalog, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_TIMEOUT = "127.0.0.1", 5
    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = unused.getsockname()[1]
    page.goto("/papers/2403.00001")
    page.locator(".subscribe-box").get_by_label("Email").fill("ada@example.org")
    with page.expect_response("**/digests/") as answer:
        page.locator(".subscribe-box").get_by_role("button", name="Subscribe").click()
    assert answer.value.status == 503
    expect(page.locator(".errorlist")).to_contain_text("mail server is not answering")
    expect(page.get_by_label("Email")).to_have_value("ada@example.org")


def test_the_favicon_comes_from_the_sites_own_files(page: Page, catalog):
    refused = offline(page)
    page.goto("/papers")
    for link in page.locator("link[rel=icon]").all():
        icon = page.request.get(link.get_attribute("href"))
        assert icon.ok and icon.headers["content-type"].startswith("image/")
    legacy = page.request.get("/favicon.ico")  # asked for whatever the page links
    assert legacy.ok and legacy.headers["content-type"] in {
        "image/x-icon",
        "image/vnd.microsoft.icon",
    }
    assert refused == []


def test_organizations_are_reached_from_the_header(page: Page, catalog):
    page.goto("/papers")
    page.locator("header").get_by_role("link", name="Organizations").click()
    expect(page.locator("h1")).to_have_text("Organizations")
    expect(page.locator(".organizations li")).to_have_text(["Acme AI 1 paper"])
    page.get_by_role("link", name="Acme AI").click()
    expect(page.locator("h1")).to_have_text("Acme AI")


def phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    context.set_default_timeout(10_000)
    return context


def assert_header_is_one_line(tab: Page) -> None:
    header = tab.locator("header").bounding_box()
    items = [tab.locator(f"header {part}").bounding_box() for part in (".brand", "summary")]
    if tab.locator("header .search-box input").count():
        items.append(tab.locator("header .search-box input").bounding_box())
    middles = [box["y"] + box["height"] / 2 for box in items]
    assert max(middles) - min(middles) < 4, f"header items on several lines: {items}"
    assert header["height"] < 64, f"the header is {header['height']}px high"


@pytest.mark.parametrize("username", [None, "a-rather-long-username"])
def test_the_header_stays_on_one_line_on_a_phone(browser, live_server, catalog, username):
    context = phone(browser, live_server)
    tab = context.new_page()
    if username:
        sign_in(tab, live_server, User.objects.create_user(username, password="x"))
    for path in ["/papers", "/papers/2403.00001", "/papers?q=quantization", "/organizations"]:
        tab.goto(path)
        assert_header_is_one_line(tab)
    # The links are in the menu, which opens below the bar and closes on a tap outside.
    account = username or "Log in"
    expect(tab.get_by_role("link", name=account)).to_be_hidden()
    tab.locator("header summary").click()
    expect(tab.get_by_role("link", name=account)).to_be_visible()
    assert_header_is_one_line(tab)
    tab.mouse.click(20, 700)  # below the open menu
    expect(tab.get_by_role("link", name=account)).to_be_hidden()
    tab.locator("header summary").click()
    tab.get_by_role("link", name="Trending").click()
    expect(tab.locator("h1")).to_have_text("Trending papers")
    context.close()


def overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


@pytest.fixture
def member(catalog):
    user = User.objects.create_user("member", "member@example.org", "a long passphrase")
    Membership.objects.create(user=user, organization=Organization.objects.get(slug="acme"))
    return user


@pytest.mark.parametrize("width", [1280, 390])
def test_claim_and_organization_forms_stay_out_of_the_abstracts_way(
    browser, live_server, member, width
):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    tab = context.new_page()
    sign_in(tab, live_server, member)
    tab.goto("/papers/2403.00001")
    abstract = tab.locator(".abstract").bounding_box()
    title = tab.locator("h1").bounding_box()
    discussion = tab.locator("#discussion").bounding_box()
    for form in ["#claim-author", "#link-organization"]:
        box = tab.locator(form).locator("xpath=ancestor::form").bounding_box()
        assert box["y"] > title["y"] + title["height"]
        assert not overlap(box, abstract) and not overlap(box, discussion)
        if width > 700:  # beside the abstract, in the side column
            assert box["x"] >= abstract["x"] + abstract["width"]
        else:  # one column: after the abstract and the discussion
            assert box["y"] >= discussion["y"] + discussion["height"]
    context.close()
