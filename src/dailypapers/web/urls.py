"""The pages people read: daily lists, trending, search, papers, organizations, authors, users.

URLs follow huggingface.co/papers where it has one. The paper page comes last
because old-style arXiv ids contain a slash (``/papers/hep-th/9901001``).
"""

from django.urls import path, re_path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("papers", views.papers, name="papers"),
    path("papers/date", views.pick_date, name="papers-pick-date"),
    path("papers/date/<str:day>", views.papers_of_day, name="papers-date"),
    path("papers/week/<str:week>", views.papers_of_week, name="papers-week"),
    path("papers/month/<str:month>", views.papers_of_month, name="papers-month"),
    path("papers/trending", views.trending, name="papers-trending"),
    path("papers/new", views.new_papers, name="papers-new"),
    path("papers/new/<str:category>", views.new_papers, name="papers-new-category"),
    path("papers/submit", views.submit, name="papers-submit"),
    path("organizations", views.organizations, name="organizations"),
    path("organizations/<slug:slug>", views.organization, name="organization"),
    # Any name: arXiv's author names may hold a slash.
    path("authors/<path:name>", views.author, name="author"),
    path("users/<str:username>", views.profile, name="profile"),
    re_path(r"^papers/(?P<arxiv_id>.+)/upvote$", views.upvote, name="paper-upvote"),
    re_path(r"^papers/(?P<arxiv_id>.+)/fetch$", views.fetch_paper, name="paper-fetch"),
    re_path(r"^papers/(?P<arxiv_id>.+)$", views.paper, name="paper"),
]
