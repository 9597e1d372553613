"""The in-process vector index: exact scan, and the HNSW graph the indexer saves for workers."""

import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from dailypapers.papers.models import Paper
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.upserts import upsert_papers
from dailypapers.search import backends, vectors
from dailypapers.search.indexing import embed_pending
from dailypapers.search.service import search
from dailypapers.search.vectors import InProcessVectors

from .conftest import server_has_pgvector

pytestmark = pytest.mark.usefixtures("corpus")

HNSW = "in-process index, HNSW graph (usearch)"
EXACT = "in-process index, exact scan"


def index(name: str, graph_dir=None, hnsw_from: int | None = None) -> InProcessVectors:
    return InProcessVectors(name, backends.embedder().dim, graph_dir=graph_dir, hnsw_from=hnsw_from)


@pytest.fixture
def graph_dir(tmp_path):
    return tmp_path / "graphs"


@pytest.fixture
def name() -> str:
    return backends.embedder().name


@pytest.fixture
def query() -> np.ndarray:
    return backends.embedder().embed_query("robots learning from human demonstrations")


def test_saved_graph_loaded_by_a_worker_finds_what_the_exact_scan_finds(graph_dir, name, query):
    exact = index(name)
    indexer = index(name, graph_dir, hnsw_from=5)
    assert indexer.save_graph()
    assert not indexer.save_graph()  # nothing new since
    # A worker keeps the default threshold: it follows the saved graph, whatever the size.
    worker = index(name, graph_dir)
    assert worker.description == EXACT  # nothing loaded yet
    found, expected = worker.search(query, 5), exact.search(query, 5)
    assert worker.description == HNSW and exact.description == EXACT
    assert [pid for pid, _ in found] == [pid for pid, _ in expected]
    assert np.allclose([s for _, s in found], [s for _, s in expected], atol=1e-5)
    assert np.allclose(worker.vector_of("2401.00005"), exact.vector_of("2401.00005"))
    assert worker.vector_of("2499.99999") is None


def mapped_files() -> set[str]:
    """The files this process maps into its memory."""
    with open("/proc/self/maps") as maps:
        return {line.split(maxsplit=5)[5].strip() for line in maps if len(line.split()) == 6}


def test_a_worker_maps_the_saved_graph_rather_than_copying_it(graph_dir, name, query):
    assert index(name, graph_dir, hnsw_from=5).save_graph()
    worker = index(name, graph_dir)
    worker.search(query, 1)
    graph, ids, lookup = worker.graph.files
    # Mapped read-only from the saved files: the pages are the page cache's, shared by
    # every worker of the machine.
    assert {str(graph), str(ids), str(lookup)} <= mapped_files()
    assert isinstance(worker.graph.ids, np.memmap) and isinstance(worker.graph.lookup, np.memmap)
    assert len(worker.matrix) == 0 and worker.size == 10


def add_zebrafish_and_rewrite_a_paper() -> None:
    upsert_papers(
        [
            PaperRecord.build(
                arxiv_id="2405.00001",
                title="Zebrafish Fin Regeneration",
                abstract="Zebrafish regrow amputated fins within two weeks.",
                authors=["A B"],
            )
        ]
    )
    paper = Paper.objects.get(pk="2401.00005")
    paper.abstract = "Compilers turn source code into machine code."
    paper.save()
    embed_pending()


def test_embeddings_stored_after_the_save_are_found_through_the_delta(graph_dir, name):
    index(name, graph_dir, hnsw_from=5).save_graph()
    worker = index(name, graph_dir)
    worker.refresh(force=True)
    saved = worker.graph
    add_zebrafish_and_rewrite_a_paper()
    worker.refresh(force=True)
    assert worker.graph is saved and sorted(worker.ids) == ["2401.00005", "2405.00001"]
    fish = backends.embedder().embed_query("fish growing back their fins")
    assert worker.search(fish, 1)[0][0] == "2405.00001"
    compilers = backends.embedder().embed_query("compiling programs")
    assert worker.search(compilers, 1)[0][0] == "2401.00005"
    # The rewritten paper's old node is passed over: it is found once, with its new vector.
    everything = worker.search(compilers, 20)
    assert len(everything) == 11 == worker.size
    assert sorted(everything, key=lambda hit: -hit[1]) == everything
    assert [pid for pid, _ in everything].count("2401.00005") == 1
    assert np.allclose(worker.vector_of("2401.00005"), index(name).vector_of("2401.00005"))
    assert worker.embedded(["2405.00001", "2401.00003", "2499.99999"]) == {
        "2405.00001",
        "2401.00003",
    }


