"""A corpus of XSS payloads in every place a stranger can write, rendered in Chromium.

Each payload, if it ever ran, would call ``window.__xss(n)``, open a dialog, or
fetch the canary server's ``/n``. Payloads go into titles, abstracts, author
names, organization names, the submitter's name, user names, comments (Markdown
and LaTeX), search queries, and a reader's library (collection names, notes,
muted authors; a muted word holds no markup, mutes.py refuses it); the test
opens every page that shows them (daily list, trending, New on arXiv, paper
pages, search, author, organization, user profiles, the comment editor,
collections, the feed settings, the feeds) and fails if anything ran, or if any
element carries a handler or a script URL the templates did not put there.
With KaTeX installed, the pages render math, so its path is covered too.
"""

from collections import Counter
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import Page, expect

from dailypapers.community.models import Comment
from dailypapers.community.services import post_comment
from dailypapers.conftest import canned_http_server
from dailypapers.library.collections import add_paper, create_collection
from dailypapers.library.mutes import MAX_MUTES, mute
from dailypapers.papers.models import Author, Paper
from dailypapers.papers.records import ListingRecord, OrganizationRecord, PaperRecord
from dailypapers.papers.upserts import upsert_listings, upsert_papers
from dailypapers.search.indexing import sync_keyword_index

from .test_browser import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

# {n} is the payload's number, {canary} the canary server's address.
PAYLOADS = [
    # Classic elements.
    "<script>__xss({n})</script>",
    "<SCRIPT SRC={canary}/{n}></SCRIPT>",
    "<img src=x onerror=__xss({n})>",
    '<img src="x" onerror="__xss({n})">',
    "<svg onload=__xss({n})>",
    "<svg><script>__xss({n})</script></svg>",
    "<body onload=__xss({n})>",
    '<iframe src="javascript:parent.__xss({n})"></iframe>',
    '<iframe srcdoc="<script>parent.__xss({n})</script>"></iframe>',
    '<object data="javascript:parent.__xss({n})"></object>',
    '<embed src="javascript:parent.__xss({n})">',
    "<details open ontoggle=__xss({n})>",
    "<input autofocus onfocus=__xss({n})>",
    "<video><source onerror=__xss({n})></video>",
    "<audio src=x onerror=__xss({n})>",
    '<style>@import "{canary}/{n}";</style>',
    "<link rel=stylesheet href={canary}/{n}>",
    '<meta http-equiv="refresh" content="0;url={canary}/{n}">',
    '<base href="{canary}/{n}/">',
    '<form action="javascript:__xss({n})"><button>go</button></form>',
    '<a href="javascript:__xss({n})">click</a>',
    "<img src=x onerror=alert({n})>",
    "<svg onload=fetch('{canary}/{n}')>",
    # Breaking out of an attribute, a text-only element, a comment or CDATA.
    '" onmouseover="__xss({n})" x="',
    "' onfocus='__xss({n})' autofocus x='",
    '"><script>__xss({n})</script>',
    "'><img src=x onerror=__xss({n})>",
    '" autofocus onfocus="__xss({n})',
    "</textarea><script>__xss({n})</script>",
    "</title><script>__xss({n})</script>",
    "</script><script>__xss({n})</script>",
    "--><script>__xss({n})</script><!--",
    "]]><script>__xss({n})</script>",
    # Script URLs, as they would be written in a link.
    "javascript:__xss({n})",
    "JaVaScRiPt:__xss({n})",
    "&#106;avascript:__xss({n})",
    "data:text/html,<script>parent.__xss({n})</script>",
    # SVG and MathML, and mutation tricks for sanitisers.
    "<svg><animate onbegin=__xss({n}) attributeName=x dur=1s>",
    '<svg><a xlink:href="javascript:__xss({n})"><text x=20 y=20>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=__xss({n})>",
    '<math href="javascript:__xss({n})">x</math>',
    "<svg><foreignObject><img src=x onerror=__xss({n})></foreignObject></svg>",
    '<noscript><p title="</noscript><img src=x onerror=__xss({n})>">',
    # Event handlers written oddly.
    "<img src=x:x onerror=&#95;&#95;xss({n})>",
    "<img/src=x/onerror=__xss({n})>",
    '<div style="position:fixed;inset:0" onmouseover=__xss({n})>x</div>',
    '<img src=x onerror="\\u005f_xss({n})">',
    # htmx would act on these if they reached the page as markup.
    '<div hx-get="{canary}/{n}" hx-trigger="load">x</div>',
    '<img src=x hx-on:htmx:load="__xss({n})">',
    # Markdown (comments): links, images, autolinks, references, entities.
    "[click](javascript:__xss({n}))",
    "[click](JAVASCRIPT:__xss({n}))",
    "![pic](javascript:__xss({n}))",
    "<javascript:__xss({n})>",
    "[click](data:text/html;base64,PHNjcmlwdD5fX3hzcygxKTwvc2NyaXB0Pg==)",
    "[click][r{n}]\n\n[r{n}]: javascript:__xss({n})",
    "[click](&#x6A;avascript:__xss({n}))",
    "![x]({canary}/{n})",
    "`<script>__xss({n})</script>` and <b onmouseover=__xss({n})>b</b>",
    "{{{{ 7|add:{n} }}}}{{% debug %}}${{__xss({n})}}",
    # KaTeX: links, HTML extensions and macros that only trust would allow.
    "$\\href{{javascript:__xss({n})}}{{click}}$",
    "$\\url{{javascript:__xss({n})}}$",
    "$\\htmlData{{onload=__xss({n})}}{{x}}$",
    '$\\htmlId{{x" onmouseover="__xss({n})}}{{x}}$',
    "$$\\includegraphics{{{canary}/{n}}}$$",
    "\\(\\href{{javascript:__xss({n})}}{{x}}\\)",
    "$\\texttt{{<img src=x onerror=__xss({n})>}}$",
    "$\\htmlStyle{{background:url({canary}/{n})}}{{x}}$",
    "$\\def\\a{{\\href{{javascript:__xss({n})}}{{x}}}}\\a$",
    "\\[\\htmlClass{{x}}{{<img src=x onerror=__xss({n})>}}\\]",
    # Unicode tricks.
    "\uff1cscript\uff1e__xss({n})\uff1c/script\uff1e",
    "\u202e<img src=x onerror=__xss({n})>",
    "<img src=x onerror=__xss({n})\u2028>",
    "%3Cscript%3E__xss({n})%3C/script%3E",
    "&lt;script&gt;__xss({n})&lt;/script&gt;",
    "<\u017fcript>__xss({n})</\u017fcript>",
    "<scr\u200bipt>__xss({n})</script>",
]

