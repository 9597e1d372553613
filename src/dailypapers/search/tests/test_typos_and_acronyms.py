"""Typos and acronyms: a misspelt title word still finds its papers, an acronym finds its
long form and the long form its acronym, mined from the catalog itself and kept fresh."""

from io import StringIO

import pytest
from django.core.management import call_command

from dailypapers.papers.signals import announce_catalog_change
from dailypapers.papers.upserts import upsert_papers
from dailypapers.search import backends, lexicon
from dailypapers.search.indexing import sync_keyword_index
from dailypapers.search.lexicon import acronyms_in, mine
from dailypapers.search.service import search

from .conftest import paper_records

ACRONYM_PAPERS = [
    (
        "2402.00001",
        "Retrieval-Augmented Generation for Knowledge-Intensive Tasks",
        "We combine a retriever with a generator: retrieval-augmented generation (RAG) "
        "grounds answers in documents.",
    ),
    (
        "2402.00002",
        "RAG Pipelines in Practice",
        "A survey of deployed RAG systems, their retrievers and their failure cases.",
    ),
    (
        "2402.00003",
        "Scaling Laws for LLMs",
        "Large language models (LLMs) improve predictably with compute; we fit the curves.",
    ),
    (
        "2402.00004",
        "Grounded Answers from Retrieval Augmented Generation",
        "Answers cite the passages they were generated from.",
    ),
]


def ids(results) -> list[str]:
    return [hit.paper.arxiv_id for hit in results.hits]


@pytest.fixture
def catalog(keyword_corpus, monkeypatch):
    upsert_papers(paper_records(ACRONYM_PAPERS))
    # Mined at once, not REMINE_SECONDS after the corpus was.
    monkeypatch.setattr(lexicon, "REMINE_SECONDS", 0)
    sync_keyword_index()


class TestMining:
    @pytest.mark.parametrize(
        "text, pair",
        [
            ("We study large language models (LLMs) here.", ("llm", "large language models")),
            (
                "with retrieval-augmented generation (RAG)",
                ("rag", "retrieval-augmented generation"),
            ),
            ("Low-Rank Adaptation (LoRA) of", ("lora", "low-rank adaptation")),
            ("a pre-trained language model (PLM)", ("plm", "pre-trained language model")),
            ("the vision transformer (ViT)", ("vit", "vision transformer")),
            (
                "Bidirectional Encoder Representations from Transformers (BERT)",
                ("bert", "bidirectional encoder representations from transformers"),
            ),
        ],
    )
    def test_a_long_form_whose_initials_spell_the_acronym_is_mined(self, text, pair):
        assert list(acronyms_in(text)) == [pair]

    @pytest.mark.parametrize("text", ["as shown (see Table 2)", "of the models (OK)", "(AB) alone"])
    def test_parentheses_that_define_no_acronym_give_nothing(self, text):
        assert list(acronyms_in(text)) == []

    def test_each_acronym_keeps_its_most_frequent_long_form_plural_and_singular_together(self):
        found = mine(
            [
                ("Sampling", "A state space model (SSM) samples."),
                ("Models", "State space models (SSMs) scale."),
                ("Other", "Structured sparse matrices (SSM) compress."),
            ]
        )
        assert found.acronyms == {"ssm": ("state space model", 2)}

    def test_title_words_are_counted_once_per_title(self):
        found = mine([("Diffusion of Diffusion", ""), ("Diffusion Models", "")])
        assert found.titles["diffusion"] == 2 and found.titles["models"] == 1


@pytest.mark.usefixtures("catalog")
class TestTypos:
    @pytest.mark.parametrize(
        "typed, expected",
        [
            ("difusion models", {"2401.00003"}),
            ("imitaton learning", {"2401.00005"}),
            # The two papers with "retrieval augmented" in their titles.
            ("retreival augmented", {"2402.00001", "2402.00004"}),
            ("convolutonal", {"2401.00006"}),
        ],
    )
    def test_a_misspelt_title_word_finds_the_paper(self, typed, expected):
        results = search(typed, mode="keyword")
        assert set(ids(results)[: len(expected)]) == expected
        assert any(notice.startswith("Showing results for") for notice in results.notices)

    def test_the_notice_shows_the_query_searched(self):
        results = search("difusion models", mode="keyword")
        assert "Showing results for “diffusion models”" in results.notices[0]
        assert "“difusion”" in results.notices[0]

    @pytest.mark.parametrize("known", ["diffusion", "microscopy", "dettmers", "blockwise"])
    def test_a_word_the_index_knows_is_not_rewritten(self, known):
        # "microscopy" is in an abstract only, "dettmers" an author's name.
        results = search(known, mode="keyword")
        assert results.query.words == (known,) and results.query.joined == ()
        assert results.notices == []

    def test_a_word_far_from_every_title_word_is_left_as_typed(self):
        results = search("zxqvbn", mode="keyword")
        assert results.hits == [] and results.notices == []


