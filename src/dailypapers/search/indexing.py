"""Keeping the search indexes level with the catalog.

The keyword index is cheap to update and follows every import. Embedding is
slow on a CPU (tens of papers a second), so ``dailypapers index`` does it in
batches, each committed, resumable after an interruption; ``serve`` runs it
in the background. Until a paper has its embedding, search finds it by keywords.
"""

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress

import numpy as np
from django.db import transaction
from django.db.models import F, Q, QuerySet

from dailypapers.papers.models import Paper

from . import backends, lexicon
from .analysis import term_number, topic_terms
from .embeddings import paper_text, text_hash
from .models import PaperEmbedding
from .progress import Progress
from .progress import record as record_progress
from .vectors import InProcessVectors

# Above this, embedding waits for `dailypapers index` instead of holding up an import.
EMBED_INLINE_UP_TO = 200
# Papers whose terms are stored per committed batch (``store_missing_terms``).
TERMS_BATCH = 2_000


class IndexBusy(Exception):
    """Another process is writing the keyword index right now."""


@contextmanager
def _lock_as_busy() -> Iterator[None]:
    try:
        yield
    except ValueError as error:
        # Tantivy allows one writer at a time and says so with a ValueError.
        if "lock" in str(error).lower():
            raise IndexBusy(str(error)) from None
        raise


def sync_keyword_index(rebuild: bool = False) -> int:
    """Bring the keyword index level with the catalog, and the lexicon after it (its title
    words and acronyms: search/lexicon.py, at most every ``lexicon.REMINE_SECONDS``)."""
    with _lock_as_busy():
        synced = backends.keyword_index().sync(rebuild=rebuild)
    lexicon.refresh(changed=bool(synced), force=rebuild)
    return synced


def index_stored_papers(sender: object = None, ids: Sequence[str] = (), **signal: object) -> None:
    """The receiver of ``papers.signals.papers_stored`` (search/apps.py): index a batch an
    import has just stored while it reads the next; its ``catalog_changed`` commits them.
    While another process writes the index, the import leaves it to that sync."""
    with suppress(IndexBusy), _lock_as_busy():
        backends.keyword_index().index_stored(ids)


def follow_catalog() -> int:
    """One round of this node's keyword follower: bring its keyword index level with the
    catalog, whichever process or node changed it (an import elsewhere, a moderator hiding
    a paper); return how many papers it (re)indexed or dropped.

    ``serve`` runs it every KEYWORD_FOLLOW_SECONDS (``dailypapers index --follow``), which
    bounds how long another node's change takes to be found here (docs/search.md). While
    another process of this node writes the index, the round does nothing: that process
    brings it level, and the next round sees what remains.
    """
    try:
        return sync_keyword_index()
    except IndexBusy:
        return 0


def pending_embeddings() -> QuerySet:
    """Papers with text and no current embedding: new, changed since, or another model's."""
    model = backends.embedder().name
    return (
        Paper.objects.exclude(abstract="")
        .filter(
            Q(embedding__isnull=True)
            | ~Q(embedding__model=model)
            | Q(embedding__updated_at__lt=F("changed_at"))
        )
        .order_by("arxiv_id")
    )


def embed_pending(
    batch_size: int = 256, on_batch: Callable[[int, Progress], None] = lambda n, progress: None
) -> int:
    """Embed every pending paper, one committed batch at a time; return how many.

    Progress is recorded before the first batch and after each one (see
    search/progress.py); ``on_batch`` hears of each batch: its size and that progress.
    """
    embedder = backends.embedder()
    ids = list(pending_embeddings().values_list("arxiv_id", flat=True))
    total = Paper.objects.exclude(abstract="").count()
    progress = Progress(embedded=max(0, total - len(ids)), total=total)
    record_progress(progress)
    started = time.monotonic()
    done = 0
    for start in range(0, len(ids), batch_size):
        rows = Paper.objects.filter(arxiv_id__in=ids[start : start + batch_size]).values_list(
            "arxiv_id", "title", "abstract"
        )
        texts = {arxiv_id: paper_text(title, abstract) for arxiv_id, title, abstract in rows}
        vectors = embedder.embed_documents(list(texts.values()))
        with transaction.atomic():
            PaperEmbedding.objects.bulk_create(
                [
                    PaperEmbedding(
                        paper_id=arxiv_id,
                        model=embedder.name,
                        text_hash=text_hash(text),
                        vector=vector.astype("<f4").tobytes(),
                        terms=stored_terms(text),
                    )
                    for (arxiv_id, text), vector in zip(texts.items(), vectors, strict=True)
                ],
                update_conflicts=True,
                unique_fields=["paper"],
                update_fields=["model", "text_hash", "vector", "terms", "updated_at"],
            )
        done += len(texts)
        progress = Progress(
            embedded=min(total, progress.embedded + len(texts)),
            total=total,
            per_second=done / (time.monotonic() - started),
        )
        record_progress(progress)
        on_batch(len(texts), progress)
    if done:
        # Finished: no rate any more, so nothing estimates time left on a stale figure.
        record_progress(Progress(progress.embedded, total))
    return done


def stored_terms(text: str) -> bytes:
    """The numbers of the text's distinct terms, as ``PaperEmbedding.terms`` holds them."""
    numbers = {term_number(term) for term in set(topic_terms(text))}
    return np.array(sorted(numbers), dtype="<u4").tobytes()


def store_missing_terms() -> int:
    """Store the terms of every embedded paper without them (embedded before terms were
    kept), one committed batch at a time; return how many. Embedding stores them for
    the papers it embeds."""
    missing = PaperEmbedding.objects.filter(terms__isnull=True)
    ids = list(missing.values_list("paper_id", flat=True))
    for start in range(0, len(ids), TERMS_BATCH):
        rows = Paper.objects.filter(arxiv_id__in=ids[start : start + TERMS_BATCH])
        found = [
            PaperEmbedding(paper_id=arxiv_id, terms=stored_terms(paper_text(title, abstract)))
            for arxiv_id, title, abstract in rows.values_list("arxiv_id", "title", "abstract")
        ]
        with transaction.atomic():
            PaperEmbedding.objects.bulk_update(found, ["terms"])
    return len(ids)


def update_vector_index() -> bool:
    """Bring the vector index level with the embeddings; True if it saved a graph.

    The in-process index saves its HNSW graph for the web workers to load
    (built here, once the catalog is large enough: too slow for a request).
    """
    vectors = backends.vector_index()
    if isinstance(vectors, InProcessVectors):
        return vectors.save_graph()
    vectors.refresh(force=True)
    return False


def after_catalog_change(sender: object = None, **signal: object) -> str:
    """Bring search up to date after an import; return a line for the operator, or ""
    when it was up to date already.

    The receiver of ``papers.signals.catalog_changed`` (search/apps.py), which importers
    send after every run, changes or not: one killed after storing its records and
    before this leaves search behind, and its re-run changes nothing.
    """
    try:
        synced = sync_keyword_index()
    except IndexBusy:
        return "Search: another process is updating the keyword index; it will catch up."
    pending = pending_embeddings().count()
    if not synced and not pending:
        return ""
    if pending <= EMBED_INLINE_UP_TO:
        embed_pending()
        pending = 0
    else:
        total = Paper.objects.exclude(abstract="").count()
        record_progress(Progress(embedded=max(0, total - pending), total=total))
    line = f"Search: {synced} papers (re)indexed for keywords"
    if pending:
        line += (
            f"; {pending} papers wait for their embeddings (run `dailypapers index`,"
            " or let `dailypapers serve` do it): until then they are found by keywords"
        )
    return line
