from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "dailypapers.api"
    verbose_name = "API"
