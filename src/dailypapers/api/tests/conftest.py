"""The schema tests' setting: a populated catalog (every kind of answer has data), and
requests through the WSGI application, checked by schemathesis against /api/openapi.json."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from werkzeug.test import Client

from dailypapers.community.models import ApiToken
from dailypapers.community.services import post_comment
from dailypapers.papers.models import Paper
from dailypapers.papers.records import ListingRecord, OrganizationRecord, PaperRecord
from dailypapers.papers.services import add_upvote, submit_to_daily_list
from dailypapers.papers.upserts import upsert_listings, upsert_papers
from dailypapers.search.indexing import sync_keyword_index
from dailypapers.wsgi import application


@dataclass
class Catalog:
    """What the populated catalog holds, for tests that need real ids and tokens."""

    token: str  # may write
    read_only_token: str
    listed: list[str]  # on a daily list
    submittable: list[str]  # recent, not listed: a submission succeeds
    hidden: str
    listing_only: str  # known only from a listing: no arXiv date, no authors


LISTED_ON = date(2024, 3, 5)
TOPICS = ["diffusion models", "quantization", "graph networks", "retrieval", "agents"]
ORGANIZATION = OrganizationRecord("xiao-i", "Xiao-i Research", "https://example.org/x.png")


@pytest.fixture
def catalog(db) -> Catalog:
    today = timezone.localdate()
    reader = User.objects.create_user("reader", first_name="Ada", last_name="Reader")
    other = User.objects.create_user("other")
    _, token = ApiToken.objects.issue(reader, name="writes")
    _, read_only = ApiToken.objects.issue(reader, name="reads", can_write=False)
    listed = [f"2403.0{n:04d}" for n in range(1, 11)]
    submittable = [f"2403.1{n:04d}" for n in range(1, 9)]
    records = [
        PaperRecord.build(
            arxiv_id=arxiv_id,
            title=f"On {TOPICS[n % len(TOPICS)]}, part {n}",
            abstract=f"We study {TOPICS[n % len(TOPICS)]}. Code: https://github.com/lab/p{n}",
            authors=[f"Author {n}", f"Coauthor {n}", "Shared Author"],
            published=LISTED_ON - timedelta(days=n % 3),
            categories=["cs.LG", "cs.CV"],
        )
        for n, arxiv_id in enumerate(listed)
    ] + [
        PaperRecord.build(
            arxiv_id=arxiv_id,
            title=f"Recent work on {TOPICS[n % len(TOPICS)]} {n}",
            abstract=f"A recent paper about {TOPICS[n % len(TOPICS)]}.",
            authors=[f"Recent Author {n}"],
            published=today - timedelta(days=n % 4),
            categories=["cs.CL"],
        )
        for n, arxiv_id in enumerate(submittable)
    ]
    hidden = "2403.20000"
    records.append(
        PaperRecord.build(
            arxiv_id=hidden,
            title="Hidden by moderators",
            abstract="Diffusion.",
            authors=["Someone"],
            published=today,
        )
    )
    upsert_papers(records)
    Paper.objects.filter(pk=hidden).update(is_hidden=True)
    listing_only = "2403.30000"
    upsert_listings(
        [
            ListingRecord(
                arxiv_id=arxiv_id,
                date=LISTED_ON - timedelta(days=n % 4),
                source="hf-api",
                upvotes=5 * n,
                submitter_name="akhaliq" if n % 2 else "",
                organization=ORGANIZATION if n % 3 == 0 else None,
            )
            for n, arxiv_id in enumerate(listed[:-1])
        ]
        + [
            ListingRecord(
                arxiv_id=listing_only,
                date=LISTED_ON,
                source="hf-api",
                title="Known only from its listing",
            )
        ]
    )
    # Submitted here, by a local user with a full name.
    submit_to_daily_list(reader, Paper.objects.get(pk=listed[-1]), LISTED_ON)
    for arxiv_id in listed[:3]:
        post_comment(other, Paper.objects.get(pk=arxiv_id), "Nice result, $x^2$.")
        add_upvote(other, Paper.objects.get(pk=arxiv_id))
    sync_keyword_index()
    return Catalog(
        token=token,
        read_only_token=read_only,
        listed=listed + [listing_only],
        submittable=submittable,
        hidden=hidden,
        listing_only=listing_only,
    )


@pytest.fixture
def wsgi(db) -> Iterator[Client]:
    """Requests through the WSGI application, in the test's own transaction."""
    # As Django's test client does: requests must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield Client(application)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def openapi(wsgi):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", application)
