"""Subscribing through the website: double opt-in, signed links, bad input, rate limits."""

import re
import time
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from dailypapers.community import verification
from dailypapers.conftest import free_port
from dailypapers.digests import tokens
from dailypapers.digests.following import followed
from dailypapers.digests.models import Subscription
from dailypapers.library.models import Follow

from .conftest import subscriber

pytestmark = pytest.mark.django_db
SUBSCRIBE = "/digests/"


def link_in(received) -> str:
    """The path of the confirmation link in a received email."""
    return urlsplit(re.search(r"https://\S+", received.part("plain"))[0]).path


def test_subscribe_confirm_then_preferences(smtp, catalog):
    client = Client()
    response = client.post(
        SUBSCRIBE,
        {"email": " Ada@Example.org ", "follow": ["organization:acme"], "next": "/papers"},
    )
    assert response.status_code == 302 and response["Location"] == "/papers"
    # Double opt-in: one email with a link, and nothing stored yet.
    [received] = smtp.messages
    assert received.recipients == ["ada@example.org"]
    assert received.message["Subject"] == "Confirm your subscription to the dailypapers digest"
    assert "papers from Acme Research" in received.part("plain")
    assert not Subscription.objects.exists()
    confirm = link_in(received)
    page = client.get(confirm)
    assert page.status_code == 200 and b"ada@example.org" in page.content
    assert not Subscription.objects.exists()  # a mail scanner opening the link subscribes no one
    response = client.post(confirm)
    subscription = Subscription.objects.get()
    assert subscription.status == Subscription.Status.ACTIVE
    assert [(f.kind, f.value) for f in followed(subscription)] == [("organization", "acme")]
    # Confirming leads to the preferences page, which saves.
    preferences = response["Location"]
    assert client.get(preferences).status_code == 200
    response = client.post(
        preferences,
        {
            "frequency": "weekly",
            "paper_count": "5",
            "categories": "cs.LG, cs.RO",
            "organizations": "acme",
            "authors": "grace hopper",
            "searches": "laundry folding\n",
        },
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.frequency, subscription.paper_count) == ("weekly", 5)
    assert sorted((f.kind, f.value) for f in followed(subscription)) == [
        ("author", "Grace Hopper"),
        ("category", "cs.LG"),
        ("category", "cs.RO"),
        ("organization", "acme"),
        ("query", "laundry folding"),
    ]
    assert len(smtp.messages) == 1  # confirming sends nothing more


def test_preferences_refuse_what_does_not_exist(smtp, catalog):
    subscriber("ada@example.org", [("category", "cs.LG")])
    path = reverse(
        "digests:preferences", args=[tokens.make_token(tokens.MANAGE, "ada@example.org")]
    )
    response = Client().post(
        path,
        {
            "frequency": "daily",
            "paper_count": "7",
            "categories": "cs.LG\nBcc:",
            "authors": "Nobody",
        },
    )
    assert response.status_code == 400
    for error in (b"not an arXiv category", b"no author named", b"Select a valid choice"):
        assert error in response.content
    assert list(Follow.objects.values_list("value", flat=True)) == ["cs.LG"]


def test_the_box_on_feed_and_paper_pages_posts_with_csrf(smtp, catalog, client):
    page = client.get("/organizations/acme")
    html = page.content.decode()
    assert 'action="/digests/"' in html and "csrfmiddlewaretoken" in html
    assert 'value="organization:acme" checked' in html
    paper = client.get("/papers/2611.00004").content.decode()
    assert 'action="/digests/"' in paper and 'value="category:cs.LG"' in paper


