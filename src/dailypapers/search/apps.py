from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "dailypapers.search"
    verbose_name = "Search"

    def ready(self) -> None:
        from dailypapers.papers.signals import catalog_changed, papers_stored

        from .indexing import after_catalog_change, index_stored_papers

        catalog_changed.connect(after_catalog_change, dispatch_uid="search.after_catalog_change")
        papers_stored.connect(index_stored_papers, dispatch_uid="search.index_stored_papers")
