"""Collections: private by default, a note per paper, readable by others only when public,
searchable by their owner, exported as BibTeX."""

import pytest
from django.contrib.auth.models import AnonymousUser

from dailypapers.ingest.models import FetchRequest
from dailypapers.library import collections
from dailypapers.library.arrivals import pending_papers
from dailypapers.library.collections import (
    add_paper,
    change_collection,
    collection_items,
    collections_of,
    create_collection,
    delete_collection,
    readable_collection,
    remove_paper,
    saved_paper_ids,
    search_collections,
)
from dailypapers.library.errors import Conflict, Invalid, NotFound, TooMany
from dailypapers.library.models import Collection, CollectionItem

from .conftest import CLIENT

pytestmark = pytest.mark.django_db


def test_a_new_collection_is_private_and_keeps_its_key_when_renamed(reader):
    created = create_collection(reader, "  To   read ")
    assert (created.name, created.public, len(created.key)) == ("To read", False, 12)
    renamed = change_collection(reader, created.key, name="Reading list", public=True)
    assert (renamed.key, renamed.name, renamed.public) == (created.key, "Reading list", True)


def test_collection_names_are_one_per_owner_in_any_case(reader, other):
    create_collection(reader, "Reading")
    with pytest.raises(Conflict, match="already have a collection named 'READING'"):
        create_collection(reader, "READING")
    create_collection(other, "Reading")  # another reader's name is theirs
    second = create_collection(reader, "Later")
    with pytest.raises(Conflict):
        change_collection(reader, second.key, name="reading")
    assert change_collection(reader, second.key, name="LATER").name == "LATER"


@pytest.mark.parametrize(
    "name, message", [("", "is empty"), ("x" * 101, "at most 100"), ("a\tb\x07", "control")]
)
def test_a_bad_name_is_refused_with_the_reason(reader, name, message):
    with pytest.raises(Invalid, match=message):
        create_collection(reader, name)


def test_another_readers_private_collection_is_not_found_like_a_missing_one(reader, other):
    private = create_collection(other, "Secret")
    public = create_collection(other, "Shared", public=True)
    for viewer in (reader, AnonymousUser(), None):
        with pytest.raises(NotFound) as refused:
            readable_collection(viewer, private.key)
        with pytest.raises(NotFound) as missing:
            readable_collection(viewer, "nosuchkey000")
        assert str(refused.value).replace(private.key, "K") == str(missing.value).replace(
            "nosuchkey000", "K"
        )
        assert readable_collection(viewer, public.key) == public
    assert readable_collection(other, private.key) == private


def test_only_the_owner_changes_a_collection_even_a_public_one(reader, other, catalog):
    public = create_collection(other, "Shared", public=True)
    attempts = [
        lambda: change_collection(reader, public.key, name="Mine now"),
        lambda: delete_collection(reader, public.key),
        lambda: add_paper(reader, public.key, catalog[0], client=CLIENT),
        lambda: remove_paper(reader, public.key, catalog[0]),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound):
            attempt()
    assert Collection.objects.get(pk=public.pk).name == "Shared"


def test_a_paper_is_added_once_with_its_note_and_a_second_add_replaces_the_note(reader, catalog):
    key = create_collection(reader, "Reading").key
    first = add_paper(reader, key, "https://arxiv.org/abs/2403.01779v2", "Read §3", client=CLIENT)
    again = add_paper(reader, key, "arXiv:2403.01779", "Read §3 and §4", client=CLIENT)
    assert (first.created, again.created) == (True, False)
    assert [(i.paper_id, i.note) for i in collection_items(Collection.objects.get(key=key))] == [
        ("2403.01779", "Read §3 and §4")
    ]


def test_adding_refuses_a_malformed_id_and_a_hidden_paper(reader, hidden):
    key = create_collection(reader, "Reading").key
    with pytest.raises(Invalid, match="not an arXiv id"):
        add_paper(reader, key, "not-an-id", client=CLIENT)
    with pytest.raises(NotFound):
        add_paper(reader, key, hidden, client=CLIENT)
    assert not CollectionItem.objects.exists()


