"""The cache every node shares, when there are several: Redis (DAILYPAPERS_CACHE_URL).

Django's own Redis backend, with one difference: a Redis that does not answer
is a cache that holds nothing, not an error page. What the project keeps in the
cache can always be made again (pages, answers, a count read from the
database), and what must hold across nodes and outlive an outage (rate limits,
digest claims, sessions) is in the database. So while Redis is away every
request renders afresh, the log says so once, and once it answers again the
pages are shared again, without a restart.
"""

import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError, TimeoutError

logger = logging.getLogger(__name__)

# Seconds a process leaves Redis alone after it failed to answer: requests then
# do not each wait for a connection attempt to time out.
RETRY_AFTER = 5.0
# How long one connection attempt, and one command, may take. Redis answers in
# well under a millisecond on a local network; a second means it is not there.
CONNECT_TIMEOUT = 1.0
COMMAND_TIMEOUT = 2.0

UNAVAILABLE = (ConnectionError, TimeoutError)


class _TolerantClient(RedisCacheClient):
    """Django's client, each command answered with ``otherwise`` while Redis is away."""

    def __init__(self, *args, **options):
        options.setdefault("socket_connect_timeout", CONNECT_TIMEOUT)
        options.setdefault("socket_timeout", COMMAND_TIMEOUT)
        super().__init__(*args, **options)
        # Per process, like the connection pool: when it last found Redis away, and
        # until when it leaves it alone.
        self.down_until: float | None = None

    def _try(self, command: Callable[..., Any], otherwise: Any, *args) -> Any:
        if self.down_until is not None and time.monotonic() < self.down_until:
            return otherwise
        try:
            result = command(self, *args)
        except UNAVAILABLE as error:
            if self.down_until is None:
                logger.warning(
                    "the shared cache (Redis) is not answering; pages are rendered "
                    "afresh until it does: %s",
                    error,
                )
            self.down_until = time.monotonic() + RETRY_AFTER
            return otherwise
        if self.down_until is not None:
            logger.warning("the shared cache (Redis) answers again")
            self.down_until = None
        return result

    def add(self, key, value, timeout) -> bool:
        # Not taken: whoever asks for a claim (renewing a shared page) goes without.
        return self._try(RedisCacheClient.add, False, key, value, timeout)

    def get(self, key, default):
        return self._try(RedisCacheClient.get, default, key, default)

    def set(self, key, value, timeout) -> None:
        self._try(RedisCacheClient.set, None, key, value, timeout)

    def touch(self, key, timeout) -> bool:
        return self._try(RedisCacheClient.touch, False, key, timeout)

    def delete(self, key) -> bool:
        return self._try(RedisCacheClient.delete, False, key)

    def get_many(self, keys) -> dict:
        return self._try(RedisCacheClient.get_many, {}, keys)

    def has_key(self, key) -> bool:
        return self._try(RedisCacheClient.has_key, False, key)

    def set_many(self, data, timeout) -> None:
        self._try(RedisCacheClient.set_many, None, data, timeout)

    def delete_many(self, keys) -> None:
        self._try(RedisCacheClient.delete_many, None, keys)


class SharedRedisCache(RedisCache):
    """Django's RedisCache, where a Redis that does not answer is a miss (see above)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _TolerantClient
