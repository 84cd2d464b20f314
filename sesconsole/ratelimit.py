"""Fixed-window rate counters and paced schedules shared by every process of the service.

`hit(key, limit, period)` counts one event and says whether it is within the
limit. `schedule(key, count, interval)` books `count` units of a stream that
may run one unit per `interval` seconds and says when the first may go: a
virtual clock that never falls behind the present (GCRA without the burst).
Both are atomic across processes and hosts: Redis (INCR, a script) when
REDIS_URL is set, otherwise one INSERT ... ON CONFLICT DO UPDATE on the
database (which the embedded SQLite default serialises).
"""

import time
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection

if TYPE_CHECKING:
    import redis


@cache
def _redis(url: str) -> "redis.Redis":
    import redis  # only where Redis is configured

    return redis.Redis.from_url(url)


def redis_client() -> "redis.Redis | None":
    """The shared Redis client, or None on the embedded default (no REDIS_URL)."""
    return _redis(settings.REDIS_URL) if settings.REDIS_URL else None


def _window(period: int, now: float | None, start: int | None) -> int:
    if start is not None:
        return start
    now = time.time() if now is None else now
    return int(now // period) * period


def _redis_key(key: str, window: int) -> str:
    return f"{settings.SES_REDIS_PREFIX}:rl:{key}:{window}"


def _incr_redis(key: str, window: int, period: int, amount: int) -> int:
    client = _redis(settings.REDIS_URL)
    name = _redis_key(key, window)
    pipe = client.pipeline()
    pipe.incrby(name, amount)
    pipe.expireat(name, window + period + 1)
    count, _ = pipe.execute()
    return int(count)


def _incr_db(key: str, window: int, period: int, amount: int) -> int:
    from .models import RateWindow

    table = connection.ops.quote_name(RateWindow._meta.db_table)
    if amount < 0:
        # Giving back: only an existing window can have units to return (and
        # an INSERT of a negative count would break the column's CHECK first).
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET count = count + %s "  # noqa: S608
                "WHERE name = %s AND started = %s AND count >= %s RETURNING count",
                [amount, key, window, -amount],
            )
            row = cursor.fetchone()
        return int(row[0]) if row else 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (name, started, expires, count) "  # noqa: S608
            "VALUES (%s, %s, %s, %s) "
            f"ON CONFLICT (name, started) DO UPDATE SET count = {table}.count + excluded.count "
            "RETURNING count",
            [key, window, window + period, amount],
        )
        return int(cursor.fetchone()[0])


def _incr_db_many(windows: list[tuple[str, int, int, int]]) -> list[int]:
    """_incr_db of many windows in one statement per few hundred (a batch's chunk)."""
    from .models import RateWindow

    table = connection.ops.quote_name(RateWindow._meta.db_table)
    merged: dict[tuple[str, int], list[int]] = {}
    for key, window, period, amount in windows:
        entry = merged.setdefault((key, window), [window + period, 0])
        entry[1] += amount
    totals: dict[tuple[str, int], int] = {}
    items = list(merged.items())
    for start in range(0, len(items), 200):
        part = items[start : start + 200]
        values = ", ".join(["(%s, %s, %s, %s)"] * len(part))
        args = [
            x for (key, window), (expires, amount) in part for x in (key, window, expires, amount)
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (name, started, expires, count) "  # noqa: S608
                f"VALUES {values} "
                f"ON CONFLICT (name, started) DO UPDATE SET count = {table}.count + excluded.count "
                "RETURNING name, started, count",
                args,
            )
            for name, started, total in cursor.fetchall():
                totals[(name, int(started))] = int(total)
    # A key given twice sees its own total after both; callers give each key once.
    return [totals[(key, window)] for key, window, _, _ in windows]


def count(
    key: str, period: int, amount: int = 1, now: float | None = None, start: int | None = None
) -> int:
    """Add `amount` to the current window of `key` and return the new total.

    Windows are aligned on multiples of `period` unless `start` (unix seconds)
    names the window, as for calendar days in the local time zone.
    """
    window = _window(period, now, start)
    if settings.REDIS_URL:
        return _incr_redis(key, window, period, amount)
    return _incr_db(key, window, period, amount)


