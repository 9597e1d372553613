"""A paper with authors, an organization and the people who act on them."""

from datetime import date

import pytest
from django.contrib.auth.models import Permission, User

from dailypapers.community.models import Membership
from dailypapers.papers.models import Organization, Paper
from dailypapers.papers.records import ListingRecord, PaperRecord
from dailypapers.papers.upserts import upsert_listings, upsert_papers

PASSWORD = "a long enough passphrase 42"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The production hasher is slow on purpose; tests log in dozens of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def paper(db) -> Paper:
    upsert_papers(
        [
            PaperRecord.build(
                arxiv_id="2403.01779",
                title="OOTDiffusion",
                abstract="Virtual try-on.",
                authors=["Yuhao Xu", "Tao Gu"],
                published=date(2024, 3, 4),
                categories=["cs.CV"],
            )
        ]
    )
    upsert_listings([ListingRecord(arxiv_id="2403.01779", date=date(2024, 3, 5), source="hf-api")])
    return Paper.objects.get(pk="2403.01779")


def make_user(username: str, **fields) -> User:
    return User.objects.create_user(
        username, email=f"{username}@example.org", password=PASSWORD, **fields
    )


@pytest.fixture
def alice(db) -> User:
    return make_user("alice")


@pytest.fixture
def bob(db) -> User:
    return make_user("bob")


@pytest.fixture
def moderator(db) -> User:
    """Not staff: the moderate_comments permission alone makes a moderator."""
    user = make_user("mod")
    user.user_permissions.add(Permission.objects.get(codename="moderate_comments"))
    return user


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_superuser("root", "root@example.org", PASSWORD)


@pytest.fixture
def organization(db) -> Organization:
    return Organization.objects.create(slug="acme", name="Acme Research")


@pytest.fixture
def member(alice, organization) -> User:
    Membership.objects.create(user=alice, organization=organization)
    return alice


@pytest.fixture
def as_alice(client, alice):
    client.force_login(alice)
    return client
