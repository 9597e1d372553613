"""The pages, through Django's test client: lists, navigation, paper pages, search, bad input."""

import re
from datetime import date

import pytest
from django.core.cache import cache
from django.test import Client

from dailypapers.papers.models import DailyListing, Organization, Paper
from dailypapers.papers.trending import describe
from dailypapers.web.views import people
from dailypapers.web.views.rendering import PAGE_SIZE

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    return re.findall(r'<h3><a href="/papers/([^"]+)">', response.content.decode())


def test_papers_shows_the_latest_listed_day_most_upvoted_first(client, catalog):
    response = client.get("/papers")
    assert response.status_code == 200
    assert titles(response) == ["2403.00004"]
    assert "Daily papers of Thursday, March 7, 2024" in response.content.decode()


def test_a_day_lists_its_papers_by_upvotes_or_by_date(client, catalog):
    assert titles(client.get("/papers/date/2024-03-04")) == ["2403.00002", "2403.00001"]
    by_date = client.get("/papers/date/2024-03-04?sort=date")
    assert set(titles(by_date)) == {"2403.00001", "2403.00002"}
    assert client.get("/papers/date/2024-03-04?sort=sideways").status_code == 400


def test_weeks_and_months_gather_their_days(client, catalog):
    assert titles(client.get("/papers/week/2024-W10")) == [
        "2403.00002",
        "2403.00004",
        "2403.00001",
        "2403.00003",
    ]
    assert len(titles(client.get("/papers/month/2024-03"))) == 4
    assert titles(client.get("/papers/month/2024-04")) == []


def test_previous_and_next_go_to_the_nearest_listed_days(client, catalog):
    html = client.get("/papers/date/2024-03-05").content.decode()
    assert 'rel="prev" href="/papers/date/2024-03-04"' in html
    assert 'rel="next" href="/papers/date/2024-03-07"' in html
    week = client.get("/papers/week/2024-W10").content.decode()
    assert 'href="/papers/week/2024-W09"' in week and 'href="/papers/week/2024-W11"' in week
    month = client.get("/papers/month/2024-01").content.decode()
    assert 'href="/papers/month/2023-12"' in month and 'href="/papers/month/2024-02"' in month


