"""The indexer as a task on the "index" queue, enqueued every minute unless the last run
still works (embedding a new catalog takes hours on a small machine): the keyword index,
then embeddings for new papers, then the vector graph. A run killed half-way loses at
most a batch; the next run continues from what is stored."""

from django.core.management import call_command
from django_tasks import task


@task(queue_name="index")
def index() -> None:
    """One round of ``dailypapers index``, written for a log: lines, and only what changed."""
    call_command("index", "--round")
