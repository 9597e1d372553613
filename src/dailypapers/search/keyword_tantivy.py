"""The embedded keyword engine: a Tantivy index (BM25, block-max WAND) in the data dir.

Chosen over SQLite FTS5 because FTS5 scores every match: on the long, frequent-word
queries researchers type it is two orders of magnitude slower (docs/benchmarks.md).
The index follows the catalog: ``sync()`` adds what changed since its last run.
"""

import json
import os
import threading
import time
from datetime import date, datetime
from pathlib import Path

import tantivy

from .analysis import joined_compounds, name_analyzer, topic_analyzer
from .documents import SearchDocument, SearchFilters, changed_after, changed_documents
from .query import ParsedQuery

EPOCH = date(1970, 1, 1)
# A paper's words are scored once in ``text`` (title and abstract together, as
# one BM25 field) and title words once more in ``title`` at this weight: on
# SciFact a single field beats separate title and abstract fields, and a small
# title bonus on top helps (docs/search.md).
TITLE_BOOST = 0.35
AUTHOR_BOOST = 1.0
# How often a long-lived process looks for commits made by another one (seconds).
RELOAD_EVERY = 2.0
# Papers indexed per commit. Tantivy indexes in a thread of its own, alongside the
# reading of the next papers, and each commit waits for it to catch up: at 2,000 a
# sync of 100k papers spent a third of its time in commits. A kill loses one batch.
SYNC_BATCH = 25_000


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("text", tokenizer_name="topic")
    builder.add_text_field("title", tokenizer_name="topic")
    builder.add_text_field("authors", tokenizer_name="name")
    builder.add_text_field("categories", tokenizer_name="raw")
    builder.add_text_field("organization", tokenizer_name="raw")
    builder.add_integer_field("published", indexed=True, fast=True)
    return builder.build()