FEEDS = [
    f"/feeds/{name}.{kind}"
    for name in ("daily", "trending", "new", "search")
    for kind in ("rss", "atom")
]
FEEDS = [path + "?q=abstract" if "/search." in path else path for path in FEEDS]
RENDER_FEED = """(xml) => {
  const feed = new DOMParser().parseFromString(xml, "text/xml");
  const box = document.createElement("div");
  document.body.append(box);
  let rendered = 0;
  for (const el of feed.querySelectorAll("item > description, entry > summary")) {
    box.innerHTML = el.textContent;
    rendered += 1;
  }
  return rendered;
}"""

# What the templates put on pages themselves: the date picker submits its form.
OWN_HANDLERS = {("INPUT", "onchange", "this.form.submit()")}

SCAN_PAGE = """() => {
  const found = {handlers: [], urls: [], scripts: [], bases: 0, refreshes: 0};
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) found.handlers.push([el.tagName, name, attr.value]);
      if (["href", "src", "action", "formaction", "data", "xlink:href", "srcdoc"].includes(name)) {
        const value = attr.value.replace(/[\\s\\u0000-\\u001f]/g, "").toLowerCase();
        if (/^(javascript|vbscript|data:text\\/html)/.test(value) || name === "srcdoc")
          found.urls.push([el.tagName, name, attr.value]);
      }
    }
  }
  for (const s of document.scripts)
    if (!s.src.startsWith(location.origin + "/static/")) found.scripts.push(s.outerHTML);
  found.bases = document.querySelectorAll("base").length;
  found.refreshes = document.querySelectorAll("meta[http-equiv]").length;
  return found;
}"""


