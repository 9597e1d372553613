"""The website's pages, one module per page or family of pages. Thin: every list comes
from papers.listings, papers.collections, papers.trending, papers.announcements or
search.service, the same places the API and the feeds read.

``rendering`` holds what they share: cards, pages of cards, the 400 and 429 pages.
"""