def test_subscribe_needs_the_csrf_token_the_box_carries(smtp, catalog):
    client = Client(enforce_csrf_checks=True)
    response = client.post(SUBSCRIBE, {"email": "ada@example.org"})
    assert response.status_code == 403
    assert smtp.messages == []
    page = client.get("/authors/Grace Hopper").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    response = client.post(
        SUBSCRIBE,
        {"email": "ada@example.org", "follow": "author:Grace Hopper", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert "papers by Grace Hopper" in smtp.messages[0].part("plain")


@pytest.mark.parametrize(
    "address",
    [
        "",
        "not-an-address",
        "a@b.c\nBcc: x@y.z",
        "a@b.c\r\nBcc: x@y.z",
        "a@b.c,x@y.z",
        "<a@b.c>",
        "x" * 250 + "@example.org",
    ],
)
def test_invalid_addresses_get_a_clear_answer_and_no_mail(smtp, catalog, address):
    response = Client().post(SUBSCRIBE, {"email": address})
    assert response.status_code == 400
    assert b"errorlist" in response.content
    assert smtp.messages == []


def test_follow_values_from_the_box_are_checked(smtp, catalog):
    for follow in ("organization:nope", "search:anything", "query:anything", "user:admin"):
        response = Client().post(SUBSCRIBE, {"email": "ada@example.org", "follow": follow})
        assert response.status_code == 400
    assert smtp.messages == []


def test_repeated_requests_for_one_address_are_limited(smtp, catalog, settings):
    settings.DIGEST_RATE_PER_ADDRESS = "3/day"
    answers = [
        Client(REMOTE_ADDR=f"10.0.0.{n}").post(SUBSCRIBE, {"email": "ada@example.org"}).status_code
        for n in range(6)
    ]
    assert answers == [302, 302, 302, 429, 429, 429]
    assert len(smtp.messages) == 3


def test_one_client_cannot_spray_addresses(smtp, catalog, settings):
    settings.DIGEST_RATE_PER_CLIENT = "4/hour"
    client = Client(REMOTE_ADDR="2001:db8::1")
    answers = [
        client.post(SUBSCRIBE, {"email": f"victim{n}@example.org"}).status_code for n in range(5)
    ]
    assert answers == [302, 302, 302, 302, 429]
    # The same /64 is the same client; another network is not limited.
    neighbour = Client(REMOTE_ADDR="2001:db8::2")
    assert neighbour.post(SUBSCRIBE, {"email": "x@example.org"}).status_code == 429
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert other.post(SUBSCRIBE, {"email": "x@example.org"}).status_code == 302
    assert len(smtp.messages) == 5


def test_a_mail_server_that_does_not_answer_is_said_on_the_form_and_nothing_is_lost(
    smtp, catalog, settings
):
    settings.DIGEST_RATE_PER_ADDRESS = "3/day"
    working_port, settings.EMAIL_PORT = settings.EMAIL_PORT, free_port()  # nothing listens
    box = {"email": "ada@example.org", "follow": ["organization:acme"], "next": "/papers"}
    for n in range(4):  # more tries than the address's rate allows
        response = Client(REMOTE_ADDR=f"10.0.0.{n}").post(SUBSCRIBE, box)
        assert response.status_code == 503
        page = response.content.decode()
        assert "mail server is not answering" in page and "try again" in page
        # What was typed is kept, so pressing Subscribe again re-sends it.
        assert 'value="ada@example.org"' in page and 'value="organization:acme"' in page
        assert 'name="next" value="/papers"' in page
    settings.EMAIL_PORT = working_port
    response = Client(REMOTE_ADDR="10.0.0.9").post(SUBSCRIBE, box)
    assert response.status_code == 302 and response["Location"] == "/papers"
    [received] = smtp.messages
    assert "papers from Acme Research" in received.part("plain")


def test_an_address_the_mail_server_refuses_gets_its_reply(smtp, catalog):
    smtp.refuse["ada@example.org"] = "550 5.1.1 no such user"
    response = Client().post(SUBSCRIBE, {"email": "ada@example.org"})
    assert response.status_code == 503
    assert "refused this address: 550 5.1.1 no such user" in response.content.decode()


def test_asking_again_when_subscribed_adds_follows_after_confirmation(smtp, catalog):
    subscriber("ada@example.org")
    client = Client()
    response = client.post(SUBSCRIBE, {"email": "ada@example.org", "follow": "author:Grace Hopper"})
    assert response.status_code == 302  # the same answer as for a new address
    [received] = smtp.messages
    assert received.message["Subject"] == "Confirm the change to your dailypapers digest"
    assert not Follow.objects.exists()
    client.post(link_in(received))
    assert list(Follow.objects.values_list("value", flat=True)) == ["Grace Hopper"]


def test_tampered_expired_and_misused_links_are_refused(smtp, catalog, monkeypatch):
    subscriber("ada@example.org")
    subscriber("bob@example.org")
    unsubscribe = tokens.make_token(tokens.UNSUBSCRIBE, "ada@example.org")
    payload, stamp, signature = unsubscribe.split(":")
    forged = tokens.make_token(tokens.UNSUBSCRIBE, "bob@example.org").split(":")[0]
    client = Client()
    for token in (
        f"{forged}:{stamp}:{signature}",  # ada's signature on bob's address
        f"{payload}:{stamp}:{signature[:-2]}xx",
        tokens.make_token(tokens.MANAGE, "bob@example.org"),  # a link made for another purpose
        "garbage",
    ):
        response = client.post(reverse("digests:unsubscribe", args=[token]))
        assert response.status_code == 400 and b"not valid" in response.content
    assert not Subscription.objects.exclude(status=Subscription.Status.ACTIVE).exists()
    # Confirmation links expire after DIGEST_CONFIRM_MAX_AGE_DAYS.
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now - 8 * 86400)
    old = tokens.make_confirm_token("carol@example.org", [], None)
    monkeypatch.undo()
    response = client.post(reverse("digests:confirm", args=[old]))
    assert response.status_code == 400 and b"expired" in response.content
    assert not Subscription.objects.filter(email="carol@example.org").exists()


def test_unsubscribe_page_then_subscribe_again(smtp, catalog):
    subscriber("ada@example.org")
    path = reverse(
        "digests:unsubscribe", args=[tokens.make_token(tokens.UNSUBSCRIBE, "ada@example.org")]
    )
    client = Client()
    page = client.get(path)
    assert page.status_code == 200 and b"Unsubscribe" in page.content
    assert Subscription.objects.get().status == Subscription.Status.ACTIVE  # GET changes nothing
    assert client.post(path).status_code == 200
    assert Subscription.objects.get().status == Subscription.Status.UNSUBSCRIBED
    client.post(path.replace("unsubscribe", "resume"))
    assert Subscription.objects.get().status == Subscription.Status.ACTIVE


def test_signed_in_users_settings_and_data_export(smtp, catalog):
    user = get_user_model().objects.create_user("ada", "ada@example.org", "pw")
    verification.mark_verified(user)
    client = Client()
    client.force_login(user)
    page = client.get(reverse("digests:settings"))
    assert b'value="ada@example.org"' in page.content
    client.post(SUBSCRIBE, {"email": "ada@example.org"})
    client.post(link_in(smtp.messages[0]))
    assert Subscription.objects.get().user == user
    page = client.get(reverse("digests:settings"))
    assert b"Papers per section" in page.content
    data = client.get("/export/me.json").json()
    assert data["digest_subscriptions"][0]["email"] == "ada@example.org"
    assert Client().get(reverse("digests:settings")).status_code == 302  # to the login page


def test_a_signed_in_user_cannot_take_over_someone_elses_subscription(smtp, catalog):
    mallory = get_user_model().objects.create_user("mallory", "mallory@example.org", "pw")
    client = Client()
    client.force_login(mallory)
    client.post(SUBSCRIBE, {"email": "ada@example.org"})
    Client().post(link_in(smtp.messages[0]))  # Ada confirms from her inbox
    assert Subscription.objects.get().user is None
    assert b"You have no digest yet" in client.get(reverse("digests:settings")).content


def test_an_account_with_someone_elses_unverified_address_is_not_linked_to_their_digest(
    smtp, catalog
):
    subscriber("ada@example.org")  # Ada's digest, confirmed before
    mallory = get_user_model().objects.create_user("mallory", "mallory@example.org", "pw")
    client = Client()
    client.force_login(mallory)
    # Mallory puts Ada's address on her account: nothing proves it is hers.
    changed = client.post("/settings", {"email": "ada@example.org"})
    assert changed.status_code == 302
    client.post(SUBSCRIBE, {"email": "ada@example.org"})
    [confirmation] = [m for m in smtp.to("ada@example.org") if "digest" in m.message["Subject"]]
    Client().post(link_in(confirmation))  # Ada confirms "the change to her digest"
    assert Subscription.objects.get().user is None
    assert b"You have no digest yet" in client.get(reverse("digests:settings")).content


def test_an_account_joins_its_digest_once_it_verified_its_address(smtp, catalog):
    client = Client()
    password = "a long enough passphrase 42"
    client.post(
        "/accounts/signup/",
        {
            "username": "ada",
            "email": "ada@example.org",
            "password1": password,
            "password2": password,
        },
    )
    [verify] = smtp.to("ada@example.org")
    assert verify.message["Subject"] == "Verify your email address for dailypapers"
    client.post(re.search(r"https://[^/\s]+(/accounts/verify/\S+)", verify.part("plain"))[1])
    client.post(SUBSCRIBE, {"email": "ada@example.org"})
    client.post(link_in(smtp.messages[-1]))
    assert Subscription.objects.get().user.username == "ada"
    assert b"Papers per section" in client.get(reverse("digests:settings")).content
