"""The pages people read: daily lists, trending, search, papers, organizations, authors, users.

URLs follow huggingface.co/papers where it has one. A paper's routes take its id
with the ``arxiv`` converter (papers/converters.py); the fixed pages under
``papers/`` come before them, since an id is any text in its segment.
"""

from django.urls import path

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
    path("papers/<arxiv:arxiv_id>", paper.paper, name="paper"),
    path("papers/<arxiv:arxiv_id>/upvote", paper.upvote, name="paper-upvote"),
    path("papers/<arxiv:arxiv_id>/fetch", paper.fetch_paper, name="paper-fetch"),
]
