"""search(): every kind of query researchers type, filters, sorting, and nonsense."""

from datetime import date

import pytest

from dailypapers.search import backends
from dailypapers.search.documents import SearchFilters
from dailypapers.search.indexing import embed_pending
from dailypapers.search.query import parse_query
from dailypapers.search.service import (
    CANDIDATES,
    favour_whole_matches,
    fuse,
    rank,
    search,
    similar,
    whole_matches,
)

from .conftest import EXACT_MATCH


def ids(results) -> list[str]:
    return [hit.paper.arxiv_id for hit in results.hits]


@pytest.mark.usefixtures("keyword_corpus")
class TestKeywordSearch:
    """The keyword part: these exact results hold on SQLite (Tantivy) and PostgreSQL."""

    def test_topic_words_find_the_papers_about_them(self):
        assert set(ids(search("quantization", mode="keyword"))) == {"2401.00001", "2401.00009"}

    def test_title_matches_rank_above_abstract_matches(self):
        found = ids(search("networks", mode="keyword"))
        assert set(found[:2]) == {"2401.00006", "2401.00010"}
        assert set(found[2:]) == {"2401.00003", "2401.00007"}

    def test_papers_holding_every_word_of_a_long_query_are_its_whole_matches(self):
        query = parse_query("quantization of large language models")
        assert whole_matches(query, SearchFilters()) == {"2401.00001", "2401.00009"}
        assert whole_matches(query, SearchFilters(category="cs.CL")) == {"2401.00001"}

    def test_a_query_of_two_words_or_with_a_quoted_phrase_has_no_whole_matches(self):
        assert whole_matches(parse_query("language models"), SearchFilters()) == set()
        quoted = parse_query('"large language models" quantization')
        assert whole_matches(quoted, SearchFilters()) == set()

    def test_stemming_matches_other_forms_of_a_word(self):
        assert "2401.00001" in ids(search("quantizing", mode="keyword"))
        assert "2401.00003" in ids(search("diffusion model", mode="keyword"))

    @pytest.mark.parametrize("text", ["block-wise", "blockwise", "block wise"])
    def test_hyphen_variants_find_the_same_papers(self, text):
        assert set(ids(search(text, mode="keyword"))[:2]) == {"2401.00001", "2401.00002"}

    def test_quoted_phrase_must_appear_in_order(self):
        assert ids(search('"language models"', mode="keyword")) == [
            "2401.00009",
            "2401.00001",
            "2401.00008",
        ]
        # Both words occur in 2401.00002, never as this phrase.
        assert ids(search('"models autoregressive"', mode="keyword")) == []

    def test_author_name_finds_their_papers(self):
        assert set(ids(search("Tim Dettmers", mode="keyword"))) == {"2401.00001", "2401.00009"}

    def test_arxiv_id_or_url_goes_straight_to_the_paper(self):
        for text in ["2401.00007", "arXiv:2401.00007v2", "https://arxiv.org/abs/2401.00007"]:
            results = search(text)
            assert (ids(results), results.mode) == (["2401.00007"], "id")

    def test_unknown_arxiv_id_is_offered_for_fetching(self):
        results = search("https://arxiv.org/pdf/2402.99999v1")
        assert results.hits == [] and results.unknown_arxiv_id == "2402.99999"

    def test_results_carry_an_escaped_highlighted_snippet(self):
        hit = search("molecule properties", mode="keyword").hits[0]
        assert "<mark>molecules</mark>" in hit.snippet
        assert "<mark>properties</mark>" in hit.snippet
        assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet

    def test_without_embeddings_search_falls_back_to_keywords_and_says_so(self):
        results = search("quantization")
        assert set(ids(results)) == {"2401.00001", "2401.00009"}
        assert any("keyword matches only" in notice for notice in results.notices)

    @pytest.mark.parametrize(
        "filters, expected",
        [
            (SearchFilters(category="cs.CL"), {"2401.00001", "2401.00008"}),
            (SearchFilters(published_from=date(2024, 5, 1)), {"2401.00008", "2401.00009"}),
            (SearchFilters(published_until=date(2024, 1, 31)), {"2401.00001", "2401.00002"}),
            (SearchFilters(author="tim dettmers"), {"2401.00001", "2401.00009"}),
            (SearchFilters(author="Edward Hu"), {"2401.00008"}),
            (SearchFilters(organization="google"), set()),
        ],
    )
    def test_filters_narrow_the_results(self, filters, expected):
        assert set(ids(search("large language models", filters, mode="keyword"))) == expected

    def test_organization_filter(self):
        assert ids(search("attention", SearchFilters(organization="google"), mode="keyword")) == [
            "2401.00007"
        ]

    def test_sort_by_date_and_by_upvotes(self):
        assert ids(search("language models", sort="date", mode="keyword")) == [
            "2401.00009",
            "2401.00008",
            "2401.00004",
            "2401.00003",
            "2401.00002",
            "2401.00001",
        ]
        by_votes = search("models", sort="upvotes", mode="keyword")
        assert [hit.paper.upvotes for hit in by_votes.hits] == [50, 10, 1, 0, 0, 0]

    def test_pagination_with_offset_and_limit(self):
        everything = ids(search("models", mode="keyword", limit=50))
        assert ids(search("models", mode="keyword", limit=2, offset=1)) == everything[1:3]


