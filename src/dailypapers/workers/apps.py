from django.apps import AppConfig


class WorkersConfig(AppConfig):
    name = "dailypapers.workers"
    verbose_name = "Background workers"