def test_the_date_picker_goes_to_the_chosen_day(client, catalog):
    response = client.get("/papers/date", {"date": "2024-03-05"})
    assert response.status_code == 302 and response["Location"] == "/papers/date/2024-03-05"
    assert client.get("/papers/date", {"date": "2024-02-30"}).status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/papers/date/2024-02-30",
        "/papers/date/2024-3-4",
        "/papers/week/2024-W60",
        "/papers/week/2024-W00",
        "/papers/month/2024-13",
        "/papers/month/0000-01",
        "/papers/date/2024-03-04?p=99999999999999999999",
        "/papers/date/2024-03-04?p=0",
        "/papers/date/2024-03-04?p=abc",
        "/papers/date/2024-03-04?p=2",
        "/papers/not-an-id",
        "/papers/9999.99999",
        "/organizations/nobody",
        "/authors/Nobody%20At%20All",
        "/users/nobody",
    ],
)
def test_bad_addresses_get_a_readable_404_page(client, catalog, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "<h1>" in response.content.decode()


def test_unknown_api_paths_get_json_404(client, db):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": "Page not found"}


@pytest.mark.parametrize("url", ["/nothing-here", "/api/nothing-here", "/papers/x/y/z"])
def test_unmatched_urls_do_not_reveal_the_url_configuration(client, db, url):
    body = client.get(url).content.decode()
    assert "Page not found" in body
    assert "tried" not in body and "URLResolver" not in body and "URLPattern" not in body


def test_a_disallowed_host_gets_a_page_without_configuration_advice(client, db):
    response = client.get("/papers", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "ALLOWED_HOSTS" not in response.content.decode()


def test_cards_carry_the_listing_fields(client, catalog):
    html = client.get("/papers/date/2024-03-04").content.decode()
    card = html[html.index('id="card-240300001"') :]
    card = card[: card.index("</li>")]
    assert 'href="/organizations/acme">Acme AI</a>' in card
    assert "Mar 4, 2024" in card
    assert '<span class="count" data-testid="upvotes">3</span>' in card
    assert "0 comments" in card
    assert 'href="https://github.com/acme/quant"' in card
    other = html[html.index('id="card-240300002"') :]
    assert "2 authors" in other[: other.index("</li>")]


def test_html_in_titles_and_abstracts_is_escaped_everywhere(client, catalog):
    for url in ["/papers/date/2024-03-04", "/papers/2403.00002", "/papers?q=hostile"]:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;alert" in html, url


def test_latex_text_commands_become_html_and_math_is_left_for_katex(client, catalog, katex):
    html = client.get("/papers/2403.00001").content.decode()
    assert "of $O(n^2)$ <em>Large</em> Language Models" in html
    assert "/static/katex/katex.min.js" in html and "auto-render.min.js" in html


def test_the_paper_page_shows_everything_about_the_paper(client, catalog):
    html = client.get("/papers/2403.00001").content.decode()
    assert 'href="/authors/Ada%20Lovelace">Ada Lovelace</a>' in html
    assert "We quantize large language models block by block." in html
    assert 'href="https://arxiv.org/abs/2403.00001"' in html
    assert 'href="https://arxiv.org/pdf/2403.00001"' in html
    assert 'href="https://github.com/acme/quant"' in html
    assert 'href="/organizations/acme">Acme AI</a>' in html
    assert "by hfuser" in html and 'href="/papers/date/2024-03-04"' in html
    assert 'id="discussion"' in html
    assert 'href="/papers/2403.00001.bib"' in html


def test_versioned_ids_and_urls_redirect_to_the_paper_page(client, catalog):
    response = client.get("/papers/2403.00001v2")
    assert response.status_code == 301 and response["Location"] == "/papers/2403.00001"


def test_an_unknown_valid_id_offers_logged_in_users_to_fetch_it(client, catalog, reader):
    anonymous = client.get("/papers/2401.12345")
    assert anonymous.status_code == 404 and "Log in</a> to fetch it" in anonymous.content.decode()
    client.force_login(reader)
    html = client.get("/papers/2401.12345").content.decode()
    assert 'action="/papers/2401.12345/fetch"' in html


def test_hidden_papers_and_listings_disappear_from_lists_and_pages(client, catalog, reader):
    Paper.objects.filter(pk="2403.00002").update(is_hidden=True)
    DailyListing.objects.filter(paper_id="2403.00004").update(is_hidden=True)
    assert titles(client.get("/papers/date/2024-03-04")) == ["2403.00001"]
    assert client.get("/papers/2403.00002").status_code == 404
    assert "2403.00002" not in titles(client.get("/papers?q=hostile"))
    assert titles(client.get("/papers")) == ["2403.00003"]  # the newest visible day
    assert client.get("/api/papers/2403.00002").status_code == 404


def test_upvoting_toggles_and_needs_an_account(client, catalog, reader):
    response = client.post("/papers/2403.00001/upvote")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(reader)
    client.post("/papers/2403.00001/upvote")
    assert Paper.objects.get(pk="2403.00001").upvotes == 4
    client.post("/papers/2403.00001/upvote")
    assert Paper.objects.get(pk="2403.00001").upvotes == 3


def test_an_htmx_upvote_returns_the_updated_button(logged_in, catalog):
    response = logged_in.post("/papers/2403.00001/upvote", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<form class="upvote"')
    assert 'aria-pressed="true"' in html and 'data-testid="upvotes">4</span>' in html


def test_an_anonymous_htmx_upvote_is_sent_to_the_login_page(client, catalog):
    response = client.post("/papers/2403.00001/upvote", HTTP_HX_REQUEST="true")
    assert response.status_code == 401 and response["HX-Redirect"].startswith("/accounts/login/")


def test_forms_refuse_posts_without_a_csrf_token(catalog, reader):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(reader)
    assert strict.post("/papers/2403.00001/upvote").status_code == 403
    assert strict.post("/papers/submit", {"arxiv_id": "2403.00005"}).status_code == 403


def test_a_post_without_its_token_gets_a_readable_page(catalog, reader):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(reader)
    response = strict.post("/papers/submit", {"arxiv_id": "2403.00005"})
    assert response.status_code == 403
    assert "security token is missing or out of date" in response.content.decode()


def test_the_search_page_highlights_matches_and_filters(client, catalog):
    html = client.get("/papers", {"q": "quantization"}).content.decode()
    assert "<mark>" in html and "/papers/2403.00001" in html
    assert titles(client.get("/papers", {"q": "quantize", "organization": "acme"})) == [
        "2403.00001"
    ]
    assert titles(client.get("/papers", {"q": "quantize", "category": "cs.CV"})) == []


def test_filters_typed_in_the_search_box_narrow_the_results_or_list_papers(client, catalog):
    assert titles(client.get("/papers", {"q": 'author:"Grace Hopper"'})) == ["2403.00003"]
    assert titles(client.get("/papers", {"q": "diffusion author:hopper"})) == ["2403.00003"]
    assert titles(client.get("/papers", {"q": "diffusion author:Turing"})) == []
    assert titles(client.get("/papers", {"q": "quantize before:2024-03"})) == []


def test_a_typed_category_wins_over_the_category_control_and_says_so(client, catalog):
    response = client.get("/papers", {"q": "quantize cat:cs.LG", "category": "cs.CV"})
    assert titles(response) == ["2403.00001"]
    assert "cat:cs.LG is used instead of the category filter cs.CV" in response.content.decode()


def test_a_typed_filter_with_a_bad_value_is_explained_and_left_out(client, catalog):
    response = client.get("/papers", {"q": "diffusion after:2025-13"})
    assert response.status_code == 200 and titles(response) == ["2403.00003"]
    assert "after:2025-13 is not understood" in response.content.decode()


def test_a_search_with_no_results_says_what_to_try(client, catalog):
    html = client.get("/papers", {"q": "zxqvw"}).content.decode()
    assert "No papers match" in html and "Remove filters" in html


def test_search_as_you_type_returns_only_the_results(client, catalog):
    response = client.get(
        "/papers", {"q": "diffusion"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    html = response.content.decode()
    assert html.startswith('<div id="results">') and "<html" not in html
    assert "2403.00003" in html


def test_bad_search_input_is_a_400_page(client, catalog):
    assert client.get("/papers", {"q": "x" * 300}).status_code == 400
    assert client.get("/papers", {"q": "x", "published_from": "2024-02-30"}).status_code == 400


def test_more_results_come_as_cards_only(client, db, settings):
    from dailypapers.papers.records import ListingRecord
    from dailypapers.papers.upserts import upsert_listings

    upsert_listings(
        [
            ListingRecord(arxiv_id=f"2403.{n:05}", date=date(2024, 3, 4), source="hf-api")
            for n in range(1, PAGE_SIZE + 6)
        ]
    )
    first = client.get("/papers/date/2024-03-04").content.decode()
    assert len(re.findall('class="card"', first)) == PAGE_SIZE
    assert 'hx-get="/papers/date/2024-03-04?p=2"' in first
    more = client.get("/papers/date/2024-03-04?p=2", HTTP_HX_REQUEST="true").content.decode()
    assert len(re.findall('class="card"', more)) == 5 and "<html" not in more


def test_organization_author_and_profile_pages_list_their_papers(client, catalog, upvoted):
    assert titles(client.get("/organizations/acme")) == ["2403.00001"]
    assert set(titles(client.get("/authors/Grace Hopper"))) == {"2403.00003"}
    assert titles(client.get("/users/reader")) == ["2403.00003"]


def test_organizations_index_lists_each_with_its_paper_count_most_papers_first(
    client, catalog, monkeypatch
):
    busy = Organization.objects.create(slug="busy", name="Busy Lab")
    Organization.objects.create(slug="empty", name="Empty Lab")
    Paper.objects.filter(pk__in=["2403.00003", "2403.00004", "2403.00005"]).update(
        organization=busy
    )
    Paper.objects.filter(pk="2403.00005").update(is_hidden=True)  # not counted
    page = client.get("/organizations").content.decode()
    entries = re.findall(r'<a href="/organizations/([\w-]+)">.*?</a>\s*<span[^>]*>([^<]+)<', page)
    assert entries == [("busy", "2 papers"), ("acme", "1 paper"), ("empty", "0 papers")]

    monkeypatch.setattr(people, "ORGANIZATIONS_PER_PAGE", 2)
    cache.clear()  # anonymous readers share the page rendered a moment ago
    first = client.get("/organizations").content.decode()
    assert first.count('href="/organizations/') == 2 and 'href="/organizations?p=2"' in first
    second = client.get("/organizations?p=2").content.decode()
    assert 'href="/organizations/empty"' in second and 'href="/organizations?p=1"' in second
    assert client.get("/organizations?p=3").status_code == 404


def test_every_page_links_to_the_organizations(client, catalog):
    assert 'href="/organizations"' in client.get("/papers/2403.00001").content.decode()


def test_trending_ranks_recent_upvotes_above_older_ones(client, catalog):
    # March 7 (5 upvotes, newest) beats March 4 (9 upvotes, three days older).
    assert titles(client.get("/papers/trending"))[:2] == ["2403.00004", "2403.00002"]


def test_the_trending_page_and_its_feed_state_the_formula_with_the_settings(
    client, catalog, settings
):
    settings.TRENDING_GRAVITY = 1.8
    formula = describe()
    assert "^1.8" in formula
    assert formula in client.get("/papers/trending").content.decode()
    feed = client.get("/feeds/trending.rss").content.decode()
    assert f"<description>{formula}</description>" in feed
