"""The catalog read for the ranker: a window's candidates, a reader's papers, kept pools."""

from datetime import date

import numpy as np
import pytest

from dailypapers.papers.models import Organization, Paper
from dailypapers.recommend import catalog
from dailypapers.recommend.profile import Profile
from dailypapers.search.indexing import store_missing_terms, stored_terms
from dailypapers.search.models import PaperEmbedding

from .stored import store, vector

pytestmark = pytest.mark.django_db


def test_a_window_holds_its_visible_papers_with_what_the_ranker_needs():
    lab = Organization.objects.create(slug="lab", name="Lab")
    store("2606.00001", date(2026, 6, 1), upvotes=7, organization=lab)
    store("2606.00002", date(2026, 6, 7), embedded=False)
    store("2606.00003", date(2026, 6, 3), is_hidden=True)
    store("2605.00001", date(2026, 5, 31))
    store("2606.00009", date(2026, 6, 8))

    found = {c.arxiv_id: c for c in catalog.candidates(date(2026, 6, 1), date(2026, 6, 7))}

    assert set(found) == {"2606.00001", "2606.00002"}
    first = found["2606.00001"]
    assert first.authors == ["Ada Lovelace", "Alan Turing"]
    assert first.categories == ["cs.LG", "stat.ML"]
    assert first.organization == "Lab"
    assert first.upvotes == 7
    assert first.published == date(2026, 6, 1)
    assert np.array_equal(first.vector, vector(260600001))
    assert found["2606.00002"].vector is None


def test_the_default_window_is_the_last_seven_days_of_papers_in_the_catalog():
    assert catalog.default_window() is None
    store("2606.00001", date(2026, 6, 10))
    store("2606.00002", date(2026, 6, 20))

    assert catalog.default_window() == (date(2026, 6, 14), date(2026, 6, 20))
    assert catalog.default_window(today=date(2026, 6, 15)) == (date(2026, 6, 4), date(2026, 6, 10))


def test_a_readers_papers_keep_their_order_and_unknown_ids_are_left_out():
    store("2606.00001", date(2026, 6, 1))
    store("2606.00002", date(2026, 6, 2), embedded=False)

    papers = catalog.profile_papers(["2606.00002", "2699.99999", "2606.00001", "2606.00002"])

    assert [p.arxiv_id for p in papers] == ["2606.00002", "2606.00001"]
    assert papers[0].vector is None
    assert np.array_equal(papers[1].vector, vector(260600001))


def test_a_readers_papers_bring_their_stored_terms_until_their_text_changes():
    store("2606.00001", date(2026, 6, 1), abstract="Sparse attention for long graphs.")
    store_missing_terms()
    (first,) = catalog.profile_papers(["2606.00001"])
    assert first.terms == stored_terms("Paper 2606.00001. Sparse attention for long graphs.")
    assert first.abstract == ""

    changed = Paper.objects.get(pk="2606.00001")
    changed.abstract = "Dense attention."
    changed.save()
    (first,) = catalog.profile_papers(["2606.00001"])

    assert first.terms is None
    assert first.abstract == "Dense attention."
    assert Profile(liked=[first]).liked_terms[0].size


def test_a_pool_is_kept_until_a_paper_of_its_window_changes(monkeypatch):
    monkeypatch.setattr(catalog, "CHECK_SECONDS", 0)
    store("2606.00001", date(2026, 6, 1))
    window = (date(2026, 6, 1), date(2026, 6, 7))

    first = catalog.pool(*window)
    assert catalog.pool(*window) is first

    store("2606.00002", date(2026, 6, 2))
    second = catalog.pool(*window)

    assert second is not first
    assert second.ids == ["2606.00001", "2606.00002"]


def test_a_kept_pool_is_not_checked_again_for_a_few_seconds(django_assert_num_queries):
    store("2606.00001", date(2026, 6, 1))
    window = (date(2026, 6, 1), date(2026, 6, 7))
    first = catalog.pool(*window)

    with django_assert_num_queries(0):
        assert catalog.pool(*window) is first


def test_an_embedding_of_another_model_counts_as_not_embedded_yet():
    store("2606.00001", date(2026, 6, 1))
    PaperEmbedding.objects.filter(paper_id="2606.00001").update(model="an older model")

    (candidate,) = catalog.candidates(date(2026, 6, 1), date(2026, 6, 7))
    (liked,) = catalog.profile_papers(["2606.00001"])

    assert candidate.vector is None
    assert liked.vector is None


def test_a_pool_ranks_the_catalogs_papers_for_a_reader():
    store("2606.00001", date(2026, 6, 1), title="Graph networks", abstract="Message passing.")
    store("2606.00002", date(2026, 6, 2), title="Speech", abstract="Audio recognition.")
    store(
        "2605.00001",
        date(2026, 5, 1),
        title="Graph models",
        abstract="Message passing.",
        seed=260600001,  # the first paper's embedding
    )
    liked = catalog.profile_papers(["2605.00001"])

    ranked = catalog.pool(date(2026, 6, 1), date(2026, 6, 7)).rank(Profile(liked=liked))

    assert [r.arxiv_id for r in ranked] == ["2606.00001", "2606.00002"]


@pytest.mark.parametrize(
    "since, until, message",
    [
        (date(2026, 6, 7), date(2026, 6, 1), "ends"),
        (date(2026, 1, 1), date(2026, 6, 1), "at most 31 days"),
    ],
)
def test_a_backwards_or_too_long_window_is_refused_with_a_reason(since, until, message):
    with pytest.raises(ValueError, match=message):
        catalog.pool(since, until)
