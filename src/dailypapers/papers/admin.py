from django.contrib import admin

from .models import Author, DailyListing, Organization, Paper, Upvote


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["arxiv_id", "title", "published", "version", "upvotes", "organization"]
    list_filter = ["primary_category"]
    search_fields = ["arxiv_id", "title"]
    raw_id_fields = ["organization"]
    readonly_fields = ["upvotes", "imported_upvotes", "content_hash", "added_at", "changed_at"]
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
class DailyListingAdmin(admin.ModelAdmin):
    list_display = ["date", "paper", "submitter_name", "submitted_by", "source"]
    list_filter = ["source"]
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
