"""Filters typed in the query (author:, cat:, org:, after:, before:): parsed, then applied by
search() alone or with words, together with filters given apart."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from dailypapers.papers.models import Paper
from dailypapers.search.documents import SearchFilters
from dailypapers.search.query import parse_query
from dailypapers.search.service import combine, search


def ids(results) -> list[str]:
    return [hit.paper.arxiv_id for hit in results.hits]


class TestParsing:
    def test_operators_become_filters_and_leave_the_words(self):
        query = parse_query("diffusion cat:cs.CV after:2025-01 author:LeCun org:meta")
        assert query.filters == SearchFilters(
            published_from=date(2025, 1, 1),
            category="cs.CV",
            organization="meta",
            author="LeCun",
        )
        assert query.words == ("diffusion",) and query.joined == ()
        assert query.semantic_text == "diffusion" and not query.problems

    def test_a_quoted_author_keeps_its_spaces_and_stays_out_of_the_phrases(self):
        query = parse_query('author:"Yann  LeCun" convolutional networks')
        assert query.filters.author == "Yann LeCun"
        assert query.phrases == () and query.words == ("convolutional", "networks")
        assert "yann" not in query.semantic_text.lower()

    @pytest.mark.parametrize(
        "text, published_from, published_until",
        [
            ("after:2025", date(2025, 1, 1), None),
            ("after:2025-01", date(2025, 1, 1), None),
            ("after:2025-01-15", date(2025, 1, 15), None),
            ("before:2024", None, date(2023, 12, 31)),
            ("before:2025-03", None, date(2025, 2, 28)),
            ("before:2024-03-01", None, date(2024, 2, 29)),
            ("after:2024 before:2025", date(2024, 1, 1), date(2024, 12, 31)),
        ],
    )
    def test_after_includes_the_period_named_and_before_leaves_it_out(
        self, text, published_from, published_until
    ):
        filters = parse_query(text).filters
        assert (filters.published_from, filters.published_until) == (
            published_from,
            published_until,
        )

    def test_operator_names_take_any_case_and_categories_are_spelled_as_arxiv_does(self):
        assert parse_query("Cat:CS.lg").filters.category == "cs.LG"
        assert parse_query("cat:cond-mat.Stat-Mech").filters.category == "cond-mat.stat-mech"
        assert parse_query("cat:hep-th").filters.category == "hep-th"
        assert parse_query("AUTHOR:Hinton").filters.author == "Hinton"

    @pytest.mark.parametrize(
        "text", ["Re: attention", "BERT:pretraining", "http:// ratio:2", "x:y words"]
    )
    def test_other_word_colon_tokens_stay_ordinary_text(self, text):
        query = parse_query(text)
        assert query.filters == SearchFilters() and not query.problems
        assert query.free_text == text and query.words

    def test_an_operator_inside_a_quoted_phrase_is_part_of_the_phrase(self):
        query = parse_query('"attention author:vaswani"')
        assert query.filters == SearchFilters()
        assert query.phrases == (("attention", "author", "vaswani"),)

    def test_quoted_phrases_keep_working_beside_operators(self):
        query = parse_query('"language models" cat:cs.CL quantization')
        assert query.phrases == (("language", "models"),)
        assert query.words == ("language", "models", "quantization")
        assert query.filters.category == "cs.CL"

    @pytest.mark.parametrize(
        "text, problem",
        [
            ("diffusion after:2025-13", "after:2025-13 is not understood"),
            ("before:2025-02-30", "before:2025-02-30 is not understood"),
            ("before:0001", "before:0001 is not understood"),
            ("after:yesterday", "after:yesterday is not understood"),
            ("cat: diffusion", "cat: alone is not understood"),
            ("cat:cs.LG,", "cat:cs.LG, is not understood"),
            ('author:"" diffusion', "author: alone is not understood"),
            ("org:a/b", "org:a/b is not understood"),
        ],
    )
    def test_a_value_an_operator_cannot_take_is_a_problem_and_the_operator_is_left_out(
        self, text, problem
    ):
        query = parse_query(text)
        assert query.filters == SearchFilters()
        assert len(query.problems) == 1 and query.problems[0].startswith(problem)
        assert "such as" in query.problems[0]

    def test_an_operator_given_twice_takes_the_last_value(self):
        assert parse_query("cat:cs.LG cat:cs.CV").filters.category == "cs.CV"

    def test_an_arxiv_id_is_still_read_as_the_paper(self):
        assert parse_query("arXiv:2401.00007v2").arxiv_id == "2401.00007"


class TestCombiningWithFiltersGivenApart:
    def test_dates_narrow_from_both_sides(self):
        given = SearchFilters(published_from=date(2024, 6, 1), published_until=date(2025, 6, 30))
        typed = SearchFilters(published_from=date(2024, 1, 1), published_until=date(2024, 12, 31))
        combined, notices = combine(given, typed)
        assert (combined.published_from, combined.published_until) == (
            date(2024, 6, 1),
            date(2024, 12, 31),
        )
        assert notices == []

    def test_a_one_value_filter_takes_the_typed_value_and_says_so(self):
        combined, notices = combine(
            SearchFilters(category="cs.LG", author="Tim Dettmers"), SearchFilters(category="cs.CV")
        )
        assert combined == SearchFilters(category="cs.CV", author="Tim Dettmers")
        assert notices == ["cat:cs.CV is used instead of the category filter cs.LG."]


@pytest.mark.usefixtures("keyword_corpus")
class TestSearchWithOperators:
    """On the small catalog of conftest.CORPUS, with each keyword engine."""

    def test_words_and_a_category_and_a_date(self):
        assert set(ids(search("diffusion cat:cs.CV", mode="keyword"))) == {
            "2401.00003",
            "2401.00004",
        }
        # 2401.00004 is published on 2024-03-01: after: includes that day, before: does not.
        assert ids(search("diffusion cat:cs.CV after:2024-03", mode="keyword")) == ["2401.00004"]
        assert ids(search("diffusion before:2024-03-01", mode="keyword")) == ["2401.00003"]

    def test_an_author_by_last_name_or_full_name(self):
        by_last_name = search("language models author:dettmers", mode="keyword")
        assert set(ids(by_last_name)) == {"2401.00001", "2401.00009"}
        full_name = search('language models author:"Ada Lovelace"', mode="keyword")
        assert ids(full_name) == ["2401.00001"]

    def test_the_author_named_is_a_filter_not_a_word(self):
        # Only Vaswani's paper is about attention; Edward Hu's is not.
        assert ids(search("attention author:Hu", mode="keyword")) == []

    def test_an_organization(self):
        assert ids(search("attention org:google", mode="keyword")) == ["2401.00007"]
        assert ids(search("diffusion org:google", mode="keyword")) == []

    def test_an_operator_alone_lists_its_papers_newest_first(self):
        results = search("cat:cs.CV")
        assert ids(results) == ["2401.00006", "2401.00004", "2401.00003"]
        assert (results.mode, results.total, results.notices) == ("filters", 3, [])
        assert ids(search('author:"Tim Dettmers"')) == ["2401.00009", "2401.00001"]
        assert ids(search("after:2024-05")) == ["2401.00010", "2401.00009", "2401.00008"]

    def test_a_listing_sorts_by_upvotes_pages_and_leaves_out_hidden_papers(self):
        assert ids(search("cat:cs.LG", sort="upvotes", limit=2)) == ["2401.00007", "2401.00003"]
        assert ids(search("cat:cs.CV", limit=1, offset=1)) == ["2401.00004"]
        Paper.objects.filter(pk="2401.00004").update(is_hidden=True)
        assert ids(search("cat:cs.CV")) == ["2401.00006", "2401.00003"]

    def test_filters_given_apart_combine_with_the_typed_ones(self):
        given = SearchFilters(category="cs.LG", published_until=date(2024, 2, 29))
        results = search("diffusion cat:cs.CV", given, mode="keyword")
        assert ids(results) == ["2401.00003"]
        assert results.notices == ["cat:cs.CV is used instead of the category filter cs.LG."]

    def test_a_bad_value_is_left_out_with_a_notice(self):
        results = search("diffusion after:2025-13", mode="keyword")
        assert set(ids(results)) == {"2401.00003", "2401.00004"}
        assert results.notices[0].startswith("after:2025-13 is not understood")
        alone = search("cat:")
        assert alone.hits == [] and len(alone.notices) == 2

    def test_a_word_colon_token_that_is_no_operator_is_searched_as_text(self):
        assert ids(search("Re: attention", mode="keyword")) == ["2401.00007"]


@pytest.mark.usefixtures("keyword_corpus")
def test_the_command_reads_operators_in_its_query_beside_its_options():
    out = StringIO()
    call_command(
        "search",
        "diffusion cat:cs.CV",
        "--category",
        "cs.RO",
        "--mode",
        "keyword",
        "--json",
        stdout=out,
    )
    found = json.loads(out.getvalue())
    assert {hit["id"] for hit in found["hits"]} == {"2401.00003", "2401.00004"}
    assert found["notices"] == ["cat:cs.CV is used instead of the category filter cs.RO."]


@pytest.mark.usefixtures("corpus")
def test_hybrid_search_applies_typed_filters_on_the_semantic_side_too():
    results = search("turning a text prompt into images author:Poole")
    assert ids(results) == ["2401.00004"]