@pytest.mark.usefixtures("catalog")
class TestAcronyms:
    def test_an_acronym_finds_the_papers_that_only_write_its_long_form(self):
        found = ids(search("RAG", mode="keyword"))
        assert {"2402.00001", "2402.00002", "2402.00004"} <= set(found)

    def test_a_plural_acronym_finds_its_long_form(self):
        found = ids(search("LLMs", mode="keyword"))
        # Block-wise Quantization of Large Language Models says "LLM" nowhere.
        assert "2401.00001" in found and "2401.00003" not in found

    def test_the_long_form_finds_the_papers_that_only_write_the_acronym(self):
        results = search("retrieval augmented generation", mode="keyword")
        assert "2402.00002" in ids(results)
        assert "Also searched for retrieval-augmented generation (RAG)." in results.notices

    def test_the_acronym_is_expanded_beside_itself_not_replaced(self):
        results = search("RAG", mode="keyword")
        assert results.query.words == ("rag",)
        assert results.query.alternatives == (("retrieval", "augmented", "generation"),)

    def test_the_command_shows_what_was_searched(self):
        out, err = StringIO(), StringIO()
        call_command("search", "difusion", "--mode", "keyword", stdout=out, stderr=err)
        assert "Showing results for “diffusion”" in err.getvalue()
        assert "2401.00003" in out.getvalue()


def import_moe_papers() -> None:
    upsert_papers(
        paper_records(
            [
                (
                    "2403.00001",
                    "Sparse Gating Networks",
                    "A sparsely gated mixture of experts (MoEs) routes each token.",
                ),
                ("2403.00002", "Routing in Mixture of Experts", "Experts specialise."),
            ]
        )
    )
    announce_catalog_change(sender=None)


def test_a_change_soon_after_the_last_mining_is_mined_by_the_first_sync_once_it_is_due(
    keyword_corpus, settings, monkeypatch
):
    settings.EMBEDDER = "dailypapers.search.tests.hashing_embedder.HashingEmbedder"
    backends.reset()
    sync_keyword_index()
    import_moe_papers()
    assert "moe" not in lexicon.current().acronyms

    sync_keyword_index()  # nothing new to index, and the lexicon not due yet
    assert "moe" not in lexicon.current().acronyms
    monkeypatch.setattr(lexicon, "REMINE_SECONDS", 0)
    sync_keyword_index()  # nothing new to index, but the lexicon due: mined

    assert lexicon.current().acronyms["moe"] == ("mixture of experts", 1)


def test_an_import_brings_its_acronyms_and_title_words_to_search(
    keyword_corpus, settings, monkeypatch
):
    monkeypatch.setattr(lexicon, "REMINE_SECONDS", 0)
    # The import's signal embeds its papers too: with words hashed, not a model loaded.
    settings.EMBEDDER = "dailypapers.search.tests.hashing_embedder.HashingEmbedder"
    backends.reset()
    assert "mixture of experts (MoE)" not in str(lexicon.current().acronyms)
    import_moe_papers()
    assert lexicon.current().acronyms["moe"] == ("mixture of experts", 1)
    assert "2403.00002" in ids(search("MoE", mode="keyword"))
    assert ids(search("gatting networks", mode="keyword"))[0] == "2403.00001"


@pytest.mark.usefixtures("catalog")
class TestEverySearchPath:
    def test_the_search_page_shows_what_was_searched(self, client):
        page = client.get("/papers", {"q": "difusion models"}).content.decode()
        assert "Showing results for “diffusion models”" in page
        assert "Diffusion Models Beat GANs on Image Synthesis" in page

    def test_the_api_finds_the_paper_and_answers_in_the_same_shape(self, client):
        misspelt = client.get("/api/papers/search", {"q": "difusion models"}).json()
        spelt = client.get("/api/papers/search", {"q": "diffusion models"}).json()
        assert misspelt[0]["paper"]["id"] == "2401.00003"
        assert [sorted(item) for item in misspelt] == [sorted(item) for item in spelt]
