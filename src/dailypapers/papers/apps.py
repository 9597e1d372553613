from django.apps import AppConfig


class PapersConfig(AppConfig):
    name = "dailypapers.papers"
    verbose_name = "Paper catalog"
