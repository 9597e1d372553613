"""A reader's rows that exist once each (a follow, a mute), within a limit per reader."""

from django.db import IntegrityError, models, transaction

from .errors import TooMany


def create_once(
    model: type[models.Model], owner: dict[str, object], limit: int, too_many: str, **fields: object
) -> tuple[models.Model, bool]:
    """The owner's row with ``fields``, created unless it exists; whether it is new.

    ``owner`` names who the row belongs to (``{"user": user}``). TooMany(``too_many``)
    when the owner has ``limit`` rows of ``model`` already. The same row asked for by
    two requests at once is one row, and no error.
    """
    existing = model.objects.filter(**owner, **fields).first()
    if existing is not None:
        return existing, False
    if model.objects.filter(**owner).count() >= limit:
        raise TooMany(too_many)
    try:
        with transaction.atomic():
            return model.objects.create(**owner, **fields), True
    except IntegrityError:
        return model.objects.get(**owner, **fields), False
