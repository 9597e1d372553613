"""dailypapers: a self-hosted research-paper discovery service."""
