"""Accounts (Django's auth views), settings, comments, authorship claims, organizations.

Django's auth views are listed here rather than included from
``django.contrib.auth.urls`` to give them this site's templates: the admin app,
installed first, ships ``registration/*`` templates that would win otherwise.
"""

from django.contrib.auth import views as auth
from django.urls import path

from .views import accounts, comments, papers

urlpatterns = [
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password_change/",
        auth.PasswordChangeView.as_view(template_name="community/password_change_form.html"),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth.PasswordChangeDoneView.as_view(template_name="community/password_change_done.html"),
        name="password_change_done",
    ),
    path(
        "accounts/password_reset/",
        accounts.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password_reset/done/",
        auth.PasswordResetDoneView.as_view(template_name="community/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth.PasswordResetCompleteView.as_view(
            template_name="community/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("accounts/verify/<str:token>/", accounts.verify_email, name="verify-email"),
    path("settings", accounts.settings_page, name="settings"),
    path("settings/verify-email", accounts.resend_verification, name="verify-email-resend"),
    path("settings/tokens", accounts.create_token, name="token-create"),
    path("settings/tokens/<int:pk>/revoke", accounts.revoke_token, name="token-revoke"),
    path("comments/<int:pk>", comments.show_comment, name="comment"),
    path("comments/<int:pk>/edit", comments.edit_comment, name="comment-edit"),
    path("comments/<int:pk>/remove", comments.remove_comment, name="comment-remove"),
    path("papers/<arxiv:arxiv_id>/comments", comments.post_comment, name="comment-post"),
    path("papers/<arxiv:arxiv_id>/claim", papers.claim_authorship, name="paper-claim"),
    path(
        "papers/<arxiv:arxiv_id>/organization", papers.link_organization, name="paper-organization"
    ),
]
