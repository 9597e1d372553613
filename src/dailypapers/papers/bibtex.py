"""BibTeX entries for papers, in the form arXiv's own "Export BibTeX" gives.

Every entry carries the arXiv id the way reference managers read it back
(``eprint`` with ``archivePrefix = {arXiv}``, and the abs URL), so an export
imported into Zotero and exported again still names every paper.
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping

from .models import Paper, load_authors

# Characters that end or break a BibTeX field or are special to LaTeX outside math.
_SPECIAL = re.compile(r"([&%#])")


def _field(text: str) -> str:
    text = " ".join(text.split())
    text = _SPECIAL.sub(r"\\\1", text)
    # Unbalanced braces would end the field early: drop the stray ones.
    depth, kept = 0, []
    for char in text:
        if char == "{":
            depth += 1
        elif char == "}":
            if not depth:
                continue
            depth -= 1
        kept.append(char)
    return "".join(kept) + "}" * depth


def _last_first(name: str) -> str:
    parts = name.rsplit(" ", 1)
    return f"{parts[1]}, {parts[0]}" if len(parts) == 2 else name


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[A-Za-z0-9]+", folded)
    return words[0].lower() if words else ""


def _author_names(paper: Paper) -> list[str]:
    return [a.author.name for a in paper.authorships.all()]


def cite_key(paper: Paper) -> str:
    """surname + year + first title word, like ``xu2024ootdiffusion``."""
    authors = _author_names(paper)
    surname = _ascii_word(authors[0].rsplit(" ", 1)[-1]) if authors else ""
    year = paper.published.year if paper.published else ""
    return f"{surname or 'anonymous'}{year}{_ascii_word(paper.title)}"


def entry(paper: Paper, key: str | None = None, annote: str = "") -> str:
    """``annote``: a reader's note on the paper, where Zotero reads and writes notes."""
    fields = {
        "title": f"{{{_field(paper.title)}}}",
        "author": _field(" and ".join(_last_first(name) for name in _author_names(paper))),
        "year": str(paper.published.year) if paper.published else "",
        "eprint": paper.arxiv_id,
        "archivePrefix": "arXiv",
        "primaryClass": paper.primary_category,
        "doi": paper.doi,
        "journal": _field(paper.journal_ref),
        "url": paper.abs_url,
        "annote": _field(annote),
    }
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items() if value)
    return f"@misc{{{key or cite_key(paper)},\n{body}\n}}\n"


def bibliography(papers: Iterable[Paper], notes: Mapping[str, str] | None = None) -> str:
    """Entries for all papers; a key used again gets -2, -3, … so every key is unique.

    ``notes``: by arXiv id, the note to write in a paper's ``annote`` field.
    """
    papers = list(papers)
    load_authors(papers)
    seen: dict[str, int] = {}
    entries = []
    for paper in papers:
        key = cite_key(paper)
        seen[key] = seen.get(key, 0) + 1
        unique = key if seen[key] == 1 else f"{key}-{seen[key]}"
        entries.append(entry(paper, unique, (notes or {}).get(paper.arxiv_id, "")))
    return "\n".join(entries)
