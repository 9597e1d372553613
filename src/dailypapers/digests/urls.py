"""Subscribing to the email digest, confirming, preferences, unsubscribing."""

app_name = "digests"
urlpatterns: list = []
