"""RSS 2.0 and Atom feeds of the paper lists, below both the pages and the API.

The pages name the feed of the list they show (its class's ``links_for``), and
the root URLs route every feed from its class (feeds/urls.py).
"""
