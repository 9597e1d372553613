"""What the importers remember between runs."""

from django.db import models
from django.utils import timezone


class HarvestCheckpoint(models.Model):
    """How far one OAI-PMH harvest got: enough to resume it, or to start the next one after it.

    A harvest is identified by its arguments (set, metadata prefix, from, until);
    running the same command again resumes the unfinished harvest with those arguments.
    """

    set_spec = models.CharField("set", max_length=100, blank=True)
    metadata_prefix = models.CharField(max_length=20)
    from_date = models.DateField()
    until_date = models.DateField(null=True, blank=True)
    # The token that asks for the next page; empty before the first page and once finished.
    resumption_token = models.TextField(blank=True)
    # The latest record datestamp harvested so far.
    last_datestamp = models.DateField(null=True, blank=True)
    finished = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        until = f" until {self.until_date}" if self.until_date else ""
        state = "finished" if self.finished else "unfinished"
        return (
            f"{self.set_spec or 'all sets'} ({self.metadata_prefix}) from {self.from_date}"
            f"{until}: {state}"
        )


class HFSyncCheckpoint(models.Model):
    """How far one ``sync-hf`` run got through its days.

    A run is identified by its arguments (from, until); running the same command
    again resumes the unfinished run after its last stored day. A day still open
    on Hugging Face (today, in UTC) is stored but not settled: the next sync
    without --from fetches it again, complete.
    """

    from_date = models.DateField()
    # None: up to the day the sync runs.
    until_date = models.DateField(null=True, blank=True)
    last_day = models.DateField(null=True, blank=True)
    # The last day stored after Hugging Face had closed it.
    settled_through = models.DateField(null=True, blank=True)
    finished = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = "Hugging Face sync checkpoint"

    def __str__(self) -> str:
        until = f" until {self.until_date}" if self.until_date else ""
        state = "finished" if self.finished else f"unfinished, at {self.last_day or 'start'}"
        return f"Hugging Face from {self.from_date}{until}: {state}"


class SourceStatus(models.Model):
    """Whether the last attempt to fetch from a source worked, for the operator and empty pages."""

    class Source(models.TextChoices):
        ARXIV_OAI = "arxiv-oai", "arXiv (OAI-PMH harvest)"
        ARXIV_API = "arxiv-api", "the arXiv API"
        HF = "hf", "Hugging Face Daily Papers"

    source = models.CharField(max_length=20, choices=Source.choices, unique=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "source statuses"

    def __str__(self) -> str:
        return f"{self.get_source_display()}: {'failing' if self.is_failing else 'ok'}"

    @property
    def is_failing(self) -> bool:
        return self.failed_at is not None and (
            self.succeeded_at is None or self.failed_at > self.succeeded_at
        )

    @classmethod
    def record(cls, source: "SourceStatus.Source", error: str = "") -> None:
        """Note an attempt: failed with ``error``, or succeeded when it is empty."""
        field = "failed_at" if error else "succeeded_at"
        cls.objects.update_or_create(
            source=source, defaults={field: timezone.now(), "error": error}
        )

    @classmethod
    def failing(cls) -> list["SourceStatus"]:
        return [status for status in cls.objects.order_by("source") if status.is_failing]


class FetchRequest(models.Model):
    """A paper someone asked the site to fetch from arXiv, and how that went.

    The page or API call that asks only records it and enqueues a fetch; a
    worker does the fetching in the background (ingest/on_demand.py).
    One row per paper: asking again while it waits changes nothing.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        FETCHING = "fetching", "fetching"
        FAILED = "failed", "failed"
        DONE = "done", "done"

    arxiv_id = models.CharField(max_length=40, primary_key=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Why it failed, in words for the visitor who asked (no addresses, no internals).
    reason = models.CharField(max_length=300, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self) -> str:
        return f"{self.arxiv_id}: {self.status}"

    @property
    def waiting(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.FETCHING}
