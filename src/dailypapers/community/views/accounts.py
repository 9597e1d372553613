"""Signing up and logging in, password reset, verifying an email address, and the
signed-in user's settings: name, email, API tokens."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from dailypapers import mail
from dailypapers.throttles import limits

from .. import verification
from ..decorators import login_required
from ..forms import AccountForm, LoginForm, SignupForm, TokenForm
from ..models import ApiToken


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _too_many(response: HttpResponse, refusal: limits.Throttled) -> HttpResponse:
    """A form page that shows a throttle's refusal, as a 429 that says when to come back."""
    response.status_code = 429
    response["Retry-After"] = str(refusal.retry_after)
    return response


class LoginView(auth.LoginView):
    """Django's, with failed logins limited (forms.ThrottledLogin)."""

    form_class = LoginForm
    template_name = "community/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form: LoginForm) -> HttpResponse:
        response = super().form_invalid(form)
        return _too_many(response, form.throttled) if form.throttled else response


class PasswordResetView(auth.PasswordResetView):
    """Django's, with the emailed link leading to DAILYPAPERS_BASE_URL, a mail server
    that does not answer said on the form, and the emails limited per address and client.

    Django builds the link from the request's Host, which a client chooses: any
    name in ALLOWED_HOSTS, or the proxy's internal address. And it logs a failed
    send and shows "sent" anyway; the server is checked before the form looks the
    address up, so the answer is the same whether or not an account has that
    address. The limits count every request for the same reason.
    """

    email_template_name = "community/password_reset_email.txt"
    subject_template_name = "community/password_reset_subject.txt"
    template_name = "community/password_reset_form.html"

    @property
    def extra_email_context(self) -> dict[str, str]:
        return {"base_url": settings.BASE_URL}

    def form_valid(self, form):
        who = {"client": limits.client_key(self.request), "account": form.cleaned_data["email"]}
        try:
            limits.check(limits.PASSWORD_RESET, **who)
            mail.check_server()
        except limits.Throttled as refusal:
            form.add_error(None, str(refusal))
            return _too_many(self.render_to_response(self.get_context_data(form=form)), refusal)
        except mail.MailUnavailable as error:
            limits.give_back(limits.PASSWORD_RESET, **who)  # nothing was sent
            form.add_error(None, str(error))
            return self.render_to_response(self.get_context_data(form=form), status=503)
        return super().form_valid(form)


class PasswordResetConfirmView(auth.PasswordResetConfirmView):
    """Django's; a reset link opened also verifies the address it was mailed to.

    Django's reset token covers the account's email, so the link works only
    while the account still has the address it was sent to.
    """

    template_name = "community/password_reset_confirm.html"

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        verification.mark_verified(form.user)
        return response


def _send_verification(request: HttpRequest, user) -> limits.Throttled | None:
    """Mail the link that verifies ``user``'s address, and say on the next page what happened.

    Returns the refusal when the account had its share of these emails.
    """
    try:
        verification.send_link(user)
    except (limits.Throttled, mail.MailUnavailable) as error:
        messages.error(
            request,
            f"We could not send the link that verifies {user.email}. {error} "
            "You can ask for it again on your settings page.",
        )
        return error if isinstance(error, limits.Throttled) else None
    messages.info(request, f"We sent a link to {user.email}: open it to verify the address.")
    return None


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_safe_next(request))
    form = SignupForm(request.POST or None)
    status = 400 if request.method == "POST" else 200
    refusal = None
    if form.is_valid():
        try:
            limits.check(limits.SIGNUP, client=limits.client_key(request))
        except limits.Throttled as error:
            refusal = error
            form.add_error(None, str(refusal))
        else:
            user = form.save()
            login(request, user)
            messages.success(request, f"Welcome, {user.username}!")
            _send_verification(request, user)
            return redirect(_safe_next(request))
    response = render(
        request,
        "community/signup.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
        status=status,
    )
    return _too_many(response, refusal) if refusal else response


@require_http_methods(["GET", "POST"])
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks, POST verifies: a mail scanner opening the link verifies nothing."""
    try:
        if request.method == "POST":
            account = verification.verify(token)
        else:
            account, email = verification.read_link(token)
    except verification.InvalidLink as error:
        return render(request, "community/verify_email_invalid.html", {"error": error}, status=400)
    if request.method == "GET":
        return render(request, "community/verify_email.html", {"account": account, "email": email})
    messages.success(request, f"{account.email} is verified.")
    return redirect("settings" if request.user == account else "papers")


def _settings_page(
    request: HttpRequest,
    account_form: AccountForm | None = None,
    token_form: TokenForm | None = None,
    new_token: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "community/settings.html",
        {
            "account_form": account_form or AccountForm(instance=request.user),
            "email_verified": verification.is_verified(request.user),
            "token_form": token_form or TokenForm(),
            "tokens": ApiToken.objects.filter(user=request.user).order_by("-created_at"),
            "new_token": new_token,
            "title": "Settings",
        },
        status=status,
    )


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _settings_page(request)
    form = AccountForm(request.POST, instance=request.user)
    if not form.is_valid():
        return _settings_page(request, account_form=form, status=400)
    user = form.save()
    messages.success(request, "Your settings are saved.")
    # A new address is unverified until its own link is opened.
    new_address = "email" in form.changed_data and not verification.is_verified(user)
    if new_address and (refusal := _send_verification(request, user)):
        return _too_many(_settings_page(request), refusal)
    return redirect("settings")


@login_required
@require_POST
def resend_verification(request: HttpRequest) -> HttpResponse:
    if not request.user.email:
        messages.error(request, "Add an email address first.")
    elif verification.is_verified(request.user):
        messages.info(request, f"{request.user.email} is verified already.")
    elif refusal := _send_verification(request, request.user):
        return _too_many(_settings_page(request), refusal)
    return redirect("settings")


@login_required
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, token_form=form, status=400)
    _, plain = ApiToken.objects.issue(
        request.user, form.cleaned_data["name"], can_write=not form.cleaned_data["read_only"]
    )
    # Rendered, not redirected: the plain token is never stored, so this response
    # is the one chance to show it.
    return _settings_page(request, new_token=plain)


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.delete()
    messages.success(request, f"Token …{token.hint} is revoked.")
    return redirect("settings")
