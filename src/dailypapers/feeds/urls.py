"""Every feed's two routes, RSS and Atom, from its class: /feeds/daily.rss, /feeds/daily.atom, …"""

# From lists.py, whose classes register themselves as it is read: all the feeds.
from .lists import PaperFeed

urlpatterns = [route for feed in PaperFeed.registered() for route in feed.urlpatterns()]
