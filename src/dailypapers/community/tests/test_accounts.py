"""Signing up, logging in and out, resetting a password by email, settings and API tokens."""

import re
import socket

import pytest
from django.contrib.auth.models import User

from dailypapers.community.models import ApiToken

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def signup(client, **fields):
    data = {"username": "carol", "email": "carol@example.org", "password1": PASSWORD}
    data |= {"password2": data["password1"]} | fields
    return client.post("/accounts/signup/", data)


def test_signup_creates_the_account_and_logs_in(client):
    assert client.get("/accounts/signup/").status_code == 200
    response = signup(client)
    assert response.status_code == 302
    user = User.objects.get(username="carol")
    assert user.email == "carol@example.org"
    assert client.get("/settings").context["user"] == user


def test_signup_follows_a_local_next_only(client):
    assert signup(client, next="/papers/trending")["Location"] == "/papers/trending"
    client.logout()
    response = signup(client, username="dave", email="d@example.org", next="https://evil.test/")
    assert response["Location"] == "/papers"


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"password2": "something else 42"}, "password2"),
        ({"password1": "123", "password2": "123"}, "password2"),
        ({"username": "bad name!"}, "username"),
        ({"username": "ALICE"}, "username"),
        ({"email": "not an email"}, "email"),
        ({"email": "ALICE@example.org"}, "email"),
        ({"email": ""}, "email"),
    ],
)
def test_signup_refuses_bad_input(client, alice, fields, error):
    response = signup(client, **fields)
    assert response.status_code == 400
    assert response.context["form"].errors[error]
    assert b'class="errorlist' in response.content
    assert (
        not User.objects.filter(username__iexact=fields.get("username", "carol"))
        .exclude(pk=alice.pk)
        .exists()
    )


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Xy7#kq", "too short"),
        ("password123", "too common"),
        ("qwertyuiop", "too common"),
        ("8305719264", "entirely numeric"),
        ("carol2024", "too similar to the username"),
    ],
)
def test_signup_refuses_a_weak_password(client, password, reason):
    response = signup(client, password1=password, password2=password)
    assert response.status_code == 400
    assert reason in " ".join(response.context["form"].errors["password2"])
    assert not User.objects.filter(username="carol").exists()


def test_signed_in_user_is_sent_away_from_signup(as_alice):
    assert as_alice.get("/accounts/signup/")["Location"] == "/papers"


def test_login_and_logout(client, alice):
    page = client.get("/accounts/login/?next=/papers/trending")
    assert page.status_code == 200
    assert b'name="next" value="/papers/trending"' in page.content
    wrong = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    response = client.post(
        "/accounts/login/",
        {"username": "alice", "password": PASSWORD, "next": "/papers/trending"},
    )
    assert response["Location"] == "/papers/trending"
    assert client.get("/settings").status_code == 200
    assert client.post("/accounts/logout/")["Location"] == "/papers"
    assert client.get("/settings")["Location"].startswith("/accounts/login/")


def test_deactivated_account_cannot_log_in_and_loses_its_session(client, alice):
    client.force_login(alice)
    alice.is_active = False
    alice.save()
    assert client.get("/settings").status_code == 302
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200 and response.context["form"].errors


def test_password_reset_by_email(client, alice, mailoutbox):
    assert client.get("/accounts/password_reset/").status_code == 200
    response = client.post("/accounts/password_reset/", {"email": "alice@example.org"})
    assert response["Location"] == "/accounts/password_reset/done/"
    assert client.get(response["Location"]).status_code == 200
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["alice@example.org"]
    assert mail.subject == "Reset your dailypapers password"
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", mail.body).group(1)

    # Django swaps the token in the URL for one in the session, then shows the form.
    form_url = client.get(link)["Location"]
    assert client.get(form_url).context["validlink"]
    new = "another long passphrase 43"
    done = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert done["Location"] == "/accounts/reset/done/"
    assert client.get(done["Location"]).status_code == 200
    assert client.login(username="alice", password=new)

    # The link works once.
    client.logout()
    assert not client.get(link).context["validlink"]


def test_password_reset_for_an_unknown_address_sends_nothing(client, mailoutbox):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mailoutbox == []


def test_password_reset_says_when_the_mail_server_does_not_answer(client, alice, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_TIMEOUT = "127.0.0.1", 5
    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = unused.getsockname()[1]
    # The same answer whether or not an account has the address.
    for address in ["alice@example.org", "nobody@example.org"]:
        response = client.post("/accounts/password_reset/", {"email": address})
        assert response.status_code == 503
        assert "mail server is not answering" in response.content.decode()


def test_password_change(as_alice):
    assert as_alice.get("/accounts/password_change/").status_code == 200
    new = "another long passphrase 43"
    response = as_alice.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response["Location"] == "/accounts/password_change/done/"
    assert as_alice.get(response["Location"]).status_code == 200


def test_settings_need_a_login(client):
    assert client.get("/settings")["Location"] == "/accounts/login/?next=/settings"


def test_settings_edit_name_and_email(as_alice, alice, bob):
    page = as_alice.get("/settings")
    assert page.status_code == 200
    assert b'href="/digests/settings"' in page.content or b"digests/settings" in page.content
    response = as_alice.post(
        "/settings", {"first_name": "Alice", "last_name": "Liddell", "email": "al@example.org"}
    )
    assert response["Location"] == "/settings"
    alice.refresh_from_db()
    assert (alice.first_name, alice.last_name, alice.email) == (
        "Alice",
        "Liddell",
        "al@example.org",
    )

    taken = as_alice.post("/settings", {"email": "BOB@example.org"})
    assert taken.status_code == 400
    assert taken.context["account_form"].errors["email"]
    assert as_alice.post("/settings", {"email": ""}).status_code == 400


def test_tokens_are_shown_once_and_can_be_revoked(as_alice, alice):
    response = as_alice.post("/settings/tokens", {"name": "my script", "read_only": "on"})
    assert response.status_code == 200
    plain = response.context["new_token"]
    assert plain.encode() in response.content
    token = ApiToken.objects.get(user=alice)
    assert (token.name, token.can_write) == ("my script", False)
    assert ApiToken.objects.user_for(plain) == token

    later = as_alice.get("/settings")
    assert plain.encode() not in later.content
    assert f"…{token.hint}".encode() in later.content

    assert as_alice.post(f"/settings/tokens/{token.pk}/revoke")["Location"] == "/settings"
    assert not ApiToken.objects.exists()


def test_tokens_of_others_cannot_be_revoked(as_alice, bob):
    token, _ = ApiToken.objects.issue(bob, "bob's")
    assert as_alice.post(f"/settings/tokens/{token.pk}/revoke").status_code == 404
    assert as_alice.get(f"/settings/tokens/{token.pk}/revoke").status_code == 405
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_token_name_too_long(as_alice):
    response = as_alice.post("/settings/tokens", {"name": "x" * 101})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()
