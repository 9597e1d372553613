"""What a researcher typed, understood: an arXiv id, phrases, words, and their variants.

Parsing is the same for every keyword engine, so SQLite and PostgreSQL see
the same query; nothing the user types is ever passed on as engine syntax.
"""

import re
from dataclasses import dataclass, field

from dailypapers.papers.arxiv_ids import InvalidArxivId, normalize_arxiv_id

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
    ignored: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_empty(self) -> bool:
        return not (self.arxiv_id or self.phrases or self.words or self.split or self.joined)

    @property
    def semantic_text(self) -> str:
        """What to embed: the query as typed, minus quotes and engine punctuation."""
        return " ".join(_WORD.findall(self.text))


def _split(word: str) -> list[str]:
    return [part for part in re.split(r"[-'.]", word.lower()) if part]


def parse_query(text: str) -> ParsedQuery:
    text = (text or "")[:MAX_QUERY_CHARS].strip()
    try:
        return ParsedQuery(text=text, arxiv_id=normalize_arxiv_id(text))
    except InvalidArxivId:
        pass
    phrases = []
    for phrase in _PHRASE.findall(text):
        words = [part for word in _WORD.findall(phrase) for part in _split(word)]
        if len(words) > 1:
            phrases.append(tuple(words))
    unquoted = _PHRASE.sub(lambda match: f" {match.group(1)} ", text)
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
    )
