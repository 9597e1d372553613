"""How every importer reports: one summary line, and dates as its options take them.
Progress bars and interruption are shared with the other commands (dailypapers/console.py)."""

import argparse
from datetime import date

from dailypapers.papers.upserts import UpsertCounts


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
