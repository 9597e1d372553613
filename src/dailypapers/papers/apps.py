from django.apps import AppConfig
from django.urls import register_converter

from .converters import ArxivIdConverter


class PapersConfig(AppConfig):
    name = "dailypapers.papers"
    verbose_name = "Paper catalog"

    def ready(self) -> None:
        from . import signals  # noqa: F401 (connects the receivers)

        # Before any URL module is read: they, and the API's paths, name papers with it.
        register_converter(ArxivIdConverter, "arxiv")
