"""Every limited action answers 429 once its bucket is empty: a readable page or form
error for people, JSON with Retry-After for the API; per account and per client network."""

import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from dailypapers.community.models import ApiToken, Comment
from dailypapers.papers.models import DailyListing, Upvote
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.upserts import upsert_papers

pytestmark = pytest.mark.django_db
PASSWORD = "a long enough passphrase 42"
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/papers"}


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def papers(db) -> list[str]:
    """Five papers published yesterday: each can be voted on and submitted."""
    ids = [f"2611.{n:05d}" for n in range(5)]
    yesterday = timezone.localdate() - timedelta(days=1)
    upsert_papers(
        [
            PaperRecord.build(arxiv_id=i, title=i, abstract=".", authors=["A"], published=yesterday)
            for i in ids
        ]
    )
    return ids


def account(username: str) -> User:
    return User.objects.create_user(username, f"{username}@example.org", PASSWORD)


def client_at(address: str, user: User | None = None) -> Client:
    client = Client(REMOTE_ADDR=address)
    if user:
        client.force_login(user)
    return client


def assert_refused_page(response, text: str) -> None:
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert text in response.content.decode()


def login(client: Client, username: str, password: str = "wrong password"):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_failed_logins_are_limited_per_username_even_for_the_right_password(settings):
    settings.RATE_LOGIN_PER_ACCOUNT = "3/hour"
    account("alice")
    answers = [login(client_at(f"192.0.2.{n}"), "alice").status_code for n in range(3)]
    assert answers == [200, 200, 200]  # the form again: wrong password
    refused = login(client_at("192.0.2.9"), "ALICE", PASSWORD)
    assert_refused_page(
        refused, "Too many failed logins for this account. Try again in 20 minutes."
    )
    assert "_auth_user_id" not in refused.client.session
    # Another username is another bucket.
    account("bob")
    assert login(client_at("192.0.2.9"), "bob", PASSWORD).status_code == 302


def test_successful_logins_do_not_count(settings):
    settings.RATE_LOGIN_PER_ACCOUNT = "2/hour"
    account("alice")
    for _ in range(4):
        assert login(Client(), "alice", PASSWORD).status_code == 302


def test_failed_logins_are_limited_per_client(settings):
    settings.RATE_LOGIN_PER_CLIENT = "3/hour"
    guesser = client_at("2001:db8:7::1")
    assert [login(guesser, f"user{n}").status_code for n in range(3)] == [200, 200, 200]
    assert_refused_page(login(client_at("2001:db8:7::2"), "user9"), "from your network")
    assert login(client_at("198.51.100.1"), "user9").status_code == 200


def test_the_admin_login_counts_failed_logins_too(settings):
    settings.RATE_LOGIN_PER_ACCOUNT = "2/hour"
    User.objects.create_superuser("root", "root@example.org", PASSWORD)
    admin = Client()
    for _ in range(2):
        admin.post("/admin/login/", {"username": "root", "password": "guess"})
    refused = admin.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert "Too many failed logins" in refused.content.decode()
    assert "_auth_user_id" not in admin.session


def test_password_reset_emails_are_limited_per_address_known_or_not(settings, mailoutbox):
    settings.RATE_PASSWORD_RESET_PER_ACCOUNT = "2/hour"
    account("alice")
    for address in ["alice@example.org", "nobody@example.org"]:
        answers = [
            client_at(f"192.0.2.{n}").post("/accounts/password_reset/", {"email": address})
            for n in range(3)
        ]
        assert [a.status_code for a in answers[:2]] == [302, 302]
        # The same answer whether or not an account has the address.
        assert_refused_page(answers[2], "Too many password-reset emails to this address.")
    assert len(mailoutbox) == 2


def test_password_reset_emails_are_limited_per_client(settings, mailoutbox):
    settings.RATE_PASSWORD_RESET_PER_CLIENT = "2/hour"
    sprayer = client_at("192.0.2.1")
    for n in range(2):
        sprayer.post("/accounts/password_reset/", {"email": f"victim{n}@example.org"})
    refused = sprayer.post("/accounts/password_reset/", {"email": "victim9@example.org"})
    assert_refused_page(refused, "Too many password-reset emails from your network.")


def test_sign_ups_are_limited_per_client(settings, mailoutbox):
    settings.RATE_SIGNUP_PER_CLIENT = "2/hour"

    def sign_up(address: str, username: str):
        data = {"username": username, "email": f"{username}@example.org"}
        data |= {"password1": PASSWORD, "password2": PASSWORD}
        return client_at(address).post("/accounts/signup/", data)

    assert [sign_up("192.0.2.1", f"user{n}").status_code for n in range(2)] == [302, 302]
    refused = sign_up("192.0.2.1", "user2")
    assert_refused_page(refused, "Too many new accounts from your network.")
    assert 'value="user2"' in refused.content.decode()  # the form keeps what was typed
    assert not User.objects.filter(username="user2").exists()
    assert sign_up("198.51.100.1", "user2").status_code == 302


