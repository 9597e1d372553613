"""Claims on digests, so that runs started together share the work and send each digest once.

A run sends a digest only while it holds that digest's claim, from composing it
to recording it, and passes over the digests other runs hold. A claim vanishes
with the process that holds it, so a killed run's digest is owed to the next
run at once (docs/digests.md, "Exactly once").
"""

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction

from .models import Digest


class Claims:
    """The digests this run is sending, each claimed while it is composed, sent and recorded.

    On PostgreSQL the claim is the digest's row, locked FOR UPDATE in the
    transaction that records the sending; other runs skip locked rows. On SQLite
    a transaction would lock the whole database for the length of an SMTP
    exchange: the claim is one byte of a lock file beside the database
    (DIGEST_LOCK_FILE), at the digest's id, locked with fcntl.
    """

    def __enter__(self) -> "Claims":
        self._file = None
        if connection.vendor != "postgresql":
            self._file = open(settings.DIGEST_LOCK_FILE, "a")  # noqa: SIM115 (closed in __exit__)
        return self

    def __exit__(self, *exc_info) -> None:
        if self._file is not None:
            self._file.close()  # releases every claim left

    @contextmanager
    def hold(self, record: Digest) -> Iterator[bool]:
        """Whether this run holds ``record``'s claim and the digest is still owed."""
        owed = Digest.objects.filter(pk=record.pk, status=Digest.Status.PENDING)
        if self._file is None:
            with transaction.atomic():
                yield owed.select_for_update(skip_locked=True).exists()
            return
        try:
            fcntl.lockf(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, record.pk)
        except (BlockingIOError, PermissionError):
            yield False  # another run is sending it
            return
        try:
            yield owed.exists()
        finally:
            fcntl.lockf(self._file, fcntl.LOCK_UN, 1, record.pk)
