"""arXiv identifiers: what users paste (ids, URLs, ``arXiv:`` prefixes) to a canonical id."""

import re

# 2403.01779 (since 2007; five digits since 2015) or hep-th/9901001 (before 2007).
_NEW_STYLE = r"(?P<new>(?P<yy>\d{2})(?P<mm>\d{2})\.\d{4,5})"
_OLD_STYLE = r"(?P<old>[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]{2})?/\d{7})"
_ARXIV_ID = re.compile(
    r"^(?:arxiv:|oai:arxiv\.org:|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/)?"
    rf"(?:{_NEW_STYLE}|{_OLD_STYLE})(?:v(?P<version>\d+))?(?:\.pdf)?/?$",
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
        if not 1 <= int(match["mm"]) <= 12:
            raise InvalidArxivId(f"not an arXiv id (month {match['mm']}): {text.strip()[:80]!r}")
        arxiv_id = match["new"]
    else:
        archive, number = match["old"].split("/")
        arxiv_id = f"{archive.lower()}/{number}"
    version = int(match["version"]) if match["version"] else None
    return arxiv_id, version


def normalize_arxiv_id(text: str) -> str:
    return parse_arxiv_id(text)[0]
