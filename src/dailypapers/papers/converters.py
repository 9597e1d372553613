"""``<arxiv:arxiv_id>``: the path converter of every route that names a paper.

Registered by the papers app (apps.py), so that any URL module, and the ninja
API's ``{arxiv:arxiv_id}``, may use it.
"""

from . import arxiv_ids


class ArxivIdConverter:
    """What may follow ``papers/`` to name a paper, handed to the view as typed.

    Its shape comes from the grammar (papers/arxiv_ids.py), each part optional
    but the segment: a prefix (``arXiv:``, an arxiv.org URL), an old-style
    archive with its slash and the digits that follow, then one path segment,
    and a trailing slash. That segment is any text without a slash, on purpose:
    the views judge the id, so that a versioned or prefixed one is redirected to
    its canonical address, a malformed one gets a page saying why (a BibTeX or
    Markdown download a 400), and the API answers with its JSON error. A strict
    regex would turn all of these into a bare "Page not found".

    Since an id never runs over a slash but the archive's, ``…/upvote``,
    ``…/comments`` and the like are never read as part of an id: those routes
    may be listed in any order and in any URL module. What shares the id's
    segment must still come first: the fixed pages (``papers/trending``,
    ``papers/date/…``) in web/urls.py, and the ``.md`` and ``.bib`` downloads
    in the root urls.py.
    """

    regex = rf"(?i:{arxiv_ids.PREFIX})?(?:(?i:{arxiv_ids.ARCHIVE})/(?=\d))?[^/]+/?"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
