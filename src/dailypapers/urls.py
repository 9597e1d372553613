from django.contrib import admin
from django.urls import include, path, re_path

from dailypapers.api import exports
from dailypapers.api.feeds import AtomPaperFeed, PaperFeed
from dailypapers.api.views import api, paper_markdown

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    re_path(r"^papers/(?P<arxiv_id>.+)\.md$", paper_markdown, name="paper-markdown"),
    re_path(r"^papers/(?P<arxiv_id>.+)\.bib$", exports.paper_bibtex, name="paper-bibtex"),
    path("export/daily.bib", exports.daily_bibtex, name="daily-bibtex"),
    path("export/search.bib", exports.search_bibtex, name="search-bibtex"),
    path("export/users/<str:username>/upvotes.bib", exports.upvotes_bibtex, name="upvotes-bibtex"),
    path("export/me.json", exports.my_data, name="my-data"),
]

# Each feed in RSS 2.0 and Atom: /feeds/daily.rss, /feeds/daily.atom, …
FEEDS = [
    ("daily", "feeds/daily"),
    ("trending", "feeds/trending"),
    ("new", "feeds/new"),
    ("new-category", "feeds/new/<str:category>"),
    ("search", "feeds/search"),
    ("organization", "feeds/organizations/<slug:slug>"),
    ("author", "feeds/authors/<path:name>"),
    ("upvotes", "feeds/users/<str:username>/upvotes"),
]
for kind, route in FEEDS:
    urlpatterns += [
        path(f"{route}.rss", PaperFeed(), {"kind": kind}, name=f"feed-{kind}-rss"),
        path(f"{route}.atom", AtomPaperFeed(), {"kind": kind}, name=f"feed-{kind}-atom"),
    ]

# Last: the web app ends with the catch-all paper page, /papers/<arxiv id>.
urlpatterns += [
    path("", include("dailypapers.community.urls")),
    path("digests/", include("dailypapers.digests.urls")),
    path("", include("dailypapers.web.urls")),
]

handler400 = "dailypapers.web.errors.bad_request"
handler403 = "dailypapers.web.errors.permission_denied"
handler404 = "dailypapers.web.errors.page_not_found"
handler500 = "dailypapers.web.errors.server_error"
