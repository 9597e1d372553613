"""Posting, editing and removing comments. htmx swaps fragments; plain forms redirect."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dailypapers.papers.models import Paper
from dailypapers.throttles import limits

from .. import services
from ..decorators import login_required
from ..forms import CommentForm
from ..models import Comment


def _comment_url(comment: Comment) -> str:
    return f"{reverse('paper', args=[comment.paper_id])}#comment-{comment.pk}"


def _comment_context(request: HttpRequest, comment: Comment) -> dict:
    return {
        "comment": comment,
        "can_moderate": services.can_moderate(request.user),
        "user": request.user,
    }


def _form_page(
    request: HttpRequest, paper: Paper, form: CommentForm, action: str, status: int
) -> HttpResponse:
    """The comment form on a page of its own: editing without htmx, or a refused post."""
    return render(
        request,
        "community/comment_form.html",
        {"paper": paper, "form": form, "action": action, "title": "Comment"},
        status=status,
    )


@login_required
@require_POST
def post_comment(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    paper = get_object_or_404(Paper.objects.visible(), pk=arxiv_id)
    form = CommentForm(request.POST)
    comment = refusal = None
    if form.is_valid():
        try:
            limits.check(limits.COMMENT, client=limits.client_key(request), account=request.user.pk)
        except limits.Throttled as error:
            refusal = error
            form.add_error(None, str(refusal))
        else:
            comment = services.post_comment(request.user, paper, form.cleaned_data["body"])
    if not request.htmx:
        if refusal:
            response = _form_page(request, paper, form, request.path, 429)
            response["Retry-After"] = str(refusal.retry_after)
            return response
        if comment is None:
            return _form_page(request, paper, form, request.path, 400)
        return redirect(_comment_url(comment))
    # htmx leaves 4xx responses unswapped, and the form must show its errors: a
    # refused post answers 200 with the form; a posted one also appends the comment.
    if comment is None:
        return render(request, "community/_comment_form.html", {"paper": paper, "form": form})
    paper.refresh_from_db(fields=["comment_count"])
    return render(
        request,
        "community/_comment_posted.html",
        {**_comment_context(request, comment), "paper": paper, "form": CommentForm()},
    )


@require_GET
def show_comment(request: HttpRequest, pk: int) -> HttpResponse:
    """One comment's fragment (htmx: "cancel" while editing); otherwise its place on the page."""
    comment = get_object_or_404(Comment.objects.visible().select_related("author"), pk=pk)
    if not request.htmx:
        return redirect(_comment_url(comment))
    return render(request, "community/_comment.html", _comment_context(request, comment))


@login_required
@require_http_methods(["GET", "POST"])
def edit_comment(request: HttpRequest, pk: int) -> HttpResponse:
    comment = get_object_or_404(Comment.objects.visible().select_related("author", "paper"), pk=pk)
    if not services.can_edit(request.user, comment):
        raise PermissionDenied("Only its author can edit a comment.")
    action = reverse("comment-edit", args=[comment.pk])
    form = CommentForm(request.POST or None, initial={"body": comment.body})
    if request.method == "POST" and form.is_valid():
        services.edit_comment(request.user, comment, form.cleaned_data["body"])
        if request.htmx:
            return render(request, "community/_comment.html", _comment_context(request, comment))
        return redirect(_comment_url(comment))
    if request.htmx:
        return render(request, "community/_comment_edit.html", {"comment": comment, "form": form})
    status = 400 if request.method == "POST" else 200
    return _form_page(request, comment.paper, form, action, status)


@login_required
@require_POST
def remove_comment(request: HttpRequest, pk: int) -> HttpResponse:
    comment = get_object_or_404(Comment.objects.visible(), pk=pk)
    services.remove_comments(request.user, Comment.objects.filter(pk=pk))
    comment.refresh_from_db()
    if request.htmx:
        return render(request, "community/_comment.html", _comment_context(request, comment))
    messages.success(request, "The comment is removed.")
    return redirect(_comment_url(comment))
