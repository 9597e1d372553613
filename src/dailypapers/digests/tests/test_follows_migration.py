"""Migration digests 0003: the digests' own follows become library follows (one model)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("digests", "0002_delete_throttle"), ("library", "0001_initial")]
AFTER = [("digests", "0003_follows_move_to_library")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_the_latest_schema(transactional_db):
    """The other tests run on the latest schema, whatever state this one leaves."""
    yield
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.usefixtures("back_to_the_latest_schema")
def test_digest_follows_move_to_the_account_or_a_list_of_their_own():
    apps = migrate(BEFORE)
    User = apps.get_model("auth", "User")
    Subscription = apps.get_model("digests", "Subscription")
    OldFollow = apps.get_model("digests", "Follow")
    LibraryFollow = apps.get_model("library", "Follow")
    ada = User.objects.create(username="ada", email="ada@example.org")
    LibraryFollow.objects.create(user=ada, kind="category", value="cs.LG")
    with_account = Subscription.objects.create(email="ada@example.org", user=ada)
    by_email = Subscription.objects.create(email="bob@example.org")
    Subscription.objects.create(email="carol@example.org")
    for subscription, kind, value in [
        (with_account, "search", "laundry folding"),
        (with_account, "category", "cs.LG"),  # the account follows it already
        (with_account, "author", "Grace Hopper"),
        (by_email, "organization", "acme"),
        (by_email, "search", "robots"),
    ]:
        OldFollow.objects.create(subscription=subscription, kind=kind, value=value)

    apps = migrate(AFTER)
    Subscription = apps.get_model("digests", "Subscription")
    Follow = apps.get_model("library", "Follow")
    ordered = ("created_at", "id")
    assert list(
        Follow.objects.filter(user__username="ada").order_by(*ordered).values_list("kind", "value")
    ) == [("category", "cs.LG"), ("query", "laundry folding"), ("author", "Grace Hopper")]
    ada_digest = Subscription.objects.get(email="ada@example.org")
    assert ada_digest.follow_list_id is None
    bob = Subscription.objects.get(email="bob@example.org")
    assert list(
        Follow.objects.filter(follow_list_id=bob.follow_list_id)
        .order_by(*ordered)
        .values_list("kind", "value", "user")
    ) == [
        ("organization", "acme", None),
        ("query", "robots", None),
    ]
    assert Subscription.objects.get(email="carol@example.org").follow_list_id is None
    assert "digests_follow" not in connection.introspection.table_names()

    apps = migrate(BEFORE)  # and back: each subscription's follows in its own rows again
    OldFollow = apps.get_model("digests", "Follow")
    assert sorted(
        OldFollow.objects.filter(subscription__email="bob@example.org").values_list("kind", "value")
    ) == [("organization", "acme"), ("search", "robots")]
