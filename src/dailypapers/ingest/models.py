"""What the importers remember between runs."""

from django.db import models


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
