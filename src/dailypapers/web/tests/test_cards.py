"""A page of cards: what each card says, where its actions go, and what it costs to load."""

from datetime import date

from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dailypapers.papers.models import Paper
from dailypapers.papers.upserts import upsert_papers
from dailypapers.web.views.rendering import PAGE_SIZE, cards

from .conftest import paper_record


def card_of(html: str, slug: str) -> str:
    card = html[html.index(f'id="card-{slug}"') :]
    return card[: card.index("</li>")]


def test_a_card_names_its_only_author_and_counts_several(client, catalog):
    html = client.get("/papers/date/2024-03-05").content.decode()
    assert "<span>Grace Hopper</span>" in card_of(html, "240300003")
    html = client.get("/papers/date/2024-03-04").content.decode()
    assert "<span>2 authors</span>" in card_of(html, "240300002")


def test_card_actions_go_where_the_url_configuration_routes_them(catalog, reader):
    request = RequestFactory().get("/papers")
    request.user = reader
    papers = list(Paper.objects.filter(pk__in=["2403.00001", "2403.00003"]))
    for card in cards(request, papers):
        arxiv_id = card.paper.arxiv_id
        assert card.url == reverse("paper", args=[arxiv_id])
        assert card.upvote_url == reverse("paper-upvote", args=[arxiv_id])
        assert card.save_url == reverse("paper-save", args=[arxiv_id])
        assert card.read_url == reverse("paper-read", args=[arxiv_id])
        assert card.dismiss_url == reverse("paper-dismiss", args=[arxiv_id])


def papers_announced(numbers: range) -> None:
    upsert_papers(
        [
            paper_record(f"2403.{n:05d}", published=date(2024, 3, 4), authors=[f"A{n}", f"B{n}"])
            for n in numbers
        ]
    )


def test_a_page_of_cards_loads_in_as_many_queries_as_a_page_of_one(
    logged_in, db, django_assert_max_num_queries
):
    page = "/papers/new?date=2024-03-04"
    papers_announced(range(1, 2))
    logged_in.get(page)
    with CaptureQueriesContext(connection) as one_card:
        logged_in.get(page)
    papers_announced(range(2, PAGE_SIZE + 1))
    with django_assert_max_num_queries(len(one_card)):
        html = logged_in.get(page).content.decode()
    assert html.count('class="card"') == PAGE_SIZE
