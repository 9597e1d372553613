"""The pages people read: daily lists, trending, search, papers, organizations, authors, users.

URLs follow huggingface.co/papers where it has one. The paper page comes last
because old-style arXiv ids contain a slash (``/papers/hep-th/9901001``).
"""

from django.urls import path, re_path

from .views import daily, new_on_arxiv, paper, people, submit

urlpatterns = [
    path("", daily.home, name="home"),
    path("favicon.ico", daily.favicon, name="favicon"),
    path("papers", daily.papers, name="papers"),
    path("papers/date", daily.pick_date, name="papers-pick-date"),
    path("papers/date/<str:day>", daily.papers_of_day, name="papers-date"),
    path("papers/week/<str:week>", daily.papers_of_week, name="papers-week"),
    path("papers/month/<str:month>", daily.papers_of_month, name="papers-month"),
    path("papers/trending", daily.trending, name="papers-trending"),
    path("papers/new", new_on_arxiv.new_papers, name="papers-new"),
    path("papers/new/<str:category>", new_on_arxiv.new_papers, name="papers-new-category"),
    path("papers/submit", submit.submit, name="papers-submit"),
    path("organizations", people.organizations, name="organizations"),
    path("organizations/<slug:slug>", people.organization, name="organization"),
    # Any name: arXiv's author names may hold a slash.
    path("authors/<path:name>", people.author, name="author"),
    path("users/<str:username>", people.profile, name="profile"),
    re_path(r"^papers/(?P<arxiv_id>.+)/upvote$", paper.upvote, name="paper-upvote"),
    re_path(r"^papers/(?P<arxiv_id>.+)/fetch$", paper.fetch_paper, name="paper-fetch"),
    re_path(r"^papers/(?P<arxiv_id>.+)$", paper.paper, name="paper"),
]
