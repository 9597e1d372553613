from django.contrib import admin

from .models import Digest, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["email", "status", "frequency", "paper_count", "bounce_count", "confirmed_at"]
    list_filter = ["status", "frequency"]
    search_fields = ["email"]
    # Its follows are library's, shown there: the account's, or its follow list's.
    raw_id_fields = ["user"]
    readonly_fields = ["follow_list"]


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ["subscription", "period", "status", "attempts", "sent_at"]
    list_filter = ["status", "period"]
    search_fields = ["subscription__email"]
    raw_id_fields = ["subscription"]
