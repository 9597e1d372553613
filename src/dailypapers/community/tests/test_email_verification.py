"""An account's email is trusted once a signed link mailed to it was opened."""

import re
import time

import pytest
from django.contrib.auth.models import User
from django.core import signing
from django.test import Client

from dailypapers.community import verification
from dailypapers.conftest import free_port

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/verify/\S+)", message.body)[1]


def sign_up(client: Client, username: str = "carol", **fields):
    data = {"username": username, "email": f"{username}@example.org", "password1": PASSWORD}
    return client.post("/accounts/signup/", data | {"password2": PASSWORD} | fields, follow=True)


def test_sign_up_mails_a_link_that_verifies_the_address(client, mailoutbox):
    page = sign_up(client)
    assert "We sent a link to carol@example.org" in page.content.decode()
    carol = User.objects.get(username="carol")
    assert not verification.is_verified(carol)
    [mail] = mailoutbox
    assert mail.to == ["carol@example.org"]
    assert mail.subject == "Verify your email address for dailypapers"
    assert 'account "carol"' in mail.body
    link = link_in(mail)
    # Opening the link (a mail scanner does) only asks; the button verifies.
    asked = client.get(link)
    assert asked.status_code == 200 and b"carol@example.org" in asked.content
    assert not verification.is_verified(carol)
    assert client.post(link)["Location"] == "/settings"
    assert verification.is_verified(carol)
    assert "carol@example.org is verified." in client.get("/settings").content.decode()


def test_the_link_works_without_being_signed_in(client, mailoutbox):
    sign_up(client)
    client.logout()
    assert Client().post(link_in(mailoutbox[0]))["Location"] == "/papers"
    assert verification.is_verified(User.objects.get(username="carol"))


def test_a_changed_address_is_unverified_until_its_own_link_is_opened(as_alice, alice, mailoutbox):
    verification.mark_verified(alice)
    assert as_alice.post("/settings", {"email": "alice@new.example.org"}).status_code == 302
    alice.refresh_from_db()
    assert alice.email == "alice@new.example.org" and not verification.is_verified(alice)
    [mail] = mailoutbox
    assert mail.to == ["alice@new.example.org"]
    page = as_alice.get("/settings").content.decode()
    assert "alice@new.example.org is not verified yet" in page
    as_alice.post(link_in(mail))
    assert verification.is_verified(alice)


def test_a_link_for_an_address_the_account_left_verifies_nothing(as_alice, alice, mailoutbox):
    as_alice.post("/settings/verify-email")
    as_alice.post("/settings", {"email": "alice@new.example.org"})
    old_link = link_in(mailoutbox[0])
    response = as_alice.post(old_link)
    assert response.status_code == 400
    assert b"an address the account no longer has" in response.content
    assert not verification.is_verified(alice)


def test_changing_only_the_case_of_a_verified_address_keeps_it_verified(
    as_alice, alice, mailoutbox
):
    verification.mark_verified(alice)
    as_alice.post("/settings", {"email": "Alice@Example.org"})
    assert verification.is_verified(alice) and mailoutbox == []


def test_tampered_and_expired_links_are_refused(as_alice, alice, bob, monkeypatch):
    for token in [
        signing.dumps({"u": bob.pk, "e": "bob@example.org"}, salt="another purpose"),
        signing.dumps({"u": alice.pk, "e": "alice@example.org"}, salt=verification.SALT)[:-2]
        + "xx",
        "garbage",
    ]:
        response = as_alice.post(f"/accounts/verify/{token}/")
        assert response.status_code == 400 and b"not valid" in response.content
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now - 4 * 86400)  # beyond PASSWORD_RESET_TIMEOUT
    old = signing.dumps({"u": alice.pk, "e": "alice@example.org"}, salt=verification.SALT)
    monkeypatch.undo()
    response = as_alice.post(f"/accounts/verify/{old}/")
    assert response.status_code == 400 and b"expired" in response.content
    assert not verification.is_verified(alice) and not verification.is_verified(bob)


def test_a_password_reset_link_opened_verifies_the_address(client, alice, mailoutbox):
    client.post("/accounts/password_reset/", {"email": "alice@example.org"})
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", mailoutbox[0].body)[1]
    form_url = client.get(link)["Location"]
    new = "another long passphrase 43"
    client.post(form_url, {"new_password1": new, "new_password2": new})
    assert verification.is_verified(alice)


def test_verification_emails_are_limited_per_account(as_alice, alice, mailoutbox, settings):
    settings.RATE_SIGNUP_PER_ACCOUNT = "2/hour"
    assert as_alice.post("/settings/verify-email")["Location"] == "/settings"
    assert as_alice.post("/settings/verify-email")["Location"] == "/settings"
    refused = as_alice.post("/settings/verify-email")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many verification emails for this account" in refused.content.decode()
    assert len(mailoutbox) == 2


def test_sign_up_without_a_mail_server_keeps_the_account_and_says_so(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 5
    page = sign_up(client).content.decode()
    assert "Welcome, carol!" in page
    assert "We could not send the link that verifies carol@example.org" in page
    assert "mail server is not answering" in page
    assert User.objects.filter(username="carol").exists()
