"""The embedded keyword engine: a Tantivy index (BM25, block-max WAND) in the data dir.

Chosen over SQLite FTS5 because FTS5 scores every match: on the long, frequent-word
queries researchers type it is two orders of magnitude slower (docs/benchmarks.md).
The index follows the catalog: ``sync()`` adds what changed since its last run, drops what
was hidden or deleted, and takes only the changes every open write is past, so that each
node of a PostgreSQL deployment keeps an index of its own, in its own data dir, in step
with the one database (docs/search.md, "Several nodes").
"""

import dataclasses
import json
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import tantivy

from .analysis import joined_compounds, name_analyzer, topic_analyzer
from .documents import (
    SearchDocument,
    SearchFilters,
    changed_documents,
    changes_since,
    documents_of,
    removals_since,
    settled_before,
)
from .query import ParsedQuery

EPOCH = date(1970, 1, 1)
# A paper's words are scored once in ``text`` (title and abstract together, as
# one BM25 field) and title words once more in ``title`` at this weight: on
# SciFact a single field beats separate title and abstract fields, and a small
# title bonus on top helps (docs/search.md).
TITLE_BOOST = 0.35
AUTHOR_BOOST = 1.0
# What the catalog says a query also stands for (ParsedQuery.alternatives) weighs this
# much of what was typed: a paper writing "brown adipose tissue (BAT)" is not counted
# twice for "BAT". Picked on SciFact's tuning half (docs/search.md).
ALTERNATIVE_WEIGHT = 0.5
# How often a long-lived process looks for commits made by another one (seconds).
RELOAD_EVERY = 2.0
# Papers indexed per commit. Tantivy indexes in a thread of its own, alongside the
# reading of the next papers, and each commit waits for it to catch up: at 2,000 a
# sync of 100k papers spent a third of its time in commits. A kill loses one batch.
SYNC_BATCH = 25_000


@dataclass
class Position:
    """How far the index follows the catalog: every change before ``since`` is in it (None:
    nothing is), and ``recent`` holds the changes at or after it that are in it too, by
    paper id (a removal's id with a leading "-"), so a change is indexed once although the
    changes after ``since`` are read again (they may belong to writes not committed yet)."""

    since: datetime | None = None
    recent: dict[str, datetime] = dataclasses.field(default_factory=dict)

    def pruned(self, since: datetime) -> "Position":
        return Position(since, {key: at for key, at in self.recent.items() if at >= since})

    def advanced(self, settled: datetime) -> "Position":
        """Moved to ``settled`` (never back), once every change up to it was read."""
        return self.pruned(settled if self.since is None else max(self.since, settled))

    def as_json(self) -> dict:
        stamp = "microseconds"
        return {
            "synced_until": self.since.isoformat(timespec=stamp) if self.since else None,
            "recent": {key: at.isoformat(timespec=stamp) for key, at in self.recent.items()},
        }