def payloads(canary: str) -> list[str]:
    return [payload.format(n=n, canary=canary) for n, payload in enumerate(PAYLOADS, 1)]


def hostile_user_name(payload: str) -> bool:
    """Whether ``payload`` fits a user name's column (150) and the profile's URL (no slash)."""
    return "/" not in payload and len(payload) <= 150


def packed(corpus: list[str], width: int = 150) -> list[list[str]]:
    """The payloads in groups that fit, joined, in a submitter's or organization's name."""
    groups: list[list[str]] = [[]]
    for payload in corpus:
        if groups[-1] and len(" ".join([*groups[-1], payload])) > width:
            groups.append([])
        groups[-1].append(payload)
    return groups


def hostile_catalog(corpus: list[str]) -> list[Paper]:
    """A paper for each group of payloads, stored as importers store them: the payloads
    in its title, abstract, authors (each, and all as one name), its organization's
    name, its listing's submitter, comments and their commenters' names. Listed over
    three days."""
    first_day = date(2024, 3, 4)
    groups = packed(corpus)
    upsert_papers(
        [
            PaperRecord.build(
                arxiv_id=f"2403.{g:05d}",
                title=f"Paper {g}: {' '.join(group)}",
                abstract="An abstract that says " + "\n".join(group) + " and ends.",
                authors=[*group, " ".join(group)],
                published=first_day,
                categories=["cs.LG"],
            )
            for g, group in enumerate(groups, 1)
        ]
    )
    upsert_listings(
        [
            ListingRecord(
                arxiv_id=f"2403.{g:05d}",
                date=first_day + timedelta(days=g % 3),
                source="hf-api",
                upvotes=g,
                submitter_name=" ".join(group),
                organization=OrganizationRecord(slug=f"org-{g}", name=" ".join(group)),
            )
            for g, group in enumerate(groups, 1)
        ]
    )
    papers = list(Paper.objects.order_by("arxiv_id"))
    n = 0
    for paper, group in zip(papers, groups, strict=True):
        for payload in group:
            n += 1
            name = payload if hostile_user_name(payload) else f"user{n}\"'<b>&"
            commenter = get_user_model().objects.create_user(name, password=None)
            post_comment(commenter, paper, payload)
    sync_keyword_index()
    return papers


