"""Fixed-window rate counters shared by every process of the service.

`hit(key, limit, period)` counts one event and says whether it is within the
limit. Counting is atomic across processes and hosts: Redis INCR when
REDIS_URL is set, otherwise one INSERT ... ON CONFLICT DO UPDATE on the
database (which the embedded SQLite default serialises).
"""

import time
from functools import cache

from django.conf import settings
from django.db import connection


@cache
def _redis(url):
    import redis

    return redis.Redis.from_url(url)


def _window(period: int, now: float | None) -> int:
    now = time.time() if now is None else now
    return int(now // period) * period


def _incr_redis(key: str, window: int, period: int, amount: int) -> int:
    client = _redis(settings.REDIS_URL)
    name = f"ses:rl:{key}:{window}"
    pipe = client.pipeline()
    pipe.incrby(name, amount)
    pipe.expire(name, period + 1)
    count, _ = pipe.execute()
    return int(count)


def _incr_db(key: str, window: int, amount: int) -> int:
    from .models import RateWindow

    table = connection.ops.quote_name(RateWindow._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (name, started, count) VALUES (%s, %s, %s) "  # noqa: S608
            f"ON CONFLICT (name, started) DO UPDATE SET count = {table}.count + excluded.count "
            "RETURNING count",
            [key, window, amount],
        )
        return int(cursor.fetchone()[0])


def count(key: str, period: int, amount: int = 1, now: float | None = None) -> int:
    """Add `amount` to the current window of `key` and return the new total."""
    window = _window(period, now)
    if settings.REDIS_URL:
        return _incr_redis(key, window, period, amount)
    return _incr_db(key, window, amount)


def hit(key: str, limit: int, period: int = 1, now: float | None = None) -> bool:
    """Count one event; True while the window holds at most `limit` events."""
    return count(key, period, 1, now) <= limit


def prune(older_than_seconds: int = 3600) -> int:
    from .models import RateWindow

    cutoff = int(time.time()) - older_than_seconds
    deleted, _ = RateWindow.objects.filter(started__lt=cutoff).delete()
    return deleted