@dataclass
class _Writing:
    """This process's writer of the index and how far the index follows the catalog with
    what it added, committed or not; ``done`` counts the papers it (re)indexed or dropped."""

    writer: tantivy.IndexWriter
    position: Position
    done: int = 0


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
        # Held from an import's first stored batch to the sync it ends with.
        self._writing: _Writing | None = None

    # Writing

    def _position(self) -> "Position":
        if not self._state_file.exists():
            return Position()
        state = json.loads(self._state_file.read_text())
        if state.get("synced_until") is None:
            return Position()
        return Position(
            datetime.fromisoformat(state["synced_until"]),
            {key: datetime.fromisoformat(at) for key, at in state.get("recent", {}).items()},
        )

    def _record(self, position: "Position") -> None:
        # Written aside and renamed: a kill mid-write leaves the previous position whole.
        partial = self._state_file.with_suffix(".partial")
        partial.write_text(json.dumps(position.as_json()))
        os.replace(partial, self._state_file)

    def _to_do(self, position: "Position") -> tuple[list[str], dict[str, datetime]]:
        """The papers to (re)index and the removals to apply since ``position``."""
        changed = dict(changes_since(position.since))
        removed = {f"-{arxiv_id}": at for arxiv_id, at in removals_since(position.since)}
        return (
            [key for key, at in changed.items() if position.recent.get(key) != at],
            {key: at for key, at in removed.items() if position.recent.get(key) != at},
        )

    def sync(self, *, rebuild: bool = False) -> int:
        """Bring the index level with the catalog; return how many papers were (re)indexed
        or dropped (hidden, deleted), those an import indexed while it ran included.

        It follows the catalog by ``Paper.changed_at`` from its last position, on SQLite
        and on PostgreSQL alike, whichever process or node changed it. Nothing changed
        since: one indexed query, and the writer (one at a time) is left free.
        """
        settled = settled_before()
        writing, self._writing = self._writing, None
        if rebuild:
            # What an import of this process indexed uncommitted goes with the rest.
            writing = None
        if writing is None:
            position = Position() if rebuild else self._position()
            if position.since is not None:
                ids, removals = self._to_do(position)
                if not ids and not removals:
                    if position.advanced(settled) != position:
                        self._record(position.advanced(settled))
                    return 0
            writing = self._open(rebuild)
        self._catch_up(writing, settled, rebuild)
        writing.writer.wait_merging_threads()
        self.index.reload()
        return writing.done

    def index_stored(self, ids: Sequence[str]) -> None:
        """Index papers an import has just stored, among ``ids``, without committing: Tantivy
        indexes them on a thread of its own while the import stores its next batch, and the
        ``sync()`` the import ends with commits them all at once.

        The import's first batch takes the writer and brings the index level first, so that
        the position is known; until that commit, the position on disk stays where it was:
        an import killed midway leaves its papers to the next sync, by ``changed_at``.
        """
        if self._writing is None:
            writing = self._open(rebuild=False)
            self._catch_up(writing, settled_before(), rebuild=False)
            self._writing = writing
        writing = self._writing
        for document in documents_of(ids, changed_since=writing.position.since):
            if writing.position.recent.get(document.arxiv_id) != document.changed_at:
                self._add(writing, document, replace=True)

    def _open(self, rebuild: bool) -> "_Writing":
        writer = self.index.writer(heap_size=128_000_000, num_threads=1)
        # Files of a commit killed before it was recorded: left, a file of this commit
        # could have the same name, and the commit would fail ("FileAlreadyExists").
        writer.garbage_collect_files()
        if rebuild:
            # Forgotten first: a rebuild killed after its first commit leaves an index of
            # that batch alone, and the next sync must then index every paper.
            self._state_file.unlink(missing_ok=True)
            writer.delete_all_documents()
            return _Writing(writer, Position())
        # Read now that this process is the one writer: another may have moved it.
        return _Writing(writer, self._position())

    def _add(self, writing: "_Writing", document: SearchDocument, replace: bool) -> None:
        if replace:
            writing.writer.delete_documents_by_term("id", document.arxiv_id)
        if not document.hidden:
            writing.writer.add_document(self._document(document))
        writing.position.recent[document.arxiv_id] = document.changed_at
        writing.done += 1

    def _catch_up(self, writing: "_Writing", settled: datetime, rebuild: bool) -> None:
        """Index every change since ``writing``'s position, commit, and record how far the
        index got (in batches, from the oldest change, when it starts from nothing)."""
        writer, position = writing.writer, writing.position
        from_start = position.since is None
        if from_start:
            removals = {f"-{arxiv_id}": at for arxiv_id, at in removals_since(None)}
            batches = changed_documents(None, SYNC_BATCH)
        else:
            ids, removals = self._to_do(position)
            batches = (
                documents_of(ids[start : start + SYNC_BATCH])
                for start in range(0, len(ids), SYNC_BATCH)
            )
        for key, at in removals.items():
            writer.delete_documents_by_term("id", key[1:])
            position.recent[key] = at
        writing.done += len(removals)
        committed = False
        for documents in batches:
            for document in documents:
                # Also on a first sync: one killed after a commit, before recording how
                # far it got, left documents that the next sync indexes again.
                self._add(writing, document, replace=not rebuild)
            writer.commit()
            committed = True
            if from_start:
                # Oldest change first: every change before this batch's last is indexed.
                position = position.pruned(min(settled, documents[-1].changed_at))
            # Committed first, then recorded: a crash in between only re-indexes a batch.
            self._record(position)
            writing.position = position
        if not committed:
            writer.commit()
        writing.position = position.advanced(settled)
        self._record(writing.position)

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

    def papers_holding(self, words: Sequence[str], up_to: int) -> dict[str, int]:
        """How many papers hold each word in their title, abstract or author names, counted
        up to ``up_to`` (a word the analyser drops counts ``up_to``): whether a word is
        known or rare."""
        searcher = self._searcher()
        counts = {}
        for word in words:
            stems = topic_analyzer().analyze(word)
            found = min((searcher.doc_freq("text", stem) for stem in stems), default=up_to)
            # A name is a known word too ("Dettmers").
            found += sum(searcher.doc_freq("authors", t) for t in name_analyzer().analyze(word))
            counts[word] = min(found, up_to)
        return counts

    def containing_every_word(
        self, query: ParsedQuery, filters: SearchFilters, limit: int, among: set[str] | None = None
    ) -> set[str]:
        """Up to ``limit`` papers whose title or abstract holds every topic word of the
        query, best matches first: one conjunctive search (docs/search.md, Fusion)."""
        terms = sorted({token for word in query.words for token in topic_analyzer().analyze(word)})
        if not terms:
            return set()
        every_word = [
            (
                tantivy.Occur.Must,
                tantivy.Query.boolean_query(
                    [
                        (tantivy.Occur.Should, tantivy.Query.term_query(self.schema, field, term))
                        for field in ("text", "title")
                    ]
                ),
            )
            for term in terms
        ]
        every_word += [(tantivy.Occur.Must, q) for q in self._filters(filters, among)]
        searcher = self._searcher()
        hits = searcher.search(tantivy.Query.boolean_query(every_word), limit, count=False).hits
        return {searcher.doc(address)["id"][0] for _, address in hits}

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
        for parts in query.alternatives:
            tokens = topic_analyzer().analyze(" ".join(parts))
            should += [
                tantivy.Query.boost_query(self._phrase(field, tokens), boost * ALTERNATIVE_WEIGHT)
                for field, boost in (("text", 1.0), ("title", TITLE_BOOST))
                if tokens
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