def test_comments_are_limited_per_client(settings, papers):
    settings.RATE_COMMENT_PER_CLIENT = "2/hour"
    alice, bob = account("alice"), account("bob")
    path = f"/papers/{papers[0]}/comments"
    assert client_at("192.0.2.1", alice).post(path, {"body": "one"}).status_code == 302
    assert client_at("192.0.2.1", bob).post(path, {"body": "two"}).status_code == 302
    refused = client_at("192.0.2.1", bob).post(path, {"body": "three"})
    assert_refused_page(refused, "Too many comments from your network.")
    assert Comment.objects.count() == 2


def test_votes_on_the_site_are_limited_per_account(settings, papers):
    settings.RATE_VOTE_PER_ACCOUNT = "3/minute"
    voter = client_at("192.0.2.1", account("alice"))
    for arxiv_id in papers[:3]:
        assert voter.post(f"/papers/{arxiv_id}/upvote").status_code == 302
    refused = voter.post(f"/papers/{papers[3]}/upvote")
    assert_refused_page(refused, "Too many votes for this account. Try again in 20 seconds.")
    # htmx: the button stays as it was, with the reason under it.
    fragment = voter.post(f"/papers/{papers[3]}/upvote", **HTMX)
    assert fragment.status_code == 200
    page = fragment.content.decode()
    assert 'role="alert">Too many votes' in page and 'aria-pressed="false"' in page
    assert Upvote.objects.count() == 3


def test_votes_on_the_site_are_limited_per_client(settings, papers):
    settings.RATE_VOTE_PER_CLIENT = "2/minute"
    for name in ["alice", "bob"]:
        assert (
            client_at("192.0.2.1", account(name)).post(f"/papers/{papers[0]}/upvote").status_code
            == 302
        )
    refused = client_at("192.0.2.1", account("carol")).post(f"/papers/{papers[0]}/upvote")
    assert_refused_page(refused, "Too many votes from your network.")


def test_submissions_on_the_site_are_limited_per_account(settings, papers):
    settings.RATE_SUBMIT_PER_ACCOUNT = "2/hour"
    submitter = client_at("192.0.2.1", account("alice"))
    for arxiv_id in papers[:2]:
        assert submitter.post("/papers/submit", {"arxiv_id": arxiv_id}).status_code == 302
    refused = submitter.post("/papers/submit", {"arxiv_id": papers[2]})
    assert_refused_page(refused, "Too many submissions for this account.")
    assert 'value="2611.00002"' in refused.content.decode()
    assert DailyListing.objects.count() == 2


def api(client: Client, method: str, path: str, token: str, body: dict | None = None):
    return getattr(client, method)(
        path,
        data=json.dumps(body) if body else None,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def token_for(username: str) -> str:
    return ApiToken.objects.issue(account(username), "script")[1]


def assert_refused_json(response, scope: str) -> None:
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    assert int(response["Retry-After"]) > 0
    assert re.fullmatch(rf"Too many \w+ {scope}\. Try again in .+\.", response.json()["error"])


def test_api_votes_are_limited_per_account_and_per_client(settings, papers):
    settings.RATE_VOTE_PER_ACCOUNT = "3/minute"
    settings.RATE_VOTE_PER_CLIENT = "6/minute"
    alice, bob = token_for("alice"), token_for("bob")
    client = client_at("192.0.2.1")
    answers = [api(client, "post", f"/api/papers/{i}/upvote", alice) for i in papers[:4]]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    assert_refused_json(answers[3], "for this account")
    # Withdrawing is voting too.
    assert_refused_json(
        api(client, "delete", f"/api/papers/{papers[0]}/upvote", alice), "for this account"
    )
    # Bob, from the same network, has what is left of the client's six: every
    # request from it counted, refused ones too.
    answers = [api(client, "post", f"/api/papers/{papers[0]}/upvote", bob) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 429]
    assert_refused_json(answers[1], "from your network")
    assert Upvote.objects.count() == 4


def test_api_submissions_are_limited_per_account(settings, papers):
    settings.RATE_SUBMIT_PER_ACCOUNT = "2/hour"
    token = token_for("alice")
    client = client_at("192.0.2.1")
    answers = [api(client, "post", "/api/daily_papers", token, {"arxivId": i}) for i in papers[:3]]
    assert [a.status_code for a in answers[:2]] == [201, 201]
    assert_refused_json(answers[2], "for this account")
    assert DailyListing.objects.count() == 2


def test_a_read_only_token_is_refused_before_it_counts(settings, papers):
    settings.RATE_VOTE_PER_ACCOUNT = "1/minute"
    user = account("alice")
    _, read_only = ApiToken.objects.issue(user, "reader", can_write=False)
    _, writer = ApiToken.objects.issue(user, "writer")
    client = client_at("192.0.2.1")
    assert api(client, "post", f"/api/papers/{papers[0]}/upvote", read_only).status_code == 403
    assert api(client, "post", f"/api/papers/{papers[0]}/upvote", writer).status_code == 200
