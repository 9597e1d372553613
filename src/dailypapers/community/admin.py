from django.contrib import admin, messages

from . import services
from .forms import AdminLoginForm
from .models import ApiToken, AuthorshipClaim, Comment, Membership, VerifiedEmail

# The admin's login page is a login page too: failed logins count there as well.
admin.site.login_form = AdminLoginForm


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "hint", "can_write", "created_at", "last_used_at"]
    readonly_fields = ["token_hash", "hint", "created_at", "last_used_at"]
    raw_id_fields = ["user"]


@admin.register(VerifiedEmail)
class VerifiedEmailAdmin(admin.ModelAdmin):
    list_display = ["user", "email", "verified_at"]
    search_fields = ["user__username", "email"]
    raw_id_fields = ["user"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["id", "paper", "author", "created_at", "edited_at", "is_removed"]
    list_filter = ["is_removed"]
    search_fields = ["body", "author__username", "paper__arxiv_id"]
    readonly_fields = [
        "paper",
        "author",
        "body",
        "created_at",
        "edited_at",
        "is_removed",
        "removed_by",
        "removed_at",
    ]
    list_select_related = ["paper", "author"]
    actions = ["remove"]
    show_full_result_count = False

    # Comments change Paper.comment_count: they come and go through community.services.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_moderate_permission(self, request) -> bool:
        return services.can_moderate(request.user)

    @admin.action(description="Remove selected comments", permissions=["moderate"])
    def remove(self, request, queryset):
        count = services.remove_comments(request.user, queryset)
        self.message_user(request, f"{count} comment(s) removed.", messages.SUCCESS)


@admin.register(AuthorshipClaim)
class AuthorshipClaimAdmin(admin.ModelAdmin):
    list_display = ["user", "paper", "author", "status", "created_at", "decided_by", "decided_at"]
    list_filter = ["status"]
    search_fields = ["user__username", "paper__arxiv_id", "author__name"]
    raw_id_fields = ["user", "paper", "author"]
    readonly_fields = ["status", "created_at", "decided_by", "decided_at"]
    list_select_related = ["user", "paper", "author", "decided_by"]
    actions = ["approve", "reject"]

    def _decide(self, request, queryset, status: AuthorshipClaim.Status) -> None:
        decided, skipped = services.decide_claims(request.user, queryset, status)
        self.message_user(request, f"{decided} claim(s) {status.label.lower()}.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} claim(s) skipped: another account is already verified as that author.",
                messages.WARNING,
            )

    @admin.action(description="Approve selected claims", permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, AuthorshipClaim.Status.APPROVED)

    @admin.action(description="Reject selected claims", permissions=["change"])
    def reject(self, request, queryset):
        self._decide(request, queryset, AuthorshipClaim.Status.REJECTED)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "created_at"]
    list_filter = ["organization"]
    search_fields = ["user__username", "organization__name", "organization__slug"]
    raw_id_fields = ["user"]
    list_select_related = ["user", "organization"]