def test_a_worker_maps_the_graph_saved_again_and_empties_its_delta(graph_dir, name):
    indexer = index(name, graph_dir, hnsw_from=5)
    indexer.save_graph()
    worker = index(name, graph_dir)
    worker.refresh(force=True)
    first_files = worker.graph.files
    add_zebrafish_and_rewrite_a_paper()
    worker.refresh(force=True)
    assert worker.ids

    assert indexer.save_graph()
    assert not indexer.save_graph()  # nothing new since
    # The previous files are gone (this worker keeps reading them until it maps the new
    # ones: Linux frees an unlinked file on its last unmap).
    assert not any(path.exists() for path in first_files)
    assert len(list(graph_dir.glob("*.usearch"))) == 1
    worker.refresh(force=True)
    assert worker.graph.files != first_files and worker.ids == [] and worker.size == 11
    fish = backends.embedder().embed_query("fish growing back their fins")
    assert worker.search(fish, 1)[0][0] == "2405.00001"
    exact = index(name)
    compilers = backends.embedder().embed_query("compiling programs")
    found, expected = worker.search(compilers, 11), exact.search(compilers, 11)
    assert [pid for pid, _ in found] == [pid for pid, _ in expected]
    assert np.allclose([s for _, s in found], [s for _, s in expected], atol=1e-5)


def test_a_small_delta_waits_for_the_next_save_and_is_found_meanwhile(graph_dir, name, monkeypatch):
    indexer = index(name, graph_dir, hnsw_from=5)
    indexer.save_graph()
    add_zebrafish_and_rewrite_a_paper()
    monkeypatch.setattr(vectors, "FOLD_FROM", 0.5)  # 2 new vectors for a graph of 10
    assert not indexer.save_graph()
    worker = index(name, graph_dir)
    fish = backends.embedder().embed_query("fish growing back their fins")
    assert worker.search(fish, 1)[0][0] == "2405.00001" and worker.size == 11
    monkeypatch.setattr(vectors, "FOLD_FROM", 0.1)
    assert indexer.save_graph()


def test_a_graph_saved_by_hnswlib_is_replaced_and_workers_scan_exactly_meanwhile(
    graph_dir, name, query
):
    """Before issue 11 the graph file was hnswlib's, which usearch cannot read."""
    index(name, graph_dir, hnsw_from=5).save_graph()
    (meta_file,) = graph_dir.glob("*.json")
    meta = json.loads(meta_file.read_text())
    old_graph = graph_dir / "old.hnsw"
    old_graph.write_bytes(b"hnswlib graph " * 100)
    meta_file.write_text(json.dumps(meta | {"graph": old_graph.name}))
    worker = index(name, graph_dir)
    assert worker.search(query, 1)[0][0] == "2401.00005" and worker.description == EXACT
    assert index(name, graph_dir, hnsw_from=5).save_graph()
    assert not old_graph.exists()
    restarted = index(name, graph_dir)
    assert restarted.search(query, 1)[0][0] == "2401.00005" and restarted.description == HNSW


def test_below_the_threshold_nothing_is_saved_and_workers_scan_exactly(graph_dir, name, query):
    assert not index(name, graph_dir).save_graph()
    assert not graph_dir.exists()
    worker = index(name, graph_dir)
    assert worker.search(query, 1)[0][0] == "2401.00005" and worker.description == EXACT


def test_index_command_saves_the_graph_that_search_then_uses(monkeypatch):
    if server_has_pgvector():
        pytest.skip("this PostgreSQL has pgvector: the index command fills it, not a graph")
    monkeypatch.setattr(vectors, "HNSW_FROM", 5)
    out = StringIO()
    call_command("index", stdout=out, stderr=StringIO())
    assert f"Vectors: {HNSW} (graph saved for the web workers)" in out.getvalue()
    monkeypatch.setattr(vectors, "HNSW_FROM", 1000)
    backends.reset()  # as a web worker starting
    hits = search("teaching robots to grasp things by showing them examples").hits
    assert hits[0].paper.arxiv_id == "2401.00005"
    assert backends.vector_index().description == HNSW
