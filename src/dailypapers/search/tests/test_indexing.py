"""Keeping search level with the catalog: `dailypapers index`, imports, interruptions."""

from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.utils.timezone import now
from rich.console import Console

from dailypapers.conftest import arxiv_row
from dailypapers.ingest.importer import import_file
from dailypapers.papers.models import Paper
from dailypapers.search import backends, keyword_tantivy
from dailypapers.search.analysis import term_number, topic_terms
from dailypapers.search.embeddings import paper_text
from dailypapers.search.indexing import (
    embed_pending,
    pending_embeddings,
    store_missing_terms,
    sync_keyword_index,
)
from dailypapers.search.keyword_tantivy import TantivyIndex
from dailypapers.search.models import PaperEmbedding
from dailypapers.search.service import search

from .conftest import make_corpus

pytestmark = pytest.mark.django_db

# Where the Tantivy index records how far it got.
STATE_FILE = "dailypapers-state.json"


def index(*args: str) -> str:
    out = StringIO()
    call_command("index", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_index_command_builds_both_indexes_and_says_which_engines():
    make_corpus()
    out = index()
    assert "Keyword index: 10 papers (re)indexed" in out
    assert "Embeddings: 10 papers embedded" in out
    assert "Vectors: " in out
    assert PaperEmbedding.objects.count() == 10 and not pending_embeddings().exists()
    assert "Embeddings: every paper has one" in index()


def test_interrupted_embedding_keeps_finished_batches_and_the_next_run_finishes(monkeypatch):
    make_corpus()
    embedder = backends.embedder()
    real_embed, calls = embedder.embed_documents, []

    def embed_then_interrupt(texts):
        calls.append(len(texts))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_embed(texts)

    monkeypatch.setattr(embedder, "embed_documents", embed_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        embed_pending(batch_size=4)
    assert PaperEmbedding.objects.count() == 4
    monkeypatch.setattr(embedder, "embed_documents", real_embed)
    assert embed_pending(batch_size=4) == 6
    assert PaperEmbedding.objects.count() == 10


def test_a_changed_abstract_is_embedded_again():
    make_corpus()
    embed_pending()
    paper = Paper.objects.get(pk="2401.00005")
    paper.abstract = "A completely different abstract about compilers."
    paper.save()
    assert list(pending_embeddings().values_list("pk", flat=True)) == ["2401.00005"]
    before = PaperEmbedding.objects.get(pk="2401.00005").vector
    embed_pending()
    assert PaperEmbedding.objects.get(pk="2401.00005").vector != before


def stored_numbers(arxiv_id: str) -> list[int]:
    return np.frombuffer(PaperEmbedding.objects.get(pk=arxiv_id).terms, dtype="<u4").tolist()


def analysed_numbers(arxiv_id: str) -> list[int]:
    paper = Paper.objects.get(pk=arxiv_id)
    return sorted({term_number(t) for t in topic_terms(paper_text(paper.title, paper.abstract))})


def test_embedding_stores_the_numbers_of_each_papers_distinct_terms_with_its_vector():
    make_corpus()
    embed_pending()
    paper = Paper.objects.get(pk="2401.00005")
    paper.abstract = "Compilers, compilers and more compilers."
    paper.save()
    embed_pending()

    assert stored_numbers("2401.00001") == analysed_numbers("2401.00001")
    assert stored_numbers("2401.00005") == analysed_numbers("2401.00005")
    assert term_number("compil") in stored_numbers("2401.00005")


def test_the_index_command_stores_the_terms_of_papers_embedded_before_terms_were_kept():
    make_corpus()
    embed_pending()
    PaperEmbedding.objects.filter(pk__in=["2401.00001", "2401.00002"]).update(terms=None)

    assert "Terms: stored for 2 papers" in index()

    assert stored_numbers("2401.00002") == analysed_numbers("2401.00002")
    assert store_missing_terms() == 0


def test_an_import_makes_new_papers_searchable_at_once(write_jsonl):
    path = write_jsonl("new.jsonl", [arxiv_row("2405.00001", title="Zebrafish swimming robots")])
    out = StringIO()
    call_command("import", str(path), stdout=out, stderr=StringIO())
    assert "Search: 1 papers (re)indexed for keywords" in out.getvalue()
    assert [hit.paper.arxiv_id for hit in search("zebrafish").hits] == ["2405.00001"]
    # Few papers: embedded inline, so semantic search has them too.
    assert PaperEmbedding.objects.filter(pk="2405.00001").exists()


def test_a_keyword_sync_with_nothing_changed_since_indexes_nothing():
    make_corpus()
    assert sync_keyword_index() == 10
    assert sync_keyword_index() == 0
    Paper.objects.filter(pk="2401.00003").update(title="Diffusion, revisited", changed_at=now())
    assert sync_keyword_index() > 0
    assert [hit.paper.arxiv_id for hit in search("revisited", mode="keyword").hits] == [
        "2401.00003"
    ]


def test_a_first_keyword_sync_killed_before_recording_its_position_indexes_no_paper_twice(
    tmp_path,
):
    make_corpus()
    index = TantivyIndex(tmp_path / "keyword")
    index.sync()
    # What a kill between the index's commit and the file saying how far it got leaves.
    (tmp_path / "keyword" / STATE_FILE).unlink()
    index.sync()
    assert sorted(index.ids()) == sorted(Paper.objects.values_list("pk", flat=True))


def test_a_keyword_sync_killed_while_recording_its_position_leaves_the_previous_one(
    tmp_path, monkeypatch
):
    make_corpus()
    index = TantivyIndex(tmp_path / "keyword")
    index.sync()
    Paper.objects.filter(pk="2401.00003").update(title="Diffusion, revisited", changed_at=now())
    write_text = Path.write_text

    def killed_half_way(path: Path, text: str, *args, **kwargs):
        write_text(path, text[: len(text) // 2], *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_text", killed_half_way)
    with pytest.raises(KeyboardInterrupt):
        index.sync()
    monkeypatch.setattr(Path, "write_text", write_text)
    assert index.sync() > 0
    assert sorted(index.ids()) == sorted(Paper.objects.values_list("pk", flat=True))


def test_a_rebuild_killed_after_its_first_commit_leaves_every_paper_to_the_next_sync(
    tmp_path, monkeypatch
):
    make_corpus()
    index = TantivyIndex(tmp_path / "keyword")
    index.sync()
    monkeypatch.setattr(keyword_tantivy, "SYNC_BATCH", 4)

    def killed(path: Path, text: str, *args, **kwargs):
        raise KeyboardInterrupt

    # Killed once the first four papers are committed, before it records how far it got.
    monkeypatch.setattr(Path, "write_text", killed)
    with pytest.raises(KeyboardInterrupt):
        index.sync(rebuild=True)
    monkeypatch.undo()
    assert len(index.ids()) == 4

    index.sync()
    assert sorted(index.ids()) == sorted(Paper.objects.values_list("pk", flat=True))


def test_a_keyword_sync_killed_before_its_commit_was_recorded_leaves_no_file_in_the_way(
    tmp_path,
):
    make_corpus()
    index_dir = tmp_path / "keyword"
    TantivyIndex(index_dir).sync()
    Paper.objects.filter(pk__in=["2401.00003", "2401.00004"]).update(
        title="Revisited", changed_at=now()
    )
    recorded = {name: (index_dir / name).read_bytes() for name in ("meta.json", STATE_FILE)}
    TantivyIndex(index_dir).sync()
    # What a kill just before Tantivy writes meta.json leaves: the commit's files (among
    # them the deletions of the two replaced papers), and the previous commit recorded.
    for name, content in recorded.items():
        (index_dir / name).write_bytes(content)

    rerun = TantivyIndex(index_dir)
    rerun.sync()

    assert sorted(rerun.ids()) == sorted(Paper.objects.values_list("pk", flat=True))


def catalog_ids() -> list[str]:
    return sorted(Paper.objects.values_list("pk", flat=True))


def matched(words: list[str]) -> dict[str, list[str]]:
    # Which papers, not their scores: BM25 counts a replaced paper's old version until
    # Tantivy merges it away, after an import as after any sync.
    return {
        word: sorted(hit.paper.arxiv_id for hit in search(word, mode="keyword").hits)
        for word in words
    }


def test_an_import_indexes_each_batch_as_it_stores_it_and_ends_level_with_a_rebuild(
    write_jsonl, monkeypatch
):
    make_corpus()
    sync_keyword_index()
    rows = [
        arxiv_row(f"2405.{n:05d}", title=f"Zebrafish swimming study {n}", authors=[f"Ann {n}"])
        for n in range(1, 14)
    ]
    # Two of the corpus's papers come again, changed: replaced in the index, not added twice.
    rows += [
        arxiv_row("2401.00003", title="Diffusion, a zebrafish version", published="2024-06-01"),
        arxiv_row("2401.00007", title="Attention, all zebrafish need", published="2024-06-01"),
    ]
    path = write_jsonl("papers.jsonl", rows)
    read = []
    documents_of = keyword_tantivy.documents_of

    def reading(ids, **filters):
        read.append(set(ids))
        return documents_of(ids, **filters)

    monkeypatch.setattr(keyword_tantivy, "documents_of", reading)
    import_file(path, batch_size=4, console=Console(file=StringIO()))
    assert set().union(*read) == {row["id"] for row in rows}
    # The import holds the writer until it ends, its papers not yet committed.
    with pytest.raises(ValueError, match="(?i)lock"):
        TantivyIndex(backends.keyword_index().path).sync(rebuild=True)

    read.clear()
    out = StringIO()
    call_command("import", str(path), stdout=out, stderr=StringIO())
    # The run that stored nothing ends the first one's indexing: a commit, nothing read.
    assert "Search: 15 papers (re)indexed for keywords" in out.getvalue()
    assert read == []

    words = ["zebrafish", "diffusion", "attention", "ann", "quantization", "robots"]
    imported = matched(words)
    assert len(imported["zebrafish"]) == 15
    assert sorted(backends.keyword_index().ids()) == catalog_ids()
    sync_keyword_index(rebuild=True)
    assert matched(words) == imported


def test_an_import_killed_midway_leaves_its_batches_to_the_next_sync(write_jsonl):
    make_corpus()
    sync_keyword_index()
    path = write_jsonl("papers.jsonl", [arxiv_row(f"2405.{n:05d}") for n in range(1, 11)])
    import_file(path, batch_size=3, console=Console(file=StringIO()))
    # Killed before its end: the writer goes with the process. The first batch was committed
    # with the catch-up that opened the import's indexing; the others were not.
    backends.reset()
    assert len(backends.keyword_index().ids()) == 10 + 3

    assert sync_keyword_index() == 7
    assert sorted(backends.keyword_index().ids()) == catalog_ids()


def test_an_import_while_another_process_writes_the_index_leaves_the_papers_to_it(write_jsonl):
    make_corpus()
    sync_keyword_index()
    path = write_jsonl("papers.jsonl", [arxiv_row(f"2405.{n:05d}") for n in range(1, 11)])
    held = backends.keyword_index().index.writer(heap_size=15_000_000, num_threads=1)
    out = StringIO()
    call_command("import", str(path), "--batch-size", "3", stdout=out, stderr=StringIO())
    assert "10 new" in out.getvalue()
    assert "another process is updating the keyword index" in out.getvalue()
    held.rollback()
    del held

    assert sync_keyword_index() == 10
    assert sorted(backends.keyword_index().ids()) == catalog_ids()
