"""Token buckets, one row per limited key, in the database so that every worker shares them."""

from django.db import models


class Throttle(models.Model):
    """A token bucket: ``tokens`` left at ``updated_at``, refilled with time (buckets.py)."""

    # "<action>:account:<sha256>" or "<action>:client:<network>" (limits.py).
    key = models.CharField(max_length=100, unique=True)
    tokens = models.FloatField()
    updated_at = models.DateTimeField(db_index=True)
