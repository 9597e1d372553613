from django.apps import AppConfig


class PapersConfig(AppConfig):
    name = "dailypapers.papers"
    verbose_name = "Paper catalog"

    def ready(self) -> None:
        from . import signals  # noqa: F401 (connects the receivers)
