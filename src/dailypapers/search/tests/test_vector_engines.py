"""Where vectors are searched: pgvector when PostgreSQL has it, else in this process."""

import json
import os
import subprocess
import sys
from datetime import date
from functools import partial

import psycopg
import pytest

from dailypapers.search import backends

from .conftest import CORPUS, EXACT_MATCH, NEAR_TOPIC, server_has_pgvector


def test_without_pgvector_vectors_are_searched_in_process(db):
    if server_has_pgvector():
        pytest.skip("this PostgreSQL has pgvector: the rest of the suite searches it")
    assert backends.vector_index().description == "in-process index, exact scan"


def rows(papers: list[tuple]) -> list[dict]:
    """The conftest's papers as lines of an arXiv metadata file."""
    return [
        {
            "id": pid,
            "title": title,
            "abstract": abstract,
            "authors": authors,
            "categories": categories,
            "published": published.isoformat(),
        }
        for pid, title, abstract, authors, categories, published in papers
    ]


def run_dailypapers(env: dict[str, str], *args: str) -> str:
    """``dailypapers ARGS`` in a subprocess with ``env``; its output, once it succeeded."""
    done = subprocess.run(
        [sys.executable, "-m", "dailypapers", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_pgvector_hnsw_serves_semantic_search(pgvector_database, tmp_path, write_jsonl, settings):
    papers = write_jsonl("corpus.jsonl", rows(CORPUS))
    env = {
        **os.environ,
        "DATABASE_URL": pgvector_database,
        "DAILYPAPERS_DATA_DIR": str(tmp_path / "data"),
        "DAILYPAPERS_EMBEDDING_CACHE": str(settings.EMBEDDING_CACHE),
        "DAILYPAPERS_MODEL_DIR": str(settings.MODEL_DIR),
    }

    run = partial(run_dailypapers, env)

    run("migrate", "-v0")
    run("import", str(papers))
    assert "Vectors: pgvector HNSW index in PostgreSQL" in run("index")
    found = json.loads(
        run("search", "teaching robots to grasp things by showing them examples", "--json")
    )
    assert found["vectors"] == "pgvector HNSW index in PostgreSQL"
    assert found["hits"][0]["id"] == "2401.00005" and not found["notices"]
    semantic = json.loads(
        run(
            "search",
            "converting a written description into a virtual environment",
            "--mode",
            "semantic",
            "--json",
        )
    )
    assert semantic["hits"][0]["id"] == "2401.00004"

    # While embeddings are built, a paper pgvector lacks still ranks by its keywords.
    caching = [(*paper, ["A. Author"], ["cs.RO"], date(2025, 3, 1)) for paper in NEAR_TOPIC]
    run(
        "import",
        str(write_jsonl("caching.jsonl", rows([*caching, (*EXACT_MATCH, *caching[0][3:])]))),
    )
    with psycopg.connect(pgvector_database, autocommit=True) as db:
        for table in ("search_vector", "search_paperembedding"):
            db.execute(f"DELETE FROM {table} WHERE paper_id = %s", [EXACT_MATCH[0]])
    found = json.loads(run("search", "diffusion policy caching", "--json"))
    assert found["hits"][0]["id"] == EXACT_MATCH[0]
