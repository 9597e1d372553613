"""A reader's rows that exist once each (a follow, a mute), within a limit per reader."""

from django.db import IntegrityError, models, transaction

from .errors import TooMany


def create_once(
    model: type[models.Model], user, limit: int, too_many: str, **fields: object
) -> tuple[models.Model, bool]:
    """The reader's row with ``fields``, created unless it exists; whether it is new.

    TooMany(``too_many``) when the reader has ``limit`` rows of ``model`` already.
    The same row asked for by two requests at once is one row, and no error.
    """
    existing = model.objects.filter(user=user, **fields).first()
    if existing is not None:
        return existing, False
    if model.objects.filter(user=user).count() >= limit:
        raise TooMany(too_many)
    try:
        with transaction.atomic():
            return model.objects.create(user=user, **fields), True
    except IntegrityError:
        return model.objects.get(user=user, **fields), False
