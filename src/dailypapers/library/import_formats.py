"""What a reader imports into a collection, read into entries: a BibTeX file (Zotero's
export, or any reference manager's) or a list of arXiv ids and URLs, one per line.

Each entry keeps its line, so whatever cannot become a paper is reported where
it stands in the file: an entry bibtexparser could not read, an entry without an
arXiv id, a line that is not an id.
"""

import re
from dataclasses import dataclass

import bibtexparser
from bibtexparser.exceptions import ParsingException
from bibtexparser.model import Entry, ParsingFailedBlock

from dailypapers.papers.arxiv_ids import (
    NEW_STYLE,
    OLD_STYLE,
    InvalidArxivId,
    normalize_arxiv_id,
)

from .errors import Invalid

# An id where reference managers write one: "arXiv:2403.01779", "arXiv preprint
# arXiv:2403.01779", "10.48550/arXiv.2403.01779", "arxiv.org/abs/2403.01779v2",
# "huggingface.co/papers/2403.01779", DBLP's "abs/2403.01779" for CoRR.
_ID = rf"(?P<id>{NEW_STYLE}|{OLD_STYLE})(?![\d])"
_IN_TEXT = re.compile(
    rf"(?:\barxiv\s*[:.]\s*|\barxiv\.org/(?:abs|pdf|html)/|huggingface\.co/papers/|^abs/){_ID}",
    re.IGNORECASE,
)
# Fields that name the paper itself, most telling first. Never the title, abstract or
# annote: they may cite other papers.
_ID_FIELDS = ("doi", "url", "journal", "journaltitle", "volume", "note", "howpublished")
_BIBTEX = re.compile(r"^\s*@\s*\w+\s*[{(]", re.MULTILINE)
_ESCAPED = re.compile(r"\\([&%#$_])")


@dataclass(frozen=True)
class ImportEntry:
    line: int  # where the entry starts, from 1
    arxiv_id: str | None
    note: str = ""
    # Why no paper comes of it, when ``arxiv_id`` is None.
    problem: str = ""


def read_import(text: str) -> list[ImportEntry]:
    """BibTeX if the text has an entry (``@type{``), else a list of ids or URLs."""
    text = text.removeprefix("\ufeff")
    return read_bibtex(text) if _BIBTEX.search(text) else read_id_list(text)


def read_id_list(text: str) -> list[ImportEntry]:
    """One arXiv id or URL per line; blank lines and lines starting with # are skipped."""
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        arxiv_id = _id_in(line)
        if arxiv_id is None:
            entries.append(
                ImportEntry(number, None, problem=f"not an arXiv id or URL: {line[:80]!r}")
            )
        else:
            entries.append(ImportEntry(number, arxiv_id))
    return entries


def read_bibtex(text: str) -> list[ImportEntry]:
    """Every entry of a BibTeX file, in file order, with its arXiv id or what is wrong.

    Invalid when bibtexparser gives up on the whole file (it does on states it
    calls its own bugs, rather than guess).
    """
    try:
        blocks = bibtexparser.parse_string(text).blocks
    except ParsingException as error:
        raise Invalid(f"This BibTeX could not be read: {error}") from None
    entries = []
    for block in blocks:
        line = (block.start_line or 0) + 1  # bibtexparser counts lines from 0
        if isinstance(block, ParsingFailedBlock) and isinstance(block.ignore_error_block, Entry):
            # A key or a field given twice is the file's slip, not the entry's: read it.
            block = block.ignore_error_block
        if isinstance(block, ParsingFailedBlock):
            reason = getattr(block.error, "abort_reason", "") or str(block.error)
            entries.append(ImportEntry(line, None, problem=f"malformed entry: {reason.strip()}"))
        elif isinstance(block, Entry):
            entries.append(_entry(block, line))
    return entries


def _entry(entry: Entry, line: int) -> ImportEntry:
    fields = {name.lower(): str(field.value) for name, field in entry.fields_dict.items()}
    note = _ESCAPED.sub(r"\1", fields.get("annote", "")).strip()
    arxiv_id = _eprint(fields) or next(
        (found for name in _ID_FIELDS if (found := _id_in(fields.get(name, "")))), None
    )
    if arxiv_id is not None:
        return ImportEntry(line, arxiv_id, note=note)
    title = " ".join(fields.get("title", "").replace("{", "").replace("}", "").split())
    named = f"{entry.key!r} ({title[:80]})" if title else repr(entry.key)
    return ImportEntry(line, None, problem=f"no arXiv id in entry {named}")


def _eprint(fields: dict[str, str]) -> str | None:
    """The id of ``eprint`` when the entry says it is arXiv's (archivePrefix, or biblatex's
    eprinttype), or says nothing about whose it is."""
    archive = (fields.get("archiveprefix") or fields.get("eprinttype") or "arxiv").lower()
    if archive != "arxiv" or not fields.get("eprint"):
        return None
    try:
        return normalize_arxiv_id(fields["eprint"])
    except InvalidArxivId:
        return _id_in(fields["eprint"])


def _id_in(text: str) -> str | None:
    """The arXiv id ``text`` is, or names in one of the ways above."""
    text = text.strip()
    if not text:
        return None
    try:
        return normalize_arxiv_id(text)
    except InvalidArxivId:
        pass
    for match in _IN_TEXT.finditer(text):
        try:
            return normalize_arxiv_id(match["id"])
        except InvalidArxivId:
            continue
    return None
