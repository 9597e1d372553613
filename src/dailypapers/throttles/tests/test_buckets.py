"""Token buckets: bursts, refill, giving back, forgetting, and rates checked at start."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from dailypapers.throttles import buckets
from dailypapers.throttles.models import Throttle
from dailypapers.throttles.rates import parse_rate

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("3/day", (3, 86400)), (" 120 / minute ", (120, 60)), ("20/hour", (20, 3600))],
)
def test_a_rate_is_a_burst_and_a_period(text, parsed):
    assert parse_rate(text) == parsed


@pytest.mark.parametrize("text", ["0/hour", "3/week", "3 per day", "", "-1/day", "3/days"])
def test_a_malformed_rate_is_refused(text):
    with pytest.raises(ValueError, match="not a rate like"):
        parse_rate(text)


def test_a_burst_then_one_token_per_share_of_the_period():
    start = timezone.now()
    taken = [buckets.take("k", "3/hour", start) for _ in range(4)]
    assert taken[:3] == [0.0, 0.0, 0.0]
    assert taken[3] == pytest.approx(1200)  # one token every 20 minutes
    assert buckets.take("k", "3/hour", start + timedelta(minutes=19)) == pytest.approx(60)
    assert buckets.take("k", "3/hour", start + timedelta(minutes=20)) == 0.0
    # A long pause refills the bucket to its burst, not beyond.
    later = start + timedelta(days=1)
    assert [buckets.take("k", "3/hour", later) == 0.0 for _ in range(4)] == [
        True,
        True,
        True,
        False,
    ]


def test_a_refused_request_takes_nothing():
    start = timezone.now()
    buckets.take("k", "1/minute", start)
    for _ in range(5):
        buckets.take("k", "1/minute", start)
    assert buckets.take("k", "1/minute", start + timedelta(seconds=60)) == 0.0


def test_keys_are_separate_buckets():
    now = timezone.now()
    assert buckets.take("a", "1/day", now) == 0.0
    assert buckets.take("b", "1/day", now) == 0.0
    assert buckets.take("a", "1/day", now) > 0


def test_giving_back_returns_a_token_up_to_the_burst():
    now = timezone.now()
    buckets.take("k", "2/day", now)
    buckets.give_back("k", "2/day")
    buckets.give_back("k", "2/day")
    assert Throttle.objects.get(key="k").tokens == 2.0


def test_buckets_untouched_for_a_day_are_forgotten_when_a_new_key_comes():
    now = timezone.now()
    buckets.take("old", "1/day", now - timedelta(days=1, seconds=1))
    buckets.take("recent", "1/day", now - timedelta(hours=23))
    buckets.take("new", "1/day", now)
    assert set(Throttle.objects.values_list("key", flat=True)) == {"recent", "new"}


def test_a_malformed_rate_in_the_environment_stops_the_start(tmp_path):
    env = {
        **os.environ,
        "DAILYPAPERS_DATA_DIR": str(tmp_path),
        "DAILYPAPERS_RATE_VOTE_PER_ACCOUNT": "lots",
    }
    result = subprocess.run(
        [sys.executable, "-m", "dailypapers", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DAILYPAPERS_RATE_VOTE_PER_ACCOUNT: 'lots' is not a rate like 20/hour" in result.stderr
