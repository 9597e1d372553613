import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import model_ngettext
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from .models import Author, DailyListing, Organization, Paper, Upvote
from .services import OrganizationLinks, link_papers_to_organization, set_hidden


class HideActions:
    """Moderators hide a paper or listing from the site's lists, and show it again."""

    actions = ["hide", "unhide"]

    def _set_hidden(self, request, queryset, hidden: bool) -> None:
        if queryset.model is Paper:
            count = set_hidden(queryset, hidden)
        else:
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


def _words(text: str) -> list[str]:
    return [word for word in re.split(r"[\s,]+", text) if word]


class LinkPapersForm(forms.Form):
    arxiv_ids = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 60}),
        label="arXiv ids",
        help_text="Ids or arXiv URLs, separated by spaces, commas or lines.",
    )
    authors = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 60}),
        label="Authors",
        help_text=(
            "One name per line, as the catalog spells it: all their papers are linked. "
            "The catalog has no affiliations (arXiv's metadata rarely carries them)."
        ),
    )
    published_from = forms.DateField(
        required=False,
        label="Authors' papers published from",
        help_text="YYYY-MM-DD, optional: the time they were with this organization.",
    )
    published_until = forms.DateField(
        required=False, label="until", help_text="YYYY-MM-DD, optional."
    )
    take_from_others = forms.BooleanField(
        required=False, label="Also take papers linked to another organization"
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned["arxiv_ids"] = _words(cleaned.get("arxiv_ids") or "")
        cleaned["authors"] = [
            line.strip() for line in (cleaned.get("authors") or "").splitlines() if line.strip()
        ]
        if not cleaned["arxiv_ids"] and not cleaned["authors"]:
            raise forms.ValidationError("Give arXiv ids, author names, or both.")
        return cleaned


# At most this many ids are spelled out in a message; the rest are counted.
SHOWN_IDS = 50


def _listed(ids: list[str]) -> str:
    shown = ", ".join(ids[:SHOWN_IDS])
    return shown + (f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else "")


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    """Organizations, and linking them to their papers in bulk (by ids or by authors)."""

    list_display = ["slug", "name", "paper_count", "link_papers_link"]
    search_fields = ["slug", "name"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["link_papers_link"]
    # An avatar address typed without a scheme is https (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(paper_count=Count("papers"))

    @admin.display(description="papers", ordering="paper_count")
    def paper_count(self, organization: Organization) -> int:
        return organization.paper_count

    @admin.display(description="link papers")
    def link_papers_link(self, organization: Organization) -> str:
        if organization.pk is None:
            return "(after saving)"
        return format_html(
            '<a href="{}">Link papers in bulk…</a>',
            reverse("admin:papers_organization_link_papers", args=[organization.pk]),
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/link-papers/",
                self.admin_site.admin_view(self.link_papers_view),
                name="papers_organization_link_papers",
            ),
            *super().get_urls(),
        ]

    def response_add(self, request, obj, post_url_continue=None):
        """A new organization goes on to its papers, unless another button was pressed."""
        if "_addanother" in request.POST or "_continue" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(request, f"{obj.name} is created: now link its papers.")
        return redirect("admin:papers_organization_link_papers", obj.pk)

    def link_papers_view(self, request, object_id: str):
        organization = self.get_object(request, object_id)
        if organization is None:
            raise Http404(f"There is no organization {object_id[:40]!r}.")
        if not self.has_change_permission(request, organization):
            raise PermissionDenied
        form = LinkPapersForm(request.POST or None)
        report = None
        if form.is_valid():
            preview = "_preview" in request.POST
            report = link_papers_to_organization(
                organization,
                arxiv_ids=form.cleaned_data["arxiv_ids"],
                author_names=form.cleaned_data["authors"],
                published_from=form.cleaned_data["published_from"],
                published_until=form.cleaned_data["published_until"],
                take_from_others=form.cleaned_data["take_from_others"],
                preview=preview,
            )
            if not preview:
                self._report(request, organization, report)
                return redirect("admin:papers_organization_link_papers", organization.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": organization,
            "title": f"Link papers to {organization.name}",
            "form": form,
            "report": report,
            "shown_ids": SHOWN_IDS,
            "paper_count": organization.papers.count(),
        }
        return TemplateResponse(request, "admin/papers/organization/link_papers.html", context)

    def _report(self, request, organization: Organization, report: OrganizationLinks) -> None:
        linked = len(report.linked)
        self.message_user(
            request,
            f"{linked} paper{pluralize(linked)} linked to {organization.name}"
            + (f"; {len(report.already)} already were" if report.already else "")
            + ".",
            messages.SUCCESS,
        )
        problems = [
            ("not in the catalog", report.unknown_ids),
            ("not arXiv ids", report.invalid_ids),
            ("no such author", report.unknown_authors),
            ("linked to another organization, left there", report.elsewhere),
        ]
        for reason, items in problems:
            if items:
                self.message_user(
                    request, f"{reason.capitalize()}: {_listed(items)}", messages.WARNING
                )


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
