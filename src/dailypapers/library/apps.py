from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "dailypapers.library"
    verbose_name = "Readers' libraries"

    def ready(self) -> None:
        from dailypapers.papers.signals import catalog_changed

        from .arrivals import after_catalog_change

        catalog_changed.connect(after_catalog_change, dispatch_uid="library.after_catalog_change")
