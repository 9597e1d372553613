from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "dailypapers.api"
    verbose_name = "API"

    def ready(self) -> None:
        # The library's endpoints join the API (views.api) before the URLs read it.
        from . import library  # noqa: F401
