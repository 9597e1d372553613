"""How every importer talks to the operator: one progress bar style, one summary line."""

import argparse
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from dailypapers.papers.services import UpsertCounts


def byte_progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[records]} records"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def count_progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def iso_date(text: str) -> date:
    """An argparse type for ``--from`` and ``--until``."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def summary(label: str, counts: UpsertCounts) -> str:
    older = f" ({counts.older} older versions ignored)" if counts.older else ""
    line = (
        f"{label}: {counts.new} new, {counts.updated} updated, "
        f"{counts.unchanged} unchanged{older}, {counts.rejected} rejected"
    )
    if not counts.changed:
        line += " — nothing changed"
    return line


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Treat ``kill`` (SIGTERM) like Ctrl-C, so the current batch rolls back cleanly."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
