"""One model of follows: an account's digest follows what the account follows on the site,
and a subscriber without an account keeps a list of library follows of their own."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from dailypapers.community import verification
from dailypapers.digests import subscriptions, tokens
from dailypapers.digests.following import followed
from dailypapers.digests.models import Subscription
from dailypapers.digests.sending import send_due
from dailypapers.library import follows as library
from dailypapers.library.models import Follow, FollowList

from .conftest import DAY, subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(db):
    user = get_user_model().objects.create_user("ada", "ada@example.org", "pw")
    verification.mark_verified(user)
    return user


def preferences(client: Client, **changes) -> int:
    form = {
        "frequency": "daily",
        "paper_count": "5",
        "categories": "",
        "organizations": "",
        "authors": "",
        "searches": "",
    }
    return client.post(reverse("digests:settings"), form | changes).status_code


def test_what_the_account_follows_on_the_site_is_its_digest_and_back(smtp, catalog, ada):
    subscriber("ada@example.org", user=ada)
    client = Client()
    client.force_login(ada)
    grace, _ = library.follow(ada, "author", "grace hopper")
    page = client.get(reverse("digests:settings")).content.decode()
    assert "Grace Hopper</textarea>" in page
    assert send_due(today=DAY).sent == 1
    assert "New by Grace Hopper" in smtp.messages[0].part("plain")
    # Saved in the digest's preferences: the account's follows, on the site and in the API.
    assert (
        preferences(client, authors="Grace Hopper", categories="cs.RO", searches="laundry") == 302
    )
    assert [(f.kind, f.value) for f in library.follows(ada)] == [
        ("author", "Grace Hopper"),
        ("category", "cs.RO"),
        ("query", "laundry"),
    ]
    assert library.follows(ada).first().pk == grace.pk  # kept, not made again
    assert not FollowList.objects.exists()
    library.unfollow(ada, grace.pk)
    assert "Grace Hopper" not in client.get(reverse("digests:settings")).content.decode()
    assert preferences(client) == 302
    assert not Follow.objects.exists()


def test_confirming_a_link_while_signed_in_adds_to_the_account_follows(smtp, catalog, ada):
    library.follow(ada, "category", "cs.LG")
    client = Client()
    client.force_login(ada)
    client.post("/digests/", {"email": "ada@example.org", "follow": "organization:acme"})
    token = smtp.messages[-1].part("plain").split("/digests/confirm/")[1].split()[0]
    subscription, started = subscriptions.confirm(token)
    assert started and subscription.user == ada and subscription.follow_list is None
    assert [(f.kind, f.value) for f in followed(subscription)] == [
        ("category", "cs.LG"),
        ("organization", "acme"),
    ]


def test_a_subscriber_without_an_account_has_a_list_of_their_own(smtp, catalog):
    bob = subscriber("bob@example.org", [("author", "Grace Hopper")])
    carol = subscriber("carol@example.org", [("author", "Grace Hopper")])
    assert bob.follow_list != carol.follow_list
    assert Follow.objects.filter(user=None).count() == 2
    path = reverse("digests:preferences", args=[tokens.make_token(tokens.MANAGE, bob.email)])
    response = Client().post(
        path, {"frequency": "daily", "paper_count": "5", "categories": "cs.LG"}
    )
    assert response.status_code == 302
    assert [(f.kind, f.value) for f in followed(bob)] == [("category", "cs.LG")]
    assert [(f.kind, f.value) for f in followed(carol)] == [("author", "Grace Hopper")]
    bob.delete()
    assert FollowList.objects.count() == 1
    assert list(Follow.objects.values_list("value", flat=True)) == ["Grace Hopper"]


def test_a_subscriber_who_joins_their_account_brings_their_follows(smtp, catalog, ada):
    subscriber("ada@example.org", [("author", "Grace Hopper"), ("category", "cs.LG")])
    library.follow(ada, "category", "cs.LG")
    client = Client()
    client.force_login(ada)
    client.post("/digests/", {"email": "ada@example.org"})
    token = smtp.messages[-1].part("plain").split("/digests/confirm/")[1].split()[0]
    subscription, _ = subscriptions.confirm(token)
    assert subscription.user == ada and subscription.follow_list is None
    assert not FollowList.objects.exists()
    assert [(f.kind, f.value) for f in library.follows(ada)] == [
        ("category", "cs.LG"),
        ("author", "Grace Hopper"),
    ]
    assert Subscription.objects.get().follow_list_id is None
