from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "dailypapers.search"
    verbose_name = "Search"

    def ready(self) -> None:
        from dailypapers.papers.signals import catalog_changed

        from .indexing import after_catalog_change

        catalog_changed.connect(after_catalog_change, dispatch_uid="search.after_catalog_change")
