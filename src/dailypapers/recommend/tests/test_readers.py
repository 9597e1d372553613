"""Readers read from what they did on the site, and their "For you" feed.

The catalog: a week of June 2026 with two topics, each paper's embedding close to its
topic's axis; the reader's earlier papers (May) are what they upvote, save or dismiss.
"""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User

from dailypapers.library import collections, follows, marks, mutes
from dailypapers.library.feed_preferences import set_community_weight
from dailypapers.library.models import CollectionItem
from dailypapers.papers.models import Organization, Paper, Upvote
from dailypapers.papers.services import add_upvote, remove_upvote
from dailypapers.recommend import readers

from .stored import store, topic_vector

pytestmark = pytest.mark.django_db

CLIENT = "192.0.2.7/32"
NEWEST = date(2026, 6, 30)
GRAPHS, SPEECH = 0, 1


def week_paper(topic: int, number: int, **fields) -> str:
    arxiv_id = f"2606.{topic}{number:04d}"
    words = "Message passing on graphs" if topic == GRAPHS else "Speech recognition from audio"
    store(
        arxiv_id,
        NEWEST - timedelta(days=number % 7),
        embedding=topic_vector(topic, seed=topic * 100 + number),
        title=fields.pop("title", f"{words}, part {number}"),
        abstract=fields.pop("abstract", f"We study {words.lower()}."),
        **fields,
    )
    return arxiv_id


def earlier_paper(topic: int, number: int) -> str:
    arxiv_id = f"2605.{topic}{number:04d}"
    store(
        arxiv_id,
        date(2026, 5, 1),
        embedding=topic_vector(topic, seed=9000 + topic * 100 + number),
        title=f"Earlier {'graph' if topic == GRAPHS else 'speech'} work {number}",
        abstract="Graph neural networks." if topic == GRAPHS else "Recognising speech.",
    )
    return arxiv_id


@pytest.fixture
def week() -> dict[int, list[str]]:
    return {topic: [week_paper(topic, n) for n in range(6)] for topic in (GRAPHS, SPEECH)}


@pytest.fixture
def reader() -> User:
    return User.objects.create_user("reader")


def upvote(user: User, arxiv_id: str) -> None:
    add_upvote(user, Paper.objects.get(pk=arxiv_id))


def save(user: User, arxiv_id: str, name: str = "Reading") -> None:
    key = collections.collection_named(user, name).key
    collections.add_paper(user, key, arxiv_id, client=CLIENT)


def feed_of(user: User, **options) -> list[str]:
    found = readers.feed(readers.state_of(user.pk), **options)
    return [r.arxiv_id for r in found.recommendations]


def test_upvoted_and_saved_papers_both_teach_the_feed(week, reader):
    upvoted, saved = earlier_paper(SPEECH, 1), earlier_paper(SPEECH, 2)
    upvote(reader, upvoted)
    save(reader, saved)

    found = readers.feed(readers.state_of(reader.pk), limit=6)

    liked = readers.readers([reader.pk])[reader.pk].profile.liked
    assert {p.arxiv_id for p in liked} == {upvoted, saved}
    assert {r.arxiv_id for r in found.recommendations} == set(week[SPEECH])
    assert found.recommendations[0].reason.kind == "similar"
    assert found.recommendations[0].reason.paper.arxiv_id in {upvoted, saved}


def test_the_window_is_the_last_seven_days_unless_asked(week, reader):
    found = readers.feed(readers.state_of(reader.pk))
    assert (found.since, found.until) == (NEWEST - timedelta(days=6), NEWEST)

    first_days = readers.feed(readers.state_of(reader.pk), until=NEWEST - timedelta(days=4))

    assert first_days.until == NEWEST - timedelta(days=4)
    published = dict(Paper.objects.values_list("arxiv_id", "published"))
    assert all(published[r.arxiv_id] <= first_days.until for r in first_days.recommendations)


def test_dismissed_read_and_muted_papers_stay_out(week, reader):
    upvote(reader, earlier_paper(GRAPHS, 1))
    dismissed, read = week[GRAPHS][0], week[GRAPHS][1]
    marks.dismiss(reader, dismissed)
    marks.mark_read(reader, read)
    muted = week_paper(GRAPHS, 9, title="Message passing with transformers")
    mutes.mute(reader, "word", "transformers")

    shown = feed_of(reader)

    assert not {dismissed, read, muted} & set(shown)
    assert set(week[GRAPHS][2:]) <= set(shown)


def test_a_followed_organization_is_matched_by_its_name_and_given_as_the_reason(week, reader):
    lab = Organization.objects.create(slug="speech-lab", name="Speech Lab")
    Paper.objects.filter(pk=week[SPEECH][3]).update(organization=lab)
    follows.follow(reader, "organization", "speech-lab")

    first = readers.feed(readers.state_of(reader.pk)).recommendations[0]

    assert first.arxiv_id == week[SPEECH][3]
    assert first.reason.text == "You follow Speech Lab"


def test_the_knob_at_one_puts_the_most_upvoted_first(week, reader):
    upvote(reader, earlier_paper(GRAPHS, 1))
    Paper.objects.filter(pk=week[SPEECH][4]).update(upvotes=50)
    assert feed_of(reader)[0] != week[SPEECH][4]

    set_community_weight(reader, 1)

    assert readers.state_of(reader.pk).community == 1.0
    assert feed_of(reader)[0] == week[SPEECH][4]
    assert feed_of(reader, community=0)[0] != week[SPEECH][4]


