"""The catalog's own words, mined when the keyword index changes: the words of its titles
(how many titles hold each, for typo tolerance) and its acronyms with their long forms.

Kept in ``lexicon.json`` beside the keyword index, so that either keyword engine reads
the same one; each node's sync writes its own, as it keeps its own index. A process
reads the file again when it changes. docs/search.md, "Typos and acronyms".
"""

import json
import os
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import tantivy
from django.conf import settings

from dailypapers.papers.models import Paper

from .analysis import topic_analyzer

# A title word: letters only, lower-cased; shorter ones are too ambiguous to correct to.
_TITLE_WORD = re.compile(r"[^\W\d_]{3,}")
# "(LLMs)", "(RAG)", "(LoRA)", "(ViT)": starts and ends with a capital, at least two of
# them, an optional plural "s". Its capitals are the initials of the long form before it.
_ACRONYM = re.compile(r"\(([A-Z][A-Za-z]{0,8}[A-Z])s?\)")
# The words before an acronym, each with its hyphenated parts ("retrieval-augmented").
_LONG_FORM_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
# Words a long form may hold that its acronym skips ("Bidirectional Encoder
# Representations from Transformers (BERT)").
_SKIPPED = frozenset(
    ["a", "an", "and", "for", "from", "in", "of", "on", "the", "to", "via", "with"]
)
LONGEST_LONG_FORM = 10  # words


def _initials(acronym: str) -> str:
    return "".join(letter for letter in acronym if letter.isupper()).lower()


def _long_form(initials: str, words: Sequence[str]) -> list[str] | None:
    """The last words of ``words`` whose initials spell ``initials``, or None.

    A hyphenated word gives the initials of its parts ("retrieval-augmented
    generation", RAG) or its first one ("pre-trained language model", PLM);
    a function word inside the long form may give none.
    """

    def match(letters: int, end: int) -> int | None:
        # Where the long form starts, if words[:end] end with one spelling initials[:letters].
        if letters == 0:
            return end
        if end <= 0:
            return None
        word = words[end - 1].lower()
        parts = word.split("-")
        spelled = "".join(part[0] for part in parts)
        for given in dict.fromkeys((spelled, spelled[0])):
            if letters >= len(given) and initials[letters - len(given) : letters] == given:
                start = match(letters - len(given), end - 1)
                if start is not None:
                    return start
        if word in _SKIPPED and letters < len(initials):
            return match(letters, end - 1)
        return None

    start = match(len(initials), len(words))
    if start is None or len(words) - start > LONGEST_LONG_FORM:
        return None
    return [word.lower() for word in words[start:]]


def acronyms_in(text: str) -> Iterable[tuple[str, str]]:
    """(acronym, long form) defined in ``text`` as "long form (ACRONYM)", lower-cased, the
    acronym singular ("large language models (LLMs)" -> ("llm", "large language models"))."""
    for found in _ACRONYM.finditer(text):
        acronym = found[1]
        initials = _initials(acronym)
        if len(initials) < 2:
            continue
        before = _LONG_FORM_WORD.findall(text[max(0, found.start() - 200) : found.start()])
        words = _long_form(initials, before[-2 * LONGEST_LONG_FORM :])
        if words is None:
            continue
        yield acronym.lower(), " ".join(words)


def stem_key(text: str) -> tuple[str, ...]:
    """How a long form is recognised in a query: its words stemmed, hyphens as spaces."""
    return tuple(topic_analyzer().analyze(text.replace("-", " ")))


@dataclass
class Lexicon:
    # Word -> how many titles hold it.
    titles: dict[str, int] = field(default_factory=dict)
    # Acronym (lower-cased, singular) -> its most frequent long form, and in how many papers.
    acronyms: dict[str, tuple[str, int]] = field(default_factory=dict)

    @cached_property
    def acronym_of(self) -> dict[tuple[str, ...], str]:
        """Long form, as stems -> acronym: the long form typed finds the acronym too."""
        return {stem_key(long): acronym for acronym, (long, _) in self.acronyms.items()}

    @cached_property
    def _words_index(self) -> tuple[tantivy.Index, tantivy.Schema]:
        # Tantivy's Levenshtein automaton walks the vocabulary in a few milliseconds,
        # where comparing a word with tens of thousands of others in Python takes a second.
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("word", stored=True, tokenizer_name="raw")
        builder.add_integer_field("titles", stored=True)
        schema = builder.build()
        index = tantivy.Index(schema)
        writer = index.writer(heap_size=15_000_000, num_threads=1)
        for word, titles in self.titles.items():
            writer.add_document(tantivy.Document(word=word, titles=titles))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        return index, schema

    def near(self, word: str, distance: int, limit: int = 200) -> list[tuple[str, int]]:
        """Title words within ``distance`` edits of ``word`` (a swap of two letters counts
        one), itself left out, with how many titles hold each."""
        if not self.titles:
            return []
        index, schema = self._words_index
        query = tantivy.Query.fuzzy_term_query(schema, "word", word, distance, True)
        searcher = index.searcher()
        found = []
        for _, address in searcher.search(query, limit, count=False).hits:
            document = searcher.doc(address)
            found.append((document["word"][0], document["titles"][0]))
        return [(near, titles) for near, titles in found if near != word]

    def as_json(self) -> dict:
        return {"titles": self.titles, "acronyms": self.acronyms}


