"""Subscribe, confirm, preferences, unsubscribe: thin views over subscriptions.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from dailypapers import mail
from dailypapers.throttles import limits

from . import following, subscriptions, tokens
from .forms import PreferencesForm, SubscribeForm
from .models import Subscription


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "digests:subscribe"


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    """GET: the form on a page of its own; POST (from it or any page's box): mail a link."""
    if request.method == "GET":
        initial = {"email": request.user.email} if request.user.is_authenticated else {}
        return render(request, "digests/subscribe.html", {"form": SubscribeForm(initial=initial)})
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return render(request, "digests/subscribe.html", {"form": form}, status=400)
    try:
        subscriptions.request_subscription(
            form.cleaned_data["email"],
            form.cleaned_data["follow"],
            client=limits.client_key(request),
            user=request.user if request.user.is_authenticated else None,
        )
    except subscriptions.RateLimited as error:
        form.add_error(None, str(error))
        return render(request, "digests/subscribe.html", {"form": form}, status=429)
    except mail.MailUnavailable as error:
        # The form keeps what was typed: pressing Subscribe again re-sends the link.
        form.add_error(None, str(error))
        return render(request, "digests/subscribe.html", {"form": form}, status=503)
    messages.success(
        request,
        f"Almost done: we sent a confirmation link to {form.cleaned_data['email']}. "
        "Nothing else is sent until you open it.",
    )
    return redirect(_back(request))


def _invalid_link(request: HttpRequest, error: tokens.InvalidToken) -> HttpResponse:
    return render(request, "digests/invalid_link.html", {"error": error}, status=400)


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks, POST confirms: mail scanners that open links must not subscribe anyone."""
    try:
        email, follows, _ = tokens.read_confirm_token(token)
        if request.method == "POST":
            subscription, started = subscriptions.confirm(token)
    except tokens.InvalidToken as error:
        return _invalid_link(request, error)
    if request.method == "GET":
        labels = [following.label(kind, value) for kind, value in follows]
        return render(request, "digests/confirm.html", {"email": email, "labels": labels})
    messages.success(
        request,
        "You are subscribed to the digest." if started else "Your digest is updated.",
    )
    return redirect("digests:preferences", tokens.make_token(tokens.MANAGE, subscription.email))


def _preferences(request: HttpRequest, subscription: Subscription, template: str, context: dict):
    form = PreferencesForm.for_subscription(
        subscription, request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        subscriptions.update_preferences(
            subscription,
            frequency=form.cleaned_data["frequency"],
            paper_count=form.cleaned_data["paper_count"],
            follows=form.cleaned_data["follows"],
        )
        messages.success(request, "Your preferences are saved.")
        return redirect(request.path)
    status = 400 if form.is_bound else 200
    unsubscribe = tokens.make_token(tokens.UNSUBSCRIBE, subscription.email)
    context |= {"form": form, "subscription": subscription, "unsubscribe_token": unsubscribe}
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    try:
        email = tokens.read_token(tokens.MANAGE, token)
    except tokens.InvalidToken as error:
        return _invalid_link(request, error)
    subscription = subscriptions.subscription_for(email)
    if subscription is None:
        return _invalid_link(request, tokens.InvalidToken("This address is not subscribed."))
    return _preferences(request, subscription, "digests/preferences.html", {})


@login_required
@require_http_methods(["GET", "POST"])
def user_settings(request: HttpRequest) -> HttpResponse:
    """A signed-in user's digest: the subscription they confirmed while signed in."""
    subscription = request.user.digest_subscriptions.order_by("id").first()
    if subscription is None:
        form = SubscribeForm(initial={"email": request.user.email})
        return render(request, "digests/settings.html", {"subscribe_form": form})
    return _preferences(request, subscription, "digests/settings.html", {})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page with one button. POST: unsubscribe, from that button or a mail client's
    RFC 8058 one-click request (which carries no CSRF token: the signed link is the proof).
    """
    try:
        email = tokens.read_token(tokens.UNSUBSCRIBE, token)
    except tokens.InvalidToken as error:
        return _invalid_link(request, error)
    if request.method == "GET":
        return render(request, "digests/unsubscribe.html", {"email": email, "done": False})
    subscriptions.unsubscribe(email)
    return render(request, "digests/unsubscribe.html", {"email": email, "done": True})


@require_POST
def resume(request: HttpRequest, token: str) -> HttpResponse:
    """Subscribe again from the unsubscribe page: the link proves the address."""
    try:
        email = tokens.read_token(tokens.UNSUBSCRIBE, token)
    except tokens.InvalidToken as error:
        return _invalid_link(request, error)
    subscriptions.resume(email)
    messages.success(request, "Welcome back: your digest resumes.")
    return redirect("digests:preferences", tokens.make_token(tokens.MANAGE, email))
