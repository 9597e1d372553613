from django.contrib import admin
from django.urls import path, re_path

from dailypapers import views
from dailypapers.api.views import api, paper_markdown

urlpatterns = [
    path("", views.home, name="home"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    re_path(r"^papers/(?P<arxiv_id>.+)\.md$", paper_markdown, name="paper-markdown"),
]
