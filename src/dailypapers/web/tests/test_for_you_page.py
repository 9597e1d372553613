"""The "For you" page: ranked cards that say why, the community knob, the cold start."""

import re

import pytest

from dailypapers.library.models import Collection, FeedPreference, Follow
from dailypapers.library.mutes import mute
from dailypapers.papers.models import Paper
from dailypapers.papers.upserts import upsert_papers
from dailypapers.web.views.rendering import PAGE_SIZE

from .conftest import HOSTILE, paper_record


def cards_of(html: str) -> list[str]:
    return [f"{year}.{number}" for year, number in re.findall(r'id="card-(\d{4})(\d{5})"', html)]


def test_the_page_wants_a_login(client, catalog):
    answer = client.get("/papers/for-you")
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


def test_each_card_says_why_it_is_in_the_feed(logged_in, reader, catalog):
    Follow.objects.create(user=reader, kind="author", value="Grace Hopper")

    html = logged_in.get("/papers/for-you").content.decode()

    assert cards_of(html)[0] == "2403.00003"
    assert '<p class="why">You follow Grace Hopper</p>' in html
    assert 'data-testid="starting-points"' not in html


def test_the_window_defaults_to_the_last_week_and_can_be_moved(logged_in, reader, catalog):
    Follow.objects.create(user=reader, kind="category", value="cs.LG")
    Paper.objects.filter(pk="2403.00004").update(published="2024-02-01")

    default = cards_of(logged_in.get("/papers/for-you").content.decode())
    earlier = cards_of(logged_in.get("/papers/for-you?until=2024-02-03").content.decode())

    assert "2403.00004" not in default and "2403.00001" in default
    assert earlier == ["2403.00004"]


@pytest.mark.parametrize(
    "query",
    ["since=yesterday", "since=2024-03-05&until=2024-03-01", "since=2023-01-01&until=2024-03-01"],
)
def test_a_bad_window_is_a_readable_400(logged_in, catalog, query):
    answer = logged_in.get(f"/papers/for-you?{query}")
    assert answer.status_code == 400
    assert "Traceback" not in answer.content.decode()
    assert answer["Content-Type"].startswith("text/html")


def test_the_knob_is_kept_and_puts_the_most_upvoted_first(logged_in, reader, catalog):
    Follow.objects.create(user=reader, kind="author", value="Grace Hopper")
    Paper.objects.filter(pk="2403.00002").update(upvotes=90)

    answer = logged_in.post("/papers/for-you/knob", {"community": "1"})

    assert answer.status_code == 302
    assert FeedPreference.objects.get(user=reader).community == 1.0
    html = logged_in.get("/papers/for-you").content.decode()
    assert cards_of(html)[0] == "2403.00002"
    assert "Popular: 90 upvotes" in html


@pytest.mark.parametrize("value", ["", "1.5", "-0.1", "loud"])
def test_a_knob_out_of_range_is_refused_and_the_old_value_kept(logged_in, reader, catalog, value):
    logged_in.post("/papers/for-you/knob", {"community": "0.3"})

    answer = logged_in.post("/papers/for-you/knob", {"community": value})

    assert answer.status_code == 400
    assert "from 0 to 1" in answer.content.decode()
    assert FeedPreference.objects.get(user=reader).community == 0.3


def test_a_new_reader_picks_starting_points_and_gets_a_feed_at_once(logged_in, reader, catalog):
    html = logged_in.get("/papers/for-you").content.decode()
    assert 'data-testid="starting-points"' in html
    assert 'value="cs.LG"' in html and 'value="2403.00002"' in html

    answer = logged_in.post(
        "/papers/for-you/start",
        {"category": ["cs.LG"], "authors": "Grace Hopper\n\n", "paper": ["2403.00001"]},
    )

    assert answer.status_code == 302
    assert set(Follow.objects.filter(user=reader).values_list("kind", "value")) == {
        ("category", "cs.LG"),
        ("author", "Grace Hopper"),
    }
    picked = Collection.objects.get(owner=reader, name="Starting points")
    assert not picked.public
    assert list(picked.items.values_list("paper_id", flat=True)) == ["2403.00001"]
    html = logged_in.get("/papers/for-you").content.decode()
    assert 'data-testid="starting-points"' not in html
    assert "2403.00001" not in cards_of(html)
    assert '<p class="why">' in html


def test_bad_picks_are_reported_and_good_ones_kept(logged_in, reader, catalog):
    answer = logged_in.post(
        "/papers/for-you/start", {"category": ["cs.LG", "not a category!"], "paper": ["nope"]}
    )

    assert answer.status_code == 400
    assert Follow.objects.filter(user=reader, kind="category", value="cs.LG").exists()
    assert "Some picks were not kept" in answer.content.decode()


def test_muted_papers_stay_out_and_reasons_are_escaped(logged_in, reader, catalog):
    Follow.objects.create(user=reader, kind="query", value=HOSTILE[:60])
    mute(reader, "word", "diffusion")

    html = logged_in.get("/papers/for-you").content.decode()

    assert "2403.00003" not in cards_of(html)
    assert HOSTILE not in html and "<script>alert" not in html


def test_more_papers_continue_the_ranking_where_the_first_page_stopped(logged_in, reader, catalog):
    upsert_papers([paper_record(f"2403.{n:05d}", title=f"Ranked paper {n}") for n in range(10, 50)])
    Follow.objects.create(user=reader, kind="category", value="cs.LG")

    first = logged_in.get("/papers/for-you").content.decode()
    second = logged_in.get("/papers/for-you?p=2").content.decode()

    assert len(cards_of(first)) == PAGE_SIZE and "?p=2" in first
    assert set(cards_of(first)).isdisjoint(cards_of(second))
    assert len(cards_of(first) + cards_of(second)) == 45  # the catalog's 5 and these 40
    assert "?p=3" not in second
