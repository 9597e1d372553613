"""arXiv identifiers: what users paste (ids, URLs, ``arXiv:`` prefixes) to a canonical id.

The grammar is written once, here: ``parse_arxiv_id`` reads it, the routes'
``<arxiv:…>`` converter (papers/converters.py) and the API's path parameters
are built from its parts.
"""

import re

# 2403.01779 (since 2007; five digits since 2015) or hep-th/9901001 (before 2007).
NEW_STYLE = r"\d{4}\.\d{4,5}"
ARCHIVE = r"[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]{2})?"
OLD_STYLE = rf"{ARCHIVE}/\d{{7}}"
# What may come before an id: arXiv's own ways of writing one.
PREFIX = r"(?:arxiv:|oai:arxiv\.org:|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/)"
# An id as arXiv writes it, maybe versioned: no prefix, no flags, no named groups,
# so that a JSON Schema (the API's OpenAPI document) can carry it too.
VERSIONED_ID = rf"(?:{NEW_STYLE}|{OLD_STYLE})(?:v\d+)?"

_ARXIV_ID = re.compile(
    rf"^{PREFIX}?(?:(?P<new>{NEW_STYLE})|(?P<old>{OLD_STYLE}))(?:v(?P<version>\d+))?(?:\.pdf)?/?$",
    re.IGNORECASE,
)


class InvalidArxivId(ValueError):
    pass


def parse_arxiv_id(text: str) -> tuple[str, int | None]:
    """Return ``(id without version, version or None)``; raise InvalidArxivId."""
    match = _ARXIV_ID.match(text.strip())
    if not match:
        raise InvalidArxivId(f"not an arXiv id: {text.strip()[:80]!r}")
    if match["new"]:
        month = match["new"][2:4]
        if not 1 <= int(month) <= 12:
            raise InvalidArxivId(f"not an arXiv id (month {month}): {text.strip()[:80]!r}")
        arxiv_id = match["new"]
    else:
        archive, number = match["old"].split("/")
        arxiv_id = f"{archive.lower()}/{number}"
    version = int(match["version"]) if match["version"] else None
    return arxiv_id, version


def normalize_arxiv_id(text: str) -> str:
    return parse_arxiv_id(text)[0]