def test_no_payload_runs_on_any_page(page: Page, live_server, campaign):
    with canned_http_server(lambda query: (204, b"", {})) as canary:
        corpus = payloads(canary.url)
        assert len(corpus) >= 50
        papers = hostile_catalog(corpus)
        groups = packed(corpus)
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.add_init_script(
            "window.__xss_hits = []; window.__xss = n => window.__xss_hits.push(n);"
        )
        places = {
            "list": [
                *(f"/papers/date/2024-03-0{day}" for day in (4, 5, 6)),
                "/papers/trending",
                "/papers/new?date=2024-03-04",
                "/organizations",
            ],
            "paper": [paper.get_absolute_url() for paper in papers],
            "search": [f"/papers?q={quote(' '.join(group))}" for group in groups],
            "author": [reverse("author", args=[" ".join(" ".join(g).split())]) for g in groups],
            "organization": [f"/organizations/org-{g}" for g in range(1, len(groups) + 1)],
            "user": [reverse("profile", args=[p]) for p in corpus if hostile_user_name(p)],
        }
        visits = Counter()
        katex = None
        for place, paths in places.items():
            for path in paths:
                response = page.goto(path)
                assert response.status == 200, f"{path}: HTTP {response.status}"
                visits[place] += 1
                assert_nothing_injected(page, path, dialogs)
                if place == "paper" and katex is None:
                    katex = page.evaluate("typeof window.katex !== 'undefined'")
        # The comment editor, as its commenter sees it: the payload inside a textarea.
        for comment in Comment.objects.select_related("author").order_by("pk")[:10]:
            sign_in(page, live_server, comment.author)
            response = page.goto(reverse("comment-edit", args=[comment.pk]))
            assert response.status == 200
            visits["comment editor"] += 1
            assert_nothing_injected(page, f"the editor of comment {comment.pk}", dialogs)
        # A reader's library, as its owner sees it, and public collections as anyone does.
        collector = get_user_model().objects.create_user("collector", password=None)
        shelves = []
        for n, group in enumerate(packed(corpus, width=100)):
            shelf = create_collection(collector, " ".join(group), public=True)
            paper_id = papers[n % len(papers)].arxiv_id
            add_paper(collector, shelf.key, paper_id, "\n".join(group), client="-")
            shelves.append(shelf)
        for author in Author.objects.order_by("pk")[:MAX_MUTES]:
            mute(collector, "author", author.name)
        mine = ["/collections", "/collections?q=abstract", "/settings/feed"]
        theirs = [reverse("collection", args=[shelf.key]) for shelf in shelves]
        sign_in(page, live_server, collector)
        for path in [*mine, *theirs, reverse("paper-save", args=[papers[0].arxiv_id])]:
            response = page.goto(path)
            assert response.status == 200, f"{path}: HTTP {response.status}"
            visits["library"] += 1
            assert_nothing_injected(page, path, dialogs)
        page.context.clear_cookies()
        for path in theirs:
            assert page.goto(path).status == 200, path
            visits["public collection"] += 1
            assert_nothing_injected(page, path, dialogs)
        collection_feeds = [f"/feeds/collections/{shelf.key}.atom" for shelf in shelves]
        # Feeds are not pages, but readers render their summaries as HTML (Atom says
        # type="html"; RSS descriptions are HTML by custom): render them as a reader would.
        for path in [*FEEDS, *collection_feeds]:
            response = page.request.get(path)
            assert response.status == 200, path
            visits["feed"] += 1
            assert page.evaluate(RENDER_FEED, response.text()) > 0, path
            assert_nothing_injected(page, f"{path}, as a reader renders it", dialogs)
        if katex:
            # The KaTeX path ran: the payloads' math was rendered, as errors or as math.
            page.goto(Paper.objects.filter(title__contains="\\href").first().get_absolute_url())
            expect(page.locator(".katex, .katex-error").first).to_be_attached()
        canary_hits = list(canary.requests)
    campaign.record(
        f"{len(corpus)} payloads × 11 places (title, abstract, author, organization, "
        f"submitter, user name, comment, search, collection name, note, muted author) "
        f"on {sum(visits.values())} pages "
        f"({', '.join(f'{n} {place}' for place, n in visits.items())}), "
        f"KaTeX {'rendering' if katex else 'not installed'}",
        f"{len(dialogs) + len(canary_hits)} executed",
    )
    assert not canary_hits, canary_hits


def assert_nothing_injected(page: Page, where: str, dialogs: list[str]) -> None:
    ran = page.evaluate("window.__xss_hits")
    assert not ran and not dialogs, f"{where}: payloads ran: {ran} {dialogs}"
    found = page.evaluate(SCAN_PAGE)
    handlers = {tuple(handler) for handler in found["handlers"]} - OWN_HANDLERS
    assert not handlers, f"{where}: injected handlers {handlers}"
    assert not found["urls"], f"{where}: script URLs {found['urls']}"
    assert not found["scripts"], f"{where}: scripts {found['scripts']}"
    assert not found["bases"] and not found["refreshes"], f"{where}: <base> or <meta http-equiv>"


def test_an_author_whose_name_has_a_slash_has_a_page_and_a_feed(client):
    upsert_papers(
        [
            PaperRecord.build(
                arxiv_id="2403.01779",
                title="T",
                abstract="A",
                authors=["AC/DC Collaboration"],
                published=date(2024, 3, 4),
            )
        ]
    )
    assert client.get("/papers/2403.01779").status_code == 200
    page = client.get(reverse("author", args=["AC/DC Collaboration"]))
    assert page.status_code == 200 and b"AC/DC Collaboration" in page.content
    assert client.get("/feeds/authors/AC/DC%20Collaboration.atom").status_code == 200
