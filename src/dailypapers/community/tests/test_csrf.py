"""Every form refuses a POST without the CSRF token, and works with the token its page carries."""

import re

import pytest
from django.test import Client

from dailypapers.community import services
from dailypapers.community.models import ApiToken, AuthorshipClaim, Comment
from dailypapers.papers.models import Author

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def token_from(client: Client, path: str) -> str:
    page = client.get(path).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def assert_csrf_enforced(client: Client, page: str, action: str, data: dict) -> object:
    """403 without the token; the page's token makes the same POST go through."""
    assert client.post(action, data).status_code == 403
    response = client.post(action, data | {"csrfmiddlewaretoken": token_from(client, page)})
    assert response.status_code != 403
    return response


def test_signup_login_logout(csrf_client, alice):
    assert_csrf_enforced(
        csrf_client,
        "/accounts/signup/",
        "/accounts/signup/",
        {
            "username": "carol",
            "email": "c@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert_csrf_enforced(csrf_client, "/papers/trending", "/accounts/logout/", {})
    assert_csrf_enforced(
        csrf_client,
        "/accounts/login/",
        "/accounts/login/",
        {"username": "alice", "password": PASSWORD},
    )
    assert "_auth_user_id" in csrf_client.session


def test_password_reset_and_change(csrf_client, alice, mailoutbox):
    assert_csrf_enforced(
        csrf_client,
        "/accounts/password_reset/",
        "/accounts/password_reset/",
        {"email": "alice@example.org"},
    )
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", mailoutbox[0].body).group(1)
    form_url = csrf_client.get(link)["Location"]
    new = "another long passphrase 43"
    assert_csrf_enforced(
        csrf_client, form_url, form_url, {"new_password1": new, "new_password2": new}
    )
    alice.refresh_from_db()  # the new password's hash: the session is bound to it
    csrf_client.force_login(alice)
    assert_csrf_enforced(
        csrf_client,
        "/accounts/password_change/",
        "/accounts/password_change/",
        {"old_password": new, "new_password1": PASSWORD, "new_password2": PASSWORD},
    )


def test_settings_and_tokens(csrf_client, alice):
    csrf_client.force_login(alice)
    assert_csrf_enforced(csrf_client, "/settings", "/settings", {"email": "new@example.org"})
    assert_csrf_enforced(csrf_client, "/settings", "/settings/tokens", {"name": "x"})
    token = ApiToken.objects.get()
    assert_csrf_enforced(csrf_client, "/settings", f"/settings/tokens/{token.pk}/revoke", {})
    assert not ApiToken.objects.exists()


def test_comment_forms(csrf_client, alice, moderator, paper):
    csrf_client.force_login(alice)
    assert_csrf_enforced(
        csrf_client, "/papers/2403.01779", "/papers/2403.01779/comments", {"body": "hi"}
    )
    comment = Comment.objects.get()
    assert_csrf_enforced(
        csrf_client, f"/comments/{comment.pk}/edit", f"/comments/{comment.pk}/edit", {"body": "hey"}
    )
    csrf_client.force_login(moderator)
    assert_csrf_enforced(csrf_client, "/papers/2403.01779", f"/comments/{comment.pk}/remove", {})
    comment.refresh_from_db()
    assert comment.body == "hey" and comment.is_removed


def test_htmx_sends_the_token_in_a_header(csrf_client, alice, paper):
    csrf_client.force_login(alice)
    page = csrf_client.get("/papers/2403.01779").content.decode()
    header = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", page).group(1)
    htmx = {"HTTP_HX_REQUEST": "true"}
    assert csrf_client.post("/papers/2403.01779/comments", {"body": "x"}, **htmx).status_code == 403
    response = csrf_client.post(
        "/papers/2403.01779/comments", {"body": "x"}, HTTP_X_CSRFTOKEN=header, **htmx
    )
    assert response.status_code == 200
    assert services.can_edit(alice, Comment.objects.get())


def test_claim_and_organization_forms(csrf_client, member, paper):
    csrf_client.force_login(member)
    tao = Author.objects.get(name="Tao Gu").pk
    assert_csrf_enforced(
        csrf_client, "/papers/2403.01779", "/papers/2403.01779/claim", {"author": tao}
    )
    assert AuthorshipClaim.objects.exists()
    assert_csrf_enforced(
        csrf_client,
        "/papers/2403.01779",
        "/papers/2403.01779/organization",
        {"organization": "acme"},
    )
    paper.refresh_from_db()
    assert paper.organization.slug == "acme"