class TantivyIndex:
    def __init__(self, path: Path):
        self.path = path
        self.path.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        self.index = tantivy.Index(self.schema, path=str(path), reuse=True)
        self.index.register_tokenizer("topic", topic_analyzer())
        self.index.register_tokenizer("name", name_analyzer())
        self._state_file = path / "dailypapers-state.json"
        self._reloaded_at = 0.0
        self._lock = threading.Lock()

    # Writing

    def _synced_until(self) -> datetime | None:
        if not self._state_file.exists():
            return None
        return datetime.fromisoformat(json.loads(self._state_file.read_text())["synced_until"])

    def _record_synced_until(self, changed_until: datetime) -> None:
        # Written aside and renamed: a kill mid-write leaves the previous position whole.
        partial = self._state_file.with_suffix(".partial")
        partial.write_text(json.dumps({"synced_until": changed_until.isoformat()}))
        os.replace(partial, self._state_file)

    def sync(self, *, rebuild: bool = False) -> int:
        """Index the papers changed since the last sync; return how many were (re)indexed.

        Nothing changed since: nothing to do, and the writer (one at a time) is left free.
        """
        since = None if rebuild else self._synced_until()
        if since is not None and not changed_after(since):
            return 0
        writer = self.index.writer(heap_size=128_000_000, num_threads=1)
        # Files of a commit killed before it was recorded: left, a file of this commit
        # could have the same name, and the commit would fail ("FileAlreadyExists").
        writer.garbage_collect_files()
        if rebuild:
            # Forgotten first: a rebuild killed after its first commit leaves an index of
            # that batch alone, and the next sync must then index every paper.
            self._state_file.unlink(missing_ok=True)
            writer.delete_all_documents()
        done = 0
        for documents, changed_until in changed_documents(since, SYNC_BATCH):
            for document in documents:
                # Also on a first sync: one killed after a commit, before recording how
                # far it got, left documents that the next sync indexes again.
                if not rebuild:
                    writer.delete_documents_by_term("id", document.arxiv_id)
                writer.add_document(self._document(document))
            writer.commit()
            # Committed first, then recorded: a crash in between only re-indexes a batch.
            self._record_synced_until(changed_until)
            done += len(documents)
        if rebuild and not done:
            writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        return done

    def _document(self, paper: SearchDocument) -> tantivy.Document:
        # Hyphenated words are indexed both split and joined, so "block-wise"
        # is found by "block wise" and by "blockwise".
        title = f"{paper.title} {joined_compounds(paper.title)}"
        document = tantivy.Document(
            id=paper.arxiv_id,
            text=f"{title} {paper.abstract} {joined_compounds(paper.abstract)}",
            title=title,
            authors=list(paper.authors) or [""],
            categories=list(paper.categories) or [""],
            organization=paper.organization,
        )
        if paper.published:
            document.add_integer("published", (paper.published - EPOCH).days)
        return document

    # Reading

    def _searcher(self) -> tantivy.Searcher:
        now = time.monotonic()
        if now - self._reloaded_at > RELOAD_EVERY:
            with self._lock:
                self.index.reload()
                self._reloaded_at = now
        return self.index.searcher()

    def count(self) -> int:
        return self._searcher().num_docs

    def ids(self) -> list[str]:
        """The paper id of every document, as last committed: a paper indexed twice is
        there twice. For checking the index against the catalog."""
        self.index.reload()
        searcher = self.index.searcher()
        if not searcher.num_docs:
            return []
        hits = searcher.search(tantivy.Query.all_query(), searcher.num_docs).hits
        return [searcher.doc(address)["id"][0] for _, address in hits]

    def search(
        self, query: ParsedQuery, filters: SearchFilters, limit: int, among: set[str] | None = None
    ) -> list[tuple[str, float]]:
        """Best matches as (arxiv id, score); ``among`` restricts them to those ids."""
        built = self._query(query, filters, among)
        if built is None:
            return []
        searcher = self._searcher()
        hits = searcher.search(built, limit, count=False).hits
        return [(searcher.doc(address)["id"][0], score) for score, address in hits]

    def _term_queries(self, text: str, with_authors: bool) -> list[tantivy.Query]:
        queries = []
        for token in topic_analyzer().analyze(text):
            for field, boost in (("text", 1.0), ("title", TITLE_BOOST)):
                term = tantivy.Query.term_query(self.schema, field, token)
                queries.append(tantivy.Query.boost_query(term, boost) if boost != 1 else term)
        if with_authors:
            for token in name_analyzer().analyze(text):
                term = tantivy.Query.term_query(self.schema, "authors", token)
                queries.append(tantivy.Query.boost_query(term, AUTHOR_BOOST))
        return queries

    def _phrase(self, field: str, tokens: list[str]) -> tantivy.Query:
        if len(tokens) == 1:
            return tantivy.Query.term_query(self.schema, field, tokens[0])
        return tantivy.Query.phrase_query(self.schema, field, tokens)

    def _query(
        self, query: ParsedQuery, filters: SearchFilters, among: set[str] | None
    ) -> tantivy.Query | None:
        should = [q for word in query.words for q in self._term_queries(word, True)]
        should += [q for word in query.joined for q in self._term_queries(word, False)]
        for parts in query.split:
            tokens = topic_analyzer().analyze(" ".join(parts))
            should += [
                tantivy.Query.boost_query(self._phrase(field, tokens), boost)
                for field, boost in (("text", 1.0), ("title", TITLE_BOOST))
            ]
        must = []
        for phrase in query.phrases:
            tokens = topic_analyzer().analyze(" ".join(phrase))
            if tokens:
                must.append(
                    tantivy.Query.boolean_query(
                        [
                            (tantivy.Occur.Should, self._phrase(field, tokens))
                            for field in ("text", "title")
                        ]
                    )
                )
        if not should and not must:
            return None
        clauses = [(tantivy.Occur.Must, q) for q in must + self._filters(filters, among)]
        if should:
            # Without a required phrase, at least one word must match; with one,
            # the words only rank the papers that have the phrase.
            words = tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in should])
            clauses.append((tantivy.Occur.Should if must else tantivy.Occur.Must, words))
        return tantivy.Query.boolean_query(clauses)

    def _filters(self, filters: SearchFilters, among: set[str] | None) -> list[tantivy.Query]:
        queries = []
        if filters.published_from or filters.published_until:
            low = (filters.published_from - EPOCH).days if filters.published_from else -(10**9)
            high = (filters.published_until - EPOCH).days if filters.published_until else 10**9
            queries.append(
                tantivy.Query.range_query(
                    self.schema, "published", tantivy.FieldType.Integer, low, high
                )
            )
        if filters.category:
            queries.append(tantivy.Query.term_query(self.schema, "categories", filters.category))
        if filters.organization:
            queries.append(
                tantivy.Query.term_query(self.schema, "organization", filters.organization)
            )
        if among is not None:
            queries.append(tantivy.Query.term_set_query(self.schema, "id", sorted(among)))
        return queries