@pytest.fixture
def rankings(monkeypatch) -> list[int]:
    """Each time a reader's feed is ranked (not taken from the cache), its reader's id."""
    ranked = []
    ranking = readers.for_you

    def counted(reader, **options):
        ranked.append(reader.user_id)
        return ranking(reader, **options)

    monkeypatch.setattr(readers, "for_you", counted)
    return ranked


def test_a_reader_coming_back_gets_their_kept_feed_without_being_ranked_again(
    week, reader, rankings
):
    upvote(reader, earlier_paper(SPEECH, 1))

    first, again = feed_of(reader), feed_of(reader)

    assert again == first
    assert rankings == [reader.pk]


CHANGES = {
    "upvote": lambda user, week: upvote(user, earlier_paper(GRAPHS, 3)),
    "withdraw an upvote": lambda user, week: remove_upvote(
        user, Upvote.objects.get(user=user).paper
    ),
    "save": lambda user, week: save(user, earlier_paper(GRAPHS, 3)),
    "dismiss": lambda user, week: marks.dismiss(user, week[SPEECH][0]),
    "mark read": lambda user, week: marks.mark_read(user, week[SPEECH][0]),
    "mute": lambda user, week: mutes.mute(user, "word", "audio"),
    "follow": lambda user, week: follows.follow(user, "category", "cs.LG"),
    "knob": lambda user, week: set_community_weight(user, 0.5),
}


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_the_reader_makes_ranks_their_feed_again(week, reader, rankings, change):
    upvote(reader, earlier_paper(SPEECH, 1))
    before = feed_of(reader)

    CHANGES[change](reader, week)
    after = feed_of(reader)

    assert rankings == [reader.pk, reader.pk]
    if change in {"dismiss", "mark read"}:
        assert week[SPEECH][0] in before
        assert week[SPEECH][0] not in after


def test_a_change_to_the_windows_papers_ranks_every_feed_again(week, reader, rankings):
    feed_of(reader)

    added = week_paper(SPEECH, 20)
    readers.catalog.forget_pools()

    assert added in feed_of(reader)
    assert rankings == [reader.pk, reader.pk]


def test_only_the_newest_liked_papers_are_learned_from(week, reader):
    liked = [earlier_paper(GRAPHS, n) for n in range(5)]
    for arxiv_id in liked:
        upvote(reader, arxiv_id)
    for age, arxiv_id in enumerate(reversed(liked)):
        Upvote.objects.filter(paper_id=arxiv_id).update(
            created_at=Upvote.objects.get(paper_id=arxiv_id).created_at - timedelta(days=age)
        )

    found = readers.readers([reader.pk], liked_limit=3)[reader.pk]

    assert [p.arxiv_id for p in found.profile.liked] == liked[-3:]


def test_many_readers_are_read_in_a_few_queries_whatever_their_number(
    week, django_assert_max_num_queries
):
    users = [User.objects.create_user(f"reader{n}") for n in range(20)]
    for n, user in enumerate(users):
        upvote(user, week[n % 2][0])
        save(user, week[(n + 1) % 2][1])
        follows.follow(user, "category", "cs.LG")

    with django_assert_max_num_queries(10):
        found = readers.readers([u.pk for u in users])

    assert all(len(found[u.pk].profile.liked) == 2 for u in users)
    assert CollectionItem.objects.count() == 20


def test_a_new_reader_gets_starting_points_and_then_a_feed_from_what_they_picked(week, reader):
    Paper.objects.filter(pk=week[GRAPHS][2]).update(upvotes=30)
    assert readers.state_of(reader.pk).is_new

    starting = readers.starting_points()

    assert ("cs.LG", 12) in starting.categories
    assert "cs" not in dict(starting.categories)
    assert starting.papers[0] == week[GRAPHS][2]
    save(reader, week[SPEECH][0], "Starting points")
    assert not readers.state_of(reader.pk).is_new
    assert set(feed_of(reader, limit=5)) == set(week[SPEECH][1:])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"since": NEWEST, "until": NEWEST - timedelta(days=1)}, "before"),
        ({"since": NEWEST - timedelta(days=90), "until": NEWEST}, "days"),
        ({"limit": 0}, "limit"),
        ({"limit": readers.MAX_LIMIT + 1}, "limit"),
    ],
)
def test_a_bad_window_or_limit_is_refused_with_a_reason(week, reader, options, message):
    with pytest.raises(ValueError, match=message):
        readers.feed(readers.state_of(reader.pk), **options)


def test_an_empty_catalog_has_no_feed_yet(reader):
    assert readers.feed(readers.state_of(reader.pk)) is None
    assert readers.starting_points().papers == []


def test_papers_already_sent_are_left_out_when_asked(week, reader):
    upvote(reader, earlier_paper(SPEECH, 1))

    found = readers.for_you(readers.readers([reader.pk])[reader.pk], seen=week[SPEECH][:3])
    shown = [r.arxiv_id for r in found.recommendations]

    assert not set(week[SPEECH][:3]) & set(shown)
