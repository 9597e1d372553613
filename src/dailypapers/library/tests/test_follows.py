"""Following an author, an organization, a category or a search: stored as the catalog
spells it, once, and refused with a reason when it names nothing."""

import re

import pytest

from dailypapers.library.errors import Invalid, NotFound, TooMany
from dailypapers.library.follows import follow, follows, unfollow
from dailypapers.library.models import Follow

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "kind, typed, stored",
    [
        ("author", "  yuhao   XU ", "Yuhao Xu"),
        ("organization", "Xiao-I", "xiao-i"),
        ("category", "cs.lg", "cs.LG"),
        ("category", "CS", "cs"),
        ("category", "q-bio.NC", "q-bio.NC"),
        ("query", "  diffusion   models ", "diffusion models"),
    ],
)
def test_a_follow_is_stored_as_the_catalog_spells_it(catalog, reader, kind, typed, stored):
    followed, created = follow(reader, kind, typed)
    assert created and (followed.kind, followed.value) == (kind, stored)


@pytest.mark.parametrize(
    "kind, value, message",
    [
        ("author", "Nobody Known", "There is no author named 'Nobody Known'"),
        ("organization", "no-such-lab", "There is no organization 'no-such-lab'"),
        ("category", "cs..LG", "is not an arXiv category"),
        ("category", "Computer Science", "is not an arXiv category"),
        ("query", "   ", "The saved search is empty."),
        ("query", "x" * 201, "at most 200"),
        ("query", "nul\x00byte", "control character"),
        ("venue", "NeurIPS", "One follows an author, an organization, a category or a query"),
    ],
)
def test_a_follow_that_names_nothing_is_refused_with_the_reason(
    catalog, reader, kind, value, message
):
    with pytest.raises(Invalid, match=re.escape(message)):
        follow(reader, kind, value)
    assert not Follow.objects.exists()


def test_following_twice_is_one_follow(catalog, reader):
    first, created = follow(reader, "author", "Yuhao Xu")
    again, created_again = follow(reader, "author", "yuhao xu")
    assert created and not created_again and first.pk == again.pk
    assert list(follows(reader)) == [first]


def test_follows_are_listed_in_the_order_made_and_by_kind(catalog, reader, other):
    made = [
        follow(reader, kind, value)[0]
        for kind, value in [
            ("query", "sparse attention"),
            ("category", "cs.CV"),
            ("query", "try-on"),
        ]
    ]
    follow(other, "query", "graphs")
    assert list(follows(reader)) == made
    assert [f.value for f in follows(reader, "query")] == ["sparse attention", "try-on"]


def test_unfollow_takes_only_ones_own_follow(catalog, reader, other):
    mine, _ = follow(reader, "category", "cs.LG")
    theirs, _ = follow(other, "category", "cs.LG")
    with pytest.raises(NotFound):
        unfollow(reader, theirs.pk)
    unfollow(reader, mine.pk)
    assert list(Follow.objects.all()) == [theirs]


def test_a_reader_follows_a_bounded_number_of_things(catalog, reader, monkeypatch):
    monkeypatch.setattr("dailypapers.library.follows.MAX_FOLLOWS", 2)
    follow(reader, "query", "one")
    follow(reader, "query", "two")
    with pytest.raises(TooMany, match="unfollow some first"):
        follow(reader, "query", "three")
    assert follow(reader, "query", "two")[1] is False  # what one follows still answers
