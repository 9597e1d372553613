"""Rates as settings write them: "20/hour" is a burst of 20, refilled at 20 an hour.

Free of models, so that settings.py can check the rates it reads at start.
"""

import re

SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def parse_rate(text: str) -> tuple[int, int]:
    """ "3/day" -> (3, 86400): at most 3 in a burst, refilled at 3 a day."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(minute|hour|day)\s*", text)
    if not match or int(match[1]) < 1:
        raise ValueError(f"not a rate like '3/day': {text!r}")
    return int(match[1]), SECONDS[match[2]]
