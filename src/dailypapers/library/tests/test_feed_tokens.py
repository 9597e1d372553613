"""The private feed's token: one per reader, shown again whenever asked, and a reset
ends the old one."""

import pytest

from dailypapers.library.feed_tokens import feed_token, reset_feed_token, user_for_feed_token

pytestmark = pytest.mark.django_db


def test_a_reader_has_one_token_until_they_reset_it(reader, other):
    token = feed_token(reader)
    assert feed_token(reader) == token and len(token) >= 40
    assert feed_token(other) != token
    assert user_for_feed_token(token) == reader


def test_resetting_the_token_ends_the_old_one(reader):
    old = feed_token(reader)
    new = reset_feed_token(reader)
    assert new != old and feed_token(reader) == new
    assert user_for_feed_token(old) is None
    assert user_for_feed_token(new) == reader


def test_a_deactivated_readers_token_opens_nothing(reader):
    token = feed_token(reader)
    reader.is_active = False
    reader.save()
    assert user_for_feed_token(token) is None
    assert user_for_feed_token("") is None