ABSURD = [
    "",
    "   ",
    "x" * 10_000,
    "!!! ??? ...",
    '"',
    '""',
    "*",
    "NEAR",
    "NEAR(a b)",
    "-",
    ":",
    "title:",
    "a -b",
    "AND OR NOT",
    "'; DROP TABLE papers_paper; --",
    "\\",
    "(((",
    "日本語の論文",
    "\x00",
    "𝔸𝕀 ∀x∃y",
    '"unterminated phrase',
    "*:*",
    "^2~3",
]


@pytest.mark.usefixtures("keyword_corpus")
@pytest.mark.parametrize("text", ABSURD)
def test_absurd_queries_get_a_sensible_answer(text):
    results = search(text)
    assert isinstance(results.hits, list)
    if not results.query.words and not results.query.phrases:
        assert results.hits == [] and results.notices


@pytest.mark.usefixtures("corpus")
class TestSemanticAndHybrid:
    def test_plain_english_description_finds_the_method_without_shared_words(self):
        results = search("teaching robots to grasp things by showing them examples")
        assert ids(results)[0] == "2401.00005"
        assert not results.notices

    def test_hybrid_finds_a_described_method_that_keywords_miss(self):
        query = "converting a written description into a virtual environment"
        assert ids(search(query, mode="keyword")) == []
        assert ids(search(query))[0] == "2401.00004"

    def test_semantic_results_respect_filters(self):
        assert ids(search("neural networks for images", SearchFilters(category="cs.RO"))) == [
            "2401.00005"
        ]

    def test_similar_papers_are_nearest_neighbours_without_the_paper_itself(self):
        from dailypapers.papers.models import Paper

        neighbours = [p.arxiv_id for p in similar(Paper.objects.get(pk="2401.00001"), 3)]
        assert "2401.00001" not in neighbours and len(neighbours) == 3
        assert neighbours[0] == "2401.00009"

    def test_similar_papers_leave_out_hidden_ones(self):
        from dailypapers.papers.models import Paper

        Paper.objects.filter(pk="2401.00009").update(is_hidden=True)
        try:
            neighbours = [p.arxiv_id for p in similar(Paper.objects.get(pk="2401.00001"), 3)]
        finally:
            Paper.objects.filter(pk="2401.00009").update(is_hidden=False)
        assert "2401.00009" not in neighbours and len(neighbours) == 3


@pytest.mark.usefixtures("partly_embedded")
class TestWhileEmbeddingsAreBuilt:
    QUERY = "diffusion policy caching"

    def test_an_exact_match_not_embedded_yet_stays_first_as_in_keyword_search(self):
        assert ids(search(self.QUERY, mode="keyword"))[0] == EXACT_MATCH[0]
        assert ids(search(self.QUERY))[0] == EXACT_MATCH[0]

    def test_this_catalog_is_one_where_a_semantic_zero_would_lose_the_exact_match(self):
        query = parse_query(self.QUERY)
        keyword, _ = rank(query, SearchFilters(), "keyword", CANDIDATES)
        semantic, _ = rank(query, SearchFilters(), "semantic", CANDIDATES)
        assert EXACT_MATCH[0] not in dict(semantic)
        assert fuse(keyword, semantic)[0][0] != EXACT_MATCH[0]

    def test_once_embedded_everything_is_ranked_by_the_plain_weighted_sum(self):
        """With the bonus of the papers holding every word of this three-word query."""
        embed_pending()
        backends.vector_index().refresh(force=True)
        query = parse_query(self.QUERY)
        keyword, _ = rank(query, SearchFilters(), "keyword", CANDIDATES)
        semantic, _ = rank(query, SearchFilters(), "semantic", CANDIDATES)
        whole = whole_matches(query, SearchFilters())
        assert whole
        hits = search(self.QUERY, limit=50).hits
        assert [(hit.paper.arxiv_id, hit.score) for hit in hits] == favour_whole_matches(
            fuse(keyword, semantic), whole
        )


def test_while_few_papers_are_embedded_the_semantic_side_weighs_little():
    """The best semantic matches among 10% of the catalog are not the best of the catalog."""
    keyword = [("keyword-first", 4.0), ("both", 3.0), ("keyword-last", 1.0)]
    semantic = [("semantic-first", 0.9), ("both", 0.7), ("semantic-last", 0.3)]
    everything = dict(fuse(keyword, semantic))
    assert everything["semantic-first"] == pytest.approx(everything["keyword-first"])
    tenth = dict(fuse(keyword, semantic, coverage=0.1))
    assert tenth["semantic-first"] < tenth["keyword-first"] / 5
    nothing = fuse(keyword, semantic, coverage=0.0)
    assert [pid for pid, score in nothing if score > 0] == ["keyword-first", "both"]
