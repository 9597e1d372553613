"""The limits hold across processes: parallel requests against a live ``dailypapers serve``
with several workers get exactly as far as the rates allow, no further."""

import json
import re
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest

from dailypapers.conftest import ExternalDatabase

pytestmark = pytest.mark.django_db(transaction=True)

# Slow refills: nothing comes back while the test runs, so the counts are exact.
RATES = {
    "DAILYPAPERS_RATE_LOGIN_PER_ACCOUNT": "5/hour",
    "DAILYPAPERS_RATE_LOGIN_PER_CLIENT": "5/hour",
    "DAILYPAPERS_RATE_VOTE_PER_ACCOUNT": "40/day",
    "DAILYPAPERS_RATE_VOTE_PER_CLIENT": "1000/day",
    # serve's test client is the proxy: it says which client each request is from.
    "DAILYPAPERS_TRUSTED_PROXIES": "127.0.0.1",
}


def request(url: str, *, data: bytes | None = None, headers: dict, method: str = "GET"):
    """(status, headers, body) of one request; HTTP errors are answers too."""
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, data=data, headers=headers, method=method), timeout=120
        ) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def login_form(url: str) -> tuple[str, str]:
    """The CSRF cookie and the form's token: every login attempt below may share them."""
    with urllib.request.urlopen(f"{url}/accounts/login/", timeout=60) as page:
        cookie = page.headers["Set-Cookie"].split(";")[0]
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.read())[1]
    return cookie, token.decode()


def failed_login(url: str, form: tuple[str, str], username: str, client: str) -> int:
    cookie, token = form
    body = urlencode({"csrfmiddlewaretoken": token, "username": username, "password": "guess"})
    status, _, _ = request(
        f"{url}/accounts/login/",
        data=body.encode(),
        method="POST",
        headers={
            "Cookie": cookie,
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Forwarded-For": client,
        },
    )
    return status


def server_errors(statuses: Counter) -> int:
    return sum(count for status, count in statuses.items() if status >= 500)


def voter_token_and_papers(db: ExternalDatabase, ids: list[str]) -> str:
    """Papers published today and an account with an API token, in one ``shell``."""
    made = db.run(
        "shell",
        "-c",
        f"""
from datetime import date
from django.contrib.auth.models import User
from dailypapers.community.models import ApiToken
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.upserts import upsert_papers
upsert_papers([
    PaperRecord.build(arxiv_id=i, title=i, abstract=".", authors=["A"], published=date.today())
    for i in {ids!r}
])
print(ApiToken.objects.issue(User.objects.create_user("voter"), "load")[1])
""",
    )
    assert made.returncode == 0, made.stderr
    return made.stdout.split()[-1]


def test_parallel_requests_get_exactly_what_the_rates_allow(tmp_path, campaign):
    votes = campaign.size(60, 240)
    logins = campaign.size(30, 120)
    db = ExternalDatabase(tmp_path)
    ids = [f"2411.{n:05d}" for n in range(votes)]
    token = voter_token_and_papers(db, ids)

    with (
        db.serving("--workers", "3", "--threads", "4", "--no-indexer", env=RATES) as site,
        ThreadPoolExecutor(30) as pool,
    ):
        form = login_form(site.url)
        # One username guessed from many networks: its bucket holds 5.
        per_account = Counter(
            pool.map(
                lambda n: failed_login(site.url, form, "ada", f"198.51.{n // 250}.{n % 250 + 1}"),
                range(logins),
            )
        )
        # Many usernames guessed from one network: its bucket holds 5.
        per_client = Counter(
            pool.map(
                lambda n: failed_login(site.url, form, f"user{n}", "203.0.113.7"), range(logins)
            )
        )

        def vote(arxiv_id: str):
            return request(
                f"{site.url}/api/papers/{arxiv_id}/upvote",
                method="POST",
                headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": "192.0.2.1"},
            )

        answers = list(pool.map(vote, ids))

    campaign.record(
        f"{logins} parallel failed logins for one username from {logins} networks, 3 workers",
        f"{per_account[200]} checked (limit 5), {per_account[429]} refused with 429, "
        f"{server_errors(per_account)} 5xx",
    )
    assert per_account == {200: 5, 429: logins - 5}
    campaign.record(
        f"{logins} parallel failed logins for {logins} usernames from one network, 3 workers",
        f"{per_client[200]} checked (limit 5), {per_client[429]} refused with 429, "
        f"{server_errors(per_client)} 5xx",
    )
    assert per_client == {200: 5, 429: logins - 5}

    statuses = Counter(status for status, _, _ in answers)
    stored = db.scalar("SELECT COUNT(*) FROM papers_upvote")
    counted = db.scalar("SELECT SUM(upvotes) FROM papers_paper")
    campaign.record(
        f"{votes} parallel API upvotes by one token on {votes} papers, 3 workers",
        f"{statuses[200]} accepted (limit 40), {statuses[429]} refused with 429, "
        f"{stored} upvotes stored, {counted} counted, "
        f"{server_errors(statuses)} 5xx",
    )
    assert statuses == {200: 40, 429: votes - 40}
    assert stored == counted == 40
    for status, headers, body in answers:
        if status == 429:
            assert int(headers["Retry-After"]) > 0
            assert json.loads(body)["error"].startswith("Too many votes for this account.")
