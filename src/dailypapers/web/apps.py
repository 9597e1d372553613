from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "dailypapers.web"
    verbose_name = "Website"
