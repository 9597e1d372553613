from django.apps import AppConfig


class ThrottlesConfig(AppConfig):
    name = "dailypapers.throttles"
    verbose_name = "Rate limits"
