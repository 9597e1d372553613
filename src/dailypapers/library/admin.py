from django.contrib import admin

from .models import Collection, CollectionItem


class ItemInline(admin.TabularInline):
    model = CollectionItem
    extra = 0
    raw_id_fields = ["paper"]


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    """Public collections show their name and notes to everyone: moderators can make one
    private again, or delete it."""

    list_display = ["name", "owner", "public", "updated_at"]
    list_filter = ["public"]
    search_fields = ["name", "owner__username", "key"]
    raw_id_fields = ["owner"]
    readonly_fields = ["key", "created_at", "updated_at"]
    inlines = [ItemInline]
