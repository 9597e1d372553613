"""In chromium, what a new user meets in the first hour (issue 11, section 5): the API's
docs offline, the subscribe box without a mail server, math in comments, the favicon,
the header on a phone, and the paper page's forms out of the abstract's way.
"""

import socket
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

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
