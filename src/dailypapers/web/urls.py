"""The pages people read: daily lists, trending, search, papers, organizations, authors, users.

URLs follow huggingface.co/papers where it has one. A paper's routes take its id
with the ``arxiv`` converter (papers/converters.py); the fixed pages under
``papers/`` come before them, since an id is any text in its segment.
"""

from django.urls import path

from .views import (
    collections,
    daily,
    feed_settings,
    following,
    for_you,
    marks,
    new_on_arxiv,
    paper,
    people,
    submit,
)

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
    path("papers/for-you", for_you.for_you, name="papers-for-you"),
    path("papers/for-you/knob", for_you.set_knob, name="papers-for-you-knob"),
    path("papers/for-you/start", for_you.start, name="papers-for-you-start"),
    path("organizations", people.organizations, name="organizations"),
    path("organizations/<slug:slug>", people.organization, name="organization"),
    # Any name: arXiv's author names may hold a slash.
    path("authors/<path:name>", people.author, name="author"),
    path("users/<str:username>", people.profile, name="profile"),
    path("papers/<arxiv:arxiv_id>", paper.paper, name="paper"),
    path("papers/<arxiv:arxiv_id>/upvote", paper.upvote, name="paper-upvote"),
    path("papers/<arxiv:arxiv_id>/fetch", paper.fetch_paper, name="paper-fetch"),
    # A reader's library (docs/library.md).
    path("papers/<arxiv:arxiv_id>/save", collections.save_paper, name="paper-save"),
    path("papers/<arxiv:arxiv_id>/dismiss", marks.dismiss, name="paper-dismiss"),
    path("papers/<arxiv:arxiv_id>/read", marks.mark_read, name="paper-read"),
    path("follows", following.follow, name="follow"),
    path("follows/<int:follow_id>/delete", following.unfollow, name="unfollow"),
    path("collections", collections.collections, name="collections"),
    # Before the collection's page, whose key would take the suffix.
    path("collections/<str:key>.bib", collections.bibtex, name="collection-bibtex"),
    path("collections/<str:key>", collections.collection, name="collection"),
    path("collections/<str:key>/remove", collections.remove_paper, name="collection-remove"),
    path("collections/<str:key>/import", collections.import_papers, name="collection-import"),
    path("settings/feed", feed_settings.feed_settings, name="feed-settings"),
    path("settings/feed/mutes/<int:mute_id>/delete", feed_settings.unmute, name="unmute"),
    path("settings/feed/token", feed_settings.reset_feed_token, name="feed-token-reset"),
]
