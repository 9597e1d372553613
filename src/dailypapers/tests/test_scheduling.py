from datetime import datetime
from datetime import time as clock
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured

from dailypapers.scheduling import Daily, Every, next_run, parse_time


def test_next_run_is_the_next_time_of_day_in_the_sites_time_zone(settings):
    settings.TIME_ZONE = "Europe/Paris"
    paris = ZoneInfo("Europe/Paris")
    at = parse_time("07:00", "DAILYPAPERS_DIGEST_TIME")
    before = datetime(2026, 11, 27, 6, 59, tzinfo=paris)
    after = datetime(2026, 11, 27, 7, 0, tzinfo=paris)
    assert next_run(before, at) == datetime(2026, 11, 27, 7, 0, tzinfo=paris)
    assert next_run(after, at) == datetime(2026, 11, 28, 7, 0, tzinfo=paris)
    # Across the change to summer time, still 07:00 on the wall clock.
    assert next_run(datetime(2026, 3, 29, 1, 0, tzinfo=paris), at).utcoffset().seconds == 7200


def test_the_time_must_be_hh_mm():
    assert parse_time(" 23:05 ", "DAILYPAPERS_DIGEST_TIME") == clock(23, 5)
    for text in ("7am", "25:00", ""):
        with pytest.raises(ImproperlyConfigured):
            parse_time(text, "DAILYPAPERS_DIGEST_TIME")


def test_a_daily_job_is_due_from_its_time_of_day_and_its_period_is_the_local_day(settings):
    settings.TIME_ZONE = "Europe/Paris"
    paris = ZoneInfo("Europe/Paris")
    daily = Daily(parse_time("07:00", "DAILYPAPERS_DIGEST_TIME"))
    assert daily.period(datetime(2026, 11, 27, 6, 59, tzinfo=paris)) is None
    assert daily.period(datetime(2026, 11, 27, 7, 0, tzinfo=paris)) == "2026-11-27"
    # 23:30 UTC is already the next day in Paris: a midnight job's next period.
    late = datetime(2026, 11, 27, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert Daily(clock(0, 0)).period(late) == "2026-11-28"
    before = datetime(2026, 11, 27, 6, 0, tzinfo=paris)
    assert daily.describe(before).endswith("next 2026-11-27 07:00")


def test_a_watch_cuts_the_clock_into_the_same_periods_on_every_node():
    every = Every(60)
    start = datetime(2026, 11, 27, 10, 0, 0, tzinfo=ZoneInfo("UTC"))
    assert every.period(start) == every.period(start.replace(second=59))
    assert every.period(start) != every.period(start.replace(minute=1))
    assert every.period(start) == every.period(start.astimezone(ZoneInfo("Asia/Tokyo")))
