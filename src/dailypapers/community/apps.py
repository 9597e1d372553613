from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "dailypapers.community"
    verbose_name = "Community"

    def ready(self) -> None:
        from . import signals  # noqa: F401 (connects the receivers)
