from django.contrib import admin

from .models import Digest, Follow, Subscription


class FollowInline(admin.TabularInline):
    model = Follow
    extra = 0


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["email", "status", "frequency", "paper_count", "bounce_count", "confirmed_at"]
    list_filter = ["status", "frequency"]
    search_fields = ["email"]
    raw_id_fields = ["user"]
    inlines = [FollowInline]


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ["subscription", "period", "status", "attempts", "sent_at"]
    list_filter = ["status", "period"]
    search_fields = ["subscription__email"]
    raw_id_fields = ["subscription"]
