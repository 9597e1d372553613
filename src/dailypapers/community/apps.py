from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "dailypapers.community"
    verbose_name = "Community"
