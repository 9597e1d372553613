"""Header injection in every field that becomes an email address or header.

Sign-up, the account's email in settings, the password-reset form and the digest's
subscribe form are given addresses with line breaks (raw, encoded, Unicode's own),
control characters in quoted local parts, several addresses, display names and
very long values. Each is refused with a form error or stored clean; the real SMTP
server (aiosmtpd) then receives every mail the site sends for them (a password
reset for each stored address, the subscribe confirmation) and none of it goes to
another recipient or carries a header the value put there.
"""

import re
from collections import Counter
from email.headerregistry import Address

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from dailypapers.digests.models import Subscription

from .conftest import Inbox

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase 42"
SPY = "spy@evil.example"
HOSTILE_ADDRESSES = [
    f"victim@example.org\r\nBcc: {SPY}",
    f"victim@example.org\nBcc: {SPY}",
    f"victim@example.org\rBcc: {SPY}",
    "victim@example.org\r\n\r\nA body of the attacker's choosing",
    f"victim@example.org%0d%0aBcc:{SPY}",
    f"victim@example.org%0ABcc:%20{SPY}",
    f"victim@example.org&#13;&#10;Bcc:{SPY}",
    f"victim@example.org\\r\\nBcc: {SPY}",
    f"=?utf-8?q?victim=0D=0ABcc=3A_{SPY}?=@example.org",
    f'"x\x0bBcc:{SPY}"@example.org',
    f'"x\x0cBcc:{SPY}"@example.org',
    '"x\x1cX-Injected:yes"@example.org',
    '"x\x1fX-Injected:yes"@example.org',
    f'"x\rBcc:{SPY}"@example.org',
    f"victim@example.org\u2028Bcc: {SPY}",
    f"victim@example.org\u0085Bcc: {SPY}",
    "victim@exa\u2028mple.org",
    "victim@exa\u2029X-Injected:yes.org",
    "victim@ex\u00adample.org",
    "victim@example.org\x00",
    f"victim@example.org, {SPY}",
    f"victim@example.org; {SPY}",
    f"victim@example.org {SPY}",
    f"Victim <{SPY}>",
    f"{SPY} <victim@example.org>",
    f"victim@example.org>\r\nRCPT TO:<{SPY}",
    f'"victim@example.org, {SPY}"@example.org',
    "victim+" + "a" * 300 + "@example.org",
    "victim@" + "a" * 5000 + ".org",
    "v" * 20_000 + "@example.org",
    # White space around an address is sanitised: it is the same address.
    "  victim@example.org\t",
    "VICTIM@EXAMPLE.ORG\n",
]
CLEAN = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+")


@pytest.fixture(autouse=True)
def generous_limits(settings):
    # This test tries many addresses from one client: the throttles have tests of their own.
    settings.DIGEST_RATE_PER_CLIENT = settings.DIGEST_RATE_PER_ADDRESS = "10000/hour"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def client_from(number: int) -> Client:
    """A client of its own network, so no per-network limit applies across attempts."""
    return Client(REMOTE_ADDR=f"10.{number // 250}.{number % 250}.1")


def ask_password_reset(number: int, email: str) -> int:
    return client_from(number).post("/accounts/password_reset/", {"email": email}).status_code


def sign_up(number: int, email: str) -> tuple[int, str | None]:
    """The answer's status, and the address stored if an account was made."""
    username = f"user{number}"
    response = client_from(number).post(
        "/accounts/signup/",
        {"username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD},
    )
    user = get_user_model().objects.filter(username=username).first()
    return response.status_code, user.email if user else None


def change_email(number: int, email: str) -> tuple[int, str]:
    user = get_user_model().objects.create_user(
        f"settings{number}", f"settings{number}@example.org", PASSWORD
    )
    client = client_from(number)
    client.force_login(user)
    response = client.post("/settings", {"first_name": "", "last_name": "", "email": email})
    user.refresh_from_db()
    return response.status_code, user.email


def subscribe(number: int, email: str) -> int:
    return client_from(number).post("/digests/", {"email": email}).status_code


def assert_clean_address(address: str) -> None:
    assert CLEAN.fullmatch(address), repr(address)
    assert "evil" not in address


def test_no_email_field_lets_a_value_add_a_header_or_a_recipient(smtp: Inbox, campaign):
    get_user_model().objects.create_user("victim", "victim@example.org", PASSWORD)
    tried, answers = Counter(), Counter()
    stored: list[str] = []
    for number, value in enumerate(HOSTILE_ADDRESSES):
        status, address = sign_up(number, value)
        tried["sign-up"] += 1
        answers[status] += 1
        if address is not None:
            stored.append(address)
        status, address = change_email(number, value)
        tried["settings email"] += 1
        answers[status] += 1
        stored.append(address)
        answers[ask_password_reset(number, value)] += 1
        tried["password reset"] += 1
        answers[subscribe(number, value)] += 1
        tried["digest subscribe"] += 1
    for number, address in enumerate(stored):
        # A stored address is mailed: a password reset goes to it.
        assert_clean_address(address)
        assert ask_password_reset(1000 + number, address) == 302
    assert not [status for status in answers if status >= 500], answers
    assert smtp.messages, "the mail server received nothing: the test would prove nothing"
    injected = 0
    for received in smtp.messages:
        message = received.message
        recipients = received.recipients
        headers = {name.lower() for name in message}
        if (
            len(recipients) != 1
            or {"bcc", "cc", "x-injected"} & headers
            or "evil" in str(message).lower().split("\n\n", 1)[0]
            or [Address(addr_spec=recipients[0])] != list(message["To"].addresses)
        ):
            injected += 1
            continue
        assert_clean_address(recipients[0])
    campaign.record(
        f"{len(HOSTILE_ADDRESSES)} hostile addresses × {len(tried)} email fields "
        f"({', '.join(tried)}), {len(smtp.messages)} mails received by the SMTP server",
        f"{injected} injected headers or recipients, 0 server errors",
    )
    assert injected == 0
    assert not Subscription.objects.exists()  # nothing is stored before the link is opened
