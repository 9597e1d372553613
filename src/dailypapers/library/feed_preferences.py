"""How much a reader's "For you" feed weighs the community's upvotes against personal
fit: the knob on the page, kept per reader."""

import math

from .errors import Invalid
from .models import FeedPreference

# What a reader who never touched the knob gets: personal fit alone (docs/recommend.md).
DEFAULT_COMMUNITY = 0.0


def community_weights(user_ids: list[int]) -> dict[int, float]:
    """The knob of many readers at once (a digest run's batch)."""
    found = dict(
        FeedPreference.objects.filter(user_id__in=user_ids).values_list("user_id", "community")
    )
    return {pk: found.get(pk, DEFAULT_COMMUNITY) for pk in user_ids}


def set_community_weight(user, value: object) -> float:
    """Keep the reader's knob; Invalid unless ``value`` is a number from 0 to 1."""
    try:
        weight = float(value)
    except (TypeError, ValueError):
        weight = math.nan  # fails the range test below, as "inf" does
    if not 0 <= weight <= 1:
        raise Invalid("The community weight is a number from 0 to 1.")
    FeedPreference.objects.update_or_create(user=user, defaults={"community": weight})
    return weight
