"""fuse(): how the keyword and semantic candidate lists become one ranking."""

import pytest

from dailypapers.search.service import favour_whole_matches, fuse

# Ten candidates on each side; on each, one paper leads by far or by a little.
FLAT_KEYWORD = [("kw-best", 5.2)] + [(f"kw-{n}", 5.0 - 0.1 * n) for n in range(9)]
STANDOUT_KEYWORD = [("kw-best", 15.0)] + [(f"kw-{n}", 5.0 - 0.1 * n) for n in range(9)]
FLAT_SEMANTIC = [("sem-best", 0.52)] + [(f"sem-{n}", 0.50 - 0.01 * n) for n in range(9)]
STANDOUT_SEMANTIC = [("sem-best", 0.9)] + [(f"sem-{n}", 0.50 - 0.01 * n) for n in range(9)]


def first(keyword, semantic, **options) -> str:
    return fuse(keyword, semantic, **options)[0][0]


def test_the_side_whose_best_match_stands_out_decides_the_first_place():
    assert first(STANDOUT_KEYWORD, FLAT_SEMANTIC) == "kw-best"
    assert first(FLAT_KEYWORD, STANDOUT_SEMANTIC) == "sem-best"


def test_a_standout_is_worth_more_than_its_lead_alone_with_confidence_weighting():
    """Without the confidence weight, the two sides' leaders tie at these scores."""
    keyword = [("kw-best", 10.0), ("kw-1", 2.0), ("kw-2", 1.0), ("kw-3", 0.0)]
    semantic = [("sem-best", 0.9), ("sem-1", 0.85), ("sem-2", 0.8), ("sem-3", 0.0)]
    plain = dict(fuse(keyword, semantic, confidence_power=0.0))
    weighted = dict(fuse(keyword, semantic))
    assert plain["kw-best"] > plain["sem-best"]
    assert weighted["kw-best"] - weighted["sem-best"] > plain["kw-best"] - plain["sem-best"]


def test_each_side_counts_in_its_own_spread_whatever_the_scale_of_its_scores():
    """BM25 scores grow with the query's length, cosines stay below 1: neither scale matters."""
    rescaled = [(pid, 7.0 * score + 3.0) for pid, score in STANDOUT_KEYWORD]
    original = fuse(STANDOUT_KEYWORD, FLAT_SEMANTIC)
    assert [pid for pid, _ in fuse(rescaled, FLAT_SEMANTIC)] == [pid for pid, _ in original]
    assert [score for _, score in fuse(rescaled, FLAT_SEMANTIC)] == pytest.approx(
        [score for _, score in original]
    )


def test_a_paper_both_sides_found_ranks_above_papers_only_one_side_found_alike():
    keyword = [("a", 3.0), ("both", 2.8), ("c", 1.0)]
    semantic = [("x", 0.8), ("both", 0.78), ("z", 0.6)]
    assert first(keyword, semantic) == "both"


def test_lists_without_spread_or_without_candidates_still_rank():
    assert fuse([("only", 2.0)], [("only", 0.5)]) == [("only", 1.0)]
    assert [pid for pid, _ in fuse([("a", 1.0), ("b", 1.0)], [])] == ["a", "b"]
    assert [pid for pid, _ in fuse([], [("x", 0.7), ("y", 0.2)], coverage=0.0)] == ["x", "y"]
    assert fuse([], []) == []


def test_the_ranking_is_the_same_every_time_and_ties_go_by_id():
    keyword = [("b", 1.0), ("a", 1.0), ("c", 0.0)]
    semantic = [("a", 0.5), ("b", 0.5), ("c", 0.0)]
    rankings = {tuple(fuse(keyword, semantic)) for _ in range(5)}
    assert len(rankings) == 1
    assert [pid for pid, _ in rankings.pop()] == ["a", "b", "c"]


def test_a_paper_holding_every_word_of_the_query_gains_the_bonus_and_rises():
    fused = [("topical", 3.0), ("whole", 2.5), ("other", 1.0)]
    favoured = favour_whole_matches(fused, {"whole", "not-a-candidate"}, bonus=1.0)
    assert favoured == [("whole", 3.5), ("topical", 3.0), ("other", 1.0)]
    assert favour_whole_matches(fused, set()) == fused