def count_many(
    counts: Iterable[tuple[str, int, int, int | None]], now: float | None = None
) -> list[int]:
    """count() for several (key, period, amount, start) at once: one Redis round trip.

    Each counter is atomic on its own; together they are not a transaction,
    which callers that give units back on refusal do not need.
    """
    windows = [
        (key, _window(period, now, start), period, amount) for key, period, amount, start in counts
    ]
    if not settings.REDIS_URL:
        if len(windows) > 1 and all(amount > 0 for *_, amount in windows):
            return _incr_db_many(windows)
        return [_incr_db(key, window, period, amount) for key, window, period, amount in windows]
    pipe = _redis(settings.REDIS_URL).pipeline(transaction=False)
    for key, window, period, amount in windows:
        name = _redis_key(key, window)
        pipe.incrby(name, amount)
        pipe.expireat(name, window + period + 1)
    return [int(total) for total in pipe.execute()[::2]]


def peek(key: str, period: int, now: float | None = None, start: int | None = None) -> int:
    """The count of the current window of `key`, without adding to it."""
    window = _window(period, now, start)
    if settings.REDIS_URL:
        return int(_redis(settings.REDIS_URL).get(_redis_key(key, window)) or 0)
    from .models import RateWindow

    row = RateWindow.objects.filter(name=key, started=window).values_list("count", flat=True)
    return row.first() or 0


def hit(key: str, limit: int, period: int = 1, now: float | None = None) -> bool:
    """Count one event; True while the window holds at most `limit` events."""
    return count(key, period, 1, now) <= limit


def prune(now: float | None = None) -> int:
    """Delete the database windows that have ended, and schedules long idle."""
    from .models import PaceCursor, RateWindow

    now = time.time() if now is None else now
    deleted, _ = RateWindow.objects.filter(expires__lt=int(now)).delete()
    idle, _ = PaceCursor.objects.filter(next_at__lt=int((now - 3600) * 1_000_000)).delete()
    return deleted + idle


# The cursor moves to max(cursor, now) + span and answers where it started, in one step;
# it is kept until a minute after the time booked last. Times are integer microseconds
# (exact in Lua's doubles for the next few centuries).
_SCHEDULE_LUA = """
local now = tonumber(ARGV[1])
local span = tonumber(ARGV[2])
local start = tonumber(redis.call('GET', KEYS[1]) or '0')
if start < now then start = now end
local keep = math.floor((start + span - now) / 1000) + 60000
redis.call('SET', KEYS[1], string.format('%d', start + span), 'PX', keep)
return string.format('%d', start)
"""


@cache
def _schedule_script(url: str) -> "redis.commands.core.Script":
    return _redis(url).register_script(_SCHEDULE_LUA)


def schedule(key: str, count: int, interval_us: int, now_us: int | None = None) -> int:
    """Book `count` units of the stream `key`, one per `interval_us` microseconds; the
    unix time in microseconds at which the first may go (the others follow at
    `interval_us` each).

    The stream's cursor never lags the present, so an idle stream starts at once and a
    busy one queues behind what was booked before.
    """
    now_us = time.time_ns() // 1000 if now_us is None else now_us
    span_us = max(0, count) * interval_us
    if settings.REDIS_URL:
        name = f"{settings.SES_REDIS_PREFIX}:pace:{key}"
        script = _schedule_script(settings.REDIS_URL)
        return int(script(keys=[name], args=[now_us, span_us]))
    from .models import PaceCursor

    table = connection.ops.quote_name(PaceCursor._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (name, next_at) VALUES (%s, %s) "  # noqa: S608
            f"ON CONFLICT (name) DO UPDATE SET next_at = CASE WHEN {table}.next_at > %s "
            f"THEN {table}.next_at ELSE %s END + %s RETURNING next_at",
            [key, now_us + span_us, now_us, now_us, span_us],
        )
        return int(cursor.fetchone()[0]) - span_us