def test_an_unknown_paper_waits_for_its_fetch_and_nothing_else_is_stored(reader, catalog):
    key = create_collection(reader, "Reading").key
    placed = add_paper(reader, key, "2405.00001", "later", client=CLIENT)
    assert placed.item is None and placed.fetch.status == FetchRequest.Status.QUEUED
    [waiting] = pending_papers(Collection.objects.get(key=key))
    assert (waiting.arxiv_id, waiting.note, waiting.status) == ("2405.00001", "later", "queued")
    assert not CollectionItem.objects.exists()


def test_removing_a_paper_and_a_paper_that_is_not_there(reader, catalog):
    key = create_collection(reader, "Reading").key
    add_paper(reader, key, catalog[0], client=CLIENT)
    add_paper(reader, key, "2405.00001", client=CLIENT)  # waiting for arXiv
    remove_paper(reader, key, catalog[0])
    remove_paper(reader, key, "2405.00001")
    with pytest.raises(NotFound, match="not in this collection"):
        remove_paper(reader, key, catalog[0])
    assert pending_papers(Collection.objects.get(key=key)) == []


def test_the_list_of_collections_counts_visible_and_pending_papers(reader, other, hidden):
    reading = create_collection(reader, "Reading").key
    create_collection(reader, "Empty")
    create_collection(other, "Theirs")
    for arxiv_id in ("2403.01779", "2403.01780", "2405.00001"):
        add_paper(reader, reading, arxiv_id, client=CLIENT)
    CollectionItem.objects.create(collection=Collection.objects.get(key=reading), paper_id=hidden)
    counts = {c.name: (c.paper_count, c.pending_count) for c in collections_of(reader)}
    assert counts == {"Empty": (0, 0), "Reading": (2, 1)}


def test_deleting_a_collection_deletes_its_items(reader, catalog):
    key = create_collection(reader, "Reading").key
    add_paper(reader, key, catalog[0], client=CLIENT)
    delete_collection(reader, key)
    assert not Collection.objects.exists() and not CollectionItem.objects.exists()


def test_search_finds_every_word_in_title_abstract_or_note_of_ones_own_papers(
    reader, other, hidden
):
    reading, later = (
        create_collection(reader, "Reading").key,
        create_collection(reader, "Later").key,
    )
    add_paper(reader, reading, "2403.01779", "compare with GANs", client=CLIENT)
    add_paper(reader, later, "2403.01780", client=CLIENT)
    add_paper(reader, later, "1706.03762", "the transformer paper", client=CLIENT)
    CollectionItem.objects.create(
        collection=Collection.objects.get(key=later), paper_id=hidden, note="attention"
    )
    theirs = create_collection(other, "Theirs").key
    add_paper(other, theirs, "2403.01780", "molecules attention", client=CLIENT)

    def found(query: str) -> list[tuple[str, str]]:
        return [(i.collection.name, i.paper_id) for i in search_collections(reader, query)]

    assert found("DIFFUSION") == [("Reading", "2403.01779")]  # the title, any case
    assert found("gans") == [("Reading", "2403.01779")]  # the note
    assert found("attention transformer") == [("Later", "1706.03762")]  # every word
    assert found("molecular") == [("Later", "2403.01780")]  # the abstract; not their note
    assert found("attention") == [("Later", "1706.03762")]  # hidden papers stay hidden
    assert found("   ") == []


def test_saved_papers_are_every_paper_in_any_collection(reader, other, catalog):
    for name, arxiv_id in [("A", catalog[0]), ("B", catalog[1]), ("C", catalog[0])]:
        add_paper(reader, create_collection(reader, name).key, arxiv_id, client=CLIENT)
    add_paper(other, create_collection(other, "D").key, catalog[2], client=CLIENT)
    assert saved_paper_ids(reader) == {catalog[0], catalog[1]}


def test_a_collection_holds_a_bounded_number_of_papers(reader, catalog, monkeypatch):
    monkeypatch.setattr(collections, "MAX_ITEMS", 2)
    key = create_collection(reader, "Small").key
    add_paper(reader, key, catalog[0], client=CLIENT)
    add_paper(reader, key, "2405.00001", client=CLIENT)  # pending papers count
    with pytest.raises(TooMany, match="at most 2 papers"):
        add_paper(reader, key, catalog[1], client=CLIENT)
    add_paper(reader, key, catalog[0], "a new note", client=CLIENT)  # no new paper: fine
