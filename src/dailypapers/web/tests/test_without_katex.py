"""Set up on a machine without npm: no KaTeX files, a working site that shows math as LaTeX."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def without_katex(settings):
    """What settings.py configures when KATEX_DIR does not exist (`make install` without npm)."""
    settings.STATICFILES_DIRS = []


def test_without_katex_pages_name_no_katex_file(client, catalog, without_katex):
    html = client.get("/papers/2403.00001").content.decode()
    assert "katex" not in html
    assert "of $O(n^2)$ <em>Large</em> Language Models" in html


def test_without_katex_math_shows_as_its_latex_source_and_nothing_breaks(
    page: Page, live_server, catalog, without_katex
):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/papers/2403.00001")
    expect(page.locator("h1")).to_contain_text("Block-wise Quantization of $O(n^2)$ Large")
    expect(page.locator("h1 em")).to_have_text("Large")
    expect(page.locator(".katex")).to_have_count(0)
    linked = page.eval_on_selector_all(
        "script[src], link[rel=stylesheet]", "tags => tags.map(tag => tag.src || tag.href)"
    )
    assert linked, "the page links its own script and stylesheet"
    broken = [url for url in linked if page.request.get(url).status != 200]
    assert broken == []
    page.goto("/papers/date/2024-03-04")
    expect(page.get_by_text("$O(n^2)$")).to_be_visible()
    assert errors == []
