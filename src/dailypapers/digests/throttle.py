"""Rate limits on subscribe requests, so the form cannot be used to mail-bomb anyone.

Token buckets stored in the database (one row per key, updated under a row
lock), so the limits hold across gunicorn workers and restarts. Two keys are
checked: the address (hashed: no table keeps addresses of people who never
subscribed) and the client's network (its IPv4 address, or its IPv6 /64, since
one host usually holds a whole /64).
"""

import hashlib
import ipaddress
import re
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Least
from django.http import HttpRequest
from django.utils import timezone

from .models import Throttle

SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def parse_rate(text: str) -> tuple[int, int]:
    """ "3/day" -> (3, 86400): at most 3 in a burst, refilled at 3 a day."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(minute|hour|day)\s*", text)
    if not match or int(match[1]) < 1:
        raise ValueError(f"not a rate like '3/day': {text!r}")
    return int(match[1]), SECONDS[match[2]]


def allow(key: str, rate: str, now: datetime | None = None) -> bool:
    """Take one token from ``key``'s bucket; False when it is empty."""
    capacity, period = parse_rate(rate)
    now = now or timezone.now()
    with transaction.atomic():
        bucket, _ = Throttle.objects.select_for_update().get_or_create(
            key=key, defaults={"tokens": capacity, "updated_at": now}
        )
        elapsed = max((now - bucket.updated_at).total_seconds(), 0.0)
        tokens = min(capacity, bucket.tokens + elapsed * capacity / period)
        allowed = tokens >= 1
        bucket.tokens = tokens - 1 if allowed else tokens
        bucket.updated_at = now
        bucket.save(update_fields=["tokens", "updated_at"])
    return allowed


def give_back(key: str, rate: str) -> None:
    """Return the token a request took, when what it asked for did not happen."""
    capacity, _ = parse_rate(rate)
    Throttle.objects.filter(key=key).update(tokens=Least(F("tokens") + 1.0, float(capacity)))


def address_key(email: str) -> str:
    return "address:" + hashlib.sha256(email.lower().encode()).hexdigest()


def client_key(request: HttpRequest, trust_forwarded_for: bool) -> str:
    """The client's network; behind a proxy, the address the proxy appended last."""
    address = request.META.get("REMOTE_ADDR", "")
    if trust_forwarded_for and (forwarded := request.META.get("HTTP_X_FORWARDED_FOR")):
        address = forwarded.split(",")[-1].strip()
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "client:unknown"
    prefix = 64 if ip.version == 6 else 32
    return f"client:{ipaddress.ip_network(f'{ip}/{prefix}', strict=False)}"


def prune(older_than: datetime) -> int:
    """Forget buckets untouched since ``older_than`` (full again by then)."""
    deleted, _ = Throttle.objects.filter(updated_at__lt=older_than).delete()
    return deleted
