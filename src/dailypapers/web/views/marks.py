"""A card's "mark as read" and "not interested" buttons: each toggles, and htmx swaps in
the card's controls."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dailypapers.library import marks
from dailypapers.library.errors import LibraryError
from dailypapers.papers.models import Paper

from .rendering import cards
from .signed_in import back_to, login_first, refused


def _toggle(request: HttpRequest, arxiv_id: str, mark, unmark, is_marked) -> HttpResponse:
    if not request.user.is_authenticated:
        return login_first(request, reverse("paper", args=[arxiv_id]))
    paper = get_object_or_404(Paper.objects.visible(), pk=arxiv_id)
    try:
        (unmark if is_marked(cards(request, [paper])[0]) else mark)(request.user, arxiv_id)
    except LibraryError as error:
        return refused(request, error)
    if request.htmx:
        return render(request, "web/_card_actions.html", {"card": cards(request, [paper])[0]})
    return redirect(back_to(request, paper.get_absolute_url()))


@require_POST
def dismiss(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """Not interested, or interested again."""
    return _toggle(request, arxiv_id, marks.dismiss, marks.undismiss, lambda c: c.dismissed)


@require_POST
def mark_read(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    return _toggle(request, arxiv_id, marks.mark_read, marks.mark_unread, lambda c: c.read)
