from django.contrib import admin, messages
from django.contrib.admin.utils import model_ngettext

from .models import Author, DailyListing, Organization, Paper, Upvote


class HideActions:
    """Moderators hide a paper or listing from the site's lists, and show it again."""

    actions = ["hide", "unhide"]

    def _set_hidden(self, request, queryset, hidden: bool) -> None:
        count = queryset.update(is_hidden=hidden)
        verb = "hidden" if hidden else "shown again"
        self.message_user(
            request, f"{count} {model_ngettext(self.opts, count)} {verb}.", messages.SUCCESS
        )

    @admin.action(description="Hide selected %(verbose_name_plural)s", permissions=["change"])
    def hide(self, request, queryset):
        self._set_hidden(request, queryset, True)

    @admin.action(description="Unhide selected %(verbose_name_plural)s", permissions=["change"])
    def unhide(self, request, queryset):
        self._set_hidden(request, queryset, False)


@admin.register(Paper)
class PaperAdmin(HideActions, admin.ModelAdmin):
    list_display = [
        "arxiv_id",
        "title",
        "published",
        "version",
        "upvotes",
        "organization",
        "is_hidden",
    ]
    list_filter = ["is_hidden", "primary_category"]
    search_fields = ["arxiv_id", "title"]
    raw_id_fields = ["organization"]
    readonly_fields = [
        "upvotes",
        "imported_upvotes",
        "comment_count",
        "content_hash",
        "added_at",
        "changed_at",
    ]
    date_hierarchy = "published"
    show_full_result_count = False


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    show_full_result_count = False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["slug", "name"]
    search_fields = ["slug", "name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(DailyListing)
class DailyListingAdmin(HideActions, admin.ModelAdmin):
    list_display = ["date", "paper", "submitter_name", "submitted_by", "source", "is_hidden"]
    list_filter = ["is_hidden", "source"]
    date_hierarchy = "date"
    raw_id_fields = ["paper", "submitted_by"]
    search_fields = ["paper__arxiv_id", "paper__title"]


@admin.register(Upvote)
class UpvoteAdmin(admin.ModelAdmin):
    list_display = ["user", "paper", "created_at"]
    raw_id_fields = ["user", "paper"]

    # Upvotes change counters; they go through papers.services, not the admin.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
