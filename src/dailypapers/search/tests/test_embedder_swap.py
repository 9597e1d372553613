"""Another embedder is one setting plus one module (hashing_embedder.py): search runs on
its vectors, in this process and in pgvector, and never mixes them with another's."""

import json
import os
from functools import partial
from io import StringIO

import numpy as np
import psycopg
import pytest
from django.core.management import call_command

from dailypapers.search import backends
from dailypapers.search.indexing import embed_pending, pending_embeddings
from dailypapers.search.models import PaperEmbedding
from dailypapers.search.service import search

from .conftest import CORPUS
from .hashing_embedder import HashingEmbedder, SmallHashingEmbedder
from .test_vector_engines import rows, run_dailypapers

HASHING = "dailypapers.search.tests.hashing_embedder.HashingEmbedder"
SMALL_HASHING = "dailypapers.search.tests.hashing_embedder.SmallHashingEmbedder"


def stored_vectors() -> dict[str, tuple[str, int]]:
    """Each paper's embedding: the model it is stored under, and its dimension."""
    return {
        paper_id: (model, len(vector) // 4)
        for paper_id, model, vector in PaperEmbedding.objects.values_list(
            "paper_id", "model", "vector"
        )
    }


def top(text: str, mode: str) -> str:
    return search(text, mode=mode).hits[0].paper.arxiv_id


@pytest.fixture
def hashing(db, settings, write_jsonl):
    """The corpus imported and indexed with the hashing embedder."""
    settings.EMBEDDER = HASHING
    imported, indexed = StringIO(), StringIO()
    call_command("import", write_jsonl("corpus.jsonl", rows(CORPUS)), stdout=imported)
    # Few papers: the import embedded them itself, as search heard the catalog change.
    assert "Search: 10 papers (re)indexed for keywords" in imported.getvalue()
    call_command("index", stdout=indexed)
    assert "Embeddings: every paper has one" in indexed.getvalue()


@pytest.mark.usefixtures("hashing")
def test_search_runs_on_the_vectors_of_the_embedder_the_setting_names():
    assert backends.embedder().name == HashingEmbedder.name
    assert backends.vector_index().dim == HashingEmbedder.dim
    assert set(stored_vectors().values()) == {(HashingEmbedder.name, HashingEmbedder.dim)}
    assert len(stored_vectors()) == len(CORPUS)

    assert top("robots picking up household objects", "semantic") == "2401.00005"
    assert top("segmenting microscopy images", "semantic") == "2401.00006"
    assert top("attention transformer", "hybrid") == "2401.00007"
    hybrid = search("quantization of large language models")
    assert not hybrid.notices
    assert {hit.paper.arxiv_id for hit in hybrid.hits[:2]} == {"2401.00001", "2401.00009"}


@pytest.mark.usefixtures("hashing")
def test_another_embedder_embeds_again_and_searches_only_its_own_vectors(settings):
    settings.EMBEDDER = SMALL_HASHING

    assert pending_embeddings().count() == len(CORPUS)
    # Until the new model has embedded a paper, semantic search has nothing: the old
    # vectors, of another model and dimension, are not searched with the new query's.
    assert backends.vector_index().is_empty()
    assert "not ready yet" in search("attention transformer").notices[0]

    assert embed_pending() == len(CORPUS)
    backends.vector_index().refresh(force=True)  # as it would within REFRESH_EVERY
    assert set(stored_vectors().values()) == {(SmallHashingEmbedder.name, SmallHashingEmbedder.dim)}
    assert top("robots picking up household objects", "semantic") == "2401.00005"


def test_pgvector_holds_the_vectors_of_the_embedder_the_setting_names(
    pgvector_database, tmp_path, write_jsonl
):
    env = {
        **os.environ,
        "DATABASE_URL": pgvector_database,
        "DAILYPAPERS_DATA_DIR": str(tmp_path / "data"),
        "DAILYPAPERS_EMBEDDER": HASHING,
    }

    run = partial(run_dailypapers, env)

    def vector_table() -> tuple[str, int, int]:
        """The model search_vector is made for, its dimension, and its rows."""
        with psycopg.connect(pgvector_database) as db:
            return db.execute(
                "SELECT obj_description('search_vector'::regclass, 'pg_class'),"
                " (SELECT atttypmod FROM pg_attribute WHERE attname = 'embedding'"
                "  AND attrelid = 'search_vector'::regclass),"
                " (SELECT count(*) FROM search_vector)"
            ).fetchone()

    def semantic_top(text: str) -> str:
        found = json.loads(run("search", text, "--mode", "semantic", "--json"))
        assert found["vectors"] == "pgvector HNSW index in PostgreSQL"
        return found["hits"][0]["id"]

    run("migrate", "-v0")
    run("import", str(write_jsonl("corpus.jsonl", rows(CORPUS))))
    assert "Vectors: pgvector HNSW index in PostgreSQL" in run("index")
    assert vector_table() == (HashingEmbedder.name, HashingEmbedder.dim, len(CORPUS))
    assert semantic_top("robots picking up household objects") == "2401.00005"

    # A table made before tables were named for their embedder is kept, and named.
    with psycopg.connect(pgvector_database, autocommit=True) as db:
        db.execute("COMMENT ON TABLE search_vector IS NULL")
    assert semantic_top("segmenting microscopy images") == "2401.00006"
    assert vector_table() == (HashingEmbedder.name, HashingEmbedder.dim, len(CORPUS))

    env["DAILYPAPERS_EMBEDDER"] = SMALL_HASHING
    run("index")
    assert vector_table() == (SmallHashingEmbedder.name, SmallHashingEmbedder.dim, len(CORPUS))
    assert semantic_top("robots picking up household objects") == "2401.00005"
    with psycopg.connect(pgvector_database) as db:
        vectors = db.execute("SELECT model, vector FROM search_paperembedding").fetchall()
    assert {(model, len(np.frombuffer(vector, "<f4"))) for model, vector in vectors} == {
        (SmallHashingEmbedder.name, SmallHashingEmbedder.dim)
    }
