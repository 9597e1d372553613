"""The "For you" ranker on small synthetic windows: three topics, each with its own
direction in an 8-dimensional embedding space and its own words."""

from datetime import date, timedelta

import numpy as np
import pytest

from dailypapers.recommend import ranker
from dailypapers.recommend.profile import Candidate, Follows, Profile, ProfilePaper
from dailypapers.recommend.ranker import CandidatePool, rank

DIM = 8
TOPICS = {
    "graphs": ("Message passing on graph neural networks", "cs.LG"),
    "proteins": ("Protein folding and structure prediction", "q-bio.BM"),
    "speech": ("Speech recognition from raw audio", "eess.AS"),
}
NEWEST = date(2026, 6, 30)


def direction(topic: str, rng: np.random.Generator, noise: float = 0.15) -> np.ndarray:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[list(TOPICS).index(topic)] = 1
    vector += rng.normal(0, noise, DIM).astype(np.float32)
    return vector / np.linalg.norm(vector)


def paper(topic: str, number: int, rng: np.random.Generator, **fields) -> Candidate:
    phrase, category = TOPICS[topic]
    values = {
        "arxiv_id": f"2606.{list(TOPICS).index(topic)}{number:04d}",
        "title": f"{phrase}, study {number}",
        "abstract": f"We study {phrase.lower()} and report results on benchmark {number}.",
        "vector": direction(topic, rng),
        "categories": [category],
        "published": NEWEST - timedelta(days=number % 7),
    } | fields
    return Candidate(**values)


def liked(topic: str, number: int, rng: np.random.Generator) -> ProfilePaper:
    phrase, _ = TOPICS[topic]
    return ProfilePaper(
        f"2501.{list(TOPICS).index(topic)}{number:04d}",
        f"Earlier work on {phrase.lower()} {number}",
        f"An older paper about {phrase.lower()}.",
        direction(topic, rng),
    )


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(3)


@pytest.fixture
def window(rng) -> list[Candidate]:
    return [paper(topic, n, rng) for n in range(10) for topic in TOPICS]


def topics_of(recommendations, window) -> list[str]:
    by_id = {c.arxiv_id: c for c in window}
    return [
        next(t for t, (_, cat) in TOPICS.items() if cat in by_id[r.arxiv_id].categories)
        for r in recommendations
    ]


def test_a_reader_who_saved_papers_in_a_cluster_gets_that_cluster_first(window, rng):
    profile = Profile(liked=[liked("proteins", n, rng) for n in range(3)])

    ranked = rank(profile, window, limit=10)

    assert topics_of(ranked, window) == ["proteins"] * 10


def test_the_cluster_comes_first_from_the_embeddings_alone_without_shared_words(window, rng):
    wordless = [
        ProfilePaper(f"2501.9{n:04d}", "Untitled", "", direction("speech", rng)) for n in range(3)
    ]

    ranked = rank(Profile(liked=wordless), window, limit=10)

    assert topics_of(ranked, window) == ["speech"] * 10


def test_dismissed_papers_are_never_returned(window, rng):
    dismissed = [ProfilePaper(c.arxiv_id, c.title, c.abstract, c.vector) for c in window[:4]]
    profile = Profile(liked=[liked("graphs", 0, rng)], dismissed=dismissed)

    returned = {r.arxiv_id for r in rank(profile, window, limit=len(window))}

    assert returned.isdisjoint(c.arxiv_id for c in window[:4])
    assert len(returned) == len(window) - 4


def test_a_dismissed_paper_sinks_the_papers_closest_to_it(rng):
    def unit(*axes: int) -> np.ndarray:
        vector = np.zeros(DIM, dtype=np.float32)
        vector[list(axes)] = 1
        return vector / np.linalg.norm(vector)

    # Both as close to the liked paper, in words and embeddings; one is the dismissed one's twin.
    twin = paper("graphs", 1, rng, vector=unit(0, 4), published=NEWEST)
    other = paper("graphs", 2, rng, vector=unit(0, 5), published=NEWEST)
    fan = ProfilePaper("2501.00001", "Message passing", "On graph neural networks.", unit(0, 3))
    disliked = ProfilePaper("2601.00001", "A near copy", "Of the twin.", unit(0, 4))

    ranked = rank(Profile(liked=[fan], dismissed=[disliked]), [twin, other])

    assert [r.arxiv_id for r in ranked] == [other.arxiv_id, twin.arxiv_id]


