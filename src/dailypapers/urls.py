from django.contrib import admin
from django.urls import include, path

from dailypapers.api import exports
from dailypapers.api.views import api, paper_markdown

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    # Before the paper page (web): the id's converter takes any text in its segment.
    path("papers/<arxiv:arxiv_id>.md", paper_markdown, name="paper-markdown"),
    path("papers/<arxiv:arxiv_id>.bib", exports.paper_bibtex, name="paper-bibtex"),
    path("export/daily.bib", exports.daily_bibtex, name="daily-bibtex"),
    path("export/search.bib", exports.search_bibtex, name="search-bibtex"),
    path("export/users/<str:username>/upvotes.bib", exports.upvotes_bibtex, name="upvotes-bibtex"),
    path("export/me.json", exports.my_data, name="my-data"),
    path("", include("dailypapers.feeds.urls")),
    path("", include("dailypapers.community.urls")),
    path("digests/", include("dailypapers.digests.urls")),
    path("", include("dailypapers.web.urls")),
]

handler400 = "dailypapers.web.errors.bad_request"
handler403 = "dailypapers.web.errors.permission_denied"
handler404 = "dailypapers.web.errors.page_not_found"
handler500 = "dailypapers.web.errors.server_error"
