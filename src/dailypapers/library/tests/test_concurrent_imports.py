"""Two imports into one collection at once, adding the same papers: one row per paper,
and neither import fails."""

import threading

import pytest
from django.db import connection, connections

from dailypapers.library import importing
from dailypapers.library.collections import create_collection
from dailypapers.library.importing import import_into
from dailypapers.library.models import CollectionItem

from .conftest import CLIENT


@pytest.mark.django_db
def test_an_import_that_finds_its_papers_added_meanwhile_adds_no_second_row(
    reader, catalog, monkeypatch
):
    """The race, step by step: import A reads what the collection holds, import B adds
    the same papers and ends, then A writes."""
    key = create_collection(reader, "Shared").key
    text = "\n".join(catalog)
    what_is_known = importing._what_is_known
    others = []

    def then_another_import(collection, arxiv_ids):
        known = what_is_known(collection, arxiv_ids)
        if not others:
            monkeypatch.setattr(importing, "_what_is_known", what_is_known)
            others.append(import_into(reader, key, text, client=CLIENT))
        return known

    monkeypatch.setattr(importing, "_what_is_known", then_another_import)
    first = import_into(reader, key, text, client=CLIENT)

    assert sorted(others[0].added) == sorted(first.added) == sorted(catalog)
    assert CollectionItem.objects.count() == len(catalog)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite runs one writing transaction at a time (BEGIN IMMEDIATE); the test "
    "database is in memory, shared by threads through table locks that do not wait",
)
def test_imports_racing_in_threads_add_each_paper_once(reader, catalog):
    key = create_collection(reader, "Shared").key
    text = "\n".join(catalog)
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            import_into(reader, key, text, client=CLIENT)
        except BaseException as failure:
            failures.append(failure)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert sorted(CollectionItem.objects.values_list("paper_id", flat=True)) == sorted(catalog)