def test_muted_words_remove_papers_whatever_the_word_form(window, rng):
    profile = Profile(liked=[liked("graphs", 0, rng)], muted_words=["network"])

    returned = rank(profile, window, limit=len(window))

    assert returned
    assert not any(
        "networks" in c.title for c in window if c.arxiv_id in {r.arxiv_id for r in returned}
    )


def test_a_muted_phrase_removes_only_papers_with_the_words_in_that_order(rng):
    in_order = paper("speech", 1, rng, abstract="Speech recognition, end to end.")
    apart = paper("speech", 2, rng, title="Recognition of speech", abstract="Audio models.")

    returned = rank(Profile(muted_words=["speech recognition"]), [in_order, apart])

    assert [r.arxiv_id for r in returned] == [apart.arxiv_id]


def test_muted_authors_are_never_returned_whatever_the_accents_and_case(window, rng):
    by_muted = paper("graphs", 50, rng, authors=["José Müller", "Ann Lee"])
    profile = Profile(liked=[liked("graphs", 0, rng)], muted_authors=["jose muller"])

    returned = {r.arxiv_id for r in rank(profile, [*window, by_muted], limit=100)}

    assert by_muted.arxiv_id not in returned
    assert len(returned) == len(window)


def test_liked_and_seen_papers_are_not_recommended_again(window, rng):
    first, second = window[0], window[1]
    again = ProfilePaper(first.arxiv_id, first.title, first.abstract, first.vector)
    profile = Profile(liked=[again], seen=frozenset({second.arxiv_id}))

    returned = {r.arxiv_id for r in rank(profile, window, limit=100)}

    assert returned == {c.arxiv_id for c in window[2:]}


def test_the_reason_names_the_liked_paper_the_recommendation_is_closest_to(window, rng):
    # Without words in common, closeness is the only reason.
    protein = ProfilePaper("2501.00001", "Draft A", "", direction("proteins", rng))
    speech = ProfilePaper("2501.00002", "Draft B", "", direction("speech", rng))

    ranked = rank(Profile(liked=[protein, speech]), window, limit=len(window))

    top = ranked[:20]
    assert set(topics_of(top, window)) == {"proteins", "speech"}
    for recommendation, topic in zip(top, topics_of(top, window), strict=True):
        expected = {"proteins": protein, "speech": speech}[topic]
        assert recommendation.reason.kind == "similar"
        assert recommendation.reason.paper == expected
        assert recommendation.reason.text == f"Similar to “{expected.title}”"


def test_closeness_looks_at_the_newest_liked_papers_only(window, rng, monkeypatch):
    monkeypatch.setattr(ranker, "NEAREST_PAPERS", 2)
    # Newest last, as readers' profiles list them; no words in common with the window.
    oldest = ProfilePaper("2501.00001", "Draft A", "", direction("proteins", rng))
    newer = [ProfilePaper(f"2501.0000{n}", "Draft", "", direction("speech", rng)) for n in (2, 3)]

    ranked = rank(Profile(liked=[oldest, *newer]), window, limit=10)

    assert set(topics_of(ranked, window)) == {"speech"}
    assert {r.reason.paper.arxiv_id for r in ranked} <= {p.arxiv_id for p in newer}


def test_the_reason_names_the_followed_author_that_brought_the_paper(window, rng):
    theirs = paper("speech", 60, rng, authors=["Grace Hopper"])
    profile = Profile(
        liked=[liked("proteins", 0, rng)], follows=Follows(authors=frozenset({"grace hopper"}))
    )

    ranked = rank(profile, [*window, theirs], limit=100)
    reason = next(r.reason for r in ranked if r.arxiv_id == theirs.arxiv_id)

    assert reason.kind == "follow"
    assert reason.follow == ("author", "grace hopper")
    assert reason.text == "You follow grace hopper"


def test_the_reason_gives_the_words_that_weighed_most_when_there_is_no_embedding(rng):
    unembedded = paper("proteins", 1, rng, vector=None, title="Protein folding with diffusion")
    unrelated = paper("speech", 1, rng, vector=None)
    profile = Profile(liked=[liked("proteins", 0, rng)])

    ranked = rank(profile, [unrelated, unembedded])

    assert ranked[0].arxiv_id == unembedded.arxiv_id
    assert ranked[0].reason.kind == "words"
    assert set(ranked[0].reason.words) <= {"protein", "folding", "structure", "prediction"}
    assert ranked[0].reason.text.startswith("About protein")


