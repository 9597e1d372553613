"""What a researcher typed, understood: an arXiv id, filters, phrases, words, and their variants.

Parsing is the same for every keyword engine, so SQLite and PostgreSQL see
the same query; nothing the user types is ever passed on as engine syntax.
Filters typed as operators (``author:``, ``cat:``, ``org:``, ``after:``,
``before:``) become ``SearchFilters``; docs/search.md lists them.
"""

import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from dailypapers.papers.arxiv_ids import InvalidArxivId, normalize_arxiv_id

from .documents import SearchFilters

MAX_QUERY_CHARS = 1000

# Function words carry no topic; dropping them keeps long natural-language
# queries fast and their ranking on the words that matter: the usual English
# list, plus words nearly every abstract uses ("we propose a novel method").
_STOP_WORDS = """
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further
had has have having he her here hers herself him himself his how i if in into is it its
itself just me more most my myself no nor not of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours yourself yourselves
paper papers propose proposed using use used via new novel approach method methods show
shows study results based
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())

_PHRASE = re.compile(r'"([^"]*)"')
# An operator starts a word, outside quoted phrases (matched first, and kept): its value is
# a quoted string (a name with spaces; unterminated, up to the end) or the word that follows.
_OPERATOR_OR_PHRASE = re.compile(
    r'(?<!\S)(?P<operator>author|cat|org|after|before):(?:"(?P<quoted>[^"]*)"?|(?P<value>\S*))'
    r'|"[^"]*"',
    re.IGNORECASE,
)
# An arXiv category as arXiv writes it: archive, then an optional subject class
# ("cs.LG", "hep-th", "q-bio.QM", "cond-mat.stat-mech").
_CATEGORY = re.compile(r"([a-z]+(?:-[a-z]+)?)(?:\.([a-z]+(?:-[a-z]+)*))?", re.IGNORECASE)
_SLUG = re.compile(r"[-\w]+")
_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
# A word: letters and digits, with inner hyphens, dots or apostrophes ("block-wise", "gpt-4o").
_WORD = re.compile(r"[^\W_]+(?:[-'.][^\W_]+)*")


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    # An arXiv id or URL typed on its own: go straight to that paper.
    arxiv_id: str | None = None
    # Quoted phrases, each a list of words, all of which must match in order.
    phrases: tuple[tuple[str, ...], ...] = ()
    # Topic words, stop words dropped.
    words: tuple[str, ...] = ()
    # Other spellings of what was typed, any of which may match: "block-wise"
    # looks for the phrase "block wise" and the word "blockwise"; "block wise"
    # also looks for "blockwise".
    split: tuple[tuple[str, ...], ...] = ()
    joined: tuple[str, ...] = ()
    # What the catalog says the typed words also stand for (search/expansion.py): an
    # acronym's long form, a long form's acronym. Each a phrase that may match, weighing
    # less than what was typed: a paper holding both forms is not counted twice over.
    alternatives: tuple[tuple[str, ...], ...] = ()
    ignored: tuple[str, ...] = field(default=(), compare=False)
    # The filters typed as operators, and what could not be understood in them (those
    # operators are left out, each problem a sentence for the user).
    filters: SearchFilters = SearchFilters()
    problems: tuple[str, ...] = ()
    # The query without its operators: what words and embeddings are made of.
    free_text: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.arxiv_id or self.phrases or self.words or self.split or self.joined)

    @property
    def semantic_text(self) -> str:
        """What to embed: the query as typed, minus operators, quotes and engine punctuation."""
        return " ".join(_WORD.findall(self.free_text))


def _split(word: str) -> list[str]:
    return [part for part in re.split(r"[-'.]", word.lower()) if part]


# What each operator takes, for the messages that explain a value not understood.
EXAMPLES = {
    "author": 'a name, such as author:LeCun or author:"Yann LeCun"',
    "cat": "an arXiv category, such as cat:cs.LG",
    "org": "an organization's short name, as in its page's address, such as org:google",
    "after": "a year, a month or a day, such as after:2025, after:2025-01 or after:2025-01-15",
    "before": "a year, a month or a day, such as before:2024 or before:2025-01",
}


def _first_day(value: str) -> date | None:
    """The first day of a year, month or day (``2025``, ``2025-01``, ``2025-01-15``)."""
    found = _DATE.fullmatch(value)
    if found is None:
        return None
    year, month, day = (int(part) if part else 1 for part in found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _category(value: str) -> str | None:
    """``value`` spelled as arXiv spells categories (``CS.lg`` -> ``cs.LG``), or None."""
    found = _CATEGORY.fullmatch(value)
    if found is None:
        return None
    archive, subject = found.groups()
    if subject is None:
        return archive.lower()
    # Two-letter subject classes are capitals (cs.LG, math.AP), longer ones lowercase
    # (cond-mat.stat-mech, physics.comp-ph).
    return f"{archive.lower()}.{subject.upper() if len(subject) == 2 else subject.lower()}"


def _apply_operator(filters: SearchFilters, operator: str, value: str) -> SearchFilters | None:
    """``filters`` with the operator's value applied; None if the value is not understood."""
    if operator in ("after", "before"):
        first = _first_day(value)
        if first is None:
            return None
        # "after" includes the year, month or day named, "before" leaves it out:
        # published_until is the last day included.
        if operator == "after":
            return replace(filters, published_from=first)
        try:
            return replace(filters, published_until=first - timedelta(days=1))
        except OverflowError:
            return None
    if operator == "cat":
        category = _category(value)
        return replace(filters, category=category) if category else None
    if operator == "org":
        return replace(filters, organization=value) if _SLUG.fullmatch(value) else None
    name = " ".join(value.split())
    return replace(filters, author=name) if name else None


