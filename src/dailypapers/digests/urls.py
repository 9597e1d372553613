"""Subscribing to the email digest, confirming, preferences, unsubscribing."""

from django.urls import path

from . import views

app_name = "digests"
urlpatterns = [
    path("", views.subscribe, name="subscribe"),
    path("settings", views.user_settings, name="settings"),
    path("confirm/<str:token>", views.confirm, name="confirm"),
    path("preferences/<str:token>", views.preferences, name="preferences"),
    path("unsubscribe/<str:token>", views.unsubscribe, name="unsubscribe"),
    path("resume/<str:token>", views.resume, name="resume"),
]