def test_a_followed_archive_covers_its_categories_and_a_followed_search_needs_all_its_words(window):
    profile = Profile(
        follows=Follows(categories=frozenset({"q-bio"}), queries=frozenset({"audio speech"}))
    )

    ranked = rank(profile, window, limit=20)

    assert set(topics_of(ranked, window)) == {"proteins", "speech"}
    reasons = {r.reason.follow for r in ranked}
    assert reasons == {("category", "q-bio"), ("query", "audio speech")}
    assert "Matches your search “audio speech”" in {r.reason.text for r in ranked}


def upvoted_window(rng) -> list[Candidate]:
    # Graph papers fit the reader; speech papers are the community's favourites.
    return [paper("graphs", n, rng, upvotes=n) for n in range(5)] + [
        paper("speech", n, rng, upvotes=100 + n) for n in range(5)
    ]


def test_at_zero_the_community_knob_leaves_upvotes_out(rng):
    window = upvoted_window(rng)
    profile = Profile(liked=[liked("graphs", 0, rng)])

    ranked = rank(profile, window, community=0.0)

    assert topics_of(ranked, window)[:5] == ["graphs"] * 5


def test_at_one_the_community_knob_orders_by_upvotes(rng):
    window = upvoted_window(rng)
    profile = Profile(liked=[liked("graphs", 0, rng)])

    ranked = rank(profile, window, community=1.0)

    by_id = {c.arxiv_id: c for c in window}
    assert [by_id[r.arxiv_id].upvotes for r in ranked] == [104, 103, 102, 101, 100, 4, 3, 2, 1, 0]
    assert ranked[0].reason.kind == "popular"
    assert ranked[0].reason.text == "Popular: 104 upvotes"


def test_turning_the_community_knob_up_moves_popular_papers_up_step_by_step(rng):
    window = upvoted_window(rng)
    profile = Profile(liked=[liked("graphs", 0, rng)])
    pool = CandidatePool(window)

    def popular_places(community: float) -> int:
        ranked = pool.rank(profile, community=community)
        return sum(i for i, t in enumerate(topics_of(ranked, window)) if t == "speech")

    places = [popular_places(c) for c in (0.0, 0.25, 0.5, 0.75, 1.0)]
    assert places == sorted(places, reverse=True)
    assert places[0] > places[-1]


def test_the_community_knob_is_between_zero_and_one(window):
    with pytest.raises(ValueError, match="between 0 and 1"):
        rank(Profile(), window, community=1.5)


def test_cold_start_with_only_followed_categories_puts_them_first_newest_first(window):
    ranked = rank(Profile(follows=Follows(categories=frozenset({"eess.AS"}))), window, limit=10)

    assert topics_of(ranked, window) == ["speech"] * 10
    days = [next(c.published for c in window if c.arxiv_id == r.arxiv_id) for r in ranked]
    assert days == sorted(days, reverse=True)
    assert {r.reason.follow for r in ranked} == {("category", "eess.AS")}


def test_cold_start_with_a_single_liked_paper_ranks_its_topic_first(window, rng):
    ranked = rank(Profile(liked=[liked("speech", 0, rng)]), window, limit=10)

    assert topics_of(ranked, window) == ["speech"] * 10


def test_a_reader_with_nothing_yet_gets_the_window_newest_first(window):
    ranked = rank(Profile(), window, limit=len(window))

    days = [next(c.published for c in window if c.arxiv_id == r.arxiv_id) for r in ranked]
    assert len(ranked) == len(window)
    assert days == sorted(days, reverse=True)
    assert {r.reason.kind for r in ranked} == {"new"}


def test_an_empty_window_recommends_nothing(rng):
    assert rank(Profile(liked=[liked("graphs", 0, rng)]), []) == []


def test_one_pool_ranks_many_readers_each_their_own(window, rng):
    pool = CandidatePool(window)

    firsts = {
        topic: topics_of(pool.rank(Profile(liked=[liked(topic, 0, rng)]), limit=5), window)
        for topic in TOPICS
    }

    assert firsts == {topic: [topic] * 5 for topic in TOPICS}


def test_papers_not_embedded_yet_are_still_ranked_by_their_words(window, rng):
    pending = paper("proteins", 70, rng, vector=None, title="Protein folding, pending")

    # Numbered 99: no paper of the window shares the liked paper's number, a rare word.
    ranked = rank(Profile(liked=[liked("proteins", 99, rng)]), [*window, pending], limit=11)

    assert pending.arxiv_id in {r.arxiv_id for r in ranked}
    assert set(topics_of(ranked, [*window, pending])) == {"proteins"}