def mine(papers: Iterable[tuple[str, str]]) -> Lexicon:
    """The lexicon of (title, abstract) pairs: each acronym keeps its most frequent long
    form (counted once per paper, plural and singular together)."""
    titles: Counter[str] = Counter()
    long_forms: dict[str, Counter[tuple[str, ...]]] = defaultdict(Counter)
    spelling: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    for title, abstract in papers:
        titles.update({word.lower() for word in _TITLE_WORD.findall(title)})
        defined = {}
        for acronym, long in acronyms_in(f"{title}\n{abstract}"):
            key = stem_key(long)
            if key and key != (acronym,):
                defined[acronym, key] = long
        for (acronym, key), long in defined.items():
            long_forms[acronym][key] += 1
            spelling[key][long] += 1
    acronyms = {}
    for acronym, counts in sorted(long_forms.items()):
        # Most papers first, then the shortest and the first alphabetically: the same
        # choice on every node.
        key, papers_count = min(counts.items(), key=lambda item: (-item[1], len(item[0]), item))
        acronyms[acronym] = (
            min(spelling[key].items(), key=lambda i: (-i[1], i[0]))[0],
            papers_count,
        )
    return Lexicon(titles=dict(titles), acronyms=acronyms)


# Mining reads every visible paper (3.6 s at 100k papers, ~40 s estimated at 1M), and a
# keyword sync follows every import, harvest and other node's change: after a change,
# the lexicon is mined again at most this often (the sync that finds it due does it;
# ``serve``'s keyword follower syncs every few seconds).
REMINE_SECONDS = 600.0


def path() -> Path:
    return settings.SEARCH_INDEX_DIR / "lexicon.json"


def _stale_marker() -> Path:
    return path().with_suffix(".stale")


def refresh(*, changed: bool, force: bool = False) -> bool:
    """Mine the lexicon again when there is none, when ``force``d, or when the catalog
    ``changed`` since the last mining (now or at an earlier call) and that mining is
    ``REMINE_SECONDS`` old; return whether it did."""
    target, marker = path(), _stale_marker()
    if changed:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    try:
        age = time.time() - target.stat().st_mtime
    except FileNotFoundError:
        age = None
    if age is None or force or (marker.exists() and age >= REMINE_SECONDS):
        rebuild()
        return True
    return False


def rebuild() -> Lexicon:
    """Mine the catalog's visible papers and save the lexicon for every process to read."""
    # Cleared first: a change during the mining marks the lexicon stale again.
    _stale_marker().unlink(missing_ok=True)
    rows = (
        Paper.objects.filter(is_hidden=False)
        .values_list("title", "abstract")
        .iterator(chunk_size=5000)
    )
    lexicon = mine(rows)
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed: a reader never sees half a file.
    partial = target.with_suffix(".partial")
    partial.write_text(json.dumps(lexicon.as_json()))
    os.replace(partial, target)
    return lexicon


_loaded: dict[str, tuple[int, Lexicon]] = {}
_lock = threading.Lock()


def current() -> Lexicon:
    """The lexicon last saved beside this node's index (empty before the first sync)."""
    target = path()
    try:
        stamp = target.stat().st_mtime_ns
    except FileNotFoundError:
        return Lexicon()
    with _lock:
        loaded = _loaded.get(str(target))
        if loaded is None or loaded[0] != stamp:
            saved = json.loads(target.read_text())
            lexicon = Lexicon(
                titles=saved["titles"],
                acronyms={key: (long, n) for key, (long, n) in saved["acronyms"].items()},
            )
            _loaded[str(target)] = loaded = (stamp, lexicon)
        return loaded[1]
