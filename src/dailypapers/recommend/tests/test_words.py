"""The ranker's words: the search index's terms, and BM25 over a window."""

import numpy as np

from dailypapers.recommend.words import TermIndex, document_frequency, term_numbers
from dailypapers.search.analysis import topic_analyzer, topic_terms
from dailypapers.search.indexing import stored_terms


def test_terms_are_the_search_indexs_whatever_the_punctuation():
    text = "Graph-based Models — “Networks’ Robustness”: Über-fast (LLMs) & $\\alpha$-tests."

    assert topic_terms(text) == topic_analyzer().analyze(text)


def test_bm25_scores_the_candidates_holding_the_query_terms_and_zero_for_empty_ones():
    index = TermIndex(["graph networks for graphs", "", "speech audio", ""])
    numbers = term_numbers(topic_terms("graph"))

    scores = index.bm25(index.query(numbers, np.ones(1)))

    assert scores[0] > 0
    assert list(scores[1:]) == [0, 0, 0]


def test_document_frequency_counts_papers_not_occurrences():
    numbers, held = document_frequency([("1", "graph graph graph"), ("2", "graph speech")])

    counts = dict(zip(numbers.tolist(), held.tolist(), strict=True))
    graph, speech = term_numbers(["graph", "speech"])
    assert counts == {graph: 2, speech: 1}


def test_stored_terms_count_as_the_analysed_text_would():
    analysed = document_frequency([("1", "Graph networks"), ("2", "graph speech")])
    stored = document_frequency([("1", "Graph networks")], stored=[stored_terms("graph speech")])

    assert [a.tolist() for a in analysed] == [s.tolist() for s in stored]


def test_terms_met_after_a_window_was_built_are_not_in_it():
    index = TermIndex(["graph networks"])
    later = term_numbers(["a-term-no-window-holds-yet"])

    query = index.query(later, np.ones(1))

    assert index.bm25(query).tolist() == [0]
