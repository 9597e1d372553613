"""Composing and sending digests to a real SMTP server: content, links, exactly once, failures."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from dailypapers.digests.delivery import SendAborted
from dailypapers.digests.due import due_periods
from dailypapers.digests.models import Digest, SentPaper, Subscription
from dailypapers.digests.sending import send_due
from dailypapers.papers.models import DailyListing, Paper
from dailypapers.search.indexing import sync_keyword_index

from .conftest import DAY, make_paper, subscriber

pytestmark = pytest.mark.django_db


def test_digest_lists_trending_then_followed_sections_in_both_parts(smtp, catalog):
    subscriber(
        "ada@example.org",
        [("organization", "acme"), ("author", "Grace Hopper"), ("category", "cs.RO")],
        paper_count=5,
    )
    report = send_due(today=DAY)
    assert report.sent == 1
    [received] = smtp.messages
    assert received.recipients == ["ada@example.org"]
    assert received.mail_from == "digest@papers.example.org"
    message = received.message
    # The title's line break is gone from the subject (it would be a header injection).
    assert message["Subject"] == "Daily papers: Hot paper on attention and 5 more"
    text, html = received.part("plain"), received.part("html")
    for part in (text, html):
        for heading in (
            "Trending",
            "New from Acme Research",
            "New by Grace Hopper",
            "New in cs.RO",
        ):
            assert heading in part
    # Trending first, by score; then each section; nothing twice ("warm" is Acme's too).
    order = [text.index(f"/papers/2611.0000{n}") for n in (1, 2, 3, 4, 5, 6)]
    assert order == sorted(order)
    assert text.count("/papers/2611.00002") == 1
    assert "Acme Research · Ada Lovelace, Alan Turing" in text
    assert "We study 2611.00001 carefully." in text
    assert "<script" not in html and "<link" not in html and 'style="' in html
    assert "https://papers.example.org/papers/2611.00001" in html
    digest = Digest.objects.get()
    assert digest.status == Digest.Status.SENT and digest.period == "daily:2026-11-27"
    assert digest.message_id == message["Message-ID"].strip()
    assert set(SentPaper.objects.values_list("paper_id", flat=True)) == {
        f"2611.0000{n}" for n in range(1, 7)
    }


def test_hidden_papers_and_listings_are_in_no_section(smtp, catalog):
    # "cool" would trend and "acme" is new from Acme; "hot" trends no more once its listing is.
    Paper.objects.filter(pk__in=["2611.00003", "2611.00004"]).update(is_hidden=True)
    DailyListing.objects.filter(paper_id="2611.00001").update(is_hidden=True)
    subscriber(
        "ada@example.org",
        [("organization", "acme"), ("author", "Grace Hopper"), ("category", "cs.RO")],
        paper_count=5,
    )
    send_due(today=DAY)
    text = smtp.messages[0].part("plain")
    shown = {pid for pid in (f"2611.0000{n}" for n in range(1, 7)) if f"/papers/{pid}" in text}
    assert shown == {"2611.00002", "2611.00005", "2611.00006"}


def test_unsubscribe_headers_and_links_work(smtp, catalog):
    subscriber("ada@example.org")
    send_due(today=DAY)
    message = smtp.messages[0].message
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = message["List-Unsubscribe"].strip().strip("<>")  # unfolded: " <…>"
    assert one_click.startswith("https://papers.example.org/digests/unsubscribe/")
    text = smtp.messages[0].part("plain")
    preferences = next(
        line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("Preferences: ")
    )
    assert Client().get(urlsplit(preferences).path).status_code == 200
    # RFC 8058: a mail client POSTs the body below, with no cookie and no CSRF token.
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        urlsplit(one_click).path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert Subscription.objects.get().status == Subscription.Status.UNSUBSCRIBED
    assert send_due(today=DAY + timedelta(days=3)).sent == 0


def test_running_twice_sends_once_and_later_digests_repeat_nothing(smtp, catalog):
    subscriber("ada@example.org", [("category", "cs.LG")])
    assert send_due(today=DAY).sent == 1
    assert send_due(today=DAY).sent == 0
    call_command("digest", "send", "--date", DAY.isoformat())
    assert len(smtp.messages) == 1
    # Monday: a new paper; the trending ones were sent on Friday.
    make_paper("2611.00007", upvotes=3, listed=DAY + timedelta(days=3), title="Brand new")
    report = send_due(today=DAY + timedelta(days=3))
    assert report.sent == 1
    second = smtp.messages[1].part("plain")
    assert "/papers/2611.00007" in second
    assert "/papers/2611.00001" not in second and "/papers/2611.00004" not in second


def test_an_empty_digest_is_not_sent(smtp, catalog):
    ada = subscriber("ada@example.org")
    send_due(today=DAY)
    report = send_due(today=DAY + timedelta(days=3))
    assert (report.sent, report.empty) == (0, 1)
    assert len(smtp.messages) == 1
    assert Digest.objects.get(period="daily:2026-11-30").status == Digest.Status.EMPTY
    ada.refresh_from_db()
    assert ada.covered_until > timezone.now() - timedelta(minutes=1)


def test_saved_search_lists_new_matches(smtp, catalog):
    sync_keyword_index()
    subscriber("ada@example.org", [("query", "laundry folding")], paper_count=3)
    send_due(today=DAY)
    text = smtp.messages[0].part("plain")
    section = text.split("New for “laundry folding”")[1]
    assert "/papers/2611.00006" in section and "/papers/2611.00005" not in section


def test_daily_on_weekdays_weekly_once_a_week(smtp, catalog):
    assert set(due_periods(DAY)) == {"daily", "weekly"}
    saturday = DAY + timedelta(days=1)
    assert due_periods(saturday) == {"weekly": "weekly:2026-W48"}
    subscriber("ada@example.org")
    subscriber("bob@example.org", frequency="weekly")
    assert send_due(today=DAY, only="daily").sent == 1
    assert send_due(today=DAY).sent == 1  # the weekly one
    assert send_due(today=saturday).sent == 0
    assert [m.message["Subject"].split(":")[0] for m in smtp.messages] == [
        "Daily papers",
        "Weekly papers",
    ]


def test_dry_run_sends_and_records_nothing(smtp, catalog):
    subscriber("ada@example.org")
    call_command("digest", "send", "--dry-run", "--date", DAY.isoformat())
    assert smtp.messages == [] and not Digest.objects.exists()


def test_temporary_failures_are_retried_with_back_off(smtp, catalog):
    subscriber("ada@example.org")
    smtp.temporary_failures = 2
    delays = []
    report = send_due(today=DAY, mailer_sleep=delays.append)
    assert (report.sent, report.retries) == (1, 2)
    assert delays == [0.01, 0.02]
    assert len(smtp.messages) == 1


def test_a_temporary_failure_that_lasts_is_retried_by_the_next_run(smtp, catalog):
    subscriber("ada@example.org")
    smtp.temporary_failures = 10
    report = send_due(today=DAY, mailer_sleep=lambda s: None)
    assert (report.sent, report.deferred) == (0, 1)
    assert Digest.objects.get().status == Digest.Status.PENDING
    smtp.temporary_failures = 0
    assert send_due(today=DAY).sent == 1
    assert len(smtp.messages) == 1


def test_permanent_failures_are_recorded_and_suspend_after_repeats(smtp, catalog, settings):
    settings.DIGEST_MAX_BOUNCES = 2
    subscriber("gone@example.org")
    subscriber("ada@example.org")
    smtp.refuse["gone@example.org"] = "550 5.1.1 no such user"
    report = send_due(today=DAY)
    assert (report.sent, report.failed, report.retries) == (1, 1, 0)
    failed = Digest.objects.get(subscription__email="gone@example.org")
    assert failed.status == Digest.Status.FAILED and failed.error.startswith("550")
    assert send_due(today=DAY).failed == 0  # the period is settled: no retry of a 5xx
    make_paper("2611.00008", upvotes=1, listed=DAY + timedelta(days=3))
    report = send_due(today=DAY + timedelta(days=3))
    assert report.suspended == 1
    gone = Subscription.objects.get(email="gone@example.org")
    assert gone.status == Subscription.Status.SUSPENDED and gone.bounce_count == 2
    make_paper("2611.00009", upvotes=1, listed=DAY + timedelta(days=4))
    assert send_due(today=DAY + timedelta(days=4)).failed == 0
    assert len(smtp.to("ada@example.org")) == 3 and smtp.to("gone@example.org") == []


def test_a_dropped_connection_is_reconnected_and_nobody_gets_two(smtp, catalog):
    for n in range(5):
        subscriber(f"reader{n}@example.org")
    smtp.drop_after = 2
    report = send_due(today=DAY)
    assert report.sent == 5 and report.retries == 1
    assert sorted(m.recipients[0] for m in smtp.messages) == [
        f"reader{n}@example.org" for n in range(5)
    ]


def test_server_gone_mid_run_then_rerun_sends_each_exactly_once(smtp, catalog):
    for n in range(6):
        subscriber(f"reader{n}@example.org")
    smtp.drop_after, smtp.drops = 3, -1
    with pytest.raises(SendAborted):
        send_due(today=DAY, mailer_sleep=lambda s: None)
    assert len(smtp.messages) == 3
    assert Digest.objects.filter(status=Digest.Status.SENT).count() == 3
    smtp.drop_after = None
    report = send_due(today=DAY)
    assert report.sent == 3
    for n in range(6):
        assert len(smtp.to(f"reader{n}@example.org")) == 1


def test_command_reports_and_fails_clearly_when_the_server_is_down(smtp, catalog, settings):
    from django.core.management.base import CommandError

    subscriber("ada@example.org")
    settings.DIGEST_RETRY_DELAY = 0
    settings.EMAIL_PORT = 1  # nothing listens there
    with pytest.raises(CommandError, match="cannot reach the SMTP server"):
        call_command("digest", "send", "--date", DAY.isoformat())
    assert Digest.objects.get().status == Digest.Status.PENDING


def test_an_address_stored_by_other_means_that_cannot_be_sent_to_is_a_bounce(smtp, catalog):
    subscriber("a@b.c\nBcc: x@y.z")  # as if typed into the admin or the shell
    subscriber("ada@example.org")
    report = send_due(today=DAY)
    assert (report.sent, report.failed) == (1, 1)
    assert [m.recipients for m in smtp.messages] == [["ada@example.org"]]
    failed = Digest.objects.get(status=Digest.Status.FAILED)
    assert failed.error.startswith("invalid address")
