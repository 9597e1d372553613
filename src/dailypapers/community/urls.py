"""Accounts (Django's auth views), settings, comments, authorship claims, organizations."""

from django.urls import include, path

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
]
