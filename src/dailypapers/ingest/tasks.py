"""The ingest work the workers run as tasks: the Hugging Face sync and the papers known
only from a listing (on schedules), and the first content of an empty catalog (enqueued
by ``serve``). Each is safe to run again after a kill: a sync continues after its last
whole day, a harvest after its checkpoint, and a paper fetched twice is stored once.
The papers visitors ask for are ``on_demand.fetch_queued``."""

import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tasks import task

from dailypapers.cli import command_hint
from dailypapers.papers.models import Paper
from dailypapers.papers.signals import announce_catalog_change
from dailypapers.papers.upserts import UpsertCounts, upsert_papers

from .arxiv_api import ArxivUnavailable, fetch_papers
from .models import SourceStatus
from .on_demand import worker_client


def pending_ids() -> list[str]:
    """Papers known only from a daily listing, waiting for their arXiv metadata."""
    return list(Paper.objects.filter(version=0).order_by("pk").values_list("pk", flat=True))


@task()
def sync_hf() -> None:
    """``sync-hf``, continuing after the last day synced (DAILYPAPERS_SYNC_HF_TIME)."""
    try:
        call_command("sync-hf")
    except CommandError as error:
        # Said once a day; tomorrow's run continues where this one stopped.
        print(str(error), file=sys.stderr)


@task()
def complete_pending() -> int:
    """Fetch the papers known only from a listing from arXiv; how many were completed.
    While arXiv does not answer, the first run says so and the next ones stay quiet."""
    waiting = pending_ids()
    if not waiting:
        return 0
    was_failing = any(
        status.source == SourceStatus.Source.ARXIV_API for status in SourceStatus.failing()
    )
    counts, error = UpsertCounts(), None
    try:
        for batch in fetch_papers(waiting, worker_client()):
            counts += upsert_papers(batch.records)
    except ArxivUnavailable as failure:
        error = failure
    SourceStatus.record(SourceStatus.Source.ARXIV_API, str(error or ""))
    if counts.changed:
        left = len(waiting) - counts.changed
        print(
            f"{counts.changed} pending papers completed from arXiv, {left} still pending",
            flush=True,
        )
        for line in announce_catalog_change("complete_pending"):
            print(line, flush=True)
    if error and not was_failing:
        print(
            f"{error}: {len(waiting)} papers stay pending (shown from their listing) "
            "until arXiv answers",
            file=sys.stderr,
        )
    return counts.changed


@task()
def fill_empty_catalog(since: str) -> list[str]:
    """The first content of an empty catalog: arXiv's harvest of DAILYPAPERS_HARVEST_SET
    and Hugging Face's daily lists since ``since``; what failed, as said in the log."""
    harvest = command_hint(f"harvest --from {since} --set {settings.HARVEST_SET}")
    sync = command_hint(f"sync-hf --from {since}")
    import_file = command_hint("import PATH.jsonl.gz")
    failures = []
    print(f"The catalog is empty: harvesting arXiv since {since}…", flush=True)
    try:
        call_command("harvest", "--from", since, "--set", settings.HARVEST_SET)
    except CommandError as error:
        failures.append(f"Could not harvest arXiv: {error}")
    print(f"Syncing Hugging Face's daily papers since {since}…", flush=True)
    try:
        call_command("sync-hf", "--from", since)
    except CommandError as error:
        failures.append(f"Could not sync Hugging Face's daily papers: {error}")
    if failures:
        print(
            "\n".join(failures) + f"\nThe site starts with what could be fetched. Import a "
            f"file instead ({import_file}) or retry later:\n  {harvest}\n  {sync}",
            file=sys.stderr,
        )
    return failures