def _operators(text: str) -> tuple[str, SearchFilters, list[str]]:
    """The text without its operators, the filters they give, and the problems met."""
    filters, problems = SearchFilters(), []

    def take(found: re.Match) -> str:
        nonlocal filters
        if found["operator"] is None:
            return found[0]
        operator = found["operator"].lower()
        value = (found["quoted"] if found["quoted"] is not None else found["value"]).strip()
        applied = _apply_operator(filters, operator, value)
        if applied is None:
            typed = f"{operator}:{value}" if value else f"{operator}: alone"
            problems.append(f"{typed} is not understood: {operator}: takes {EXAMPLES[operator]}.")
        else:
            filters = applied
        return " "

    return _OPERATOR_OR_PHRASE.sub(take, text), filters, problems


def parse_query(text: str) -> ParsedQuery:
    text = (text or "")[:MAX_QUERY_CHARS].strip()
    try:
        return ParsedQuery(text=text, arxiv_id=normalize_arxiv_id(text), free_text=text)
    except InvalidArxivId:
        pass
    free_text, filters, problems = _operators(text)
    phrases = []
    for phrase in _PHRASE.findall(free_text):
        words = [part for word in _WORD.findall(phrase) for part in _split(word)]
        if len(words) > 1:
            phrases.append(tuple(words))
    unquoted = _PHRASE.sub(lambda match: f" {match.group(1)} ", free_text)
    tokens = _WORD.findall(unquoted)
    words, split, joined, ignored = [], [], [], []
    for token in tokens:
        parts = _split(token)
        if len(parts) > 1:
            split.append(tuple(parts))
            joined.append("".join(parts))
        else:
            (ignored if parts[0] in STOP_WORDS else words).append(parts[0])
    # Two words typed apart may be one word in the paper ("block wise" -> "blockwise").
    plain = [token.lower() for token in tokens if len(_split(token)) == 1]
    for first, second in zip(plain, plain[1:], strict=False):
        if first not in STOP_WORDS and second not in STOP_WORDS:
            joined.append(first + second)
    if not (words or phrases or split) and ignored:
        # A query of stop words only ("to be or not to be") still means something.
        words, ignored = ignored, []
    return ParsedQuery(
        text=text,
        phrases=tuple(phrases),
        words=tuple(dict.fromkeys(words)),
        split=tuple(dict.fromkeys(split)),
        joined=tuple(dict.fromkeys(joined)),
        ignored=tuple(ignored),
        filters=filters,
        problems=tuple(problems),
        free_text=" ".join(free_text.split()),
    )
